"""Directions found without labels: GANSpace (PCA) and SeFa (closed-form factorisation of a weight).

Both return :class:`~tlgan.latent.axes.Axes` named ``PC0…`` / ``SeFa0…`` in order of importance, with
``quality[name]["sigma"]``: the standard deviation of the prior's latents along the direction (slider unit),
and ``quality[name]["variance_ratio"]`` (GANSpace: explained variance; SeFa: eigenvalue share).

- GANSpace (Härkönen et al. 2020): in W (StyleGAN-style ``RUN@w`` / ``RUN@w+``) PCA of sampled w; in Z, PCA of a
  layer's activations (``layer``; default: the first latent-facing linear layer) and, as GANSpace does for BigGAN,
  each component's latent direction by least squares of z on the PCA coordinates. The PCA streams the mean and
  covariance over batches (exact, memory flat in the number of samples, F × F for F features).
- SeFa (Shen & Zhou 2021): eigenvectors of AᵀA for the first latent-facing weight A (rows normalised), sorted by
  eigenvalue; in W the stacked style-modulation weights of the chosen style layers.

:func:`annotate` labels each direction with the attributes an extractor sees it move most, and turns it so
that its strongest attribute goes up.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...errors import UserError
from ..axes import Axes
from ..direction_metrics import prior_sigma

MAX_FEATURES = 8192  # GANSpace's covariance is F × F


def _axes(generator, vectors: np.ndarray, ratios: np.ndarray, prefix: str, method: str) -> Axes:
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sigma = prior_sigma(generator, vectors)
    names = [f"{prefix}{i}" for i in range(len(vectors))]
    quality = {n: {"sigma": float(s), "variance_ratio": float(r)} for n, s, r in zip(names, sigma, ratios,
                                                                                  strict=True)}
    return Axes(names, vectors.astype(np.float32), [False] * len(names), method, generator.space, quality,
                np.ones(len(names), np.float32), np.zeros(len(names), np.float32), generator.content_hash)


def _style_net(generator):
    """The StyleGenerator behind a W / W+ generator, or None for a Z-space one."""
    return generator.net.g if generator.space in ("w", "w+") else None


def _tile(generator, vectors_w: np.ndarray, layers: tuple[int, int] | None) -> np.ndarray:
    """W directions (K, w_dim) -> the generator's space: unchanged in W; in W+ repeated over the style layers
    ``layers`` (first, last; default all) and zero elsewhere, unit norm."""
    if generator.space != "w+":
        return vectors_w
    n_ws = generator.n_ws
    first, last = layers or (0, n_ws - 1)
    mask = np.zeros(n_ws)
    mask[first:last + 1] = 1.0
    out = (mask[None, :, None] * vectors_w[:, None, :]).reshape(len(vectors_w), -1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _check_layers(generator, layers):
    if layers is None:
        return None
    net = _style_net(generator)
    n_ws = net.n_ws if net is not None else 0
    first, last = layers
    if not n_ws or not 0 <= first <= last < n_ws:
        raise UserError(f"--layers {first}-{last}: the generator has {n_ws or 'no'} style layers"
                        + (f" (0-{n_ws - 1})" if n_ws else "; layers need a StyleGAN-style RUN@w or RUN@w+"))
    return first, last


def latent_weight(generator) -> tuple[str, torch.Tensor]:
    """(module name, A (out, z_dim)): the first linear layer that reads the latent of a Z-space generator.

    Accepted: ``nn.Linear`` / equalised dense layers with ``z_dim`` inputs, a ``ConvTranspose2d`` with ``z_dim``
    input channels (a DCGAN's first layer on its 1×1 input), or what the network's own ``latent_weight()`` says (an
    imported pg-GAN, whose weights are not in layer modules). UserError when the generator has none."""
    if hasattr(generator.net, "latent_weight"):
        return generator.net.latent_weight()
    d = generator.z_dim
    for name, m in generator.net.named_modules():
        w = getattr(m, "weight", None)
        if not isinstance(w, torch.Tensor) or w.dim() < 2:
            continue
        if isinstance(m, nn.ConvTranspose2d) and m.in_channels == d:
            return name, w.detach().reshape(d, -1).T
        equalised = hasattr(m, "scale") or hasattr(m, "weight_gain")  # tlgan's, NVIDIA's
        if w.dim() == 2 and w.shape[1] == d and (isinstance(m, nn.Linear) or equalised):
            return name, w.detach() * getattr(m, "scale", getattr(m, "weight_gain", 1.0))
    raise UserError(f"generator {generator.name or '(unnamed)'} has no linear layer reading its {d}-d latent "
                    f"(Linear, equalised dense or ConvTranspose2d on the 1x1 latent): SeFa needs one")


def _style_weight(generator, layers) -> torch.Tensor:
    """Stacked style-modulation weights (Σ C_in, w_dim) of the style layers in ``layers`` (default all)."""
    net = _style_net(generator)
    return net.style_weights(*(layers or (0, net.n_ws - 1)))


def fit_sefa(generator, k: int = 20, layers: tuple[int, int] | None = None) -> Axes:
    """SeFa: the top ``k`` eigenvectors of AᵀA (A's rows normalised to unit length). Out: Axes ``SeFa0…``.

    Z-space generators: A is :func:`latent_weight`'s. W / W+ (StyleGAN-style): A stacks the style affines of the
    style layers ``layers`` (first, last, 0 = coarsest; default all); in W+ the directions act on those layers."""
    layers = _check_layers(generator, layers)
    a = (_style_weight(generator, layers) if _style_net(generator) is not None
         else latent_weight(generator)[1]).double()
    a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
    vals, vecs = torch.linalg.eigh(a.T @ a)
    share = (vals / vals.sum()).numpy()
    order = torch.argsort(vals, descending=True)[:k].numpy()
    return _axes(generator, _tile(generator, vecs.T.numpy()[order], layers), share[order], "SeFa", "sefa")


def layer_names(generator) -> list[str]:
    """Names of the generator's modules whose outputs GANSpace can use (``--layer``)."""
    return [n for n, _ in generator.net.named_modules() if n]


class _Reached(Exception):
    """Raised by a forward hook to stop the generator once the layer of interest has run."""

    def __init__(self, output: torch.Tensor):
        super().__init__()
        self.output = output


def _activations(generator, module: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Flattened output of ``module`` for latents z: (N, F). The layers after it are not run."""
    def hook(_m, _i, o):
        raise _Reached(o.detach().flatten(1))

    handle = module.register_forward_hook(hook)
    try:
        with torch.no_grad():
            generator(z)
    except _Reached as r:
        return r.output
    finally:
        handle.remove()
    raise UserError("the chosen layer did not run in the generator's forward pass")


def fit_ganspace(generator, k: int = 20, n: int = 10_000, layer: str | None = None, seed: int = 0,
                 batch: int = 500, layers: tuple[int, int] | None = None, progress: bool = True) -> Axes:
    """GANSpace: the top ``k`` principal directions from ``n`` prior samples. Out: Axes ``PC0…``.

    W / W+: PCA of w (``layer`` not allowed). Z: PCA of ``layer``'s activations (default: the first latent-facing
    linear layer, :func:`latent_weight`), each component mapped back to Z by least squares on the first
    ≤ 10 000 samples."""
    from ...progress import progress_bar
    layers = _check_layers(generator, layers)
    style = _style_net(generator) is not None
    if style and layer is not None:
        raise UserError("--layer is for Z-space generators; in W the PCA runs on w itself")
    if not style:
        name = layer or latent_weight(generator)[0]
        modules = dict(generator.net.named_modules())
        if name not in modules or not name:
            known = layer_names(generator)
            raise UserError(f"--layer {name!r} is not a module of the generator; known: {', '.join(known[:40])}"
                            + (" …" if len(known) > 40 else ""))
        module = modules[name]
    gen = torch.Generator().manual_seed(seed)
    noise = [torch.randn(min(batch, n - i), generator.prior_dim, generator=gen) for i in range(0, n, batch)]

    @torch.no_grad()
    def features(eps):
        if style:
            return _style_net(generator).map(eps).double()
        return _activations(generator, module, generator.prior(eps)).double()

    total = s1 = s2 = None  # streaming sums: exact PCA, memory flat in n
    for eps in progress_bar(noise, desc="GANSpace PCA", disable=not progress, leave=False):
        f = features(eps)
        if s1 is None:
            if f.shape[1] > MAX_FEATURES:
                raise UserError(f"--layer {name!r} has {f.shape[1]} features; GANSpace here takes at most "
                                f"{MAX_FEATURES}: pick an earlier layer")
            total, s1, s2 = 0, torch.zeros(f.shape[1], dtype=torch.float64), torch.zeros(f.shape[1], f.shape[1],
                                                                                            dtype=torch.float64)
        total, s1, s2 = total + len(f), s1 + f.sum(0), s2 + f.T @ f
    mean = s1 / total
    vals, vecs = torch.linalg.eigh(s2 / total - torch.outer(mean, mean))
    order = torch.argsort(vals, descending=True)[:k]
    ratios = (vals[order] / vals.clamp_min(0).sum()).numpy()
    comps = vecs[:, order]  # (F, k)
    if style:
        return _axes(generator, _tile(generator, comps.T.numpy(), layers), ratios, "PC", "ganspace")
    fit = noise[:max(1, -(-10_000 // batch))]
    x = torch.cat([(features(eps) - mean) @ comps for eps in fit]).numpy()
    z = torch.cat([generator.prior(eps) for eps in fit]).double().numpy()
    u, *_ = np.linalg.lstsq(x, z, rcond=None)  # z ≈ x u: row i = latent direction of component i
    return _axes(generator, u, ratios, "PC", "ganspace")


def annotate(generator, extractor, axes: Axes, n: int = 256, seed: int = 0, top: int = 3,
             progress: bool = True) -> Axes:
    """Label each direction with the ``top`` attributes the extractor sees it move most per σ step, and turn it so
    that the strongest one goes up. Writes ``quality[name]["moves"]`` ({attribute: Δ per σ}, strongest first) and
    ``quality[name]["label"]`` (e.g. "Male+ Long_Hair-"). In: Axes from :func:`fit_ganspace` / :func:`fit_sefa`."""
    from ..direction_metrics import rescoring
    r = rescoring(generator, extractor, axes, n, seed, progress)
    effect = r["delta"] / r["spread"][None, :]  # in units of each attribute's σ
    vectors = axes.vectors.copy()
    for k, name in enumerate(axes.names):
        order = np.argsort(-np.abs(effect[k]))[:top]
        sign = 1.0 if effect[k, order[0]] >= 0 else -1.0
        vectors[k] *= sign
        moves = {r["attributes"][j]: float(sign * r["delta"][k, j]) for j in order}
        axes.quality[name]["moves"] = moves
        axes.quality[name]["label"] = " ".join(f"{a}{'+' if v >= 0 else '-'}" for a, v in moves.items())
    axes.vectors = vectors
    return axes
