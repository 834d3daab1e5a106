#!/usr/bin/env bash
# Rebuild the shipped faces model in src/tlgan/pretrained/faces from scratch (deterministic seeds).
# About 2 h 40 min on 2 CPU cores: the 64x64 DCGAN ~60 min, the 64-px extractor ~25, the two 32-px judges ~30,
# the inversion encoder ~25, axes, directions and evaluations ~15. Run from the repository root after
# `bash scripts/setup.sh`. The GAN's run can be continued with `tlgan train dcgan --resume --out runs/faces64`.
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE
P=src/tlgan/pretrained/faces
start=$(date +%s)
tlgan train dcgan --config configs/faces64.yaml --out runs/faces64
tlgan export runs/faces64 --out $P/generator
# the extractor reads the generator's 64x64 images; the two judges read them downsampled to 32x32 (independent
# networks: other renderer seed = other images, other training seed, and the second another architecture)
tlgan features train --data faces --resolution 64 --n 20000 --steps 1500 --seed 0 --data-seed 0 --out $P/extractor
tlgan features train --data faces --resolution 32 --n 20000 --steps 1500 --seed 1 --data-seed 1 --out $P/judge
tlgan features train --data faces --resolution 32 --n 20000 --steps 3000 --seed 2 --data-seed 2 --arch mlp \
  --out $P/judge_mlp
tlgan axes sample --generator $P/generator --features $P/extractor --n 20000 --seed 0 --out runs/faces64-cache
tlgan axes fit runs/faces64-cache --method glm --out $P/axes
tlgan axes find --method sefa --k 20 --out $P/directions   # the editor's unsupervised panel
tlgan invert train-encoder --out runs/encoder64 --steps 2000 --seed 0
tlgan invert export-encoder runs/encoder64 --out $P/encoder
bash scripts/faces_figures.sh
echo "rebuilt in $(( ($(date +%s) - start) / 60 )) min"
