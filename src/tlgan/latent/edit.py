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
WANT_CONFIDENCE, MAX_WALK = 0.9, 4.0  # a wanted yes/no attribute: the probability to reach; the longest walk


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
            if m.group(1) in out:
                raise UserError(f"{what} names {m.group(1)} twice; give each name once")
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


def _check_wanted(extractor, axes: Axes, want: dict[str, float], lock, confidence: float) -> list[str]:
    """The locks that are not wanted themselves; UserError on a name, value or confidence the walk cannot use."""
    for name in want:
        i = axes.index(name)
        if axes.binary[i] and want[name] not in (0.0, 1.0):
            raise UserError(f"--want {name}: a binary attribute takes 0 or 1, got {want[name]}")
        if name not in extractor.label_names:
            raise UserError(f"--want {name}: the feature extractor does not predict {name}")
    lock = [name for name in lock if name not in want]
    for name in lock:
        axes.index(name)
    if not 0.5 <= confidence < 1:
        raise UserError(f"the confidence must be in [0.5, 1), got {confidence}")
    return lock


def _seen(extractor, y: torch.Tensor, name: str, value: float, confidence: float, tolerance: float) -> torch.Tensor:
    """(N,) bool: whether the extractor's outputs y (N, K) read attribute ``name`` as ``value`` (binary: the wanted
    side's probability at least ``confidence``; continuous: within ``tolerance`` × max(1, |value|))."""
    j = extractor.label_names.index(name)
    if extractor.binary[j]:
        margin = math.log(confidence / (1 - confidence))  # the logit the wanted side must pass
        return y[:, j] > margin if value == 1 else y[:, j] < -margin
    return (y[:, j] - value).abs() <= tolerance * max(1.0, abs(value))


@torch.no_grad()
def walk_until_seen(generator, extractor, axes: Axes, z: torch.Tensor, want: dict[str, float], lock=(),
                    confidence: float = WANT_CONFIDENCE, max_lambda: float = MAX_WALK, step: float = 0.25,
                    tolerance: float = 0.1):
    """Edit each latent just enough: move it along each wanted axis (disentangled against the other wanted axes and
    the ``lock`` axes) in steps of ``step``, at most ``max_lambda`` in all along each axis, stopping where the
    extractor reads the attribute as wanted (a binary one: its probability of the wanted side at least
    ``confidence``, in [0.5, 1); a continuous one: within ``tolerance`` × max(1, |value|)); a second pass repairs
    what a later attribute's walk disturbed.

    z: (N, d) latents. ``want``: {name: 0/1 for binary, a value for continuous}. Returns (edited latents (N, d),
    λ walked (N, len(want)) in ``want``'s order, signed, summed over both passes, and met (N,) bool: whether the
    extractor reads every wanted attribute as wanted at the end).
    """
    from ..extractors import label_images
    names = list(want)
    lock = _check_wanted(extractor, axes, want, lock, confidence)
    dirs = {nm: torch.from_numpy(edit_directions(axes, [nm], [o for o in names if o != nm] + lock)[0])
            for nm in names}
    cols = {nm: extractor.label_names.index(nm) for nm in names}

    def ok(y: torch.Tensor, nm: str) -> torch.Tensor:
        return _seen(extractor, y, nm, want[nm], confidence, tolerance)

    lams = torch.zeros(len(z), len(names))
    for _ in range(2 if len(names) > 1 else 1):  # one wanted attribute: nothing for a second pass to repair
        for k, nm in enumerate(names):
            j, d = cols[nm], dirs[nm]
            y = label_images(generator, extractor, z)
            if extractor.binary[j]:
                sign = torch.full((len(z),), 1.0 if want[nm] == 1 else -1.0)
            else:
                sign = torch.sign(want[nm] - y[:, j])
            done = ok(y, nm)
            moved, left = torch.zeros(len(z)), max_lambda - lams[:, k].abs()  # |λ| along an axis stays <= max_lambda
            while len(rows := (~done & (moved + step <= left + 1e-6)).nonzero()[:, 0]):  # only the faces still walking
                moved[rows] += step
                done[rows] = ok(label_images(generator, extractor, z[rows] + (sign * moved)[rows, None] * d), nm)
            z = z + (sign * moved)[:, None] * d[None, :]
            lams[:, k] += sign * moved
    y = label_images(generator, extractor, z)
    return z, lams, torch.stack([ok(y, nm) for nm in names]).all(0)


