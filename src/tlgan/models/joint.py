"""BiGAN's joint discriminator D(x, z), which EGBAD adds to the DCGAN pair and an image encoder."""
from __future__ import annotations

import torch
from torch import nn

from .conv import ConvEncoder


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
