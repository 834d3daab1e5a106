"""Label-conditional networks: conditional GAN (projection or concatenation discriminator) and AC-GAN.

``CondGenerator``: the DCGAN generator on [z, 2y − 1]; ``forward(z)`` draws at its ``labels`` buffer (what
``tlgan sample RUN --set A=1`` writes through :func:`tlgan.generator.set_labels`), so a conditional run opens as
an ordinary z -> image generator and the TL-GAN pipeline runs on it at fixed labels. ``CondDiscriminator``: DCGAN
conv features h(x), then
- ``projection`` (Miyato & Koyama 2018): D(x, y) = w·h + ⟨embed(y), h⟩;
- ``concat``: y broadcast as extra input channels;
- ``aux`` (AC-GAN): unconditional real/fake head plus a label head (logits (N, K)).
"""
from __future__ import annotations

import torch
from torch import nn

from .conv import ConvDiscriminator, ConvGenerator


class CondGenerator(nn.Module):
    """(z (N, z_dim), y (N, K) in [0, 1]) -> images (N, C, R, R) in [-1, 1]; y defaults to the ``labels`` buffer."""

    def __init__(self, z_dim: int = 100, n_labels: int = 1, resolution: int = 32, channels: int = 3,
                 width: int = 32):
        super().__init__()
        self.z_dim, self.n_labels, self.resolution, self.channels = z_dim, n_labels, resolution, channels
        self.net = ConvGenerator(z_dim + n_labels, resolution, channels, width)  # [z, 2y - 1]: labels at z's scale
        self.register_buffer("labels", torch.zeros(n_labels))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            y = self.labels.expand(z.shape[0], -1)
        return self.net(torch.cat([z, 2 * y - 1], 1))


class CondDiscriminator(nn.Module):
    """images (N, C, R, R) [+ labels (N, K)] -> logits (N,) (``projection`` / ``concat``) or (logits (N,), label
    logits (N, K)) (``aux``)."""

    def __init__(self, resolution: int = 32, channels: int = 3, width: int = 32, n_labels: int = 1,
                 mode: str = "projection"):
        super().__init__()
        self.mode, self.n_labels = mode, n_labels
        extra = n_labels if mode == "concat" else 0
        self.trunk = ConvDiscriminator(resolution, channels + extra, width, norm="batch").features
        with torch.no_grad():
            f = self.trunk(torch.zeros(2, channels + extra, resolution, resolution)).flatten(1).shape[1]
        self.out = nn.Linear(f, 1)
        if mode == "projection":
            self.embed = nn.Linear(n_labels, f, bias=False)
        if mode == "aux":
            self.cls = nn.Linear(f, n_labels)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        if self.mode == "concat":
            x = torch.cat([x, y[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        h = self.trunk(x).flatten(1)
        out = self.out(h).view(-1)
        if self.mode == "projection":
            out = out + (self.embed(y) * h).sum(1)
        if self.mode == "aux":
            return out, self.cls(h)
        return out

