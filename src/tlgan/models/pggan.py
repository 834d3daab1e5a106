"""Progressive GAN networks (Karras et al. 2018, pg-GAN: TL-GAN's own generator), grown 4×4 → ``resolution``.

Level k draws at 4·2^k px. While level k fades in (``alpha`` 0 → 1) the output is
``(1 − α)·upsample(toRGB_{k−1}(h_{k−1})) + α·toRGB_k(h_k)``, and the discriminator mirrors it with average pooling.
Equalised learning rate (weights N(0, 1) scaled at run time by He's constant), pixelwise feature normalisation
after every conv of G, minibatch standard deviation before D's last block, no BatchNorm, nearest upsampling.

G keeps its current ``level`` and ``alpha`` as buffers, so a checkpoint draws what it was trained to draw; its
output is always (N, C, resolution, resolution): a lower level is upsampled (nearest), so grids show the current
resolution's pixels.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError


class EqualConv2d(nn.Module):
    """Conv with equalised learning rate: weight ~ N(0, 1), multiplied by gain/√fan_in in every forward."""

    def __init__(self, c_in: int, c_out: int, k: int, gain: float = math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale, self.pad = gain / math.sqrt(c_in * k * k), k // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


class EqualDense(nn.Module):
    """Linear layer with equalised learning rate (see :class:`EqualConv2d`)."""

    def __init__(self, n_in: int, n_out: int, gain: float = math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.scale = gain / math.sqrt(n_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalise each pixel's feature vector to unit mean square: x / √(mean_c x² + ε), over dim 1."""
    return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + eps)


def minibatch_stddev(x: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Append one feature map: the mean over features and pixels of the std over groups of ``group`` samples.

    x (N, C, H, W) -> (N, C + 1, H, W); N must be divisible by the group size (min(group, N) is used)."""
    n, c, h, w = x.shape
    g = min(group, n)
    if n % g:
        raise ValueError(f"minibatch stddev: batch {n} is not divisible by the group size {g}")
    y = x.view(g, n // g, c, h, w)
    y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (N / g,)
    return torch.cat([x, y.repeat(g).view(n, 1, 1, 1).expand(n, 1, h, w)], 1)


def levels_of(resolution: int) -> int:
    """Number of levels from 4×4 to ``resolution`` (a power of two ≥ 8): 8 → 2, 64 → 5."""
    k = round(math.log2(max(resolution, 1) / 4))
    if resolution < 8 or 4 * 2 ** k != resolution:
        raise UserError(f"pg-GAN grows 4x4 to a power of two: resolution must be 8, 16, 32, 64 or 128 "
                        f"(got {resolution})")
    return k + 1


def level_channels(resolution: int, width: int, max_channels: int) -> list[int]:
    """Feature maps per level, 4×4 first: ``width`` at the last level, doubling per level down, capped."""
    n = levels_of(resolution)
    return [min(width * 2 ** (n - 1 - k), max_channels) for k in range(n)]


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2)


class PGGenerator(nn.Module):
    """z (N, z_dim) -> images (N, channels, resolution, resolution), about [-1, 1] (linear output, as pg-GAN)."""

    def __init__(self, z_dim: int = 128, resolution: int = 64, channels: int = 3, width: int = 32,
                 max_channels: int = 256):
        super().__init__()
        self.z_dim, self.resolution, self.channels = z_dim, resolution, channels
        ch = level_channels(resolution, width, max_channels)
        self.n_levels = len(ch)
        self.dense = EqualDense(z_dim, ch[0] * 16, gain=math.sqrt(2) / 4)  # the 4×4 "conv on a 1×1 input"
        self.convs = nn.ModuleList([nn.ModuleList([EqualConv2d(ch[0], ch[0], 3)])])
        for k in range(1, self.n_levels):
            self.convs.append(nn.ModuleList([EqualConv2d(ch[k - 1], ch[k], 3), EqualConv2d(ch[k], ch[k], 3)]))
        self.to_rgb = nn.ModuleList([EqualConv2d(c, channels, 1, gain=1.0) for c in ch])
        self.register_buffer("level", torch.tensor(self.n_levels - 1))
        self.register_buffer("alpha", torch.tensor(1.0))

    def set_growth(self, level: int, alpha: float) -> None:
        """Draw at level ``level`` (0: 4×4), fading it in by ``alpha`` in [0, 1]."""
        self.level.fill_(level)
        self.alpha.fill_(alpha)

    def forward(self, z: torch.Tensor, full_size: bool = True) -> torch.Tensor:
        level, alpha = int(self.level), float(self.alpha)
        h = pixel_norm(self.dense(pixel_norm(z)).view(len(z), -1, 4, 4))
        h = pixel_norm(_lrelu(h))
        prev = None
        for k in range(level + 1):
            if k > 0:
                prev = h
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            for conv in self.convs[k]:
                h = pixel_norm(_lrelu(conv(h)))
        x = self.to_rgb[level](h)
        if alpha < 1.0 and level > 0:
            low = F.interpolate(self.to_rgb[level - 1](prev), scale_factor=2, mode="nearest")
            x = torch.lerp(low, x, alpha)
        if full_size and x.shape[-1] != self.resolution:
            x = F.interpolate(x, size=self.resolution, mode="nearest")
        return x


class PGDiscriminator(nn.Module):
    """images (N, C, R_k, R_k) at the current level's size -> critic values (N,); mirrors :class:`PGGenerator`."""

    def __init__(self, resolution: int = 64, channels: int = 3, width: int = 32, max_channels: int = 256,
                 mbstd_group: int = 4):
        super().__init__()
        self.resolution, self.channels, self.mbstd_group = resolution, channels, mbstd_group
        ch = level_channels(resolution, width, max_channels)
        self.n_levels = len(ch)
        self.from_rgb = nn.ModuleList([EqualConv2d(channels, c, 1) for c in ch])
        self.convs = nn.ModuleList([nn.ModuleList([EqualConv2d(ch[0] + 1, ch[0], 3)])])
        for k in range(1, self.n_levels):
            self.convs.append(nn.ModuleList([EqualConv2d(ch[k], ch[k], 3), EqualConv2d(ch[k], ch[k - 1], 3)]))
        self.dense = EqualDense(ch[0] * 16, ch[0])
        self.out = EqualDense(ch[0], 1, gain=1.0)

    def forward(self, x: torch.Tensor, level: int | None = None, alpha: float = 1.0) -> torch.Tensor:
        level = self.n_levels - 1 if level is None else level
        h = _lrelu(self.from_rgb[level](x))
        for k in range(level, 0, -1):
            for conv in self.convs[k]:
                h = _lrelu(conv(h))
            h = F.avg_pool2d(h, 2)
            if k == level and alpha < 1.0:
                h = torch.lerp(_lrelu(self.from_rgb[k - 1](F.avg_pool2d(x, 2))), h, alpha)
        h = _lrelu(self.convs[0][0](minibatch_stddev(h, self.mbstd_group)))
        return self.out(_lrelu(self.dense(h.flatten(1)))).view(-1)
