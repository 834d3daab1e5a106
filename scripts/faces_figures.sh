#!/usr/bin/env bash
# The shipped faces model's figures in docs/ and the README's "Results" section, ~20 min on 2 CPU cores at 64x64.
# FD-faces beside its floor: python benchmarks/faces64_candidates.py (issue 28's gate) and benchmarks/generators_fd.py.
# $TLGAN_PRETRAINED: where the model is (default: the package's folder); $DOCS: where the figures go (default docs);
# N_EVAL, N_RATES, N_INV and OPT_STEPS shrink a test run; KEEP_GOING and ONLY_MISSING: scripts/steps.sh.
# The figures that need a GPU at 128 px come first.
source "$(dirname "$0")/steps.sh"   # strict mode, step, KEEP_GOING, ONLY_MISSING
P=${TLGAN_PRETRAINED:-src/tlgan/pretrained}/faces
D=${DOCS:-docs}
mkdir -p "$D"
step $D/axes_eval.json tlgan evaluate axes --json $D/axes_eval.json --n "${N_EVAL:-1024}" --seed 0
step $D/inversion_eval.json tlgan evaluate inversion --json $D/inversion_eval.json --n "${N_INV:-64}" \
  --opt-steps "${OPT_STEPS:-1000}" --seed 0 --grid $D/inversion_counterfactuals.png
step $D/axes_eval_mlp_judge.json tlgan evaluate axes --judge $P/judge_mlp --json $D/axes_eval_mlp_judge.json \
  --n "${N_EVAL:-1024}" --seed 0
step $D/faces64_rates.json python scripts/attribute_rates.py --json $D/faces64_rates.json --n "${N_RATES:-5000}"
step $D/faces64_samples.png tlgan sample $P/generator --n 64 --seed 0 --out $D/faces64_samples.png
step $D/sweep_no_beard_locked.png tlgan edit --seed 2 --n 4 --sweep No_Beard=-2:2:5 --lock Male \
  --out $D/sweep_no_beard_locked.png
step $D/sweep_smiling.png tlgan edit --seed 2 --n 4 --sweep Smiling=-3:3:7 --lock Male --lock No_Beard \
  --out $D/sweep_smiling.png
step $D/sweep_smiling.webp tlgan edit --seed 2 --n 4 --sweep Smiling=-3:3:13 --lock Male --lock No_Beard \
  --out $D/sweep_smiling.webp
exit ${failed:-0}
