"""Image -> latent: find z with G(z) close to a given image.

Today: AnoGAN's batched latent search (optimisation on z), used by the AnoGAN detector. The encoder and hybrid
inverters of real-image editing join here.
"""
from __future__ import annotations

import torch


def per_image(t: torch.Tensor) -> torch.Tensor:
    """Mean over every axis but the first: (N, ...) -> (N,)."""
    return t.flatten(1).mean(1)


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
