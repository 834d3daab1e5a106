"""Supervised axes and unsupervised directions on one generator, measured alike (``tlgan evaluate directions``).

Every set of directions (GLM, SVM, GANSpace, SeFa, …) gets the metrics of :mod:`.direction_metrics`:

- matching: each binary attribute gets one direction of the set — for supervised axes the axis of that name, for
  unsupervised ones a Hungarian assignment on |corr| between the directions' coordinates and the extractor's labels
  over the (z, y) cache — turned so that it raises the attribute;
- per matched attribute, by the independent judge: Δ target per σ step, mean |Δ| of the other binary attributes
  (off-target), mean-/max-AD where the target has moved one σ, flip rate of a ±2σ edit toward the other class;
  and the correlation of the direction's coordinate with the renderer's *exact* attribute over real faces
  inverted by the encoder;
- DCI of the set's coordinates against the exact attributes (real faces, encoder) and against the extractor's
  labels (cache); linear separability of the latent space (once).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from ..data import FACES_TEST_OFFSET
from ..data.faces import ATTRIBUTES, render_faces
from ..data.images import resize, to_model_range
from ..progress import progress_bar
from .axes import Axes
from .direction_metrics import attribute_dependency, correlations, dci, linear_separability, match, rescoring, sigmas
from .evaluate import judge_scores


def real_latents(generator, encoder, n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Held-out renderer faces through the encoder: (latents (n, d), exact attributes (n, len(ATTRIBUTES)))."""
    from .invert import invert
    x, attrs = render_faces(n, seed, resolution=max(generator.resolution, 32), start=FACES_TEST_OFFSET)
    z = invert(generator, resize(to_model_range(x), generator.resolution), method="encoder", encoder=encoder).z
    return z.numpy(), np.stack([attrs[a] for a in ATTRIBUTES], 1).astype(np.float64)


def assign(axes: Axes, z: np.ndarray, y: np.ndarray, names) -> dict[str, tuple[int, float]]:
    """Attribute -> (direction index, sign) for each binary attribute ``names`` (columns of the cache's labels y).

    Supervised sets: the axis of the same name (sign +1). Otherwise a Hungarian assignment on |corr(z·u, y)|."""
    if all(n in axes.names for n in names):
        return {n: (axes.index(n), 1.0) for n in names}
    corr = correlations(z @ axes.vectors.T.astype(np.float64), y)
    return {names[j]: (k, 1.0 if c >= 0 else -1.0) for j, k, c in match(corr)}


def _flip_rate(generator, judge, u: np.ndarray, t: int, step: float, z: torch.Tensor, base: np.ndarray) -> float:
    """Fraction of ±``step`` edits along u toward the other class that flip the judge's decision on attribute t."""
    on = base[:, t] > 0.5
    toward = torch.from_numpy(np.where(on, -step, step)).float()[:, None]
    after = judge_scores(generator, judge, z + toward * torch.from_numpy(u).float())[:, t] > 0.5
    return float((after != on).mean())


def evaluate_set(generator, judge, axes: Axes, cache, real: tuple[np.ndarray, np.ndarray] | None = None,
                 n: int = 512, seed: int = 0, dci_method: str = "lasso", progress: bool = True) -> dict:
    """All metrics of one set of directions (see the module doc). ``cache``: the (z, y) cache of the extractor;
    ``real``: :func:`real_latents` (None: no exact-attribute figures). Out: a JSON-ready dict."""
    t0 = time.perf_counter()
    names = [a for a, b in zip(cache.label_names, cache.binary, strict=True) if b and a in judge.label_names]
    cz, cy = np.asarray(cache.z[:20_000], np.float64), np.asarray(cache.y[:20_000], np.float64)
    cols = [cache.label_names.index(a) for a in names]
    pairs = assign(axes, cz, cy[:, cols], names)
    sig = sigmas(generator, axes)
    r = rescoring(generator, judge, axes, n, seed, progress)
    jn = list(judge.label_names)
    jbin = [j for j, b in enumerate(judge.binary) if b]
    z, base = r["z"], r["base"]
    codes_real = real[0] @ axes.vectors.T.astype(np.float64) if real is not None else None
    per = {}
    for a in progress_bar(names, desc=f"{axes.method}: attributes", disable=not progress, leave=False):
        k, sign = pairs[a]
        t = jn.index(a)
        u = axes.vectors[k] * sign
        d = r["delta"][k] * sign
        others = [j for j in jbin if j != t]
        ad = attribute_dependency(generator, judge, u, t, float(sig[k]), n=min(n, 256), seed=seed)
        row = {"direction": axes.names[k], "delta_target": float(d[t]),
               "delta_off_target": float(np.abs(d[others]).mean()),
               "mean_ad": ad["at_1sd"]["mean_ad"] if ad["at_1sd"] else None,
               "max_ad": ad["at_1sd"]["max_ad"] if ad["at_1sd"] else None,
               "flip_rate": _flip_rate(generator, judge, u, t, 2 * float(sig[k]), z, base),
               "label": axes.quality.get(axes.names[k], {}).get("label", ""),
               "ad_curve": {key: ad[key] for key in ("steps", "target_change", "mean_ad", "max_ad")}}
        if real is not None:
            exact = real[1][:, [ATTRIBUTES.index(a)]]
            row["corr_exact"] = float(sign * correlations(codes_real[:, [k]], exact)[0, 0])
        per[a] = row
    out = {"method": axes.method, "space": axes.space, "directions": len(axes.names), "n": n,
           "attributes": per, "rescoring": {"directions": axes.names, "attributes": jn,
                                            "delta": np.round(r["delta"], 5).tolist(), "sigma": sig.tolist()},
           "dci_extractor": _dci_summary(dci(cz @ axes.vectors.T.astype(np.float64), cy, dci_method, seed=seed))}
    if real is not None:
        out["dci_exact"] = _dci_summary(dci(codes_real, real[1], dci_method, seed=seed))
    out["seconds"] = time.perf_counter() - t0
    return out


