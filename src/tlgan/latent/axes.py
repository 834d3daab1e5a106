"""Feature axes in latent space: the :class:`Axes` container and its file format, InterFaceGAN boundary
import/export, W+ layer restriction. The methods that find axes live in :mod:`tlgan.latent.directions`.

An axes directory holds ``axes.safetensors`` (``vectors`` (K, d) unit rows; ``slopes`` (K,) the GLM slope norms;
``intercepts`` (K,)) and ``axes.json`` (names, binary flags, method, latent space, per-axis held-out quality,
the cosine matrix, the generator's hash). ``slope * (u·z) + intercept`` predicts the label (logit for binary).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io import ensure_dir, read_json, save_npy, write_json


@dataclass
class Axes:
    """K named feature axes in a generator's latent space (Z, W or W+): unit directions ``vectors`` (K, d), whether
    each attribute is binary, how well each predicts its attribute on held-out samples, and the generator they
    belong to. ``Axes.load(DIR)`` / ``save(DIR)`` read and write ``axes.json`` + ``axes.safetensors``."""
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
        """d, the length of each axis (the latent size)."""
        return self.vectors.shape[1]

    @property
    def content_hash(self) -> str:
        """Short SHA-256 of the axes' names and vectors (float32): what figures made with them record."""
        h = hashlib.sha256("\n".join(self.names).encode())
        h.update(np.ascontiguousarray(self.vectors, np.float32).tobytes())
        return h.hexdigest()[:16]

    def index(self, name: str) -> int:
        """Row of axis ``name`` in ``vectors``; UserError naming the known axes if there is none."""
        if name not in self.names:
            raise UserError(f"unknown axis {name!r}; known axes: {', '.join(self.names)}")
        return self.names.index(name)

    def vector(self, name: str) -> np.ndarray:
        """Unit direction (d,) float32 of axis ``name``."""
        return self.vectors[self.index(name)]

    def cosine(self) -> np.ndarray:
        """(K, K) cosine similarities between the axes."""
        return self.vectors @ self.vectors.T

    def save(self, out) -> Path:
        """Write ``axes.safetensors`` + ``axes.json`` (+ a cosine heatmap PNG) into directory ``out``."""
        from safetensors.numpy import save_file
        out = Path(out)
        ensure_dir(out)
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
        """Axes from directory ``path`` (written by ``save``); UserError if it is not one, or is corrupt."""
        from safetensors.numpy import load_file
        p = Path(path)
        if not (p / "axes.json").exists():
            raise UserError(f"{p} is not an axes directory (no axes.json)")
        meta = read_json(p / "axes.json")
        try:
            arr = load_file(str(p / "axes.safetensors"))
        except Exception as e:  # safetensors raises its own error types for corrupt files
            raise UserError(f"{p / 'axes.safetensors'}: missing or corrupt ({str(e).splitlines()[0]})") from None
        missing = {"names", "binary", "method", "space", "quality"} - set(meta) or {"vectors", "slopes",
                                                                                   "intercepts"} - set(arr)
        if missing:
            raise UserError(f"{p}: not a tlgan axes directory ({', '.join(sorted(missing))} missing)")
        if arr["vectors"].shape[0] != len(meta["names"]) or not np.isfinite(arr["vectors"]).all():
            raise UserError(f"{p}: axes.json names {len(meta['names'])} axes but axes.safetensors holds "
                            f"{arr['vectors'].shape[0]} (or non-finite values)")
        return cls(meta["names"], arr["vectors"], meta["binary"], meta["method"], meta["space"], meta["quality"],
                   arr["slopes"], arr["intercepts"], meta.get("generator_hash", ""),
                   meta.get("disentangled_from", {}))

    def check_latent(self, z_dim: int, generator_hash: str | None = None) -> None:
        """UserError if these axes cannot steer a generator of ``z_dim`` (or were fitted on another one)."""
        if self.dim != z_dim:
            raise UserError(f"the axes live in a {self.dim}-d latent space but the generator's is {z_dim}-d")
        if generator_hash and self.generator_hash and generator_hash != self.generator_hash:
            raise UserError(f"the axes were fitted on generator {self.generator_hash}, not {generator_hash}")

    def add(self, name: str, vector: np.ndarray, binary: bool = True, quality: dict | None = None,
            slope: float = 1.0, intercept: float = 0.0) -> None:
        """Append axis ``name`` with direction ``vector`` (d,) (normalised here); UserError on a duplicate name,
        a wrong length or a zero vector."""
        v = np.asarray(vector, np.float64).reshape(-1)
        if name in self.names:
            raise UserError(f"axis {name!r} already exists")
        if len(v) != self.dim or not np.isfinite(v).all() or np.linalg.norm(v) == 0:
            raise UserError(f"axis {name!r}: a direction must be a finite, non-zero vector of length {self.dim}")
        k = len(self.names)
        self.names.append(name)
        self.binary.append(bool(binary))
        self.vectors = np.vstack([self.vectors, (v / np.linalg.norm(v))[None]]).astype(np.float32)
        self.slopes = np.append(self.slopes if self.slopes is not None else np.ones(k), slope).astype(np.float32)
        self.intercepts = np.append(self.intercepts if self.intercepts is not None else np.zeros(k),
                                    intercept).astype(np.float32)
        self.quality[name] = dict(quality or {})

    def subset(self, names) -> Axes:
        """A copy holding only the axes ``names``, in that order."""
        idx = [self.index(n) for n in names]
        return replace(self, names=[self.names[i] for i in idx], vectors=self.vectors[idx],
                       binary=[self.binary[i] for i in idx],
                       slopes=None if self.slopes is None else self.slopes[idx],
                       intercepts=None if self.intercepts is None else self.intercepts[idx])


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
    """Write one axis as an InterFaceGAN boundary: a float32 ``.npy`` of shape (1, d) (its folder made if needed;
    UserError if ``path`` is a folder or a file stands in the way). Returns the path written (``.npy`` appended if
    missing)."""
    if Path(path).is_dir():
        raise UserError(f"--out {path} is a folder; give a file name such as {Path(path) / (name + '.npy')}")
    return save_npy(path, axes.vector(name)[None, :].astype(np.float32))


def import_boundary(path, z_dim: int | None = None) -> np.ndarray:
    """Read an InterFaceGAN boundary ``.npy`` (1, d) as a unit vector (d,); UserError on a wrong shape."""
    try:
        b = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: not a .npy array ({str(e).splitlines()[0]})") from None
    if b.ndim != 2 or b.shape[0] != 1 or (z_dim is not None and b.shape[1] != z_dim):
        raise UserError(f"{path}: a boundary must have shape (1, {z_dim or 'd'}), got {b.shape}")
    if not np.issubdtype(b.dtype, np.floating) and not np.issubdtype(b.dtype, np.integer):
        raise UserError(f"{path}: a boundary must hold real numbers, got dtype {b.dtype}")
    v = b[0].astype(np.float64)
    if not np.isfinite(v).all() or not np.linalg.norm(v) > 0:
        raise UserError(f"{path}: a boundary must be finite and non-zero")
    return (v / np.linalg.norm(v)).astype(np.float32)
