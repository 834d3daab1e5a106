"""Scale-out figures: training images/s and (z, y) cache rows/s for 1 process vs N under torchrun, in one run.

Training: `tlgan train dcgan` on 32x32 faces (the shipped model's recipe: width 32, global batch 64) for --steps
updates, alone and under `torchrun --nproc_per_node N`; the rate is the loop's own (start-up excluded). Cache:
`tlgan axes sample` with the shipped generator and extractor, --rows rows, wall time of the sampling. The same
script runs on GPUs (nccl) with no change: the backend each run used is printed.

    python benchmarks/scale_out.py [--nproc 2] [--steps 60] [--rows 8192] [--json docs/scale_out.json]
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--nproc", type=int, default=2)
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--rows", type=int, default=8192)
ap.add_argument("--json", default=None, help="also write the table's figures here")
args = ap.parse_args()


def tlgan(nproc: int, *cmd: str) -> str:
    """Run `tlgan CMD` alone (nproc 1) or under torchrun; returns its output (stdout + stderr)."""
    launch = ([sys.executable, "-m", "tlgan"] if nproc == 1 else
              [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
               "-m", "tlgan"])
    p = subprocess.run([*launch, *cmd], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return p.stdout + p.stderr


from tlgan.pretrained import default_paths  # noqa: E402

paths = default_paths()
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for n in (1, args.nproc):
        out = tlgan(n, "train", "dcgan", "--data", "faces", "--resolution", "32", "--batch-size", "64",
                    "--steps", str(args.steps), "--out", f"{tmp}/train{n}")
        rate = float(re.search(r"\((\d+) img/s\)", out).group(1))
        backend = re.search(r"processes \((\w+)\)", out)
        out = tlgan(n, "axes", "sample", "--generator", str(paths["generator"]), "--features",
                    str(paths["extractor"]), "--rows", str(args.rows), "--out", f"{tmp}/cache{n}")
        secs = float(re.search(r"\(([\d.]+) s on", out).group(1))
        same = n == 1 or all(Path(f"{tmp}/cache1/{f}").read_bytes() == Path(f"{tmp}/cache{n}/{f}").read_bytes()
                             for f in ("z.npy", "y.npy"))
        rows.append((n, backend.group(1) if backend else "none", rate, args.rows / secs, same))

print(f"DCGAN 32x32 faces, global batch 64, {args.steps} updates; cache of {args.rows:,} rows (shipped models)\n")
print("| processes | backend | train img/s | × 1 process | cache rows/s | × 1 process | cache = 1-process cache |")
print("|---:|---|---:|---:|---:|---:|---|")
for n, backend, rate, cache, same in rows:
    print(f"| {n} | {backend} | {rate:.0f} | {rate / rows[0][2]:.2f} | {cache:.0f} | {cache / rows[0][3]:.2f} | "
          f"{'bit for bit' if same else 'differs'} |")
if args.json:
    import os

    from tlgan.generator import load_generator
    from tlgan.io import write_json
    write_json(args.json, {"steps": args.steps, "rows": args.rows, "cpus": os.cpu_count(),
                           "generator_hash": load_generator(paths["generator"]).content_hash,
                           "runs": [{"processes": n, "backend": backend, "train_img_per_s": rate,
                                     "cache_rows_per_s": cache, "cache_same": same}
                                    for n, backend, rate, cache, same in rows]})
