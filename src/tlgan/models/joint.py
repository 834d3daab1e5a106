"""Discriminators on pairs, for the BiGAN-style anomaly detectors (EGBAD and its ALAD recipe).

- :class:`JointDiscriminator` D(x, z): BiGAN's, tells (x, E(x)) from (G(z), z).
- :class:`ImagePairDiscriminator` D(x, x'): ALAD's cycle discriminator on images, tells (x, x) from (x, G(E(x))).
- :class:`LatentPairDiscriminator` D(z, z'): ALAD's cycle discriminator on latents, tells (z, z) from (z, E(G(z))).

``spectral=True`` puts spectral normalisation on every conv and linear layer (and drops BatchNorm), as ALAD does to
keep the three discriminators from overpowering G and E.
"""
from __future__ import annotations

import torch
from torch import nn

from .conv import ConvEncoder


def spectral(module: nn.Module) -> nn.Module:
    """``module`` with spectral normalisation on the weight of each of its Conv2d and Linear layers (in place)."""
    for m in list(module.modules()):
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.utils.parametrizations.spectral_norm(m)
    return module


class JointDiscriminator(nn.Module):
    """BiGAN's D(x, z): (images (N, C, R, R), latents (N, z_dim)) -> logits (N,).

    ``features(x, z)`` returns the joint layer before the logit (N, 512): EGBAD's feature-matching space.
    """

    def __init__(self, z_dim: int = 100, resolution: int = 28, channels: int = 1, width: int = 64,
                 spectral_norm: bool = False):
        super().__init__()
        self.x_net = ConvEncoder(256, resolution, channels, width, norm="none" if spectral_norm else "batch")
        self.z_net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2, True))
        self.joint = nn.Sequential(nn.Dropout(0.2), nn.Linear(512, 512), nn.LeakyReLU(0.2, True))
        self.head = nn.Linear(512, 1)
        if spectral_norm:
            spectral(self)

    def features(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Joint features (N, 512) of images ``x`` (N, C, R, R) in [-1, 1] with latents ``z`` (N, d), before the
        head."""
        hx = nn.functional.leaky_relu(self.x_net(x), 0.2)
        return self.joint(torch.cat([hx, self.z_net(z)], 1))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x, z)).view(-1)


class ImagePairDiscriminator(nn.Module):
    """ALAD's D_xx: two image batches (N, C, R, R) each, stacked on channels -> logits (N,).

    ``features(x, x2)`` (N, 256) is the layer before the logit: ALAD's anomaly score compares it between (x, x)
    and (x, G(E(x))).
    """

    def __init__(self, resolution: int = 28, channels: int = 1, width: int = 64, spectral_norm: bool = True):
        super().__init__()
        self.net = ConvEncoder(256, resolution, 2 * channels, width, norm="none" if spectral_norm else "batch")
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.Dropout(0.2), nn.Linear(256, 1))
        if spectral_norm:
            spectral(self)

    def features(self, x: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Features (N, 256) of image pairs (``x``, ``x2``), each (N, C, R, R) in [-1, 1], before the head."""
        return self.net(torch.cat([x, x2], 1))

    def forward(self, x: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x, x2)).view(-1)


class LatentPairDiscriminator(nn.Module):
    """ALAD's D_zz: two latent batches (N, z_dim) each -> logits (N,)."""

    def __init__(self, z_dim: int = 100, hidden: int = 128, spectral_norm: bool = True):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * z_dim, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.2),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.2), nn.Linear(hidden, 1))
        if spectral_norm:
            spectral(self)

    def forward(self, z: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, z2], 1)).view(-1)
