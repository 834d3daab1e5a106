"""Disentangling: project axes orthogonal to reference axes, leaving the references themselves unchanged.

``u' = normalise(u - Q Qᵀ u)`` with ``Q`` an orthonormal basis (QR) of the references' span. Unlike TL-GAN's
Gram–Schmidt over locked axes in index order, no reference is rotated, and the result does not depend on
the order in which references are given.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import UserError
from .axes import Axes


def reference_basis(refs: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """An orthonormal basis (d, r) of the span of the rows of ``refs`` (k, d): duplicate or linearly dependent
    references add nothing (rank by SVD with relative tolerance ``tol``), so ``["Male", "Male"]`` = ``["Male"]``."""
    refs = np.asarray(refs, np.float64).reshape(-1, np.shape(refs)[-1])
    if len(refs) == 0:
        return np.zeros((refs.shape[1], 0))
    _, s, vt = np.linalg.svd(refs, full_matrices=False)
    return vt[: int((s > tol * s[0]).sum())].T


def project_out(u: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Unit vector along the part of ``u`` (d,) orthogonal to every row of ``refs`` (k, d)."""
    u = np.asarray(u, np.float64)
    refs = np.unique(np.asarray(refs, np.float64).reshape(-1, len(u)), axis=0)  # exact duplicates: bit-identical
    if len(refs) == 0:
        return (u / np.linalg.norm(u)).astype(np.float32)
    q = reference_basis(refs)
    v = u - q @ (q.T @ u)
    norm = np.linalg.norm(v)
    if norm < 1e-6 * np.linalg.norm(u):
        raise UserError("the axis lies in the span of its references; nothing is left after disentangling")
    return (v / norm).astype(np.float32)


def disentangle(axes: Axes, references, targets=None) -> Axes:
    """Axes with every target (default: all non-references) projected orthogonal to ``references``.

    Reference rows are copied bit for bit. Returns a new :class:`Axes`.
    """
    references = list(references)
    ref_idx = [axes.index(r) for r in references]
    targets = [n for n in (targets or axes.names) if n not in references]
    vecs = axes.vectors.copy()
    refs = axes.vectors[ref_idx]
    for name in targets:
        i = axes.index(name)
        vecs[i] = project_out(axes.vectors[i], refs)
    slopes = None
    if axes.slopes is not None:  # a projected axis predicts its label with the slope's component along it
        slopes = axes.slopes.copy()
        for name in targets:
            i = axes.index(name)
            slopes[i] = axes.slopes[i] * float(axes.vectors[i] @ vecs[i])
    done = {**axes.disentangled_from, **{n: references for n in targets}}
    return replace(axes, vectors=vecs, slopes=slopes, disentangled_from=done)


def cosine_heatmaps(before: Axes, after: Axes, path) -> None:
    """Save a PNG with the axes' |cosine| matrices before and after disentangling, side by side."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    k = len(before.names)
    fig, axs = plt.subplots(1, 2, figsize=(2 + 0.55 * k * 2, 1.5 + 0.45 * k), constrained_layout=True)
    for ax, a, title in ((axs[0], before, "before"), (axs[1], after, "after disentangling")):
        im = ax.imshow(np.abs(a.cosine()), vmin=0, vmax=1, cmap="magma")
        ax.set_xticks(range(k), a.names, rotation=90, fontsize=7)
        ax.set_yticks(range(k), a.names, fontsize=7)
        ax.set_title(f"|cos| {title}")
    fig.colorbar(im, ax=axs, shrink=0.7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
