"""A StyleGAN-style generator sized for CPU: mapping network, learned constant, modulated convolutions, noise.

z (N, z_dim) → mapping (PixelNorm + ``map_layers`` equalised-LR linear layers at learning-rate multiplier 0.01)
→ w (N, w_dim) → one style per layer (W+, (N, n_ws, w_dim)) → synthesis from a learned 4×4 constant: per layer a
modulated + demodulated 3×3 convolution, per-pixel noise scaled by a learned, zero-initialised per-layer
weight, bias and leaky ReLU; every resolution adds its RGB (a modulated 1×1 convolution) to the upsampled
RGB of the one before (StyleGAN2's skip architecture). ``w_avg`` tracks the mean w (EMA) for truncation.
"""
from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from .conv import _base_and_steps


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate: weights stored N(0, 1/lr_mul), scaled at run time."""

    def __init__(self, n_in: int, n_out: int, lr_mul: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((n_out,), float(bias_init)))
        self.scale, self.lr_mul = lr_mul / math.sqrt(n_in), lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class Mapping(nn.Module):
    """z (N, z_dim) → w (N, w_dim): PixelNorm, then ``layers`` × (EqualLinear at lr_mul, leaky ReLU)."""

    def __init__(self, z_dim: int, w_dim: int, layers: int = 4, lr_mul: float = 0.01):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.ModuleList(EqualLinear(a, b, lr_mul) for a, b in itertools.pairwise(dims))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)  # PixelNorm
        for layer in self.net:
            x = F.leaky_relu(layer(x), 0.2) * math.sqrt(2)
        return x


class ModConv(nn.Module):
    """Modulated convolution: the style (N, w_dim) scales input channels; weights demodulated per sample."""

    def __init__(self, c_in: int, c_out: int, k: int, w_dim: int, demodulate: bool = True, up: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)
        self.scale, self.demodulate, self.up, self.pad = 1 / math.sqrt(c_in * k * k), demodulate, up, k // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, c, h, wd = x.shape
        s = self.affine(w)                                            # (N, C_in)
        weight = self.scale * self.weight[None] * s[:, None, :, None, None]  # (N, C_out, C_in, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum((2, 3, 4), keepdim=True) + 1e-8)
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            h, wd = 2 * h, 2 * wd
        out = F.conv2d(x.reshape(1, n * c, h, wd), weight.reshape(-1, c, *weight.shape[3:]), padding=self.pad,
                       groups=n)
        return out.view(n, -1, h, wd)


class StyleLayer(nn.Module):
    """ModConv + noise (zero-initialised learned strength) + bias + leaky ReLU."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, resolution: int, up: bool = False):
        super().__init__()
        self.conv = ModConv(c_in, c_out, 3, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: str = "random") -> torch.Tensor:
        x = self.conv(x, w)
        if noise != "none":
            n = torch.randn(len(x), 1, *x.shape[2:]) if noise == "random" else self.noise_const
            x = x + self.noise_strength * n
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2) * math.sqrt(2)


class StyleGenerator(nn.Module):
    """z (N, z_dim) → images (N, channels, R, R) in [−1, 1] (tanh of the summed RGB).

    ``forward(z)`` maps with ψ = ``truncation`` (1: none) and constant noise in eval mode, random noise in
    training. ``synthesis(ws)`` renders per-layer styles ws (N, n_ws, w_dim). Layers are ordered coarse → fine:
    two per resolution from 4×4 (the first 4×4 has one), so ``n_ws`` = 2·log2(R/4) + 1 for R = 4·2^k.
    """

    def __init__(self, z_dim: int = 64, w_dim: int = 64, resolution: int = 32, channels: int = 3, width: int = 32,
                 map_layers: int = 4, w_avg_beta: float = 0.995):
        super().__init__()
        base, steps = _base_and_steps(resolution)
        self.z_dim, self.w_dim, self.resolution, self.channels = z_dim, w_dim, resolution, channels
        self.w_avg_beta, self.truncation = w_avg_beta, 1.0
        self.mapping = Mapping(z_dim, w_dim, map_layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))
        ch = [min(width * 2 ** (steps - i), 256) for i in range(steps + 1)]  # channels per resolution, coarse first
        self.const = nn.Parameter(torch.randn(1, ch[0], base, base))
        self.layers = nn.ModuleList([StyleLayer(ch[0], ch[0], w_dim, base)])
        self.to_rgb = nn.ModuleList([ModConv(ch[0], channels, 1, w_dim, demodulate=False)])
        for i in range(1, steps + 1):
            r = base * 2 ** i
            self.layers.extend([StyleLayer(ch[i - 1], ch[i], w_dim, r, up=True), StyleLayer(ch[i], ch[i], w_dim, r)])
            self.to_rgb.append(ModConv(ch[i], channels, 1, w_dim, demodulate=False))
        self.n_ws = len(self.layers)

    def map(self, z: torch.Tensor, psi: float = 1.0) -> torch.Tensor:
        """z (N, z_dim) → w (N, w_dim), truncated towards w_avg by ψ; tracks w_avg while training."""
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.mean(0).to(self.w_avg.dtype), 1 - self.w_avg_beta)
        return self.w_avg + psi * (w - self.w_avg) if psi != 1.0 else w

    def style_weights(self, first: int, last: int) -> torch.Tensor:
        """Effective weights (Σ C_in, w_dim) of the style affines of layers ``first``..``last`` (SeFa's matrix)."""
        return torch.cat([(lay.conv.affine.weight * lay.conv.affine.scale).detach()
                          for lay in list(self.layers)[first:last + 1]])

    def rgb_layer_of(self, layer: int) -> int:
        """Index of the ws entry that styles the RGB output after ``layer`` (the next layer's style)."""
        return min(layer + 1, self.n_ws - 1)

    def synthesis(self, ws: torch.Tensor, noise: str | None = None) -> torch.Tensor:
        """ws (N, n_ws, w_dim) → images (N, C, R, R) in [−1, 1]. noise: random | const | none (default by mode)."""
        noise = noise or ("random" if self.training else "const")
        x = self.const.expand(len(ws), -1, -1, -1)
        x = self.layers[0](x, ws[:, 0], noise)
        rgb = self.to_rgb[0](x, ws[:, self.rgb_layer_of(0)])
        for i in range(1, len(self.to_rgb)):
            a, b = 2 * i - 1, 2 * i
            x = self.layers[b](self.layers[a](x, ws[:, a], noise), ws[:, b], noise)
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False) + \
                self.to_rgb[i](x, ws[:, self.rgb_layer_of(b)])
        return torch.tanh(rgb)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.map(z, self.truncation)
        return self.synthesis(w[:, None].expand(-1, self.n_ws, -1))


def mix_styles(g: StyleGenerator, z: torch.Tensor, prob: float) -> torch.Tensor:
    """Per-layer styles (N, n_ws, w_dim) for latents z: with probability ``prob`` per batch, layers from a random
    crossover point on take the w of a second, independent z (style mixing regularisation)."""
    w = g.map(z)[:, None].expand(-1, g.n_ws, -1)
    if prob > 0 and torch.rand(()) < prob:
        cut = int(torch.randint(1, g.n_ws, ()))
        w2 = g.map(torch.randn_like(z))[:, None].expand(-1, g.n_ws - cut, -1)
        w = torch.cat([w[:, :cut], w2], 1)
    return w

