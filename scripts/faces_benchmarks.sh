#!/usr/bin/env bash
# Every other figure of the shipped faces model, after scripts/faces_figures.sh: the generators' FD table, edit
# success on unchosen seeds, `tlgan generate`'s rates, supervised vs unsupervised directions (a 100k-latent cache),
# the direction finders' speed and sample efficiency, the distortion-editability front (three encoders), the axis
# pipeline's and the editor's speed, scale-out, the editor's screenshots, then the README's generated tables.
# Several hours on 2 CPU cores; it prints its total. Run from the repository root after a rebuild.
set -euo pipefail
P=src/tlgan/pretrained/faces
start=$(date +%s)
bash scripts/faces_quick_figures.sh
python benchmarks/generators_fd.py --json docs/generators_fd.json
rm -rf runs/faces-cache100k runs/dirs
tlgan axes sample --generator $P/generator --features $P/extractor --n 100000 --seed 0 --out runs/faces-cache100k
tlgan axes fit runs/faces-cache100k --method svm --out runs/dirs/svm
tlgan axes find --method ganspace --out runs/dirs/ganspace && tlgan axes find --method sefa --out runs/dirs/sefa
tlgan evaluate directions --set glm=$P/axes --set svm=runs/dirs/svm --set ganspace=runs/dirs/ganspace \
  --set sefa=runs/dirs/sefa --cache runs/faces-cache100k --json docs/directions_eval.json
python benchmarks/directions_speed.py --json docs/directions_speed.json
python benchmarks/sample_efficiency.py runs/faces-cache100k --plot docs/sample_efficiency.png \
  --json docs/sample_efficiency.json
python benchmarks/inversion.py --front-only --front 0.1,1,10 --front-steps 1500 --json docs/inversion_front.json
python benchmarks/axes_speed.py --json docs/speed_axes.json
python benchmarks/scale_out.py --json docs/scale_out.json
python scripts/readme_tables.py
echo "benchmarks done in $(( ($(date +%s) - start) / 60 )) min"
