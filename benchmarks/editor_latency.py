"""End-to-end latency of the web editor: 200 edit requests over HTTP, p50 / p95 in ms.

    python benchmarks/editor_latency.py                 # starts the shipped demo itself on a free port
    python benchmarks/editor_latency.py --url http://127.0.0.1:8000
    python benchmarks/editor_latency.py --generator RUN --axes DIR [--features DIR]   # another model
    python benchmarks/editor_latency.py --json docs/speed_editor.json                  # also write the figures
"""
from __future__ import annotations

import argparse
import time

import httpx
import numpy as np


def measure(url: str, n: int = 200) -> dict:
    """``n`` edit requests (random λ on two axes, one lock) against the editor at ``url`` after 5 warm-up ones:
    {"n", "resolution", "axes", "p50_ms", "p95_ms", "generator_hash"}."""
    with httpx.Client(base_url=url, timeout=30) as c:
        info = c.get("/api/info").json()
        names = [a["name"] for a in info["axes"]]
        z = c.post("/api/latent", json={"seed": 7}).json()["z"]
        rng = np.random.default_rng(0)
        for _ in range(5):  # warm-up
            c.post("/api/render", json={"z": z, "edits": {names[0]: 1.0}})
        times = []
        for i in range(n):
            edits = {names[i % len(names)]: float(rng.uniform(-3, 3)), names[(i * 7) % len(names)]: 0.5}
            t = time.perf_counter()
            r = c.post("/api/render", json={"z": z, "edits": edits, "lock": [names[-1]]})
            times.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
    t = np.asarray(times)
    return {"n": n, "resolution": info["resolution"], "axes": len(names), "p50_ms": float(np.percentile(t, 50)),
            "p95_ms": float(np.percentile(t, 95)), "generator_hash": info["generator_hash"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running editor; default: start the shipped demo")
    ap.add_argument("--generator", help="with --axes: serve this model instead of the shipped one")
    ap.add_argument("--axes")
    ap.add_argument("--features", help="the extractor for the attribute read-outs (default: the shipped one)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.url:
        url, server = args.url, None
    else:
        from tlgan.serve.app import load_app, serve_in_background
        url, server = serve_in_background(load_app(args.generator, args.axes, args.features))
    d = measure(url, args.n)
    print(f"{args.n} edit requests at {d['resolution']}x{d['resolution']} ({d['axes']} axes) against {url}")
    print(f"p50 {d['p50_ms']:.1f} ms")
    print(f"p95 {d['p95_ms']:.1f} ms")
    if args.json:
        import torch

        from tlgan.io import write_json
        write_json(args.json, {**d, "threads": torch.get_num_threads()})
    if server:
        server.should_exit = True


if __name__ == "__main__":
    main()
