"""R3GAN's plain ResNet generator and discriminator (Huang et al., NeurIPS 2024, "The GAN is dead; long live the
GAN!"), sized for a CPU.

No normalisation, no mapping network, no noise inputs, no progressive growing. Every stage is a transition (G: the
learnt 4×4 basis or a 2× up-sampling; D: a 2× down-sampling or the 4×4 depthwise basis) and ``blocks`` residual
blocks ``x + 1×1(act(k×k_grouped(act(1×1_expand(x)))))`` whose last conv starts at zero, with fix-up variance
scaling: every conv is drawn N(0, gain²/fan_in) with gain = √(2/(1+0.2²)) · L^(−1/4), L the network's total blocks.
Resampling is a 1×1 conv for the channel change and a fixed [1, 2, 1] low-pass filter (depthwise), so neither
network has a transposed conv's checkerboard. G's output is a 1×1 conv to the image channels, no tanh: it is
clamped to [-1, 1] in eval mode only (training sees the raw values).

``widths`` lists the channels per stage from 4×4 upwards (G's order; D runs it backwards), so
``len(widths) = log2(resolution / 4) + 1``.
"""
from __future__ import annotations

import math
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError

LEAK = 0.2
ACT_GAIN = math.sqrt(2 / (1 + LEAK ** 2))


def stages_for(resolution: int) -> int:
    """The number of stages from 4×4 to ``resolution`` (8 → 2, 32 → 4, 64 → 5, 128 → 6); UserError unless
    ``resolution`` is a power of two ≥ 8."""
    k = round(math.log2(max(resolution, 1) / 4))
    if resolution < 8 or 4 * 2 ** k != resolution:
        raise UserError(f"r3gan draws from a 4x4 basis by 2x steps: resolution must be a power of two >= 8, "
                        f"e.g. 32, 64 or 128 (got {resolution})")
    return k + 1


def check_widths(resolution: int, widths: list[int], expansion: int, cardinality: int) -> None:
    """UserError unless ``widths`` has one positive entry per stage of ``resolution`` and every stage's expanded
    width divides into ``cardinality`` groups."""
    n = stages_for(resolution)
    if len(widths) != n or min(widths) < 1:
        raise UserError(f"widths must list {n} positive channel counts for {resolution}x{resolution} (one per stage, "
                        f"4x4 first), got {widths}")
    if expansion < 1 or cardinality < 1 or any((w * expansion) % cardinality for w in widths):
        raise UserError(f"expansion ({expansion}) and cardinality ({cardinality}) must be >= 1 and every width x "
                        f"expansion must divide into cardinality groups (widths {widths})")


def _conv(c_in: int, c_out: int, k: int = 1, groups: int = 1, gain: float = 1.0) -> nn.Conv2d:
    """A bias-free conv drawn N(0, gain² / fan_in) (``gain`` 0: zeros)."""
    conv = nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2, groups=groups, bias=False)
    if gain:
        nn.init.normal_(conv.weight, 0.0, gain / math.sqrt(conv.weight[0].numel()))
    else:
        nn.init.zeros_(conv.weight)
    return conv


