"""Adversarial losses as pure functions, chosen by name.

Discriminator losses take (real_logits (N,), fake_logits (N,)) and return a scalar; generator losses take
fake_logits (N,). R3GAN's relativistic pair pairs the two batches (G's loss also reads the real logits); the
penalties (``gradient_penalty``, ``zero_centred_penalty``) take the critic and a batch.
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


def d_relativistic(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """R3GAN's relativistic pairing loss for D: mean softplus(−(D(x_r) − D(x_f))) over pairs (real[i], fake[i])."""
    return F.softplus(fake - real).mean()


def g_relativistic(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R3GAN's relativistic pairing loss for G: mean softplus(−(D(x_f) − D(x_r))), i.e. D's loss with the roles
    of real and fake swapped."""
    return F.softplus(real - fake).mean()


def zero_centred_penalty(critic, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The critic's logits on ``x`` (N,) and the zero-centred penalty ‖∇ₓD(x)‖² per sample (N,), summed over
    C, H, W, differentiable (create_graph) so it can be minimised: R1 on real images, R2 on generated ones.
    ``x`` is detached here; pass the batch as D sees it."""
    x = x.detach().requires_grad_(True)
    logits = critic(x)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    return logits, grad.pow(2).flatten(1).sum(1)


D_LOSSES = {"bce": d_bce, "wasserstein": d_wasserstein, "lsgan": d_lsgan, "hinge": d_hinge,
            "relativistic": d_relativistic}
G_LOSSES = {"nonsaturating": g_nonsaturating, "wasserstein": g_wasserstein, "lsgan": g_lsgan, "hinge": g_hinge,
            "relativistic": g_relativistic}  # the relativistic G loss also takes D's logits on a real batch
