"""Edits: move latents along (optionally disentangled) feature axes: ``z1 = z0 + Σ λi ui'``."""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from ..errors import UserError
from .axes import Axes
from .disentangle import project_out

MAX_LAMBDA = 10.0


def parse_assignments(items, what: str = "--set") -> dict[str, float]:
    """Parse ['Smiling=+1.5', 'No_Beard=-1'] (or one 'a=1,b=2' string) into {name: finite float}."""
    out: dict[str, float] = {}
    for item in items or []:
        for part in str(item).split(","):
            if not part.strip():
                continue
            m = re.fullmatch(r"\s*([A-Za-z0-9_.\-/ ]+?)\s*=\s*([^\s]+)\s*", part)
            if not m:
                raise UserError(f"{what} expects NAME=VALUE, got {part!r}")
            try:
                v = float(m.group(2))
            except ValueError:
                raise UserError(f"{what} {m.group(1)}: {m.group(2)!r} is not a number") from None
            if not math.isfinite(v):
                raise UserError(f"{what} {m.group(1)}: the value must be finite, got {m.group(2)}")
            out[m.group(1)] = v
    return out


def edit_directions(axes: Axes, names, lock=()) -> np.ndarray:
    """Unit directions (len(names), d) for edited axes, each projected orthogonal to the locked axes."""
    lock = [axes.index(n) for n in lock]
    rows = []
    for name in names:
        i = axes.index(name)
        refs = axes.vectors[[j for j in lock if j != i]]
        rows.append(project_out(axes.vectors[i], refs))
    return np.asarray(rows, np.float32).reshape(len(rows), axes.dim)


def edit_latents(z: torch.Tensor, axes: Axes, edits: dict[str, float], lock=(), keep_norm: bool = False,
                 max_lambda: float = MAX_LAMBDA) -> torch.Tensor:
    """Apply ``edits`` {axis: λ} to latents z (N, d); locked axes are projected out of the edit directions.

    ``keep_norm`` rescales each result to the prior's typical radius √d (far-out latents break images).
    """
    if z.dim() != 2 or z.shape[1] != axes.dim:
        raise UserError(f"latents must have shape (N, {axes.dim}), got {tuple(z.shape)}")
    for name, lam in edits.items():
        axes.index(name)
        if not math.isfinite(lam) or abs(lam) > max_lambda:
            raise UserError(f"λ for {name} must be finite and within ±{max_lambda}, got {lam}")
    names = list(edits)
    z1 = z.clone()
    if names:
        dirs = torch.from_numpy(edit_directions(axes, names, lock))
        lams = torch.tensor([edits[n] for n in names], dtype=z.dtype)
        z1 = z1 + (lams @ dirs)[None, :]
    if keep_norm:
        z1 = z1 * (math.sqrt(axes.dim) / z1.norm(dim=1, keepdim=True).clamp(min=1e-8))
    return z1


def parse_sweep(text: str) -> tuple[str, np.ndarray]:
    """'Smiling=-3:3:7' -> ('Smiling', 7 evenly spaced λ from -3 to 3)."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*=\s*([-+0-9.eE]+):([-+0-9.eE]+):(\d+)\s*", text or "")
    if not m:
        raise UserError(f"--sweep expects NAME=START:STOP:COUNT, got {text!r}")
    lo, hi, k = float(m.group(2)), float(m.group(3)), int(m.group(4))
    if not (math.isfinite(lo) and math.isfinite(hi)) or not 2 <= k <= 25:
        raise UserError("--sweep needs finite bounds and 2..25 steps")
    return m.group(1), np.linspace(lo, hi, k)


@torch.no_grad()
def generate_wanted(generator, extractor, axes: Axes, want: dict[str, float], n: int, seed: int = 0,
                    margin: float = 2.0, batch: int = 128, max_rounds: int = 50, tolerance: float = 0.1):
    """Images whose *predicted* attributes meet ``want`` ({name: 0/1 for binary, a value for continuous}).

    Each latent is moved along each wanted axis (disentangled against the other wanted axes) until the GLM
    predicts the wanted side with logit ``margin`` (or the wanted value), then kept only if the extractor
    agrees (binary: decision; continuous: within ``tolerance`` × max(1, |value|)).
    Returns (latents (n', d), images (n', C, R, R), stats dict with tried/accepted/base_rate).
    """
    from ..data.images import resize
    names = list(want)
    for name in names:
        i = axes.index(name)
        if axes.binary[i] and want[name] not in (0.0, 1.0):
            raise UserError(f"--want {name}: a binary attribute takes 0 or 1, got {want[name]}")
        if name not in extractor.label_names:
            raise UserError(f"--want {name}: the feature extractor does not predict {name}")
    dirs = {nm: torch.from_numpy(edit_directions(axes, [nm], [o for o in names if o != nm])[0]) for nm in names}
    cols = [extractor.label_names.index(nm) for nm in names]

    def meets(x: torch.Tensor) -> torch.Tensor:
        y = extractor(resize(generator.to_unit(x) * 2 - 1, extractor.resolution))
        ok = torch.ones(len(x), dtype=torch.bool)
        for nm, j in zip(names, cols, strict=True):
            if extractor.binary[j]:
                ok &= (y[:, j] > 0) == (want[nm] == 1)
            else:
                ok &= (y[:, j] - want[nm]).abs() <= tolerance * max(1.0, abs(want[nm]))
        return ok

    gen = torch.Generator().manual_seed(seed)
    kept_z, kept_x, tried, base_ok = [], [], 0, 0
    for _ in range(max_rounds):
        if sum(len(k) for k in kept_z) >= n:
            break
        z = torch.randn(batch, axes.dim, generator=gen)
        base_ok += int(meets(generator(z)).sum())
        for _ in range(2):  # two passes: later edits can disturb earlier ones slightly
            for nm in names:
                i = axes.index(nm)
                u, d = torch.from_numpy(axes.vectors[i]), dirs[nm]
                pred = float(axes.slopes[i]) * (z @ u) + float(axes.intercepts[i])
                if axes.binary[i]:
                    target = margin if want[nm] == 1 else -margin
                    wrong = (pred < target) if want[nm] == 1 else (pred > target)
                    step = torch.where(wrong, target - pred, torch.zeros_like(pred))
                else:
                    step = want[nm] - pred
                z = z + (step / (float(axes.slopes[i]) * float(u @ d)))[:, None] * d[None, :]
        x = generator(z)
        ok = meets(x)
        tried += batch
        kept_z.append(z[ok])
        kept_x.append(x[ok])
    z, x = torch.cat(kept_z)[:n], torch.cat(kept_x)[:n]
    accepted = sum(len(k) for k in kept_z)
    stats = {"tried": tried, "accepted": accepted, "rate": accepted / max(tried, 1),
             "base_rate": base_ok / max(tried, 1)}
    return z, x, stats
