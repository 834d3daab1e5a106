"""The shipped 64x64 faces model beside candidates for its place, measured alike in one run (issue 28's gate: a
candidate ships only if it beats the shipped model on FD-faces@64 and on the number of attributes outside ±25%).

- FD-faces@64 over the default 64-px faces classifier (trained once on 10,000 faces and cached), 2,000 samples
  (latents of seed 0), beside the floor (two real splits);
- attribute rates by the shipped independent judge (it reads faces at 32 px: 64x64 images are downsampled), 5,000
  held-out real faces vs 5,000 samples: attributes with a data rate >= 5% outside ±25% of it.

    python benchmarks/faces64_candidates.py [--candidate NAME=RUN ...] [--json docs/faces64_candidates.json]
                                            [--grid docs/faces64_candidates.png]
"""
import argparse
import json
from pathlib import Path

import torch

from tlgan.data import load_data
from tlgan.data.images import save_grid
from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.metrics import FrechetScorer, generator_quality
from tlgan.pretrained import default_paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidate", action="append", default=[], help="NAME=RUN (a 64x64 generator); repeatable")
    ap.add_argument("--json", default=None)
    ap.add_argument("--grid", default=None, help="a PNG: 12 samples of each model (latents of seed 1), a row each")
    args = ap.parse_args()
    paths = default_paths("faces")
    shipped = Path(paths["generator"]).resolve()
    root = Path(__file__).resolve().parent.parent
    models = {"shipped": str(shipped.relative_to(root) if shipped.is_relative_to(root) else shipped),
              **dict(c.split("=", 1) for c in args.candidate)}
    data = load_data("faces", 64, 10_000)
    scorer = FrechetScorer.for_dataset("faces", data, n=2000)
    floor = scorer.floor(data, 2000)
    judge = load_extractor(paths["judge"])
    results = {}
    for name, path in models.items():
        g = load_generator(path)
        if g.resolution != 64:
            raise SystemExit(f"error: {name} ({path}) draws {g.resolution}x{g.resolution}, not 64x64")
        results[name] = {"generator": path, **generator_quality(g, scorer, floor, judge)}
        r = results[name]
        print(f"{name}: FD-faces@64 {r['fd']:.2f} ({r['fd'] / floor:.1f}x the floor {floor:.2f}), "
              f"{r['outside_25']} of {r['judged']} attributes outside ±25%")
    if args.json:
        Path(args.json).write_text(json.dumps({"models": results}, indent=2))
        print(f"wrote {args.json}")
    if args.grid:
        gens = [load_generator(p) for p in models.values()]
        save_grid(torch.cat([g.to_signed(g.sample(12, seed=1)[1]) for g in gens]), args.grid, nrow=12)
        print(f"wrote {args.grid} (rows: {', '.join(models)})")


if __name__ == "__main__":
    main()
