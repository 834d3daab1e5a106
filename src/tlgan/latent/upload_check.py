"""How far from the model an image is: the PSNR threshold below which an inverted image is "unlike what the model
draws" (its reconstruction is the model's nearest image, and edits act on that).

The threshold is the 5th percentile of the reconstruction PSNR of held-out real images under the hybrid inversion the
editor and ``tlgan invert`` use: 95% of such images pass by construction. ``measure`` also records how many images of
other kinds (colour gradients, noise, other datasets) fall below it: the warning's catch rate. The result lives in
``upload_check.json`` beside the encoder; :func:`threshold` reads it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

FILE = "upload_check.json"


def unlike_images(n: int, resolution: int, channels: int = 3, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images no generator of natural-looking data should draw, (n, C, R, R) in [-1, 1] per kind: smooth colour
    gradients and uniform noise."""
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(-1, 1, resolution).view(1, 1, -1, 1)
    top, bottom = (torch.rand(n, channels, 1, 1, generator=g) * 2 - 1 for _ in range(2))
    gradients = (top + (bottom - top) * (t + 1) / 2).expand(-1, -1, -1, resolution).contiguous()
    return {"gradients": gradients, "noise": torch.rand(n, channels, resolution, resolution, generator=g) * 2 - 1}


def measure(generator, encoder, extractor, real: torch.Tensor, others: dict[str, torch.Tensor], log=None) -> dict:
    """Invert held-out ``real`` images (N, C, R, R) in [-1, 1] and each kind of ``others`` with the hybrid method;
    the threshold (5th percentile of the real images' PSNR) with every kind's PSNR median, 5th and 95th percentile
    and flagged share. ``log``: one line per kind."""
    from ..metrics import psnr
    from .invert import OptSettings, invert
    scores = {}
    for name, x in {"real": real, **others}.items():
        res = invert(generator, x, "hybrid", encoder=encoder, extractor=extractor, settings=OptSettings(steps=300))
        scores[name] = psnr(x, res.recon).numpy()
        if log is not None:
            log(f"{name:16s} PSNR median {np.median(scores[name]):5.2f} dB, 5th percentile "
                f"{np.percentile(scores[name], 5):5.2f} dB")
    threshold = float(np.percentile(scores["real"], 5))
    unlike = np.concatenate([v for k, v in scores.items() if k != "real"]) if others else np.zeros(0)
    return {"threshold_db": threshold, "method": "hybrid (encoder + 40 steps), as the server inverts uploads",
            "n_per_kind": len(real), "real_pass_rate": float((scores["real"] >= threshold).mean()),
            "unlike_flagged_rate": float((unlike < threshold).mean()) if len(unlike) else None,
            "by_kind": {k: {"median_db": float(np.median(v)), "p5_db": float(np.percentile(v, 5)),
                            "p95_db": float(np.percentile(v, 95)), "flagged_rate": float((v < threshold).mean())}
                        for k, v in scores.items()}}


def threshold(encoder_dir: str | Path | None) -> float | None:
    """The PSNR threshold measured for the encoder in ``encoder_dir`` (None if it was never measured)."""
    from ..io import read_json
    path = Path(encoder_dir) / FILE if encoder_dir is not None else None
    return read_json(path)["threshold_db"] if path is not None and path.exists() else None
