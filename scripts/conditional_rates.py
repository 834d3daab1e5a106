"""How well a conditional run (cgan / acgan on faces) follows each of its labels, read by the shipped judge.

For every label: the judge's positive rate over ``--n`` samples with that label 0 and with it 1 (the other labels at
the values stored in the run: their data means), the same z for both.

    python scripts/conditional_rates.py runs/cgan-faces32 [--n 500]
"""
import argparse
import json
from pathlib import Path

import torch

from tlgan.extractors import load_extractor, predict_labels
from tlgan.generator import load_generator
from tlgan.pretrained import default_paths

ap = argparse.ArgumentParser()
ap.add_argument("run")
ap.add_argument("--n", type=int, default=500)
args = ap.parse_args()
g = load_generator(args.run)
judge = load_extractor(default_paths()["judge"])
names = json.loads((Path(args.run) / "config.json").read_text())["conditional"]["labels"]
z = torch.randn(args.n, g.z_dim, generator=torch.Generator().manual_seed(0))
rows = []
for j, name in enumerate(names):
    rates = []
    for v in (0.0, 1.0):
        y = g.net.labels.expand(args.n, -1).clone()
        y[:, j] = v
        with torch.no_grad():
            p = predict_labels(judge, g.net(z, y), probabilities=True)[:, judge.label_names.index(name)]
        rates.append(float((p > 0.5).float().mean()))
    rows.append(f"{name} {rates[0]:.2f} -> {rates[1]:.2f}")
print("; ".join(rows))
