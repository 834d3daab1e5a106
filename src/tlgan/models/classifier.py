"""Feature extractor: a small CNN with multi-label logits for binary labels and regression heads.

``forward(x (N, C, R, R) in [-1, 1]) -> (N, K)``: logits for binary labels, values in the label's own units
for continuous ones. ``features(x) -> (N, F)`` is the pooled penultimate layer (used by the Fréchet distance).
"""
from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, resolution: int = 64, channels: int = 3, label_names=(), binary=(), width: int = 32):
        super().__init__()
        self.resolution, self.channels = resolution, channels
        self.label_names, self.binary = list(label_names), [bool(b) for b in binary]
        layers, c, r = [], channels, resolution
        for i in range(4 if resolution >= 32 else 3):
            w = width * 2 ** i
            layers += [nn.Conv2d(c, w, 3, 1, 1), nn.BatchNorm2d(w), nn.ReLU(True),
                       nn.Conv2d(w, w, 3, 2, 1), nn.BatchNorm2d(w), nn.ReLU(True)]
            c, r = w, (r + 1) // 2
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, len(self.label_names))
        k = len(self.label_names)
        self.register_buffer("mean", torch.zeros(k))  # continuous outputs: value = raw * std + mean
        self.register_buffer("std", torch.ones(k))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (N, F) of images in [-1, 1]."""
        return self.body(x)

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Head outputs (N, K): logits for binary labels, standardised values for continuous ones."""
        return self.head(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.raw(x)
        cont = ~torch.tensor(self.binary, dtype=torch.bool, device=out.device)
        return torch.where(cont, out * self.std + self.mean, out)
