#!/usr/bin/env bash
# The shipped faces model's figures that take minutes, not hours (scripts/faces_benchmarks.sh runs them first, and
# scripts/build_gpu_model.sh once a new model is installed): edit success on unchosen seeds, `tlgan generate`'s
# rates, the editor's latency and its screenshots. Run from the repository root.
set -euo pipefail
python scripts/edit_success.py --json docs/edit_success.json --png docs/edit_success.png
python scripts/generate_rates.py --json docs/generate_rates.json
python benchmarks/editor_latency.py --json docs/speed_editor.json
python3 -m pytest -p no:xdist -o addopts="" -q tests/test_editor_browser.py  # writes artifacts/editor*.png
cp artifacts/editor.png artifacts/editor_1400.png artifacts/editor_700.png artifacts/editor_upload.png \
  artifacts/editor_directions.png docs/
