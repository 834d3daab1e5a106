"""Faces renderer throughput: images/s at 32, 64 and 128 px (aim: >= 1,000/s at 64x64 on 2 cores).

    python benchmarks/render_speed.py [--n 4000]
"""
import argparse
import time

from tlgan.data.faces import render_faces

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=4000)
args = ap.parse_args()
render_faces(64)  # warm-up
for res in (32, 64, 128):
    n = args.n if res <= 64 else args.n // 4
    t = time.perf_counter()
    render_faces(n, seed=0, resolution=res)
    dt = time.perf_counter() - t
    print(f"{res:4d}px: {n / dt:8.0f} images/s  ({n} images in {dt:.2f} s)")
