"""Feature extractors: a small CNN (``Classifier``) and a pixel MLP (``PixelMLP``, a second judge of another
architecture), each with multi-label logits for binary labels and regression heads.

``forward(x (N, C, R, R) in [-1, 1]) -> (N, K)``: logits for binary labels, values in the label's own units
for continuous ones. ``features(x) -> (N, F)`` is the penultimate layer (used by the Fréchet distance).
"""
from __future__ import annotations

import torch
from torch import nn

from .placement import follow


class _Labeller(nn.Module):
    """Shared head logic: ``raw`` outputs, continuous columns de-standardised by the ``mean``/``std`` buffers."""

    arch = ""

    def __init__(self, resolution: int, channels: int, label_names, binary):
        super().__init__()
        self.resolution, self.channels = resolution, channels
        self.label_names, self.binary = list(label_names), [bool(b) for b in binary]
        k = len(self.label_names)
        self.register_buffer("mean", torch.zeros(k))  # continuous outputs: value = raw * std + mean
        self.register_buffer("std", torch.ones(k))

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Head outputs (N, K): logits for binary labels, standardised values for continuous ones."""
        return self.head(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (N, K) on ``x``'s device, computed where the network lives."""
        return follow(self, self._forward, x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.raw(x)
        cont = ~torch.tensor(self.binary, dtype=torch.bool, device=out.device)
        return torch.where(cont, out * self.std + self.mean, out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, F) of images in [-1, 1] (what the Fréchet distance compares), on ``x``'s
        device."""
        return follow(self, self.body, x)


class Classifier(_Labeller):
    """CNN: four (conv3 – BN – ReLU – strided conv3 – BN – ReLU) stages, global average pooling, a linear head."""

    arch = "classifier"

    def __init__(self, resolution: int = 64, channels: int = 3, label_names=(), binary=(), width: int = 32):
        super().__init__(resolution, channels, label_names, binary)
        self.width = width
        layers, c, r = [], channels, resolution
        for i in range(4 if resolution >= 32 else 3):
            w = width * 2 ** i
            layers += [nn.Conv2d(c, w, 3, 1, 1), nn.BatchNorm2d(w), nn.ReLU(True),
                       nn.Conv2d(w, w, 3, 2, 1), nn.BatchNorm2d(w), nn.ReLU(True)]
            c, r = w, (r + 1) // 2
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, len(self.label_names))


class PixelMLP(_Labeller):
    """Fully connected net on the raw pixels (R×R×C -> width -> width -> K), no convolutions, no pooling: an
    independent judge whose errors are unlike a CNN's (it sees colour and layout, not local texture)."""

    arch = "mlp"

    def __init__(self, resolution: int = 16, channels: int = 3, label_names=(), binary=(), width: int = 256):
        super().__init__(resolution, channels, label_names, binary)
        self.width = width
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(channels * resolution ** 2, width), nn.ReLU(True),
                                  nn.Dropout(0.1), nn.Linear(width, width), nn.ReLU(True))
        self.head = nn.Linear(width, len(self.label_names))


EXTRACTOR_ARCHS = {"classifier": Classifier, "mlp": PixelMLP}
