"""Loading trained image-to-image translators (CycleGAN: a2b / b2a) and applying them to image files."""
from __future__ import annotations

from pathlib import Path

import torch

from .errors import UserError
from .io import load_weights, read_json
from .models.translation import ResnetGenerator

DIRECTIONS = {"a2b": "g", "b2a": "f"}


def load_translator(run: str | Path, direction: str = "a2b") -> tuple[ResnetGenerator, tuple[int, int, int]]:
    """(generator in eval mode, image shape (C, R, R)) of a CycleGAN run for ``direction`` a2b or b2a."""
    run = Path(run)
    cfg = read_json(run / "config.json") if (run / "config.json").exists() else None
    if cfg is None or cfg.get("generator", {}).get("arch") != "cyclegan":
        raise UserError(f"{run} is not a CycleGAN run (train one with `tlgan train cyclegan`)")
    if direction not in DIRECTIONS:
        raise UserError(f"--direction must be a2b or b2a, got {direction!r}")
    spec = cfg["generator"]
    net = ResnetGenerator(**spec["kwargs"])
    load_weights(net, run / "state" / f"{DIRECTIONS[direction]}.safetensors")
    return net.eval().requires_grad_(False), (spec["kwargs"]["channels"], spec["resolution"], spec["resolution"])


@torch.no_grad()
def translate(net: ResnetGenerator, x: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Images (N, C, R, R) in [-1, 1] → their translations, same shape and range."""
    return torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)])