def _dci_summary(d: dict) -> dict:
    return {k: d[k] for k in ("disentanglement", "completeness", "informativeness")}


def separability(cache, max_n: int = 10_000) -> dict:
    """StyleGAN's linear separability of the cache's latent space over its binary labels."""
    cols = [j for j, b in enumerate(cache.binary) if b]
    return linear_separability(np.asarray(cache.z[:max_n]), np.asarray(cache.y[:max_n])[:, cols],
                               [cache.label_names[j] for j in cols])


def evaluate_directions(generator, judge, sets: dict[str, Axes], cache, encoder=None, n: int = 512, seed: int = 0,
                        n_real: int = 1000, dci_method: str = "lasso", progress: bool = True) -> dict:
    """{"sets": {label: :func:`evaluate_set`}, "separability": ..., "seconds": ...} for every set on one
    generator; real-face figures when ``encoder`` is given."""
    t0 = time.perf_counter()
    real = real_latents(generator, encoder, n_real, seed) if encoder is not None else None
    out = {"sets": {label: evaluate_set(generator, judge, ax, cache, real, n, seed, dci_method, progress)
                    for label, ax in sets.items()},
           "separability": separability(cache), "n": n, "n_real": n_real if real is not None else 0}
    out["seconds"] = time.perf_counter() - t0
    return out


def _fmt(v, spec=".2f") -> str:
    return "–" if v is None else format(v, spec)


def table(result: dict) -> str:
    """Markdown: one row per attribute, per set the matched direction's corr with the exact attribute, Δ target /
    Δ off-target, mean-AD and flip rate; then each set's DCI and the space's separability."""
    sets = result["sets"]
    labels = list(sets)
    attrs = list(next(iter(sets.values()))["attributes"])
    head = "| attribute | " + " | ".join(f"{lab}: dir, corr exact, Δt / Δoff, mean-AD, flip" for lab in labels) + " |"
    lines = [head, "|" + "---|" * (len(labels) + 1)]
    for a in attrs:
        cells = []
        for lab in labels:
            r = sets[lab]["attributes"][a]
            cells.append(f"{r['direction']} {_fmt(r.get('corr_exact'), '+.2f')}, "
                         f"{r['delta_target']:+.2f} / {r['delta_off_target']:.3f}, {_fmt(r['mean_ad'])}, "
                         f"{r['flip_rate']:.2f}")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    lines += ["", "| set | DCI vs exact (D / C / I) | DCI vs extractor (D / C / I) | seconds |", "|---|---|---|---|"]
    for lab in labels:
        s = sets[lab]
        ex = s.get("dci_exact")
        dx = s["dci_extractor"]
        lines.append(f"| {lab} | " + (f"{ex['disentanglement']:.2f} / {ex['completeness']:.2f} / "
                                      f"{ex['informativeness']:.2f}" if ex else "–")
                     + f" | {dx['disentanglement']:.2f} / {dx['completeness']:.2f} / {dx['informativeness']:.2f}"
                     + f" | {s['seconds']:.0f} |")
    sep = result["separability"]
    lines += ["", f"Linear separability of the latent space (StyleGAN's, 2^ΣH over {len(sep['entropy'])} binary "
              f"attributes): {sep['separability']:.2f}"]
    return "\n".join(lines) + "\n"



def plot_attribute_dependency(result: dict, path, attributes=("Male", "Smiling", "Black_Hair", "Pale_Skin")) -> None:
    """StyleSpace's plot: mean-AD (solid) and max-AD (dashed) of the other attributes against the target's change
    (both in units of each attribute's σ), one panel per attribute, one colour per set of directions."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sets = result["sets"]
    attrs = [a for a in attributes if all(a in s["attributes"] for s in sets.values())]
    fig, axs = plt.subplots(1, len(attrs), figsize=(3.2 * len(attrs), 3.0), dpi=120, squeeze=False)
    for ax, a in zip(axs[0], attrs, strict=True):
        for i, (label, s) in enumerate(sets.items()):
            row = s["attributes"][a]
            c = row["ad_curve"]
            ax.plot(c["target_change"], c["mean_ad"], "o-", color=f"C{i}", ms=3, label=f"{label} ({row['direction']})")
            ax.plot(c["target_change"], c["max_ad"], "--", color=f"C{i}", lw=1)
        ax.set_title(a)
        ax.set_xlabel("target change (σ of the attribute)")
        ax.legend(fontsize=7)
    axs[0][0].set_ylabel("other attributes' change (σ)")
    fig.suptitle("Attribute dependency: mean-AD (solid) and max-AD (dashed) as the target changes", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
