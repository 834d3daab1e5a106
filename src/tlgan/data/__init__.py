"""Datasets by name: ``faces``, ``fashion``, ``digits``, ``ring8`` (2-D toy) and ``folder:PATH``.

``load_data(spec, ...)`` returns an :class:`ImageData`: uint8 images (or float points) plus a label
table whose columns are named and typed (binary or continuous).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..errors import UserError
from .images import resize, to_model_range

DATASETS = ("faces", "fashion", "digits", "shapes", "ring8", "folder:PATH")
FACES_TEST_OFFSET = 10_000_000  # faces test split: indices from here on never overlap a training split


@dataclass
class ImageData:
    """A dataset in memory. ``x``: uint8 (N, C, H, W) images, or float32 (N, D) points for toy data.

    ``labels``: float32 (N, K) or None; ``label_names``: K names; ``binary``: K flags (True = 0/1 label).
    """
    name: str
    x: torch.Tensor
    labels: np.ndarray | None = None
    label_names: list[str] = field(default_factory=list)
    binary: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    @property
    def is_image(self) -> bool:
        """True for images (stored uint8), False for points (e.g. ring8)."""
        return self.x.dtype == torch.uint8

    @property
    def shape(self) -> tuple[int, ...]:
        """One sample's shape: (C, H, W) for images, (D,) for points."""
        return tuple(self.x.shape[1:])

    def batch(self, idx) -> torch.Tensor:
        """Rows ``idx`` in model space, on the device ``x`` is on: images float32 in [-1, 1] (N, C, H, W), points
        as stored."""
        b = self.x[idx.to(self.x.device) if isinstance(idx, torch.Tensor) else idx]
        return to_model_range(b) if self.is_image else b

    def describe(self) -> str:
        """A few lines for people: the count and shape, then each label, binary ones with the share that has it,
        continuous ones with their mean and spread."""
        what = "images, C×H×W" if self.is_image else "points, D"
        lines = [f"{self.name}: {len(self):,} {what} = {'×'.join(map(str, self.shape))}; "
                 f"{len(self.label_names) or 'no'} label(s)"]
        for j, (name, binary) in enumerate(zip(self.label_names, self.binary, strict=True)):
            col = self.labels[:, j]
            lines.append(f"  {name:22s} " + (f"binary      {col.mean():6.1%} have it" if binary else
                                              f"continuous  mean {col.mean():.3g}, sd {col.std():.3g}, "
                                              f"range {col.min():.3g} … {col.max():.3g}"))
        return "\n".join(lines)

    def subset(self, idx) -> ImageData:
        """The rows ``idx`` (integer indices) as a new ImageData with the same label names."""
        idx = np.asarray(idx, dtype=np.int64)
        return replace(self, x=self.x[torch.from_numpy(idx).to(self.x.device)],
                       labels=None if self.labels is None else self.labels[idx])

    def to(self, device) -> ImageData:
        """The same dataset with its images on ``device`` (itself when they are there already); labels stay NumPy."""
        if self.x.device == torch.device(device):
            return self
        return ImageData(self.name, self.x.to(device), self.labels, self.label_names, self.binary)


def ring8(n: int, seed: int = 0, radius: float = 2.0, std: float = 0.05) -> np.ndarray:
    """The 2-D ring of 8 Gaussians: float32 (n, 2); mode k at angle 2πk/8 on a circle of ``radius``."""
    g = np.random.default_rng(seed)
    k = g.integers(0, 8, n)
    centers = radius * np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], 1)
    return (centers + std * g.standard_normal((n, 2))).astype(np.float32)


