"""TL-GAN's whole axis pipeline: sample + label 20k latents, fit every attribute (default: the shipped model).

Prints wall times (aim: <= 60 s for sample + label + GLM fit on 2 cores), the bare generator + extractor forward
time over the same latents in the same run and the pipeline's ratio to it (aim <= 1.10x), and GLM vs SVM fit time
and axis quality side by side (GLM: held-out AUC / R²; SVM: validation accuracy on the extremes; cosine GLM·SVM).

    python benchmarks/axes_speed.py [--n 20000] [--generator RUN --features DIR] [--json docs/speed_axes.json]
"""
import argparse
import tempfile
import time

import numpy as np
import torch

from tlgan.data.images import resize
from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.latent.cache import build_cache
from tlgan.latent.directions import fit_glm, fit_svm
from tlgan.pretrained import default_paths

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=20_000)
ap.add_argument("--generator", help="a run directory (default: the shipped generator)")
ap.add_argument("--features", help="an extractor directory (default: the shipped extractor)")
ap.add_argument("--json", help="write the figures here")
args = ap.parse_args()
p = default_paths()
g, ext = load_generator(args.generator or p["generator"]), load_extractor(args.features or p["extractor"])


@torch.no_grad()
def bare(n: int = args.n, batch: int = 500) -> float:
    """Seconds for G then F over n latents in plain PyTorch: the floor the pipeline is measured against."""
    gen = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    for start in range(0, n, batch):
        z = torch.randn(min(batch, n - start), g.z_dim, generator=gen)
        ext(resize(g(z).clamp(-1, 1), ext.resolution))
    return time.perf_counter() - t


bare(min(1000, args.n))  # warm-up: the first forward passes of a process pay for allocation
t_bare = bare()
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    cache = build_cache(g, ext, args.n, f"{tmp}/cache", batch=500, progress=False)
    t_sample = time.perf_counter() - t0
    t = time.perf_counter()
    glm = fit_glm(cache.z, cache.y, cache.label_names, cache.binary)
    t_glm = time.perf_counter() - t
    t = time.perf_counter()
    svm = fit_svm(cache.z, cache.y, cache.label_names, cache.binary)
    t_svm = time.perf_counter() - t
t_bare = min(t_bare, bare())  # before and after the pipeline: the faster of two, as a shared machine drifts
print(f"generator {g.name} ({g.resolution}x{g.resolution}), extractor at {ext.resolution}x{ext.resolution}")
print(f"sample + label {args.n} latents: {t_sample:6.1f} s ({args.n / t_sample:.0f}/s)")
print(f"bare G + F forward, same latents: {t_bare:6.1f} s; pipeline / bare = {t_sample / t_bare:.2f}x")
print(f"GLM fit, {len(glm.names)} attributes: {t_glm:6.2f} s")
print(f"SVM fit, {len(svm.names)} attributes: {t_svm:6.2f} s")
print(f"total sample + label + GLM: {t_sample + t_glm:.1f} s")
print(f"\n{'attribute':22s} {'GLM AUC/R2':>10s} {'SVM val acc':>11s} {'cos(GLM,SVM)':>12s}")
for name in glm.names:
    q = glm.quality[name]
    print(f"{name:22s} {q.get('auc', q['r2']):10.3f} {svm.quality[name]['val_accuracy']:11.3f} "
          f"{float(glm.vector(name) @ svm.vector(name)):12.3f}")
print(f"\nmean: GLM {np.nanmean([glm.quality[n].get('auc', glm.quality[n]['r2']) for n in glm.names]):.3f}  "
      f"SVM {np.mean([svm.quality[n]['val_accuracy'] for n in svm.names]):.3f}")
if args.json:
    from tlgan.io import write_json
    write_json(args.json, {"n": args.n, "generator_hash": g.content_hash, "resolution": g.resolution,
                           "extractor_resolution": ext.resolution,
                           "sample_label_s": t_sample, "bare_s": t_bare, "glm_s": t_glm, "svm_s": t_svm,
                           "attributes": len(glm.names), "threads": torch.get_num_threads(),
                           "glm_mean_quality": float(np.nanmean([glm.quality[n].get("auc", glm.quality[n]["r2"])
                                                                 for n in glm.names])),
                           "svm_mean_val_accuracy": float(np.mean([svm.quality[n]["val_accuracy"] for n in svm.names])),
                           "cos_glm_svm": {n: float(glm.vector(n) @ svm.vector(n)) for n in glm.names}})
