"""The edit-quality metrics of the latent-editing literature, for any set of directions (:class:`Axes`).

- :func:`rescoring`: the re-scoring matrix Δ (directions × attributes): the judge's mean change of every attribute
  for a step of one σ along each direction (σ: the prior's spread along it), InterFaceGAN / SeFa style.
- :func:`attribute_dependency`: StyleSpace's AD — the mean and the max over non-target attributes of the
  per-image |change| (in units of each attribute's σ) as the target's change grows; 0 for a perfectly local edit.
- :func:`dci`: Eastwood & Williams' disentanglement / completeness / informativeness of a code against factors
  (importances from a Lasso on standardised variables, or from gradient-boosted trees).
- :func:`linear_separability`: StyleGAN's — per binary attribute, a linear SVM on the most confident half of the
  samples, the conditional entropy H(Y | X) in bits of the labels given its predictions; the space's figure is
  2^ΣH (lower: attributes lie on more linear boundaries).
- :func:`match`: a Hungarian assignment of directions to attributes (or to supervised axes) on |corr|.
"""
from __future__ import annotations

import numpy as np
import torch

from .axes import Axes
from .evaluate import judge_scores


def prior_sigma(generator, vectors: np.ndarray, n: int = 4096, seed: int = 0) -> np.ndarray:
    """Standard deviation of the prior's latents along each unit row of ``vectors`` (K, d) -> (K,)."""
    z = generator.latents(n, seed).numpy().astype(np.float64)
    return (z @ np.asarray(vectors, np.float64).T).std(0)


def sigmas(generator, axes: Axes) -> np.ndarray:
    """Spread of the prior's latents along each axis (K,): ``quality[name]["sigma"]`` when recorded."""
    known = [axes.quality.get(name, {}).get("sigma") for name in axes.names]
    if all(s is not None for s in known):
        return np.asarray(known, np.float64)
    return prior_sigma(generator, axes.vectors)


def rescoring(generator, judge, axes: Axes, n: int = 512, seed: int = 0, progress: bool = True) -> dict:
    """Judge's mean change of every attribute per σ step along every direction (central difference at ±σ).

    Out: {"delta": (K, M) array (probability for binary attributes, own units otherwise), "spread": (M,) the
    attributes' std over the n samples, "sigma": (K,), "attributes": names, "z": the latents (n, d), "base": the
    judge's scores of G(z) (n, M)}."""
    from ..progress import progress_bar
    z = generator.latents(n, seed)
    base = judge_scores(generator, judge, z)
    sig = sigmas(generator, axes)
    delta = np.zeros((len(axes.names), base.shape[1]))
    for k in progress_bar(range(len(axes.names)), desc="re-scoring", disable=not progress, leave=False):
        step = torch.from_numpy(axes.vectors[k] * sig[k]).float()
        delta[k] = (judge_scores(generator, judge, z + step) - judge_scores(generator, judge, z - step)).mean(0) / 2
    return {"delta": delta, "spread": base.std(0) + 1e-9, "sigma": sig, "attributes": list(judge.label_names),
            "z": z, "base": base}


def attribute_dependency(generator, judge, u: np.ndarray, target: int, sigma: float, n: int = 256, seed: int = 0,
                         steps=(0.5, 1.0, 1.5, 2.0, 3.0)) -> dict:
    """StyleSpace's attribute dependency of one direction ``u`` (d,) on attribute index ``target``.

    Moves every latent by ±s·σ·u for s in ``steps`` (the sign that raises the target on average), measures each
    attribute's per-image change in units of its σ over the samples. Out: {"target_change": [...],
    "mean_ad": [...], "max_ad": [...]} (one entry per step) and "at_1sd": mean-/max-AD interpolated where the
    target's change reaches one σ (None when it never does)."""
    z = generator.latents(n, seed)
    base = judge_scores(generator, judge, z)
    spread = base.std(0) + 1e-9
    uu = torch.from_numpy(np.asarray(u, np.float32) * sigma)
    up = (judge_scores(generator, judge, z + uu)[:, target].mean()
          >= judge_scores(generator, judge, z - uu)[:, target].mean())
    others = [j for j in range(base.shape[1]) if j != target]
    rows = []
    for s in steps:
        d = np.abs(judge_scores(generator, judge, z + (s if up else -s) * uu) - base) / spread
        per_image_max = d[:, others].max(1)
        rows.append((d[:, target].mean(), d[:, others].mean(), per_image_max.mean()))
    t, mean_ad, max_ad = (np.asarray(c) for c in zip(*rows, strict=True))
    at = None
    if t.max() >= 1.0:
        order = np.argsort(t)
        at = {"mean_ad": float(np.interp(1.0, t[order], mean_ad[order])),
              "max_ad": float(np.interp(1.0, t[order], max_ad[order]))}
    return {"steps": list(steps), "sign": 1 if up else -1, "target_change": t.tolist(), "mean_ad": mean_ad.tolist(),
            "max_ad": max_ad.tolist(), "at_1sd": at}


