"""Faces renderer throughput: images/s at 32, 64 and 128 px (aim: >= 1,000/s at 64x64 on 2 cores).

    python benchmarks/render_speed.py [--n 4000] [--json docs/speed_render.json]
"""
import argparse
import time

import torch

from tlgan.data.faces import render_faces
from tlgan.io import write_json

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=4000)
ap.add_argument("--json", help="write the figures here")
args = ap.parse_args()
render_faces(64)  # warm-up
rates = {}
for res in (32, 64, 128):
    n = args.n if res <= 64 else args.n // 4
    t = time.perf_counter()
    render_faces(n, seed=0, resolution=res)
    dt = time.perf_counter() - t
    print(f"{res:4d}px: {n / dt:8.0f} images/s  ({n} images in {dt:.2f} s)")
    rates[str(res)] = n / dt
if args.json:
    write_json(args.json, {"img_per_s": rates, "threads": torch.get_num_threads()})
