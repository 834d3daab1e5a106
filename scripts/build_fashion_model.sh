#!/usr/bin/env bash
# Rebuild the shipped Fashion-MNIST model in src/tlgan/pretrained/fashion from scratch (deterministic seeds):
# a 28x28 DCGAN, an extractor (10 class logits + brightness, ink area, width, height), an independent judge (a pixel
# MLP), axes fitted on 20k samples, and an inversion encoder. About 25 minutes on 2 CPU cores.
# Needs Debian's dataset-fashion-mnist (scripts/setup.sh installs it).
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE
P=src/tlgan/pretrained/fashion
tlgan train dcgan --config configs/fashion28.yaml --out runs/fashion28
tlgan export runs/fashion28 --out $P/generator
tlgan features train --data fashion --steps 1500 --seed 0 --out $P/extractor
tlgan features train --data fashion --steps 1500 --seed 1 --arch mlp --out $P/judge
tlgan axes sample --generator $P/generator --features $P/extractor --n 20000 --seed 0 --out runs/fashion28-cache
tlgan axes fit runs/fashion28-cache --method glm --out $P/axes
tlgan invert train-encoder --generator $P/generator --features $P/extractor --out runs/fashion28-encoder --steps 2000 --seed 0
tlgan invert export-encoder runs/fashion28-encoder --out $P/encoder
