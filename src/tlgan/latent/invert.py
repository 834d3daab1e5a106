"""Image -> latent: find the latent whose image is a given picture, so that real images can be edited.

Three inverters behind :func:`invert` (all offline; the only "perceptual" network is the model's own extractor):

- ``opt``: Adam on the latent from the best of a few prior draws (Z) or the mean latent (a StyleGAN's W / W+),
  learning rate ramped up over the first 5% of the steps and down by a cosine over the last 25%, latent noise
  that fades out by 75% of the steps; loss = pixel MSE + ``w_ssim``·(1 − SSIM) + ``w_feat``·extractor-feature MSE
  + ``w_prior``·(‖z‖/√d − 1)² (Z only: keeps z at the typical radius, where the axes were fitted).
- ``encoder``: one forward pass of an encoder E trained with G frozen (:mod:`tlgan.latent.encoder`).
- ``hybrid``: E's latent refined by ``hybrid_steps`` (default 40, at most 100) optimisation steps at the base
  learning rate (no ramps, no noise): 4% of the optimisation's steps, within 1 dB of its PSNR on the shipped model.

Images go in and come out as (N, C, R, R) in [-1, 1] at the generator's resolution. Also here: AnoGAN's batched
latent search (:func:`latent_search`), used by the AnoGAN detector.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ..data.images import resize
from ..errors import UserError
from ..metrics import ssim
from ..progress import progress_bar

METHODS = ("opt", "encoder", "hybrid")


def per_image(t: torch.Tensor) -> torch.Tensor:
    """Mean over every axis but the first: (N, ...) -> (N,)."""
    return t.flatten(1).mean(1)


@dataclass
class Inversion:
    """What :func:`invert` returns: latents ``z`` (N, z_dim), reconstructions ``recon`` G(z) (N, C, R, R) in
    [-1, 1], the final per-image ``loss`` (N,) and the wall-clock ``seconds`` the whole batch took."""
    z: torch.Tensor
    recon: torch.Tensor
    loss: torch.Tensor
    seconds: float


@dataclass
class OptSettings:
    """Optimisation settings (defaults tuned on the shipped faces model; see benchmarks/inversion.py)."""
    steps: int = 1000
    lr: float = 0.05
    noise: float = 0.05        # latent noise at the start, × the latent's scale; zero from 75% of the steps on
    w_ssim: float = 0.2
    w_feat: float = 0.05       # extractor-feature MSE (when an extractor is given)
    w_prior: float = 0.05      # Z only
    starts: int = 8            # Z: prior draws per image; the best one starts the search


def signed_output(generator, z: torch.Tensor) -> torch.Tensor:
    """G(z) mapped from its value_range to [-1, 1] without clamping (so gradients flow everywhere)."""
    lo, hi = generator.value_range
    return (generator(z) - lo) / (hi - lo) * 2 - 1


def feature_map(extractor):
    """images (N, C, R, R) in [-1, 1] -> the extractor's penultimate features (N, F), or None without one."""
    if extractor is None or not hasattr(extractor, "features"):
        return None
    return lambda x: extractor.features(resize(x, extractor.resolution))


