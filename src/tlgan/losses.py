"""Adversarial losses as pure functions, chosen by name.

Discriminator losses take (real_logits (N,), fake_logits (N,)) and return a scalar; generator losses take
fake_logits (N,). ``gradient_penalty`` takes the critic and two batches.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def d_bce(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Minimax discriminator loss on logits: BCE(real, 1) + BCE(fake, 0)."""
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
        F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def g_nonsaturating(fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: BCE(fake, 1) = softplus(-logits)."""
    return F.softplus(-fake).mean()


def d_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic loss E[D(fake)] - E[D(real)] (critic outputs, no sigmoid)."""
    return fake.mean() - real.mean()


def g_wasserstein(fake: torch.Tensor) -> torch.Tensor:
    """Generator loss -E[D(fake)]."""
    return -fake.mean()


def d_lsgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least-squares discriminator loss, halved as in CycleGAN."""
    return 0.5 * (((real - 1) ** 2).mean() + (fake ** 2).mean())


def g_lsgan(fake: torch.Tensor) -> torch.Tensor:
    """Least-squares generator loss."""
    return ((fake - 1) ** 2).mean()


def d_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge(fake: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss."""
    return -fake.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor,
                     alpha: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """WGAN-GP penalty E[(‖∇D(x̂)‖₂ - 1)²] with x̂ = α real + (1-α) fake, α ~ U[0,1] per sample (``alpha`` (N,),
    drawn here if not given).

    The norm runs over all of a sample's elements (flattened). Returns (penalty scalar, per-sample norms (N,)).
    """
    if alpha is None:
        alpha = torch.rand(len(real), device=real.device)
    alpha = alpha.view(-1, *([1] * (real.dim() - 1)))
    xhat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(xhat).sum(), xhat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean(), norms.detach()


D_LOSSES = {"bce": d_bce, "wasserstein": d_wasserstein, "lsgan": d_lsgan, "hinge": d_hinge}
G_LOSSES = {"nonsaturating": g_nonsaturating, "wasserstein": g_wasserstein, "lsgan": g_lsgan, "hinge": g_hinge}