@torch.no_grad()
def generate_wanted(generator, extractor, axes: Axes, want: dict[str, float], n: int, seed: int = 0,
                    max_lambda: float = MAX_WALK, step: float = 0.5, batch: int = 128, max_rounds: int | None = None,
                    tolerance: float = 0.1, lock=(), confidence: float = WANT_CONFIDENCE,
                    progress: bool = False):
    """Images whose *predicted* attributes meet ``want`` ({name: 0/1 for binary, a value for continuous}): prior
    latents edited by :func:`walk_until_seen` (its ``lock``, ``confidence``, ``max_lambda``, ``step`` and
    ``tolerance``), each kept only if every wanted attribute holds at the end. At most ``max_rounds`` batches are
    tried (default: enough for 4·n latents, at least 50 batches), so a rare request can return fewer than ``n``.
    ``progress``: a bar of the images accepted so far. Returns (latents (n', d), images (n', C, R, R), stats dict
    with tried/accepted/rate/base_rate).
    """
    from ..extractors import label_images
    from ..progress import progress_bar
    _check_wanted(extractor, axes, want, lock, confidence)
    gen = torch.Generator().manual_seed(seed)
    kept_z, kept_x, tried, base_ok = [], [], 0, 0
    bar = progress_bar(total=n, desc="generate", unit="img", disable=not progress)
    for _ in range(max_rounds or max(50, math.ceil(4 * n / batch))):
        if sum(len(k) for k in kept_z) >= n:
            break
        z = generator.prior(torch.randn(batch, generator.prior_dim, generator=gen))
        y = label_images(generator, extractor, z)
        base_ok += int(torch.stack([_seen(extractor, y, nm, v, confidence, tolerance) for nm, v in want.items()])
                       .all(0).sum())
        z, _, good = walk_until_seen(generator, extractor, axes, z, want, lock, confidence, max_lambda, step,
                                     tolerance)
        x = generator(z)
        tried += batch
        kept_z.append(z[good])
        kept_x.append(x[good])
        bar.update(min(int(good.sum()), n - bar.n))
        bar.set_postfix(tried=tried)
    bar.close()
    z, x = torch.cat(kept_z)[:n], torch.cat(kept_x)[:n]
    accepted = sum(len(k) for k in kept_z)
    stats = {"tried": tried, "accepted": accepted, "rate": accepted / max(tried, 1),
             "base_rate": base_ok / max(tried, 1)}
    return z, x, stats


@torch.no_grad()
def binary_rates(judge, x: torch.Tensor) -> dict[str, float]:
    """Share of images x (N, C, R, R) in [-1, 1] the judge sees each binary attribute in: {name: rate}."""
    from ..extractors import predict_labels
    p = predict_labels(judge, x, probabilities=True)
    return {name: float((p[:, j] > 0.5).float().mean()) for j, name in enumerate(judge.label_names)
            if judge.binary[j]} if len(x) else {}


@torch.no_grad()
def request_met(judge, x: torch.Tensor, want: dict[str, float], tolerance: float = 0.1) -> float:
    """Share of images x in [-1, 1] whose attributes, as ``judge`` reads them, meet ``want`` (as generate_wanted)."""
    from ..extractors import predict_labels
    if not len(x):
        return 0.0
    y = predict_labels(judge, x)
    ok = torch.ones(len(x), dtype=torch.bool)
    for name, value in want.items():
        if name not in judge.label_names:
            raise UserError(f"the judge does not read {name}")
        j = judge.label_names.index(name)
        ok &= ((y[:, j] > 0) == (value == 1)) if judge.binary[j] else \
            ((y[:, j] - value).abs() <= tolerance * max(1.0, abs(value)))
    return float(ok.float().mean())


@torch.no_grad()
def grade_written_set(generator, judge, x: torch.Tensor, want: dict[str, float], seed: int) -> dict:
    """How an independent ``judge`` sees a set ``x`` written by :func:`generate_wanted` (images in the generator's
    value range) beside unedited samples of ``seed`` (at least 256): ``judge_rate`` and ``judge_base_rate`` (share
    meeting ``want``) and ``other_attribute_rates`` ({name: {"written", "unedited"}} for the binary attributes not
    requested)."""
    written_x = generator.to_signed(x)
    prior_x = generator.to_signed(generator.sample(max(len(x), 256), seed)[1])
    written, base = binary_rates(judge, written_x), binary_rates(judge, prior_x)
    return {"judge_rate": request_met(judge, written_x, want), "judge_base_rate": request_met(judge, prior_x, want),
            "other_attribute_rates": {k: {"written": written[k], "unedited": base[k]} for k in written
                                      if k not in want}}
