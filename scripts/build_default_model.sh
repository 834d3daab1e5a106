#!/usr/bin/env bash
# Rebuild the shipped faces model in src/tlgan/pretrained/faces from scratch (deterministic seeds), then its
# figures (scripts/faces_figures.sh). A few hours on 2 CPU cores: the 32x32 DCGAN (width 48, 16,000 updates) took
# 56 min on one thread beside other work, growing it to 64x64 9 min, the extractor and two judges ~20, axes and
# directions ~3, the inversion encoder ~20, figures ~50 (half of it the 64-px feature network FD-faces at 64x64 is
# measured with); it prints its total.
# Run from the repository root after `bash scripts/setup.sh`. Each training run can be continued with --resume.
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE
P=src/tlgan/pretrained/faces
start=$(date +%s)
tlgan train dcgan --config configs/faces32_w48.yaml --out runs/faces32-w48
tlgan train dcgan --config configs/faces64_w48.yaml --out runs/faces64-w48   # grows runs/faces32-w48 to 64x64
tlgan export runs/faces64-w48 --out $P/generator
# The readers see faces at 32x32 (64x64 images are downsampled first): the 64x64 level only refines the 32x32
# model's composition. The judges are independent networks: another renderer seed (other images), another
# training seed, and the second another architecture.
tlgan features train --data faces --resolution 32 --n 20000 --steps 1500 --seed 0 --data-seed 0 --out $P/extractor
tlgan features train --data faces --resolution 32 --n 20000 --steps 1500 --seed 1 --data-seed 1 --out $P/judge
tlgan features train --data faces --resolution 32 --n 20000 --steps 3000 --seed 2 --data-seed 2 --arch mlp \
  --out $P/judge_mlp
bash scripts/rebuild_on_generator.sh   # axes, SeFa directions, inversion encoder, upload check, figures
echo "rebuilt in $(( ($(date +%s) - start) / 60 )) min"
