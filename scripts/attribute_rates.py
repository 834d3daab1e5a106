"""Does a faces generator keep every attribute? Rate of each binary attribute in the data vs in samples.

Data: the renderer's exact rate and the judge's rate on real faces (held-out split) at the generator's size;
samples: the judge's rate on generated faces. Target (issue 20): every attribute with a data rate >= 5% has a
sample rate within ±25% (relative) of the data rate (judge on real vs judge on samples: the same reader).

    python scripts/attribute_rates.py [--generator runs/faces64] [--judge DIR] [--n 5000] [--json OUT.json]
                                      [--device auto]
"""
import argparse

from tlgan.device import to_device
from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.io import write_json
from tlgan.metrics import attribute_rates
from tlgan.pretrained import default_paths

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="faces")
ap.add_argument("--generator", help="a run directory instead of the shipped model's generator")
ap.add_argument("--judge", help="another reader than the shipped independent judge (an extractor directory)")
ap.add_argument("--n", type=int, default=5000)
ap.add_argument("--json", default=None)
ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
args = ap.parse_args()
p = default_paths(args.model)
g, judge = load_generator(args.generator or p["generator"]), load_extractor(args.judge or p["judge"])
to_device(args.device, g, judge)
rows = attribute_rates(g, judge, args.n)
print("| attribute | data (exact) | data (judge) | samples (judge) | relative | within ±25% |")
print("|---|---|---|---|---|---|")
for r in rows:
    mark = "–" if r["within"] is None else "yes" if r["within"] else "no"
    print(f"| {r['attribute']} | {r['data_exact']:.3f} | {r['data_judge']:.3f} | {r['samples_judge']:.3f} | "
          f"{r['relative']:+.0%} | {mark} |")
outside = sum(r["within"] is False for r in rows)
print(f"\nall attributes with a data rate >= 5% within ±25%: {'yes' if not outside else 'no'} ({outside} outside)")
if args.json:
    write_json(args.json, {"n": args.n, "generator": str(args.generator or p["generator"]),
                           "generator_hash": g.content_hash, "rows": rows})
