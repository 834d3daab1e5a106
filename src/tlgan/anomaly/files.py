"""Reading images to score (checked against the detector, never resized) and writing scores and heat maps."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..data.folder import IMAGE_EXT
from ..data.images import save_png, to_model_range
from ..errors import UserError


def read_images(folder: str | Path, shape: tuple[int, int, int]) -> tuple[list[str], torch.Tensor]:
    """The images in ``folder`` as (file names, float (N, C, H, W) in [-1, 1]).

    Every image must already have the detector's ``shape`` (C, H, W): a different size or channel count is a
    UserError naming the file (resizing would change what is being judged). Alpha channels are dropped.
    """
    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"input folder {root} does not exist")
    names = sorted(p.name for p in root.iterdir() if p.suffix.lower() in IMAGE_EXT)
    if not names:
        raise UserError(f"{root} holds no images ({', '.join(sorted(IMAGE_EXT))})")
    c, h, w = shape
    arrs = []
    for name in names:
        try:
            with Image.open(root / name) as im:
                im = im.convert("RGB") if im.mode in ("P", "RGBA", "CMYK") else im
                im = im.convert("L") if im.mode in ("LA", "I", "I;16", "F") else im
                arr = np.asarray(im)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise UserError(f"{root / name}: not a readable image file ({type(e).__name__})") from None
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        if arr.shape != (h, w, c):
            raise UserError(f"{root / name}: the detector takes {w}x{h} images with {c} channel(s), "
                            f"this one is {arr.shape[1]}x{arr.shape[0]} with {arr.shape[2]}")
        arrs.append(arr)
    x = torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).contiguous()
    return names, to_model_range(x)


def heatmap_panel(x: torch.Tensor, recon: torch.Tensor) -> np.ndarray:
    """One image's [input | reconstruction | |x − recon| heat map] as uint8 (H, 3W, 3).

    In: x and recon (C, H, W) in [-1, 1]. The heat map (inferno colour map) spans residuals 0 … 1, i.e. half of
    the value range, the same scale for every image so that panels compare.
    """
    from matplotlib import colormaps
    def rgb(t):
        a = ((t.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        return np.repeat(a, 3, 2) if a.shape[2] == 1 else a
    res = (x - recon).abs().mean(0).clamp(0, 1).numpy()
    heat = (colormaps["inferno"](res)[:, :, :3] * 255).round().astype(np.uint8)
    return np.concatenate([rgb(x), rgb(recon), heat], 1)


def write_scores(out: Path, names: list[str], result: dict, x: torch.Tensor) -> None:
    """``out/scores.csv`` (file, score, normalised, anomaly) and ``out/heatmaps/<name>.png`` per image."""
    (out / "heatmaps").mkdir(parents=True, exist_ok=True)
    tmp = out / "scores.csv.tmp"
    with open(tmp, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["filename", "score", "normalised", "anomaly"])
        for i, name in enumerate(names):
            wr.writerow([name, f"{float(result['score'][i]):.6g}", f"{float(result['normalised'][i]):.4f}",
                         int(result["flag"][i])])
            save_png(heatmap_panel(x[i], result["recon"][i]), out / "heatmaps" / (Path(name).stem + ".png"),
                     min_size=192)
    tmp.replace(out / "scores.csv")
