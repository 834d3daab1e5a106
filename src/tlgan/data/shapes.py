"""Toy shapes with exact labels, for image-to-image translation tests and demos.

One filled square or disc (random position and size) on a plain background. Labels (binary): ``Green`` (the
shape is green, else red), ``Circle`` (a disc, else a square), ``Light_Background`` (light grey, else near black).
Deterministic per (seed, index) through the faces renderer's counter-based uniforms.
"""
from __future__ import annotations

import numpy as np
import torch

from .faces import _uniforms

LABELS = ["Green", "Circle", "Light_Background"]


def render_shapes(n: int, seed: int = 0, resolution: int = 16, start: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """(images uint8 (n, 3, R, R), labels float32 (n, 3) in the order of ``LABELS``)."""
    u = _uniforms(seed, np.arange(start, start + n))
    green, circle, light = u[:, 0] < 0.5, u[:, 1] < 0.5, u[:, 2] < 0.5
    size = 0.18 + 0.12 * u[:, 3]                       # half-size as a fraction of the image
    cx, cy = 0.3 + 0.4 * u[:, 4], 0.3 + 0.4 * u[:, 5]
    g = (np.arange(resolution) + 0.5) / resolution
    x, y = g[None, None, :], g[None, :, None]
    dx, dy = np.abs(x - cx[:, None, None]), np.abs(y - cy[:, None, None])
    s = size[:, None, None]
    inside = np.where(circle[:, None, None], dx ** 2 + dy ** 2 <= s ** 2, np.maximum(dx, dy) <= s * 0.9)
    bg = np.where(light, 0.8, 0.08)[:, None, None, None] * np.ones((1, 3, 1, 1))
    colour = np.stack([np.where(green, 0.15, 0.9), np.where(green, 0.8, 0.15), np.full(n, 0.15)], 1)
    img = np.where(inside[:, None], colour[:, :, None, None], bg)
    labels = np.stack([green, circle, light], 1).astype(np.float32)
    return torch.from_numpy((img * 255).round().astype(np.uint8)), labels
