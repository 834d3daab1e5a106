#!/usr/bin/env bash
# After a GPU run of scripts/gpu_faces.py (docs/gpu.md): unpack what it brought back, measure its model beside the
# shipped one alike in one run (FD-faces@64 over the same feature network and floor, its samples resized; attributes
# outside ±25% by the same independent judge), and only if it beats the shipped model (lower FD, no more attributes
# outside) make it the shipped faces model. Its encoder was trained on the GPU (at 128 px 2,000 encoder updates
# take 2 CPU cores hours), and so were its axes, directions and figures as far as the run's --rebuild got; what it did
# not finish is made here (scripts/rebuild_on_generator.sh with ONLY_MISSING=1: minutes for the directions, rates
# and samples, hours for a missing axis or inversion evaluation). The 32-px MLP judge stays.
#   bash scripts/build_gpu_model.sh OUT      # OUT: the folder the GPU run brought back
set -euo pipefail
OUT=${1:?usage: bash scripts/build_gpu_model.sh OUT (the folder scripts/gpu_faces.py wrote)}
P=src/tlgan/pretrained/faces
D=runs/faces-gpu
start=$(date +%s)
python scripts/install_gpu_model.py "$OUT" --dest $D --json docs/gpu_faces_run.json
python benchmarks/faces64_candidates.py --candidate gpu=$D/generator --json docs/faces_gpu_vs_shipped.json \
  --grid docs/faces_gpu_vs_shipped.png --gate gpu
rm -rf $P/generator $P/extractor $P/judge $P/encoder $P/axes $P/directions
cp -r $D/generator $D/extractor $D/judge $D/encoder $P/
for part in axes directions; do if [ -d $D/$part ]; then cp -r $D/$part $P/; fi; done
mkdir -p $D/docs && ONLY_MISSING=1 DOCS=$D/docs bash scripts/rebuild_on_generator.sh --keep-encoder
cp $D/docs/* docs/
bash scripts/faces_quick_figures.sh  # edit success, generate's rates, the editor's latency and screenshots
python scripts/readme_tables.py
echo "installed the GPU's model in $(( ($(date +%s) - start) / 60 )) min; the tables of figures not re-measured on" \
  "the new model carry a warning naming the script that remakes them (docs/gpu.md; scripts/faces_benchmarks.sh" \
  "remakes them all, in hours)"
