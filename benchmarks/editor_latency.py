"""End-to-end latency of the web editor: 200 edit requests over HTTP, p50 / p95 in ms; and, where the model has
yes/no axes the extractor reads, 40 "just enough" requests (/api/reach, one per seed, a walk of many renders).

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


def measure(url: str, n: int = 200, n_reach: int = 40) -> dict:
    """``n`` edit requests (random λ on two axes, one lock) against the editor at ``url`` after 5 warm-up ones:
    {"n", "resolution", "axes", "p50_ms", "p95_ms", "generator_hash"}, and the figures of ``n_reach`` /api/reach
    requests (:func:`_reach_times`)."""
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
        reach = _reach_times(c, info, n_reach)
    t = np.asarray(times)
    return {"n": n, "resolution": info["resolution"], "axes": len(names), "p50_ms": float(np.percentile(t, 50)),
            "p95_ms": float(np.percentile(t, 95)), "generator_hash": info["generator_hash"], **reach}


def _reach_times(c: httpx.Client, info: dict, n: int) -> dict:
    """``n`` /api/reach requests (seeds 0..n-1, each on a yes/no axis in turn, towards the side the face lacks,
    with the model's default lock): {"reach_n", "reach_p50_ms", "reach_p95_ms", "reach_mean_walk"}; {} when the
    model has no such axis."""
    names = [a["name"] for a in info["axes"] if a.get("reachable")]
    if not names or n < 1:
        return {}
    times, walks = [], []
    for seed in range(n):
        z = c.post("/api/latent", json={"seed": seed}).json()["z"]
        axis = names[seed % len(names)]
        seen = c.post("/api/render", json={"z": z}).json()["attributes"][axis] >= 0.5
        t = time.perf_counter()
        r = c.post("/api/reach", json={"z": z, "lock": info["default_lock"], "axis": axis, "want": int(not seen)})
        times.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
        walks.append(abs(r.json()["walked"]))
    t = np.asarray(times)
    return {"reach_n": n, "reach_p50_ms": float(np.percentile(t, 50)), "reach_p95_ms": float(np.percentile(t, 95)),
            "reach_mean_walk": float(np.mean(walks))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running editor; default: start the shipped demo")
    ap.add_argument("--generator", help="with --axes: serve this model instead of the shipped one")
    ap.add_argument("--axes")
    ap.add_argument("--features", help="the extractor for the attribute read-outs (default: the shipped one)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--reach-n", type=int, default=40, help="just-enough requests (0: none)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.url:
        url, server = args.url, None
    else:
        from tlgan.serve.app import load_app, serve_in_background
        url, server = serve_in_background(load_app(args.generator, args.axes, args.features))
    d = measure(url, args.n, args.reach_n)
    print(f"{args.n} edit requests at {d['resolution']}x{d['resolution']} ({d['axes']} axes) against {url}")
    print(f"p50 {d['p50_ms']:.1f} ms")
    print(f"p95 {d['p95_ms']:.1f} ms")
    if "reach_n" in d:
        print(f"{d['reach_n']} just-enough requests: p50 {d['reach_p50_ms']:.1f} ms, p95 {d['reach_p95_ms']:.1f} ms "
              f"(mean walk {d['reach_mean_walk']:.2f})")
    if args.json:
        import torch

        from tlgan.io import write_json
        write_json(args.json, {**d, "threads": torch.get_num_threads()})
    if server:
        server.should_exit = True


if __name__ == "__main__":
    main()
