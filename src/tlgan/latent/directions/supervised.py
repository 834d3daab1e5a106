"""Supervised directions: TL-GAN's GLM and InterFaceGAN's linear SVM, fitted on a (z, y) cache."""
from __future__ import annotations

import numpy as np

from ...errors import UserError
from ..axes import Axes


def _split(n: int, holdout: float, seed: int):
    perm = np.random.default_rng(seed).permutation(n)
    k = int(n * (1 - holdout))
    return perm[:k], perm[k:]


def fit_glm(z: np.ndarray, y: np.ndarray, names, binary, clip: float = 3.0, holdout: float = 0.2,
            seed: int = 0) -> Axes:
    """TL-GAN's GLM. In: z (N, d), y (N, K) (logits for binary labels). Out: unit axes + held-out quality.

    Binary labels: regress the logit clipped to ±``clip`` on z with an intercept (TL-GAN regressed
    arctanh of tanh outputs clipped at ±3: the same target); quality = R² and the AUC of the fit's score
    against the extractor's own decision. Continuous labels: linear regression; quality = R².
    Labels that never vary over the samples (clipped to one value everywhere: e.g. hats a generator never draws)
    get no axis; UserError if no label is left.
    """
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score, roc_auc_score
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    t = np.where(np.asarray(binary)[None, :], np.clip(y, -clip, clip), y)
    tr, te = _split(len(z), holdout, seed)
    reg = LinearRegression().fit(z[tr], t[tr])
    pred = reg.predict(z[te])
    coef = reg.coef_.reshape(len(names), -1)
    norms = np.linalg.norm(coef, axis=1)
    if (norms == 0).all():
        raise UserError(f"no label depends on z at all ({', '.join(names)})")
    keep = np.flatnonzero(norms > 0)
    names, binary, coef, norms = [names[j] for j in keep], [binary[j] for j in keep], coef[keep], norms[keep]
    y, t, pred, intercept = y[:, keep], t[:, keep], pred[:, keep], np.asarray(reg.intercept_).reshape(-1)[keep]
    quality = {}
    for j, name in enumerate(names):
        q = {"r2": float(r2_score(t[te, j], pred[:, j]))}
        if binary[j]:
            lab = y[te, j] > 0
            q["auc"] = float(roc_auc_score(lab, pred[:, j])) if 0 < lab.sum() < len(lab) else float("nan")
            q["positive_rate"] = float((y[:, j] > 0).mean())
        quality[name] = q
    return Axes(list(names), (coef / norms[:, None]).astype(np.float32), list(binary), "glm", "z", quality,
                norms.astype(np.float32), intercept.astype(np.float32))


def fit_svm(z: np.ndarray, y: np.ndarray, names, binary, ratio: float = 0.02, val: float = 0.3,
            seed: int = 0) -> Axes:
    """InterFaceGAN: a linear SVM separating the top and bottom ``ratio`` of samples by score (70/30 split).

    Quality = validation accuracy on the held-out 30% of those extremes. The unit normal is the axis; the
    intercept is dropped (slopes/intercepts are re-estimated by least squares along the axis for batch use).
    """
    from sklearn.svm import SVC
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    k = max(4, int(len(z) * ratio))
    ntr = max(1, int(k * (1 - val)))  # per class: the split is stratified, so both sides train
    vecs, slopes, inters, quality = [], [], [], {}
    rng = np.random.default_rng(seed)
    for j, name in enumerate(names):
        order = np.argsort(y[:, j])
        idx = np.concatenate([order[-k:], order[:k]])
        lab = np.concatenate([np.ones(k), np.zeros(k)])
        pos, neg = rng.permutation(k), k + rng.permutation(k)
        tr, te = np.concatenate([pos[:ntr], neg[:ntr]]), np.concatenate([pos[ntr:], neg[ntr:]])
        svm = SVC(kernel="linear").fit(z[idx[tr]], lab[tr])
        w = svm.coef_.reshape(-1)
        u = w / np.linalg.norm(w)
        proj = z @ u
        a, b = np.polyfit(proj, np.clip(y[:, j], -3, 3) if binary[j] else y[:, j], 1)
        vecs.append(u)
        slopes.append(a)
        inters.append(b)
        quality[name] = {"val_accuracy": float(svm.score(z[idx[te]], lab[te]))}
    return Axes(list(names), np.asarray(vecs, np.float32), list(binary), "svm", "z", quality,
                np.asarray(slopes, np.float32), np.asarray(inters, np.float32))
