#!/usr/bin/env bash
# Rebuild the shipped 64x64 faces model (src/tlgan/pretrained/faces64, the demo's) from scratch (deterministic seeds).
# It reads faces with the 32x32 model's extractor and judge (src/tlgan/pretrained/faces; images are resized), so
# build that first. About 45 minutes on 2 CPU cores: the GAN 20-30 min (configs/faces64.yaml), the axis cache and
# fits ~2 min, the inversion encoder ~15 min, evaluations ~5 min. Run from the repository root after setup.
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE
P=src/tlgan/pretrained/faces64
F=src/tlgan/pretrained/faces
tlgan train dcgan --config configs/faces64.yaml --out runs/faces64
tlgan export runs/faces64 --out $P/generator
tlgan axes sample --generator $P/generator --features $F/extractor --n 20000 --seed 0 --out runs/faces64-cache
tlgan axes fit runs/faces64-cache --method glm --out $P/axes
tlgan axes find --model faces64 --method sefa --k 20 --out $P/directions   # the editor's unsupervised panel
tlgan invert train-encoder --model faces64 --out runs/encoder64 --steps 3000 --seed 0
tlgan invert export-encoder runs/encoder64 --out $P/encoder
# figures (README "The shipped 64x64 faces model")
tlgan sample $P/generator --n 64 --seed 0 --out docs/faces64_samples.png
tlgan edit --model faces64 --seed 3 --sweep No_Beard=-3:3:7 --lock Male --out docs/faces64_sweep_no_beard.png
tlgan evaluate fd $P/generator --data faces --n 2000
tlgan evaluate fd $F/generator --data faces --n 2000 --resolution 64
tlgan evaluate axes --generator $P/generator --axes $P/axes --judge $F/judge --json docs/axes_eval64.json
python scripts/attribute_rates.py --model faces64 --json docs/faces64_rates.json