def reconstruction_loss(x: torch.Tensor, xr: torch.Tensor, s: OptSettings, features=None,
                        fx: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image loss (N,) between targets x and reconstructions xr (N, C, R, R) in [-1, 1] (no prior term)."""
    loss = per_image((x - xr).pow(2)) + s.w_ssim * (1 - ssim(x, xr))
    if features is not None and s.w_feat > 0:
        loss = loss + s.w_feat * per_image((features(xr) - fx).pow(2))
    return loss


def _prior_term(generator, z: torch.Tensor) -> torch.Tensor:
    if generator.space != "z":
        return torch.zeros(len(z))
    return (z.norm(dim=1) / math.sqrt(z.shape[1]) - 1).pow(2)


def _lr_at(t: float, base: float) -> float:
    """Ramp up over the first 5% of the search, cosine down over the last 25%."""
    down = 0.5 - 0.5 * math.cos(math.pi * min(1.0, (1 - t) / 0.25))
    return base * down * min(1.0, t / 0.05 + 1e-3)


@torch.no_grad()
def start_latents(generator, x: torch.Tensor, s: OptSettings, features=None, seed: int = 0) -> torch.Tensor:
    """Starting latents (N, z_dim): for Z the best of ``s.starts`` prior draws per image; for W / W+ the mean."""
    n = len(x)
    if generator.space != "z":
        return generator.latents(2000, seed).mean(0, keepdim=True).expand(n, -1).clone()
    cand = generator.latents(n * s.starts, seed).view(n, s.starts, -1)
    fx = features(x) if features is not None else None
    losses = torch.stack([reconstruction_loss(x, signed_output(generator, cand[:, k]), s, features, fx)
                          for k in range(s.starts)], 1)
    return cand[torch.arange(n), losses.argmin(1)]


@contextmanager
def frozen(*modules):
    """Turn off weight gradients of ``modules`` (None entries skipped) for the block; restore them after."""
    params = [p for m in modules if m is not None for p in m.parameters()]
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, w in zip(params, was, strict=True):
            p.requires_grad_(w)


def optimise(generator, x: torch.Tensor, z0: torch.Tensor, s: OptSettings, extractor=None, seed: int = 0,
             ramp: bool = True, progress: bool = False) -> torch.Tensor:
    """Refine latents z0 (N, z_dim) so that G(z) ≈ x (N, C, R, R) in [-1, 1]; every image has its own latent and
    its own loss (the batch loss is their sum). ``ramp`` False: constant lr, no noise (the hybrid's refinement).
    Returns the refined latents (N, z_dim)."""
    features = feature_map(extractor)
    fx = features(x).detach() if features is not None else None
    scale = float(z0.std()) if generator.space != "z" else 1.0
    z = z0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=s.lr, betas=(0.9, 0.999))
    gen = torch.Generator().manual_seed(seed + 1)
    with frozen(generator, extractor):
        for i in progress_bar(range(s.steps), desc="inverting", disable=not progress, leave=False):
            t = i / max(1, s.steps)
            if ramp:
                for group in opt.param_groups:
                    group["lr"] = _lr_at(t, s.lr)
            noise = s.noise * scale * max(0.0, 1 - t / 0.75) ** 2 if ramp else 0.0
            zn = z + noise * torch.randn(z.shape, generator=gen) if noise > 0 else z
            loss = reconstruction_loss(x, signed_output(generator, zn), s, features, fx) + \
                s.w_prior * _prior_term(generator, z)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
    return z.detach()


def check_images(generator, x: torch.Tensor) -> None:
    """UserError unless x is a batch (N, C, R, R) at the generator's channel count and resolution."""
    want = (generator.channels, generator.resolution, generator.resolution)
    if x.dim() != 4 or tuple(x.shape[1:]) != want:
        raise UserError(f"images must have shape (N, {', '.join(map(str, want))}) for this generator, "
                        f"got {tuple(x.shape)}")


def invert(generator, images: torch.Tensor, method: str = "hybrid", encoder=None, extractor=None,
           settings: OptSettings | None = None, hybrid_steps: int = 40, seed: int = 0, batch: int = 64,
           progress: bool = False) -> Inversion:
    """Find latents for ``images`` (N, C, R, R) in [-1, 1] at the generator's size.

    ``method``: ``opt`` (``settings.steps`` Adam steps), ``encoder`` (needs ``encoder``: latents = E(x)) or
    ``hybrid`` (E(x), then ``hybrid_steps`` optimisation steps). ``extractor`` adds its feature distance to the
    optimisation loss. Returns an :class:`Inversion` (latents, reconstructions, per-image loss, seconds)."""
    if method not in METHODS:
        raise UserError(f"unknown inversion method {method!r}; expected one of {', '.join(METHODS)}")
    if method != "opt" and encoder is None:
        raise UserError(f"--method {method} needs an encoder: train one with `tlgan invert train-encoder`")
    check_images(generator, images)
    s = settings or OptSettings()
    features = feature_map(extractor)
    t0 = time.perf_counter()
    zs = []
    for i in range(0, len(images), batch):
        x = images[i:i + batch]
        if method == "opt":
            z0 = start_latents(generator, x, s, features, seed + i)
            z = optimise(generator, x, z0, s, extractor, seed + i, progress=progress)
        else:
            with torch.no_grad():
                z = encoder(x)
            if method == "hybrid" and hybrid_steps > 0:
                hs = OptSettings(**{**vars(s), "steps": min(hybrid_steps, 100)})
                z = optimise(generator, x, z, hs, extractor, seed + i, ramp=False, progress=progress)
        zs.append(z)
    z = torch.cat(zs)
    with torch.no_grad():
        recon = signed_output(generator, z).clamp(-1, 1)
        loss = reconstruction_loss(images, recon, s, features, features(images) if features else None)
    return Inversion(z, recon, loss, time.perf_counter() - t0)


def latent_search(g, features, x: torch.Tensor, steps: int, lr: float, w: float, seed: int = 0) -> dict:
    """AnoGAN's per-image search for z with G(z) ≈ x, batched over images (each image has its own z).

    In: G (eval mode), a feature map f, images x (N, C, R, R) in [-1, 1]. Loss per image
    (1 − w)·mean|x − G(z)| + w·mean|f(x) − f(G(z))|, minimised by Adam over z from a seeded N(0, I) start.
    Out: ``loss`` and ``initial_loss`` (N,), ``z`` (N, z_dim), ``recon`` G(z) (N, C, R, R).
    """
    z = torch.randn(len(x), g.z_dim, generator=torch.Generator().manual_seed(seed)).requires_grad_(True)
    fx = features(x).detach()
    opt = torch.optim.Adam([z], lr=lr)

    def loss_of(z):
        xr = g(z)
        return (1 - w) * per_image((x - xr).abs()) + w * per_image((fx - features(xr)).abs()), xr

    with torch.no_grad():
        initial = loss_of(z)[0]
    for _ in range(steps):
        loss, _ = loss_of(z)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()  # a sum of independent per-image losses: each z gets its own gradient
        opt.step()
    with torch.no_grad():
        loss, xr = loss_of(z)
    return {"loss": loss, "initial_loss": initial, "z": z.detach(), "recon": xr}
