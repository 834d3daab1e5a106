"""FD of the shipped generators beside their floors: the faces model's 32×32 base (over the shipped judge's
features at 32 px) and the Fashion-MNIST DCGAN (over the dataset's own default classifier, trained once and cached).
Writes the JSON behind the "Generators and FD" table of docs/results.md.

    python benchmarks/generators_fd.py [--n 2000] [--json docs/generators_fd.json]
"""
from __future__ import annotations

import argparse
import time

import torch

from tlgan.data import load_data
from tlgan.extractors import load_extractor
from tlgan.generator import Generator, load_generator
from tlgan.io import write_json
from tlgan.metrics import FrechetScorer
from tlgan.pretrained import default_paths


def scored(name: str, g: Generator, scorer: FrechetScorer, train, n: int, features: str) -> dict:
    """FD of ``n`` samples of ``g`` (latents of seed 0) and the real-vs-real floor, under ``scorer``."""
    t0 = time.time()
    _, x = g.sample(n, seed=0)
    return {"model": name, "resolution": g.resolution, "features": features, "n": n, "fd": scorer.score(x),
            "floor": scorer.floor(train, n), "seconds": time.time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rows = []
    faces, fashion = default_paths("faces"), default_paths("fashion")
    g64 = load_generator(faces["generator"])
    base = Generator(g64.net.base, g64.z_dim, g64.resolution // 2, g64.channels, name="faces 32 px base")
    train32 = load_data("faces", 32, n=args.n)
    scorer = FrechetScorer.for_dataset("faces", train32, n=args.n, feature_net=load_extractor(faces["judge"]))
    rows.append(scored("faces, DCGAN 32 px (the 64×64 model's base)", base, scorer, train32, args.n,
                       "the shipped faces judge"))
    g28 = load_generator(fashion["generator"])
    train28 = load_data("fashion", g28.resolution)
    rows.append(scored("Fashion-MNIST, DCGAN 28 px", g28, FrechetScorer.for_dataset("fashion", train28, n=args.n),
                       train28, args.n, "Fashion-MNIST's default classifier"))
    result = {"rows": rows, "generator_hash": g64.content_hash, "threads": torch.get_num_threads(),
              "torch": torch.__version__}
    for r in rows:
        print(f"{r['model']}: FD {r['fd']:.2f} (floor {r['floor']:.2f}) over {r['features']}")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
