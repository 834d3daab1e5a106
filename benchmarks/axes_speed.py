"""TL-GAN's whole axis pipeline on the shipped faces model: sample + label 20k latents, fit every attribute.

Prints wall times (aim: <= 60 s for sample + label + GLM fit on 2 cores) and GLM vs SVM fit time and axis
quality side by side (GLM: held-out AUC / R²; SVM: validation accuracy on the extremes; cosine GLM·SVM).

    python benchmarks/axes_speed.py [--n 20000]
"""
import argparse
import tempfile
import time

import numpy as np

from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.latent.cache import build_cache
from tlgan.latent.directions import fit_glm, fit_svm
from tlgan.pretrained import default_paths

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=20_000)
args = ap.parse_args()
p = default_paths()
g, ext = load_generator(p["generator"]), load_extractor(p["extractor"])
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
print(f"sample + label {args.n} latents: {t_sample:6.1f} s ({args.n / t_sample:.0f}/s)")
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
