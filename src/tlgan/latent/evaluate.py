"""Controllability and leakage of feature axes, measured by an independent judge.

For every axis u and latents z, render G(z + λu) for λ in a grid and let the judge (an extractor trained on
another split with another seed than the one that built the axes) score every attribute:

- controllability: slope of the judge's target score per unit λ (probability for binary labels, the label's
  own units for continuous ones);
- flip_rate (binary): fraction of edits at λ = ±2 toward the other class that flip the judge's decision;
  (continuous): fraction of edits at λ = +2 that raise the value by more than 0.5 of its spread;
- leakage: slope of every other attribute's score per unit λ;
- leakage_ratio: |leakage| / |controllability| — projecting an axis away from a correlated reference also
  shortens its reach, so the ratio is the fair comparison.

Every figure comes with a 95% bootstrap confidence interval over the latents (``ci``: the 2.5th and 97.5th
percentiles of the figure recomputed on ``BOOTSTRAP`` resamples of the n latents).
"""
from __future__ import annotations

import numpy as np
import torch

from ..extractors import label_images
from ..progress import progress_bar
from .axes import Axes
from .disentangle import disentangle

LAMBDAS = (-2.0, -1.0, 0.0, 1.0, 2.0)
BOOTSTRAP = 500


def _slopes(means: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """Least-squares slopes over λ of means (..., L, K) -> (..., K)."""
    lc = lams - lams.mean()
    return np.einsum("l,...lk->...k", lc, means - means.mean(-2, keepdims=True)) / (lc ** 2).sum()


def _ci(samples: np.ndarray) -> list:
    """[2.5th, 97.5th] percentile over the first axis, as floats (nested lists for (B, K) samples)."""
    lo, hi = np.percentile(samples, [2.5, 97.5], axis=0)
    return np.stack([lo, hi], -1).tolist()


def judge_scores(generator, judge, z: torch.Tensor, batch: int = 256) -> np.ndarray:
    """Judge outputs for G(z): (N, K), binary columns as probabilities, continuous ones as values."""
    return label_images(generator, judge, z, probabilities=True, batch=batch).numpy()


def measure_axes(generator, judge, axes: Axes, n: int = 1024, seed: int = 0, progress: bool = True) -> dict:
    """Per-axis controllability, flip rate, leakage and leakage ratio (see module doc) on ``n`` latents, each with
    its 95% bootstrap interval under ``ci``."""
    z0 = generator.latents(n, seed)
    base = judge_scores(generator, judge, z0)
    names = judge.label_names
    spread = base.std(0) + 1e-6
    lams = np.asarray(LAMBDAS)
    boot = np.random.default_rng(seed).integers(0, n, (BOOTSTRAP, n))
    counts = np.zeros((BOOTSTRAP, n), np.float32)  # how often each latent appears in each resample
    np.add.at(counts, (np.arange(BOOTSTRAP)[:, None], boot), 1.0)
    results = {}
    for name in progress_bar(axes.names, desc="judging axes", disable=not progress, leave=False):
        if name not in names:
            continue
        t = names.index(name)
        u = torch.from_numpy(axes.vector(name))
        scores = np.stack([base if lam == 0 else judge_scores(generator, judge, z0 + lam * u) for lam in lams])
        slopes = _slopes(scores.mean(1), lams)  # (K,)
        boot_slopes = _slopes(np.einsum("bn,lnk->blk", counts, scores) / n, lams)  # (B, K)
        ctrl = float(slopes[t])
        if judge.binary[t]:
            pos0 = base[:, t] > 0.5
            up, down = scores[-1][:, t] > 0.5, scores[0][:, t] > 0.5
            flips = np.where(pos0, ~down, up)  # toward the other class
        else:
            flips = (scores[-1][:, t] - base[:, t]) > 0.5 * spread[t]
        others = [k for k in range(len(names)) if k != t]
        ratios = np.abs(slopes) / max(abs(ctrl), 1e-9)
        boot_ratios = np.abs(boot_slopes) / np.maximum(np.abs(boot_slopes[:, t:t + 1]), 1e-9)
        results[name] = {
            "controllability": ctrl, "flip_rate": float(flips.mean()),
            "leakage": {names[k]: float(slopes[k]) for k in others},
            "leakage_ratio": {names[k]: float(ratios[k]) for k in others},
            "ci": {"controllability": _ci(boot_slopes[:, t]), "flip_rate": _ci(flips[boot].mean(1)),
                   "leakage_ratio": dict(zip([names[k] for k in others], _ci(boot_ratios[:, others]),
                                             strict=True))}}
    return results


def evaluate_axes(generator, judge, axes: Axes, references=("Male",), n: int = 1024, seed: int = 0,
                  progress: bool = True) -> dict:
    """{"raw": ..., "disentangled": ..., "references": [...]} as in :func:`measure_axes`; UserError for a reference
    that is not an axis."""
    for r in references:
        axes.index(r)  # an unknown reference is an error, not silently skipped
    refs = list(dict.fromkeys(references))
    raw = measure_axes(generator, judge, axes, n, seed, progress)
    dis = measure_axes(generator, judge, disentangle(axes, refs), n, seed, progress) if refs else {}
    for r in refs:
        dis.pop(r, None)  # references are unchanged by construction
    return {"raw": raw, "disentangled": dis, "references": refs, "n": n, "seed": seed}


def _with_ci(r: dict | None, key: str, fmt: str, ref: str | None = None) -> str:
    """'0.94 [0.90, 0.97]' for figure ``key`` (of reference ``ref``) of one axis result; '-' when absent."""
    if not r or (ref is not None and ref not in r[key]):
        return "-"
    value, ci = (r[key], r["ci"][key]) if ref is None else (r[key][ref], r["ci"][key][ref])
    return f"{fmt.format(value)} [{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def write_report(result: dict, out_md, plot_png) -> None:
    """A markdown table per axis (raw vs disentangled) and a bar plot of leakage ratios into the references."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    refs = result["references"]
    lines = ["# Feature-axis evaluation (independent judge)", "",
             f"{result['n']} latents, seed {result['seed']}; disentangled against: {', '.join(refs) or '-'}", "",
             "| axis | controllability raw | flip raw | controllability dis. | flip dis. | "
             + " | ".join(f"leak→{r} raw | leak→{r} dis." for r in refs) + " |",
             "|---" * (5 + 2 * len(refs)) + "|"]
    for name, r in result["raw"].items():
        d = result["disentangled"].get(name)
        row = [name, _with_ci(r, "controllability", "{:+.3f}"), _with_ci(r, "flip_rate", "{:.2f}"),
               _with_ci(d, "controllability", "{:+.3f}"), _with_ci(d, "flip_rate", "{:.2f}")]
        for ref in refs:
            row += [_with_ci(r, "leakage_ratio", "{:.2f}", ref), _with_ci(d, "leakage_ratio", "{:.2f}", ref)]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "leak→R = |change of R| / |change of the target| per unit λ (leakage ratio). In brackets: 95% "
              f"bootstrap intervals over the {result['n']} latents.", "",
              f"![leakage ratios]({plot_png.name if hasattr(plot_png, 'name') else plot_png})", ""]
    from pathlib import Path
    Path(out_md).write_text("\n".join(lines))
    names = [n for n in result["disentangled"]]
    if refs and names:
        fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(names)), 3.5), constrained_layout=True)
        x = np.arange(len(names))
        raw = [result["raw"][n]["leakage_ratio"][refs[0]] for n in names]
        dis = [result["disentangled"][n]["leakage_ratio"][refs[0]] for n in names]
        ax.bar(x - 0.2, raw, 0.4, label="raw")
        ax.bar(x + 0.2, dis, 0.4, label=f"disentangled from {refs[0]}")
        ax.set_xticks(x, names, rotation=70, fontsize=7)
        ax.set_ylabel(f"leakage ratio into {refs[0]}")
        ax.set_yscale("symlog", linthresh=0.1)
        ax.legend()
        fig.savefig(plot_png, dpi=110)
        plt.close(fig)
