"""Does a faces generator keep every attribute? Rate of each binary attribute in the data vs in samples.

Data: the renderer's exact rate and the judge's rate on real faces (held-out split) at the generator's size;
samples: the judge's rate on generated faces. Target (issue 20): every attribute with a data rate >= 5% has a
sample rate within ±25% (relative) of the data rate (judge on real vs judge on samples: the same reader).

    python scripts/attribute_rates.py [--generator runs/faces64] [--judge DIR] [--n 5000] [--json OUT.json]
"""
import argparse
import json

import numpy as np
import torch

from tlgan.data import FACES_TEST_OFFSET
from tlgan.data.faces import BINARY, render_faces
from tlgan.data.images import resize, to_model_range
from tlgan.extractors import load_extractor, predict_labels
from tlgan.generator import load_generator
from tlgan.latent.evaluate import judge_scores
from tlgan.pretrained import default_paths

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="faces")
ap.add_argument("--generator", help="a run directory instead of the shipped model's generator")
ap.add_argument("--judge", help="another reader than the shipped independent judge (an extractor directory)")
ap.add_argument("--n", type=int, default=5000)
ap.add_argument("--json", default=None)
args = ap.parse_args()
p = default_paths(args.model)
g = load_generator(args.generator or p["generator"])
judge = load_extractor(args.judge or p["judge"])
x, attrs = render_faces(args.n, seed=1, resolution=max(g.resolution, 32), start=FACES_TEST_OFFSET)
real = np.concatenate([predict_labels(judge, resize(to_model_range(x[i:i + 500]), g.resolution),
                                      probabilities=True).numpy() for i in range(0, args.n, 500)])
with torch.no_grad():
    fake = judge_scores(g, judge, g.latents(args.n, seed=0))
rows, ok = [], True
print("| attribute | data (exact) | data (judge) | samples (judge) | relative | within ±25% |")
print("|---|---|---|---|---|---|")
for name in BINARY:
    j = judge.label_names.index(name)
    exact, rj, sj = float(attrs[name].mean()), float((real[:, j] > 0.5).mean()), float((fake[:, j] > 0.5).mean())
    rel = sj / rj - 1 if rj > 0 else float("nan")
    judged = rj >= 0.05
    good = abs(rel) <= 0.25 if judged else None
    ok &= bool(good) if judged else True
    rows.append({"attribute": name, "data_exact": exact, "data_judge": rj, "samples_judge": sj, "relative": rel,
                 "within_25": good})
    mark = "–" if good is None else "yes" if good else "no"
    print(f"| {name} | {exact:.3f} | {rj:.3f} | {sj:.3f} | {rel:+.0%} | {mark} |")
print(f"\nall attributes with a data rate >= 5% within ±25%: {'yes' if ok else 'no'} "
      f"({sum(r['within_25'] is False for r in rows)} outside)")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"n": args.n, "generator": str(args.generator or p["generator"]), "rows": rows}, f, indent=2)
