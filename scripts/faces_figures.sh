#!/usr/bin/env bash
# The shipped faces model's figures in docs/ and the README's "Results" section, ~30 min on 2 CPU cores (most
# of it the 64-px feature network that FD-faces at 64x64 is measured with; trained once into runs/extractor64).
set -euo pipefail
P=src/tlgan/pretrained/faces
tlgan evaluate axes --json docs/axes_eval.json --n 1024 --seed 0
tlgan evaluate axes --judge $P/judge_mlp --json docs/axes_eval_mlp_judge.json --n 1024 --seed 0
python scripts/attribute_rates.py --json docs/faces64_rates.json
tlgan sample $P/generator --n 64 --seed 0 --out docs/faces64_samples.png
tlgan edit --seed 2 --n 4 --sweep No_Beard=-2:2:5 --lock Male --out docs/sweep_no_beard_locked.png
tlgan edit --seed 2 --n 4 --sweep Smiling=-3:3:7 --lock Male --lock No_Beard --out docs/sweep_smiling.png
tlgan evaluate inversion --json docs/inversion_eval.json --n 64 --seed 0 --grid docs/inversion_counterfactuals.png
[ -f runs/extractor64/extractor.json ] || tlgan features train --data faces --resolution 64 --n 20000 \
  --steps 1500 --seed 0 --data-seed 0 --out runs/extractor64
tlgan evaluate fd $P/generator --data faces --features runs/extractor64 --resolution 64
tlgan evaluate fd runs/faces32 --data faces --features runs/extractor64 --resolution 64
