"""The shipped 64x64 faces model beside candidates for its place, measured alike in one run (issue 28's gate: a
candidate ships only if it beats the shipped model on FD-faces@64 and on the number of attributes outside ±25%).

- FD-faces@64 over the default 64-px faces classifier (trained once on 10,000 faces and cached), 2,000 samples
  (latents of seed 0), beside the floor (two real splits); a candidate of another size (the GPU's 128-px model) is
  scored on its samples resized to 64x64, so every model meets the same feature network and floor;
- attribute rates by the shipped independent judge (it reads faces at 32 px: 64x64 images are downsampled), 5,000
  held-out real faces vs 5,000 samples: attributes with a data rate >= 5% outside ±25% of it.

    python benchmarks/faces64_candidates.py [--candidate NAME=RUN ...] [--json docs/faces64_candidates.json]
                                            [--grid docs/faces64_candidates.png] [--gate NAME]

--gate NAME: exit status 1 (after writing the figures) unless candidate NAME beats the shipped model: a lower
FD-faces@64 and no more attributes outside ±25%.
"""
import argparse
from pathlib import Path

import torch

from tlgan.data import load_data
from tlgan.data.images import resize, save_grid
from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.io import write_json
from tlgan.metrics import FD_FACES_IMAGES, FrechetScorer, generator_quality
from tlgan.pretrained import default_paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidate", action="append", default=[], help="NAME=RUN (a faces generator); repeatable")
    ap.add_argument("--json", default=None)
    ap.add_argument("--grid", default=None, help="a PNG: 12 samples of each model (latents of seed 1), a row each")
    ap.add_argument("--gate", help="a candidate's NAME: exit 1 unless it beats the shipped model")
    args = ap.parse_args()
    if args.gate and args.gate not in dict(c.split("=", 1) for c in args.candidate):
        raise SystemExit(f"error: --gate {args.gate} names no --candidate")
    paths = default_paths("faces")
    shipped = Path(paths["generator"]).resolve()
    root = Path(__file__).resolve().parent.parent
    models = {"shipped": str(shipped.relative_to(root) if shipped.is_relative_to(root) else shipped),
              **dict(c.split("=", 1) for c in args.candidate)}
    data = load_data("faces", 64, FD_FACES_IMAGES)  # as `tlgan evaluate fd`: its FD network's images
    scorer = FrechetScorer.for_dataset("faces", data, n=2000)
    floor = scorer.floor(data, 2000)
    judge = load_extractor(paths["judge"])
    results = {}
    for name, path in models.items():
        g = load_generator(path)
        results[name] = {"generator": path, "generator_hash": g.content_hash, "resolution": g.resolution,
                         **generator_quality(g, scorer, floor, judge)}
        r = results[name]
        print(f"{name} ({g.resolution} px): FD-faces@64 {r['fd']:.2f} ({r['fd'] / floor:.1f}x the floor "
              f"{floor:.2f}), {r['outside_25']} of {r['judged']} attributes outside ±25%")
    if args.json:
        write_json(args.json, {"generator_hash": results["shipped"]["generator_hash"], "models": results})
        print(f"wrote {args.json}")
    if args.grid:
        gens = [load_generator(p) for p in models.values()]
        size = max(g.resolution for g in gens)  # smaller models' samples upscaled to the largest's size
        save_grid(torch.cat([resize(g.to_signed(g.sample(12, seed=1)[1]), size) for g in gens]), args.grid, nrow=12)
        print(f"wrote {args.grid} (rows: {', '.join(models)})")
    if args.gate:
        new, old = results[args.gate], results["shipped"]
        beats = new["fd"] < old["fd"] and new["outside_25"] <= old["outside_25"]
        print(f"gate: {args.gate} {'beats' if beats else 'does not beat'} the shipped model (FD {new['fd']:.2f} vs "
              f"{old['fd']:.2f}; {new['outside_25']} vs {old['outside_25']} attributes outside ±25%)")
        raise SystemExit(0 if beats else 1)


if __name__ == "__main__":
    main()
