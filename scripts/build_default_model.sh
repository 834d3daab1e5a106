#!/usr/bin/env bash
# Rebuild the shipped faces model in src/tlgan/pretrained/faces from scratch (deterministic seeds).
# About 70 minutes on 2 CPU cores (the DCGAN 26 min, extractors and axes ~20, the inversion encoder ~15,
# evaluations ~10). Run from the repository root after `bash scripts/setup.sh`.
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE
P=src/tlgan/pretrained/faces
tlgan train dcgan --config configs/faces32.yaml --out runs/faces32
tlgan export runs/faces32 --out $P/generator
tlgan features train --data faces --resolution 32 --n 20000 --steps 1500 --seed 0 --data-seed 0 --out $P/extractor
tlgan features train --data faces --resolution 32 --n 20000 --steps 1500 --seed 1 --data-seed 1 --out $P/judge
tlgan features train --data faces --resolution 32 --n 20000 --steps 3000 --seed 2 --data-seed 2 --arch mlp \
  --out $P/judge_mlp
tlgan axes sample --generator $P/generator --features $P/extractor --n 20000 --seed 0 --out runs/faces32-cache
tlgan axes fit runs/faces32-cache --method glm --out $P/axes
tlgan axes find --method sefa --k 20 --out $P/directions   # the editor's unsupervised panel
tlgan evaluate axes --json docs/axes_eval.json --n 1024 --seed 0
tlgan evaluate axes --judge $P/judge_mlp --json docs/axes_eval_mlp_judge.json --n 1024 --seed 0
tlgan sample $P/generator --n 64 --seed 0 --out docs/faces32_samples.png
tlgan invert train-encoder --out runs/encoder32 --steps 3000 --seed 0
tlgan invert export-encoder runs/encoder32 --out $P/encoder
tlgan evaluate inversion --json docs/inversion_eval.json --n 64 --seed 0
