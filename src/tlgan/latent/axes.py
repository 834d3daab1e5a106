"""Feature axes in latent space: TL-GAN's GLM, InterFaceGAN's SVM, and the axes file format.

An axes directory holds ``axes.safetensors`` (``vectors`` (K, d) unit rows; ``slopes`` (K,) the GLM slope norms;
``intercepts`` (K,)) and ``axes.json`` (names, binary flags, method, latent space, per-axis held-out quality,
the cosine matrix, the generator's hash). ``slope * (u·z) + intercept`` predicts the label (logit for binary).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io import read_json, write_json


@dataclass
class Axes:
    names: list[str]
    vectors: np.ndarray                     # (K, d) float32, unit rows
    binary: list[bool]
    method: str = "glm"
    space: str = "z"
    quality: dict = field(default_factory=dict)   # name -> {"r2": x, "auc": x, ...} held out
    slopes: np.ndarray | None = None        # (K,) norm of each raw slope (label units per unit λ)
    intercepts: np.ndarray | None = None    # (K,)
    generator_hash: str = ""
    disentangled_from: dict = field(default_factory=dict)  # name -> reference names it was projected against

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def index(self, name: str) -> int:
        if name not in self.names:
            raise UserError(f"unknown axis {name!r}; known axes: {', '.join(self.names)}")
        return self.names.index(name)

    def vector(self, name: str) -> np.ndarray:
        return self.vectors[self.index(name)]

    def cosine(self) -> np.ndarray:
        """(K, K) cosine similarities between the axes."""
        return self.vectors @ self.vectors.T

    def save(self, out) -> Path:
        """Write ``axes.safetensors`` + ``axes.json`` (+ a cosine heatmap PNG) into directory ``out``."""
        from safetensors.numpy import save_file
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        k = len(self.names)
        arrays = {"vectors": self.vectors.astype(np.float32),
                  "slopes": (self.slopes if self.slopes is not None else np.ones(k)).astype(np.float32),
                  "intercepts": (self.intercepts if self.intercepts is not None else np.zeros(k)).astype(np.float32)}
        tmp = out / "axes.safetensors.tmp"
        save_file(arrays, str(tmp))
        tmp.replace(out / "axes.safetensors")
        write_json(out / "axes.json", {
            "names": self.names, "binary": self.binary, "method": self.method, "space": self.space,
            "z_dim": self.dim, "generator_hash": self.generator_hash, "quality": self.quality,
            "disentangled_from": self.disentangled_from,
            "cosine": np.round(self.cosine(), 4).tolist()})
        return out

    @classmethod
    def load(cls, path) -> Axes:
        from safetensors.numpy import load_file
        p = Path(path)
        if not (p / "axes.json").exists():
            raise UserError(f"{p} is not an axes directory (no axes.json)")
        meta = read_json(p / "axes.json")
        arr = load_file(str(p / "axes.safetensors"))
        return cls(meta["names"], arr["vectors"], meta["binary"], meta["method"], meta["space"], meta["quality"],
                   arr["slopes"], arr["intercepts"], meta.get("generator_hash", ""),
                   meta.get("disentangled_from", {}))

    def check_latent(self, z_dim: int, generator_hash: str | None = None) -> None:
        """UserError if these axes cannot steer a generator of ``z_dim`` (or were fitted on another one)."""
        if self.dim != z_dim:
            raise UserError(f"the axes live in a {self.dim}-d latent space but the generator's is {z_dim}-d")
        if generator_hash and self.generator_hash and generator_hash != self.generator_hash:
            raise UserError(f"the axes were fitted on generator {self.generator_hash}, not {generator_hash}")

    def subset(self, names) -> Axes:
        idx = [self.index(n) for n in names]
        return replace(self, names=[self.names[i] for i in idx], vectors=self.vectors[idx],
                       binary=[self.binary[i] for i in idx],
                       slopes=None if self.slopes is None else self.slopes[idx],
                       intercepts=None if self.intercepts is None else self.intercepts[idx])


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
    if (norms == 0).any():
        flat = [n for n, s in zip(names, norms, strict=True) if s == 0]
        raise UserError(f"label(s) {flat} do not depend on z at all")
    quality = {}
    for j, name in enumerate(names):
        q = {"r2": float(r2_score(t[te, j], pred[:, j]))}
        if binary[j]:
            lab = y[te, j] > 0
            q["auc"] = float(roc_auc_score(lab, pred[:, j])) if 0 < lab.sum() < len(lab) else float("nan")
            q["positive_rate"] = float((y[:, j] > 0).mean())
        quality[name] = q
    return Axes(list(names), (coef / norms[:, None]).astype(np.float32), list(binary), "glm", "z", quality,
                norms.astype(np.float32), np.asarray(reg.intercept_, np.float32).reshape(-1))


def fit_svm(z: np.ndarray, y: np.ndarray, names, binary, ratio: float = 0.02, val: float = 0.3,
            seed: int = 0) -> Axes:
    """InterFaceGAN: a linear SVM separating the top and bottom ``ratio`` of samples by score (70/30 split).

    Quality = validation accuracy on the held-out 30% of those extremes. The unit normal is the axis; the
    intercept is dropped (slopes/intercepts are re-estimated by least squares along the axis for batch use).
    """
    from sklearn.svm import SVC
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    k = max(2, int(len(z) * ratio))
    vecs, slopes, inters, quality = [], [], [], {}
    rng = np.random.default_rng(seed)
    for j, name in enumerate(names):
        order = np.argsort(y[:, j])
        idx = np.concatenate([order[-k:], order[:k]])
        lab = np.concatenate([np.ones(k), np.zeros(k)])
        perm = rng.permutation(len(idx))
        ntr = int(len(idx) * (1 - val))
        tr, te = perm[:ntr], perm[ntr:]
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


def restrict_layers(axes: Axes, n_ws: int, layers: tuple[int, int]) -> Axes:
    """W+ axes acting on layers ``layers`` = (first, last) only (0 = coarsest): other layers' parts are zeroed and
    each axis renormalised. In: axes over (n_ws · w_dim)-d W+ latents. The held-out quality stays the full axes'."""
    a, b = layers
    if not 0 <= a <= b < n_ws:
        raise UserError(f"--layers must lie within 0-{n_ws - 1} (the generator's {n_ws} style layers), got {a}-{b}")
    v = axes.vectors.reshape(len(axes.names), n_ws, -1).copy()
    v[:, :a] = 0
    v[:, b + 1:] = 0
    v = v.reshape(len(axes.names), -1)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if (norms < 1e-12).any():
        raise UserError(f"an axis has no component in layers {a}-{b}")
    return replace(axes, vectors=(v / norms).astype(np.float32), space=f"w+[{a}-{b}]")


def export_boundary(axes: Axes, name: str, path) -> Path:
    """Write one axis as an InterFaceGAN boundary: a float32 ``.npy`` of shape (1, d)."""
    path = Path(path)
    np.save(path, axes.vector(name)[None, :].astype(np.float32))
    return path


def import_boundary(path, z_dim: int | None = None) -> np.ndarray:
    """Read an InterFaceGAN boundary ``.npy`` (1, d) as a unit vector (d,); UserError on a wrong shape."""
    b = np.load(path, allow_pickle=False)
    if b.ndim != 2 or b.shape[0] != 1 or (z_dim is not None and b.shape[1] != z_dim):
        raise UserError(f"{path}: a boundary must have shape (1, {z_dim or 'd'}), got {b.shape}")
    return (b[0] / np.linalg.norm(b[0])).astype(np.float32)
