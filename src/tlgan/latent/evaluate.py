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
"""
from __future__ import annotations

import numpy as np
import torch

from ..extractors import label_images
from ..progress import progress_bar
from .axes import Axes
from .disentangle import disentangle

LAMBDAS = (-2.0, -1.0, 0.0, 1.0, 2.0)


def judge_scores(generator, judge, z: torch.Tensor, batch: int = 256) -> np.ndarray:
    """Judge outputs for G(z): (N, K), binary columns as probabilities, continuous ones as values."""
    return label_images(generator, judge, z, probabilities=True, batch=batch).numpy()


def measure_axes(generator, judge, axes: Axes, n: int = 256, seed: int = 0, progress: bool = True) -> dict:
    """Per-axis controllability, flip rate, leakage and leakage ratio (see module doc) on ``n`` latents."""
    z0 = generator.latents(n, seed)
    base = judge_scores(generator, judge, z0)
    names = judge.label_names
    spread = base.std(0) + 1e-6
    lams = np.asarray(LAMBDAS)
    results = {}
    for name in progress_bar(axes.names, desc="judging axes", disable=not progress, leave=False):
        if name not in names:
            continue
        t = names.index(name)
        u = torch.from_numpy(axes.vector(name))
        scores = np.stack([base if lam == 0 else judge_scores(generator, judge, z0 + lam * u) for lam in lams])
        means = scores.mean(1)  # (L, K)
        slopes = np.polyfit(lams, means, 1)[0]  # (K,)
        ctrl = float(slopes[t])
        if judge.binary[t]:
            pos0 = base[:, t] > 0.5
            up, down = scores[-1][:, t] > 0.5, scores[0][:, t] > 0.5
            flips = np.where(pos0, ~down, up)  # toward the other class
            flip = float(flips.mean())
        else:
            flip = float(((scores[-1][:, t] - base[:, t]) > 0.5 * spread[t]).mean())
        leak = {o: float(slopes[k]) for k, o in enumerate(names) if k != t}
        ratio = {o: abs(v) / max(abs(ctrl), 1e-9) for o, v in leak.items()}
        results[name] = {"controllability": ctrl, "flip_rate": flip, "leakage": leak, "leakage_ratio": ratio}
    return results


def evaluate_axes(generator, judge, axes: Axes, references=("Male",), n: int = 256, seed: int = 0,
                  progress: bool = True) -> dict:
    """{"raw": ..., "disentangled": ..., "references": [...]} as in :func:`measure_axes`."""
    refs = [r for r in references if r in axes.names]
    raw = measure_axes(generator, judge, axes, n, seed, progress)
    dis = measure_axes(generator, judge, disentangle(axes, refs), n, seed, progress) if refs else {}
    for r in refs:
        dis.pop(r, None)  # references are unchanged by construction
    return {"raw": raw, "disentangled": dis, "references": refs, "n": n, "seed": seed}


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
        row = [name, f"{r['controllability']:+.3f}", f"{r['flip_rate']:.2f}",
               f"{d['controllability']:+.3f}" if d else "-", f"{d['flip_rate']:.2f}" if d else "-"]
        for ref in refs:
            row += [f"{r['leakage_ratio'].get(ref, float('nan')):.2f}",
                    f"{d['leakage_ratio'].get(ref, float('nan')):.2f}" if d else "-"]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "leak→R = |change of R| / |change of the target| per unit λ (leakage ratio).", "",
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
