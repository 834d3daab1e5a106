"""Speed of the unsupervised direction finders on a generator (default: the shipped faces model).

Targets (issue 16, 2 cores): SeFa < 1 s; GANSpace on 10k samples < 60 s. Also times the labelling of the directions
by the extractor (``annotate``), which `tlgan axes find` does when an extractor is at hand.

    python benchmarks/directions_speed.py [--generator RUN] [--n 10000] [--k 20] [--json docs/directions_speed.json]
"""
import argparse
import time

import numpy as np
import torch

from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.io import write_json
from tlgan.latent.directions import annotate, fit_ganspace, fit_sefa
from tlgan.pretrained import default_paths

TARGETS = {"sefa_s": 1.0, "ganspace_s": 60.0}  # seconds, issue 16
ap = argparse.ArgumentParser()
ap.add_argument("--generator", help="a run directory (default: the shipped generator)")
ap.add_argument("--n", type=int, default=10_000)
ap.add_argument("--k", type=int, default=20)
ap.add_argument("--json", default=None, help="also write the figures here")
args = ap.parse_args()
p = default_paths()
g = load_generator(args.generator or p["generator"])


def timed(f, *a, **kw):
    t = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t


sefa, t_sefa = timed(fit_sefa, g, args.k)
pca, t_pca = timed(fit_ganspace, g, args.k, args.n, progress=False)
print(f"SeFa, {args.k} directions:                {t_sefa:7.3f} s   "
      f"(target < {TARGETS['sefa_s']:g} s: {'met' if t_sefa < TARGETS['sefa_s'] else 'MISSED'})")
print(f"GANSpace, {args.k} directions, n = {args.n}: {t_pca:7.2f} s   "
      f"(target < {TARGETS['ganspace_s']:g} s: {'met' if t_pca < TARGETS['ganspace_s'] else 'MISSED'})")
cos = np.abs(sefa.vectors[:5] @ pca.vectors[:5].T)
print("|cos| of SeFa_i and PC_i, i < 5: " + " ".join(f"{c:.3f}" for c in np.diag(cos)))
out = {"generator": str(args.generator or p["generator"]), "generator_hash": g.content_hash, "k": args.k,
       "n": args.n, "sefa_s": t_sefa,
       "ganspace_s": t_pca, "targets": TARGETS, "cos_sefa_pc": np.diag(cos).tolist(),
       "threads": torch.get_num_threads()}
if args.generator is None:
    _, t_ann = timed(annotate, g, load_extractor(p["extractor"]), sefa, progress=False)
    print(f"labelling {args.k} directions by the extractor (256 latents, ±σ): {t_ann:.1f} s")
    out["annotate_s"] = t_ann
if args.json:
    write_json(args.json, out)
