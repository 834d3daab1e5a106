"""DCGAN-style convolutional generator and discriminator/critic, parametric in resolution and width.

Resolutions 28 (7→14→28), 32, 64 and 128 (4→8→…): every up/down step is a 4×4 kernel, stride 2, padding 1.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError
from .pggan import minibatch_stddev


def _base_and_steps(resolution: int) -> tuple[int, int]:
    for base in (4, 7):
        r, k = resolution, 0
        while r > base and r % 2 == 0:
            r, k = r // 2, k + 1
        if r == base and k >= 2:
            return base, k
    raise UserError(f"convolutional models support resolutions 28, 32, 64, 128 (got {resolution})")


def _norm(kind: str, c: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "layer":  # LayerNorm over (C, H, W): allowed in a WGAN-GP critic, unlike BatchNorm
        return nn.GroupNorm(1, c)
    if kind == "none":
        return nn.Identity()
    raise UserError(f"unknown norm {kind!r}; expected batch, layer or none")


class ConvGenerator(nn.Module):
    """z (N, z_dim) -> images (N, channels, R, R) in [-1, 1] (tanh). ConvT + BN + ReLU, widths halve per step."""

    def __init__(self, z_dim: int = 100, resolution: int = 64, channels: int = 3, width: int = 64):
        super().__init__()
        base, steps = _base_and_steps(resolution)
        self.z_dim, self.resolution, self.channels, self.width = z_dim, resolution, channels, width
        c = width * 2 ** (steps - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, c, base, 1, 0, bias=False), nn.BatchNorm2d(c),
                                   nn.ReLU(True)]
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(-1, self.z_dim, 1, 1))  # not len(z): torch.export keeps the batch dynamic


class NearestUp2x(nn.Module):
    """Nearest-neighbour 2× upsampling (N, C, H, W) -> (N, C, 2H, 2W), as ``F.interpolate(mode="nearest")`` but
    by broadcasting: ~8× faster on CPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x[:, :, :, None, :, None].expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


class GrownConvGenerator(nn.Module):
    """A generator grown one level, pg-GAN's growing step kept residual: z (N, z_dim) -> (N, C, R, R) in
    [-1, 1], from a base generator at R/2 and a learnt 2× upscaler of its images. The base is a
    :class:`ConvGenerator` of ``width`` channels, or the network ``base`` (in a spec, ``base`` is the base's own
    spec, which :func:`tlgan.models.registry.build_network` builds first: an R3GAN generator, say).

    :meth:`upscale` adds a correction to the R/2 image upsampled bilinearly; the correction is a small conv net on
    that image (two 3×3 conv + ReLU at R/2 with ``grow_width`` channels, nearest 2× upsampling, 3×3 conv + ReLU, a
    3×3 conv to C). Since it reads only the image, it can learn from real faces too (downsampled -> original).
    After :meth:`grow_from` the correction starts at zero: the grown model first draws the base's images upsampled.
    """

    def __init__(self, z_dim: int = 100, resolution: int = 64, channels: int = 3, width: int = 32,
                 grow_width: int = 32, base: nn.Module | None = None):
        super().__init__()
        self.z_dim, self.resolution, self.channels = z_dim, resolution, channels
        self.base = base if base is not None else ConvGenerator(z_dim, resolution // 2, channels, width)
        c = grow_width
        self.grow = nn.Sequential(
            nn.Conv2d(channels, c, 3, 1, 1), nn.ReLU(True), nn.Conv2d(c, c, 3, 1, 1), nn.ReLU(True),
            NearestUp2x(), nn.Conv2d(c, c // 2, 3, 1, 1), nn.ReLU(True),
            nn.Conv2d(c // 2, channels, 3, 1, 1))

    def grow_from(self, base: nn.Module) -> None:
        """Copy ``base``'s weights (at resolution R/2, the same network) and freeze them; the correction's layers get
        PyTorch's default initialisation and its last layer zeros."""
        self.base.load_state_dict(base.state_dict())
        self.base.requires_grad_(False)
        for m in self.grow:
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()
        nn.init.zeros_(self.grow[-1].weight)
        nn.init.zeros_(self.grow[-1].bias)

    def upscale(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, R/2, R/2) in [-1, 1] -> (N, C, R, R) in [-1, 1]."""
        up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return (up + self.grow(x)).clamp(-1, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upscale(self.base(z))


class ConvDiscriminator(nn.Module):
    """images (N, C, R, R) -> logits/critic values (N,). LeakyReLU 0.2; ``norm`` on all but the first layer.

    ``mbstd`` > 0 appends pg-GAN's minibatch-stddev map (groups of ``mbstd`` samples) before the head, so D sees
    how varied the batch is (N must then be divisible by min(mbstd, N))."""

    def __init__(self, resolution: int = 64, channels: int = 3, width: int = 64, norm: str = "batch",
                 mbstd: int = 0):
        super().__init__()
        self.mbstd = mbstd
        base, steps = _base_and_steps(resolution)
        c = width
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(steps - 1):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=norm == "none"), _norm(norm, c * 2), nn.LeakyReLU(0.2, True)]
            c *= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(c + (mbstd > 0), 1, base, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.mbstd:
            h = minibatch_stddev(h, self.mbstd)
        return self.head(h).view(-1)


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


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), BatchNorm weight N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
