"""Held-out L1 of a pix2pix run against two baselines: copying the input, and the test targets' mean image.

    python scripts/pix2pix_l1.py runs/pix2pix-faces32 [--n 500]
"""
import argparse
import json
from pathlib import Path

from tlgan.data import load_data
from tlgan.translate import load_translator, translate

ap = argparse.ArgumentParser()
ap.add_argument("run")
ap.add_argument("--n", type=int, default=500)
args = ap.parse_args()
cfg = json.loads((Path(args.run) / "config.json").read_text())
net, (_, r, _) = load_translator(args.run, "a2b")
x = load_data(cfg["data"], r, args.n, split="test").batch(slice(None))
y = load_data(cfg["data_b"], r, args.n, split="test").batch(slice(None))
l1 = lambda a: float((a - y).abs().mean())  # noqa: E731
print(f"held-out L1 on [-1, 1]: model {l1(translate(net.eval(), x)):.3f}   copy the input {l1(x):.3f}   "
      f"mean target {l1(y.mean(0, keepdim=True)):.3f}   ({args.n} pairs)")
