"""What one editor render of the GPU run's 128-px generator costs on this CPU, before that model exists: the
architecture of scripts/gpu_faces.py (untrained weights cost the same) and a 128-px extractor for the read-out,
batch 1, median ms over --n calls, in the default memory layout and in channels_last (what the editor uses on a
CPU), all on one thread as in the editor, then once more after a second thread has run a forward pass (the
process then has two OpenMP pools: what the editor's single torch thread avoids). Then the whole editor end to end
(benchmarks/editor_latency.py in its own process) on such a model: a 1-step run of that architecture, a 128-px
extractor and axes fitted on 400 of its samples, made in a temporary folder (about 2 minutes).

    python benchmarks/editor_g128.py [--n 40] [--json docs/speed_editor_g128.json]
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from tlgan.io import write_json
from tlgan.models.classifier import Classifier
from tlgan.models.r3gan import R3Generator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gpu_faces import GPU_MODEL

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=40)
ap.add_argument("--json", help="write the figures here")
args = ap.parse_args()
torch.manual_seed(0)
g = R3Generator(GPU_MODEL["z_dim"], 128, 3, GPU_MODEL["widths"], cardinality=GPU_MODEL["cardinality"]).eval()
f = Classifier(128, 3, [f"a{i}" for i in range(21)], [True] * 21).eval()
z, x = torch.randn(1, GPU_MODEL["z_dim"]), torch.rand(1, 3, 128, 128) * 2 - 1


def median_ms(fn) -> float:
    with torch.inference_mode():
        for _ in range(3):
            fn()
        times = []
        for _ in range(args.n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


figures = {"g_ms": median_ms(lambda: g(z)), "extractor_ms": median_ms(lambda: f(x))}
g.to(memory_format=torch.channels_last)
f.to(memory_format=torch.channels_last)
figures.update(g_channels_last_ms=median_ms(lambda: g(z)), extractor_channels_last_ms=median_ms(lambda: f(x)))
with ThreadPoolExecutor(1) as pool:  # a second, living thread that has run torch work: a second OpenMP pool
    with torch.inference_mode():
        pool.submit(g, z).result()
    figures["g_channels_last_second_pool_ms"] = median_ms(lambda: g(z))
figures.update(threads=torch.get_num_threads(), n=args.n, g_params=sum(p.numel() for p in g.parameters()))


def end_to_end(tmp: Path) -> dict:
    """The editor over HTTP on a model of the GPU run's architecture (untrained: the same cost), each step a fresh
    process as a user runs it."""
    def tlgan(*a: str) -> None:
        subprocess.run([sys.executable, "-m", "tlgan", *a], check=True, capture_output=True)
    keys = ("widths", "cardinality", "z_dim")
    (tmp / "g.yaml").write_text("".join(f"{k}: {json.dumps(GPU_MODEL[k])}\n" for k in keys) + "n_data: 8\n")
    tlgan("train", "r3gan", "--data", "faces", "--resolution", "128", "--steps", "1", "--batch-size", "2",
          "--config", str(tmp / "g.yaml"), "--out", str(tmp / "run"))
    tlgan("features", "train", "--data", "faces", "--resolution", "128", "--n", "64", "--steps", "2",
          "--out", str(tmp / "ext"))
    tlgan("axes", "sample", "--generator", str(tmp / "run"), "--features", str(tmp / "ext"), "--n", "400",
          "--out", str(tmp / "cache"))
    tlgan("axes", "fit", str(tmp / "cache"), "--out", str(tmp / "axes"))
    subprocess.run([sys.executable, str(Path(__file__).with_name("editor_latency.py")), "--generator",
                    str(tmp / "run"), "--axes", str(tmp / "axes"), "--features", str(tmp / "ext"), "--reach-n", "0",
                    "--json", str(tmp / "latency.json")], check=True, capture_output=True)
    return json.loads((tmp / "latency.json").read_text())


with tempfile.TemporaryDirectory() as tmp:
    e2e = end_to_end(Path(tmp))
figures.update(editor_p50_ms=e2e["p50_ms"], editor_p95_ms=e2e["p95_ms"], editor_n=e2e["n"], editor_axes=e2e["axes"])
for k, v in figures.items():
    print(f"{k:32s} {v:.1f}" if isinstance(v, float) else f"{k:32s} {v}")
if args.json:
    write_json(args.json, figures)
