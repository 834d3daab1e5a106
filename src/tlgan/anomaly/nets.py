"""Networks the anomaly detectors add to the DCGAN pair: an image encoder and BiGAN's joint discriminator."""
from __future__ import annotations

import torch
from torch import nn

from ..models.conv import ConvDiscriminator


class ConvEncoder(nn.Module):
    """images (N, C, R, R) in [-1, 1] -> latents (N, z_dim): the DCGAN discriminator's trunk + a linear head."""

    def __init__(self, z_dim: int = 100, resolution: int = 28, channels: int = 1, width: int = 64,
                 norm: str = "batch"):
        super().__init__()
        trunk = ConvDiscriminator(resolution, channels, width, norm)
        self.features = trunk.features
        with torch.no_grad():
            n_feat = self.features(torch.zeros(2, channels, resolution, resolution)).flatten(1).shape[1]
        self.head = nn.Linear(n_feat, z_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class JointDiscriminator(nn.Module):
    """BiGAN's D(x, z): (images (N, C, R, R), latents (N, z_dim)) -> logits (N,).

    ``features(x, z)`` returns the joint layer before the logit (N, 512): EGBAD's feature-matching space.
    """

    def __init__(self, z_dim: int = 100, resolution: int = 28, channels: int = 1, width: int = 64):
        super().__init__()
        self.x_net = ConvEncoder(256, resolution, channels, width, norm="batch")
        self.z_net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2, True))
        self.joint = nn.Sequential(nn.Dropout(0.2), nn.Linear(512, 512), nn.LeakyReLU(0.2, True))
        self.head = nn.Linear(512, 1)

    def features(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        hx = nn.functional.leaky_relu(self.x_net(x), 0.2)
        return self.joint(torch.cat([hx, self.z_net(z)], 1))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x, z)).view(-1)