def load_data(spec: str, resolution: int | None = None, n: int | None = None, split: str = "train",
              seed: int = 0, device=None) -> ImageData:
    """Load a dataset by name. ``resolution`` None means the dataset's native size; ``n`` caps/sets the count.
    ``device``: where the images end up; plain ``faces`` are then rendered there (no CPU in the way; the on-disk
    cache is not used), other datasets are loaded and moved.

    ``NAME#LABEL`` keeps the images whose binary label LABEL is 1 (``NAME#LABEL=0``: is 0), e.g. ``fashion#Sneaker``
    or ``faces#Blond_Hair``: the domains of image-to-image translation. ``n`` applies before the filter.
    """
    if device is not None and torch.device(device).type != "cpu":
        if spec == "faces":
            from .faces import render_faces
            start = FACES_TEST_OFFSET if split == "test" else 0
            return _faces(*render_faces(n or 30_000, seed, resolution or 64, start, batch=2048, progress=True,
                                        device=device))
        return load_data(spec, resolution, n, split, seed).to(device)
    if "|" in spec:
        return _paired(spec, resolution, n, split, seed)
    if "#" in spec:
        return _filtered(spec, resolution, n, split, seed)
    if split not in ("train", "test"):
        raise UserError(f"split must be 'train' or 'test', got {split!r}")
    if spec == "faces":
        from .faces import cached_faces
        start = FACES_TEST_OFFSET if split == "test" else 0
        return _faces(*cached_faces(n or 30_000, seed=seed, resolution=resolution or 64, start=start))
    if spec == "fashion" or spec.startswith("fashion:"):
        from .fashion import CLASSES, STATS, image_statistics, load_fashion
        imgs, y = load_fashion(split, spec.split(":", 1)[1] if ":" in spec else None)
        if n:
            imgs, y = imgs[:n], y[:n]
        labels = np.concatenate([np.eye(10, dtype=np.float32)[y], image_statistics(imgs)], 1)
        x = _resized(torch.from_numpy(imgs.copy())[:, None], resolution)
        return ImageData("fashion", x, labels, CLASSES + STATS, [True] * 10 + [False] * 4)
    if spec == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        imgs = torch.from_numpy((d.images / 16.0 * 255).round().astype(np.uint8))[:, None]
        y = d.target
        half = len(y) * 4 // 5  # fixed split: the first 80% train, the rest test
        sl = slice(0, half) if split == "train" else slice(half, None)
        imgs, y = imgs[sl][:n], y[sl][:n]
        x = _resized(imgs, resolution or 32)
        return ImageData("digits", x, np.eye(10, dtype=np.float32)[y], [str(i) for i in range(10)], [True] * 10)
    if spec == "shapes":
        from .shapes import LABELS, render_shapes
        imgs, labels = render_shapes(n or 10_000, seed + (1 if split == "test" else 0), resolution or 16)
        return ImageData("shapes", imgs, labels, list(LABELS), [True] * len(LABELS))
    if spec == "ring8":
        pts = ring8(n or 20_000, seed=seed + (1 if split == "test" else 0))
        return ImageData("ring8", torch.from_numpy(pts))
    if spec.startswith("folder:"):
        from .folder import load_folder
        arr, names, labels = load_folder(spec[len("folder:"):], resolution or 64, limit=n)
        binary = [bool(np.isin(labels[:, j], (0, 1)).all()) for j in range(len(names))] if labels is not None else []
        return ImageData("folder", torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous(), labels, names, binary)
    raise UserError(f"unknown dataset {spec!r}; expected one of {', '.join(DATASETS)}")


def _faces(imgs: torch.Tensor, attrs: dict) -> ImageData:
    """Rendered faces and their attributes as an ImageData (labels in ``faces.ATTRIBUTES`` order)."""
    from .faces import ATTRIBUTES, BINARY
    labels = np.stack([attrs[k].astype(np.float32) for k in ATTRIBUTES], 1)
    return ImageData("faces", imgs, labels, list(ATTRIBUTES), [k in BINARY for k in ATTRIBUTES])


def _edges(x: torch.Tensor) -> torch.Tensor:
    """A line drawing of uint8 images (N, C, H, W): dark Sobel edges of the grey image on white, C channels."""
    import torch.nn.functional as F
    g = x.float().mean(1, keepdim=True) / 255
    k = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    gx = F.conv2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), k.view(1, 1, 3, 3))
    gy = F.conv2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), k.T.reshape(1, 1, 3, 3))
    line = (1 - (gx.pow(2) + gy.pow(2)).sqrt().clamp(0, 1)) * 255
    return line.round().to(torch.uint8).expand(-1, x.shape[1], -1, -1).contiguous()


PAIRINGS = {"inverse": lambda x: 255 - x, "edges": _edges}  # NAME|PAIRING: images paired with NAME's, index by index


def _paired(spec: str, resolution, n, split, seed) -> ImageData:
    base, _, pairing = spec.partition("|")
    if pairing not in PAIRINGS:
        raise UserError(f"{spec}: unknown pairing {pairing!r}; expected one of {', '.join(PAIRINGS)}")
    data = load_data(base, resolution, n, split, seed)
    return ImageData(spec, PAIRINGS[pairing](data.x), data.labels, data.label_names, data.binary)


def _filtered(spec: str, resolution, n, split, seed) -> ImageData:
    base, cond = spec.split("#", 1)
    name, _, value = cond.partition("=")
    if base == "faces":  # its labels are known without rendering 30,000 faces first
        from .faces import ATTRIBUTES, BINARY
        if name not in BINARY:
            raise UserError(f"{spec}: faces has no binary label {name!r}; its labels: {', '.join(ATTRIBUTES)}")
    data = load_data(base, resolution, n, split, seed)
    if name not in data.label_names:
        raise UserError(f"{spec}: {base} has no label {name!r}; its labels: {', '.join(data.label_names) or 'none'}")
    j = data.label_names.index(name)
    if not data.binary[j] or value not in ("", "0", "1"):
        raise UserError(f"{spec}: filter on a binary label, as {base}#{name} or {base}#{name}=0")
    keep = np.flatnonzero(data.labels[:, j] == (0 if value == "0" else 1))
    if len(keep) == 0:
        raise UserError(f"{spec}: no image of {base} matches")
    return ImageData(spec, data.x[torch.from_numpy(keep)], data.labels[keep], data.label_names, data.binary)


def _resized(x_uint8: torch.Tensor, resolution: int | None) -> torch.Tensor:
    if resolution is None or resolution == x_uint8.shape[-1]:
        return x_uint8
    if resolution not in (16, 28, 32, 64, 128):
        raise UserError(f"resolution must be one of 16, 28, 32, 64, 128, got {resolution}")
    y = resize(x_uint8.float(), resolution)
    return y.round_().clamp_(0, 255).to(torch.uint8)
