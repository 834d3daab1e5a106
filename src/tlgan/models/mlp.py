"""The seeds' fully connected GAN: G z→256→512→1024→out (LeakyReLU + BatchNorm), D in→512→256→1 (logits)."""
from __future__ import annotations

import math

import torch
from torch import nn


class MLPGenerator(nn.Module):
    """z (N, z_dim) -> samples (N, *out_shape); tanh output in [-1, 1] unless ``out_act='none'``."""

    def __init__(self, z_dim: int = 100, out_shape=(1, 28, 28), hidden=(256, 512, 1024),
                 batchnorm: bool = True, out_act: str = "tanh"):
        super().__init__()
        self.z_dim, self.out_shape = z_dim, tuple(out_shape)
        layers, d = [], z_dim
        for i, h in enumerate(hidden):
            layers.append(nn.Linear(d, h))
            if batchnorm and i > 0:  # no BN right after the input layer, as in the seeds
                layers.append(nn.BatchNorm1d(h))  # default momentum/eps (the '0.8' pitfall sets eps)
            layers.append(nn.LeakyReLU(0.2))
            d = h
        layers.append(nn.Linear(d, math.prod(self.out_shape)))
        if out_act == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.out_shape)


class MLPDiscriminator(nn.Module):
    """samples (N, *in_shape) -> logits (N,); no sigmoid layer (losses take logits)."""

    def __init__(self, in_shape=(1, 28, 28), hidden=(512, 256)):
        super().__init__()
        layers, d = [], math.prod(in_shape)
        for h in hidden:
            layers += [nn.Linear(d, h), nn.LeakyReLU(0.2)]
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(-1)