def _entropy(p: np.ndarray, base: int) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0)
    return -(p * np.log(p)).sum(-1) / np.log(base)


def dci(codes: np.ndarray, factors: np.ndarray, method: str = "lasso", test: float = 0.3, seed: int = 0) -> dict:
    """DCI of ``codes`` (N, K) against ``factors`` (N, M) (binary factors as 0/1).

    Importance R (K, M): |coefficient| of a Lasso on standardised variables (``lasso``) or the feature importances
    of gradient-boosted trees (``gbt``), one regressor per factor, trained on 1 − ``test`` of the samples.
    Disentanglement = Σ_k ρ_k (1 − H_M(R_k / ΣR_k)) with ρ_k = ΣR_k / ΣR; completeness = mean_j (1 − H_K(R_j /
    ΣR_j)); informativeness = mean held-out R² of the regressors. Out: those three floats and "importance"."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import Lasso
    from sklearn.metrics import r2_score
    if method not in ("lasso", "gbt"):
        from ..errors import UserError
        raise UserError(f"DCI method must be lasso or gbt, got {method!r}")
    c = np.asarray(codes, np.float64)
    f = np.asarray(factors, np.float64)
    c = (c - c.mean(0)) / (c.std(0) + 1e-12)
    f = (f - f.mean(0)) / (f.std(0) + 1e-12)
    perm = np.random.default_rng(seed).permutation(len(c))
    k = int(len(c) * (1 - test))
    tr, te = perm[:k], perm[k:]
    imp = np.zeros((c.shape[1], f.shape[1]))
    r2 = []
    for j in range(f.shape[1]):
        if method == "lasso":
            reg = Lasso(alpha=0.02).fit(c[tr], f[tr, j])
            imp[:, j] = np.abs(reg.coef_)
        else:
            reg = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=seed).fit(c[tr], f[tr, j])
            imp[:, j] = reg.feature_importances_
        r2.append(r2_score(f[te, j], reg.predict(c[te])))
    total = imp.sum()
    row = imp.sum(1)
    m, kk = f.shape[1], c.shape[1]
    d_k = 1 - _entropy(imp / np.maximum(row[:, None], 1e-12), m) if m > 1 else np.ones(kk)
    col = imp.sum(0)
    c_j = 1 - _entropy((imp / np.maximum(col[None, :], 1e-12)).T, kk) if kk > 1 else np.ones(m)
    rho = row / max(total, 1e-12)
    return {"disentanglement": float((rho * d_k).sum()), "completeness": float(c_j.mean()),
            "informativeness": float(np.mean(r2)), "importance": imp.tolist()}


def linear_separability(z: np.ndarray, logits: np.ndarray, names, seed: int = 0, max_n: int = 20_000) -> dict:
    """StyleGAN's linear separability of binary attributes in a latent space.

    In: latents z (N, d), the extractor's logits (N, M) for binary attributes. Per attribute: the most confident
    half of the samples (|logit| above its median), a linear SVM on z predicting the sign, H(Y | X) in bits with X
    the SVM's class and Y the extractor's. Out: {"entropy": {name: bits}, "separability": 2^ΣH}."""
    from sklearn.svm import LinearSVC
    z, logits = np.asarray(z, np.float64)[:max_n], np.asarray(logits, np.float64)[:max_n]
    out = {}
    for j, name in enumerate(names):
        conf = np.abs(logits[:, j])
        keep = conf >= np.median(conf)
        y = logits[keep, j] > 0
        if y.all() or not y.any():
            out[name] = 0.0
            continue
        x = LinearSVC(C=1.0, max_iter=5000, random_state=seed).fit(z[keep], y).predict(z[keep])
        h = 0.0
        for cls in (False, True):
            sel = x == cls
            if sel.any():
                p = y[sel].mean()
                h += sel.mean() * float(_entropy(np.array([p, 1 - p]), 2))
        out[name] = h
    return {"entropy": out, "separability": float(2 ** sum(out.values()))}


def match(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """Hungarian assignment on |scores| (K directions × M targets): [(target j, direction k, signed score)], one
    direction per target (as many pairs as min(K, M)), sorted by target."""
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(-np.abs(scores))
    return sorted((int(c), int(r), float(scores[r, c])) for r, c in zip(rows, cols, strict=True))


def correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of a (N, K) with every column of b (N, M): (K, M)."""
    a = (a - a.mean(0)) / (a.std(0) + 1e-12)
    b = (b - b.mean(0)) / (b.std(0) + 1e-12)
    return a.T @ b / len(a)
