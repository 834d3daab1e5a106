#!/usr/bin/env bash
# What the shipped faces model derives from its generator and readers ($P/{generator,extractor,judge,judge_mlp}):
# the axes (20,000 labelled samples), the inversion encoder (--keep-encoder: one trained for this generator is
# already in place, e.g. by the GPU run), the upload check, the figures (scripts/faces_figures.sh) and the editor's
# SeFa directions, in that order (at 128 px the last is the one 2 CPU cores do in minutes). Called by
# build_default_model.sh, build_gpu_model.sh and by scripts/gpu_faces.py on a GPU machine.
# $TLGAN_PRETRAINED (default: the package's folder) holds the model, $DOCS (default docs) gets the figures;
# N_AXES, N_UPLOAD and faces_figures.sh's sizes shrink a test run; KEEP_GOING and ONLY_MISSING: scripts/steps.sh.
source "$(dirname "$0")/steps.sh"   # strict mode, step, KEEP_GOING, ONLY_MISSING
P=${TLGAN_PRETRAINED:-src/tlgan/pretrained}/faces
CACHE=${CACHE:-runs/faces-cache}
fit_axes() {
  rm -rf "$CACHE" $P/axes $P/directions
  tlgan axes sample --generator $P/generator --features $P/extractor --n "${N_AXES:-20000}" --seed 0 --out "$CACHE"
  tlgan axes fit "$CACHE" --method glm --out $P/axes
}
step $P/axes fit_axes
if [ "${1:-}" != "--keep-encoder" ]; then
  rm -rf runs/encoder-shipped
  tlgan invert train-encoder --out runs/encoder-shipped --steps 2000 --seed 0 --latent-weight 10
  rm -rf $P/encoder && tlgan invert export-encoder runs/encoder-shipped --out $P/encoder
  rm -f $P/encoder/upload_check.json  # train-encoder's check (gradients, noise): the next step measures faces' own
fi
# the editor's threshold for flagging an upload that is not a face
step $P/encoder/upload_check.json python scripts/upload_check.py --n "${N_UPLOAD:-64}"
bash scripts/faces_figures.sh   # then scripts/faces_benchmarks.sh: every other figure (several hours)
step $P/directions tlgan axes find --method sefa --k 20 --out $P/directions   # the editor's unsupervised panel
exit ${failed:-0}
