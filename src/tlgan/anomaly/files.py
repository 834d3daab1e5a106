"""Writing anomaly scores and residual heat maps."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from ..data.images import save_png
from ..io import ensure_dir


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
    ensure_dir(out / "heatmaps")
    tmp = out / "scores.csv.tmp"
    with open(tmp, "w", newline="", errors="surrogateescape") as f:  # file names as the file system has them
        wr = csv.writer(f)
        wr.writerow(["filename", "score", "normalised", "anomaly"])
        for i, name in enumerate(names):
            wr.writerow([name, f"{float(result['score'][i]):.6g}", f"{float(result['normalised'][i]):.4f}",
                         int(result["flag"][i])])
            save_png(heatmap_panel(x[i], result["recon"][i]), out / "heatmaps" / (Path(name).stem + ".png"),
                     min_size=192)
    tmp.replace(out / "scores.csv")