class BiasedLeakyReLU(nn.Module):
    """leaky_relu(x + b, 0.2) with a learnt per-channel bias ``b`` (starts at 0)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), LEAK)


class ResidualBlock(nn.Module):
    """x (N, C, H, W) -> x + f(x), f = 1×1 expand → act → grouped k×k → act → 1×1 back to C (zero at the start)."""

    def __init__(self, channels: int, expansion: int, cardinality: int, kernel: int, total_blocks: int):
        super().__init__()
        wide, gain = channels * expansion, ACT_GAIN * total_blocks ** (-1 / 4)  # fix-up: L^(-1/(2·3-2))
        self.expand = _conv(channels, wide, 1, gain=gain)
        self.act1 = BiasedLeakyReLU(wide)
        self.conv = _conv(wide, wide, kernel, groups=cardinality, gain=gain)
        self.act2 = BiasedLeakyReLU(wide)
        self.project = _conv(wide, channels, 1, gain=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(self.act2(self.conv(self.act1(self.expand(x)))))


def _lowpass(channels: int, gain: float) -> torch.Tensor:
    """The depthwise [1, 2, 1] ⊗ [1, 2, 1] filter (C, 1, 3, 3), normalised to sum ``gain``."""
    f = torch.tensor([1.0, 2.0, 1.0])
    k = torch.outer(f, f)
    return (k * gain / k.sum()).expand(channels, 1, 3, 3).contiguous()


class Upsample(nn.Module):
    """(N, C_in, H, W) -> (N, C_out, 2H, 2W): a 1×1 conv if the width changes, then zero-insertion 2× upsampling
    low-passed by [1, 2, 1] (even pixels copy the input, odd ones average their two neighbours; the last row and
    column average with a replicated border, so a constant image stays constant)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.linear = _conv(c_in, c_out) if c_in != c_out else nn.Identity()
        self.register_buffer("kernel", _lowpass(c_out, 4.0), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(self.linear(x), (0, 1, 0, 1), mode="replicate")
        h, w = 2 * x.shape[-2] - 2, 2 * x.shape[-1] - 2
        return F.conv_transpose2d(x, self.kernel, stride=2, padding=1, groups=x.shape[1])[..., :h, :w]


class Downsample(nn.Module):
    """(N, C_in, H, W) -> (N, C_out, H/2, W/2): [1, 2, 1] low-pass at stride 2 (the first row and column read a
    replicated border, so a constant image stays constant), then a 1×1 conv if the width changes."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.register_buffer("kernel", _lowpass(c_in, 1.0), persistent=False)
        self.linear = _conv(c_in, c_out) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (1, 0, 1, 0), mode="replicate")
        return self.linear(F.conv2d(x, self.kernel, stride=2, groups=x.shape[1]))


class GenerativeBasis(nn.Module):
    """z (N, z_dim) -> (N, C, 4, 4): a learnt 4×4 basis per channel, scaled per sample by a linear map of z."""

    def __init__(self, z_dim: int, channels: int):
        super().__init__()
        self.basis = nn.Parameter(torch.randn(channels, 4, 4))
        self.linear = nn.Linear(z_dim, channels, bias=False)
        nn.init.normal_(self.linear.weight, 0.0, 1 / math.sqrt(z_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.basis.unsqueeze(0) * self.linear(z).view(z.shape[0], -1, 1, 1)


class DiscriminativeBasis(nn.Module):
    """(N, C, 4, 4) -> (N,): a depthwise 4×4 conv (one 4×4 pattern per channel) and a linear map to one logit."""

    def __init__(self, channels: int):
        super().__init__()
        self.basis = _conv(channels, channels, 4, groups=channels)
        self.basis.padding = (0, 0)
        self.linear = nn.Linear(channels, 1, bias=False)
        nn.init.normal_(self.linear.weight, 0.0, 1 / math.sqrt(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.basis(x).flatten(1)).view(-1)


def _blocks(channels: int, n: int, expansion: int, cardinality: int, kernel: int, total: int) -> nn.Sequential:
    return nn.Sequential(*(ResidualBlock(channels, expansion, cardinality, kernel, total) for _ in range(n)))


class R3Generator(nn.Module):
    """z (N, z_dim) -> images (N, channels, R, R): the 4×4 basis, then per stage an upsampling (from the second
    stage on) and ``blocks`` residual blocks, then a 1×1 conv to ``channels``. Raw values while training, clamped
    to [-1, 1] in eval mode."""

    def __init__(self, z_dim: int = 128, resolution: int = 64, channels: int = 3,
                 widths: tuple[int, ...] = (128, 128, 64, 32, 16), blocks: int = 1, expansion: int = 2,
                 cardinality: int = 1, kernel: int = 3):
        super().__init__()
        widths = list(widths)
        check_widths(resolution, widths, expansion, cardinality)
        self.z_dim, self.resolution, self.channels = z_dim, resolution, channels
        total = blocks * len(widths)
        stages: list[nn.Module] = [nn.Sequential(GenerativeBasis(z_dim, widths[0]),
                                                 _blocks(widths[0], blocks, expansion, cardinality, kernel, total))]
        for c_in, c_out in pairwise(widths):
            stages.append(nn.Sequential(Upsample(c_in, c_out),
                                        _blocks(c_out, blocks, expansion, cardinality, kernel, total)))
        self.stages = nn.Sequential(*stages)
        self.to_image = _conv(widths[-1], channels, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.to_image(self.stages(z.view(-1, self.z_dim)))
        return x if self.training else x.clamp(-1, 1)


class R3Discriminator(nn.Module):
    """images (N, channels, R, R) -> logits (N,): a 1×1 conv from the image, then per stage (finest first)
    ``blocks`` residual blocks and a downsampling (the last stage: the 4×4 depthwise basis + linear)."""

    def __init__(self, resolution: int = 64, channels: int = 3, widths: tuple[int, ...] = (128, 128, 64, 32, 16),
                 blocks: int = 1, expansion: int = 2, cardinality: int = 1, kernel: int = 3):
        super().__init__()
        widths = list(widths)
        check_widths(resolution, widths, expansion, cardinality)
        rev, total = widths[::-1], blocks * len(widths)
        self.from_image = _conv(channels, rev[0], 1)
        stages = [nn.Sequential(_blocks(c_in, blocks, expansion, cardinality, kernel, total), Downsample(c_in, c_out))
                  for c_in, c_out in pairwise(rev)]
        stages.append(nn.Sequential(_blocks(rev[-1], blocks, expansion, cardinality, kernel, total),
                                    DiscriminativeBasis(rev[-1])))
        self.stages = nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.from_image(x))
