"""Fashion-MNIST read straight from its IDX files (Debian package ``dataset-fashion-mnist``)."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ..errors import UserError

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
STATS = ["brightness", "ink_area", "width", "height"]


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into a numpy array of its declared shape."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise UserError(f"{path}: cannot read IDX file ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise UserError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise UserError(f"{path}: IDX header says {dims} but the file holds {body.size} bytes")
    return body.reshape(dims)


def load_fashion(split: str = "train", root: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images uint8 (N, 28, 28) and labels int64 (N,). ``split``: 'train' (60k) or 'test' (10k)."""
    root = Path(root or os.environ.get("TLGAN_FASHION_DIR", DEFAULT_DIR))
    prefix = {"train": "train", "test": "t10k"}[split]
    files = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        cands = [root / f"{prefix}-{kind}.gz", root / f"{prefix}-{kind}"]
        found = next((c for c in cands if c.exists()), None)
        if found is None:
            raise UserError(f"Fashion-MNIST not found in {root} (expected {prefix}-{kind}.gz); "
                            "install it with `apt-get install dataset-fashion-mnist` or pass its folder")
        files.append(found)
    images, labels = read_idx(files[0]), read_idx(files[1])
    if len(images) != len(labels):
        raise UserError(f"{root}: {len(images)} images but {len(labels)} labels")
    return images, labels.astype(np.int64)


def image_statistics(images: np.ndarray) -> np.ndarray:
    """Continuous features of garments: (N, 4) float32 = brightness, ink area, width, height (all in [0, 1])."""
    x = images.astype(np.float32) / 255.0
    ink = x > 0.1
    rows, cols = ink.any(2), ink.any(1)
    def extent(m):
        first = np.where(m.any(1), m.argmax(1), 0)
        last = np.where(m.any(1), m.shape[1] - 1 - m[:, ::-1].argmax(1), -1)
        return (last - first + 1) / m.shape[1]
    return np.stack([x.mean((1, 2)), ink.mean((1, 2)), extent(cols), extent(rows)], 1).astype(np.float32)
