"""User image folders: CelebA layout (img_align_celeba/ + list_attr_celeba.txt), a CSV of attributes, or bare."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import UserError
from .images import IMAGE_EXT, center_crop_resize, is_grey, list_images, read_image


def _read_celeba_attrs(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    try:
        names = lines[1].split()
        files, rows = [], []
        for ln in lines[2:]:
            if ln.strip():
                parts = ln.split()
                files.append(parts[0])
                rows.append([(int(v) + 1) // 2 for v in parts[1:1 + len(names)]])
    except (IndexError, ValueError):
        raise UserError(f"{path}: not in CelebA format (count line, names line, then 'file ±1 ±1 ...')") from None
    return files, names, np.asarray(rows, np.float32)


def _read_csv_attrs(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or header[0].strip().lower() not in ("filename", "file", "image", "image_id"):
            raise UserError(f"{path}: the first column must be 'filename', then one column per attribute")
        dup = sorted({h for h in header if header.count(h) > 1})
        if dup:
            raise UserError(f"{path}: duplicate column(s) {', '.join(dup)}")
        files, rows = [], []
        for i, row in enumerate(reader, start=2):
            try:
                rows.append([float(v) for v in row[1:]])
            except ValueError:
                raise UserError(f"{path}: line {i} has a non-numeric attribute value") from None
            if not np.isfinite(rows[-1]).all():
                raise UserError(f"{path}: line {i} has a NaN or infinite attribute value; every label must be a "
                                "finite number")
            if len(row) != len(header):
                raise UserError(f"{path}: line {i} has {len(row)} columns, the header has {len(header)}")
            files.append(row[0])
    return files, header[1:], np.asarray(rows, np.float32)


def load_folder(path: str, resolution: int, channels: int | None = None, limit: int | None = None):
    """Read a folder of images. Out: (uint8 array (N, res, res, C), attribute names, float labels (N, K) or None).

    ``channels`` None: 1 if every image is greyscale, else 3 (every image is converted to that).
    Layouts: CelebA (``img_align_celeba/`` + ``list_attr_celeba.txt``), ``attributes.csv`` beside the images,
    or a bare folder of images. A missing or unreadable image raises UserError naming the file.
    """
    root = Path(path)
    if not root.is_dir():
        raise UserError(f"image folder {root} does not exist")
    img_dir, table = root, None
    if (root / "img_align_celeba").is_dir():
        img_dir = root / "img_align_celeba"
        table = root / "list_attr_celeba.txt" if (root / "list_attr_celeba.txt").exists() else None
    elif (root / "attributes.csv").exists():
        table = root / "attributes.csv"
    if table is not None:
        reader = _read_celeba_attrs if table.suffix == ".txt" else _read_csv_attrs
        files, names, labels = reader(table)
        missing = [f for f in files[:limit] if not (img_dir / f).exists()]
        if missing:
            raise UserError(f"{table}: {len(missing)} listed files are missing from {img_dir}, e.g. {missing[0]}")
        unlisted = sorted(set(list_images(img_dir)) - set(files))
        if unlisted and table.suffix == ".csv":
            raise UserError(f"{table} has no row for {len(unlisted)} image(s) in {img_dir}, e.g. {unlisted[0]}")
    else:
        files = list_images(img_dir)
        names, labels = [], None
    if limit:
        files = files[:limit]
        labels = labels[:limit] if labels is not None else None
    if not files:
        raise UserError(f"{img_dir} holds no images ({', '.join(sorted(IMAGE_EXT))})")
    if channels is None:  # one colour image makes a colour dataset (the first file alone once decided it)
        channels = 1 if all(is_grey(img_dir / f) for f in files) else 3
    arr = np.stack([center_crop_resize(read_image(img_dir / f, channels), resolution) for f in files])
    return arr, names, labels
