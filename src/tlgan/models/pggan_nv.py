"""NVIDIA's progressive GAN generator (Karras et al., ICLR 2018: ``G_paper``) for weights read out of its TensorFlow
pickles (:mod:`tlgan.importers`), e.g. the CelebA-HQ ``karras2018iclr-celebahq-1024x1024.pkl`` TL-GAN steered.

The weights stay in TensorFlow's layout under their TensorFlow names (``4x4/Dense/weight`` [in, out],
``8x8/Conv0_up/weight`` [k, k, out, in], ``16x16/Conv1/weight`` [k, k, in, out], ``ToRGB_lod0/bias``, …), so an
import is a copy. The forward pass: pixel-normalised latents (+ labels),
a 4×4 dense start (gain √2/4) then a 3×3 conv; per doubling a fused ×2 transposed conv (or nearest ×2 + conv) and a
3×3 conv; every layer with equalised learning rate (weights × gain/√fan_in), bias, leaky ReLU 0.2 and pixel norm;
1×1 ToRGB per level, blended by ``lod`` (0: the top level alone; 1.5: halfway between the two levels below the top,
upscaled by nearest neighbour), as the paper's 'linear' structure defines it.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError


def _pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


def _upscale(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    return x.repeat_interleave(factor, 2).repeat_interleave(factor, 3) if factor > 1 else x


class NVPGGAN(nn.Module):
    """pg-GAN's generator: ``forward(z (N, z_dim)) -> images (N, C, R, R)`` (roughly [-1, 1]).

    ``variables``: name -> shape of every TensorFlow variable (the spec records them; weights load by name);
    ``class_index``: the label to draw for a model trained with labels; ``lod``: the level-of-detail blend
    (None: the value stored in the checkpoint)."""

    def __init__(self, z_dim: int = 512, resolution: int = 1024, channels: int = 3, label_size: int = 0,
                 variables: dict | None = None, fused_scale: bool = True, normalize_latents: bool = True,
                 use_wscale: bool = True, use_pixelnorm: bool = True, use_leakyrelu: bool = True,
                 class_index: int | None = None, lod: float | None = None):
        super().__init__()
        if label_size and (class_index is None or not 0 <= class_index < label_size):
            raise UserError(f"this pg-GAN draws from {label_size} labels: choose one with --class 0..{label_size - 1}")
        self.z_dim, self.resolution, self.channels, self.label_size = z_dim, resolution, channels, label_size
        self.log2 = int(math.log2(resolution))
        self.fused, self.normalize_latents, self.wscale = fused_scale, normalize_latents, use_wscale
        self.pixelnorm, self.leaky, self.class_index, self.lod_override = use_pixelnorm, use_leakyrelu, class_index, lod
        self.v = nn.ParameterDict({k: nn.Parameter(torch.zeros(shape), requires_grad=False)
                                   for k, shape in (variables or {}).items()})
        missing = [n for n in self._needed() if n not in self.v]
        if missing:
            raise UserError(f"pg-GAN variables missing: {', '.join(missing[:4])}")
        self.dense = nn.Identity()  # the 4×4 dense layer's output (N, 16·C): a module GANSpace can read (--layer)

    def _needed(self) -> list[str]:
        names = ["4x4/Dense/weight", "4x4/Dense/bias", "4x4/Conv/weight", "4x4/Conv/bias", "lod"]
        for res in range(3, self.log2 + 1):
            r = f"{2 ** res}x{2 ** res}"
            names += [f"{r}/{'Conv0_up' if self.fused else 'Conv0'}/{p}" for p in ("weight", "bias")]
            names += [f"{r}/Conv1/{p}" for p in ("weight", "bias")]
        names += [f"ToRGB_lod{lod}/{p}" for lod in range(self.log2 - 1) for p in ("weight", "bias")]
        return names

    def _w(self, name: str, gain: float, fan_in: int) -> torch.Tensor:
        w = self.v[name]
        return w * (gain / math.sqrt(fan_in)) if self.wscale else w

    def _post(self, x: torch.Tensor, scope: str) -> torch.Tensor:
        """Bias, leaky ReLU (or ReLU), pixel norm."""
        x = x + self.v[f"{scope}/bias"].view(1, -1, 1, 1)
        x = torch.maximum(x * 0.2, x) if self.leaky else F.relu(x)
        return _pixel_norm(x) if self.pixelnorm else x

    def _conv(self, x: torch.Tensor, scope: str, gain: float = math.sqrt(2)) -> torch.Tensor:
        w = self.v[f"{scope}/weight"]  # [k, k, in, out]
        k, cin = w.shape[0], w.shape[2]
        return F.conv2d(x, self._w(f"{scope}/weight", gain, k * k * cin).permute(3, 2, 0, 1), padding=k // 2)

    def _up_conv(self, x: torch.Tensor, scope: str) -> torch.Tensor:
        """The fused ×2: the 3×3 kernel [k, k, out, in] padded and summed over its four shifts into 4×4, then a
        stride-2 transposed convolution (TensorFlow's SAME padding: 1 on each side)."""
        w = self.v[f"{scope}/weight"]
        k, cin = w.shape[0], w.shape[3]
        w = F.pad(self._w(f"{scope}/weight", math.sqrt(2), k * k * cin).permute(2, 3, 0, 1), (1, 1, 1, 1))
        w = w[:, :, 1:, 1:] + w[:, :, :-1, 1:] + w[:, :, 1:, :-1] + w[:, :, :-1, :-1]  # [out, in, 4, 4]
        return F.conv_transpose2d(x, w.transpose(0, 1), stride=2, padding=1)

    def _torgb(self, x: torch.Tensor, res: int) -> torch.Tensor:
        scope = f"ToRGB_lod{self.log2 - res}"
        return self._conv(x, scope, gain=1.0) + self.v[f"{scope}/bias"].view(1, -1, 1, 1)

    def latent_weight(self) -> tuple[str, torch.Tensor]:
        """("dense", A (16·C, z_dim)): the dense layer's effective weight on the (pixel-normalised) latent, its
        label columns left out; SeFa's matrix in Z."""
        w = self._w("4x4/Dense/weight", math.sqrt(2) / 4, self.v["4x4/Dense/weight"].shape[0])
        return "dense", w[:self.z_dim].T.detach()

    @property
    def lod(self) -> float:
        """Level of detail the snapshot draws at (0 = full resolution), or the override set on this model."""
        return float(self.v["lod"]) if self.lod_override is None else float(self.lod_override)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z
        if self.label_size:
            x = torch.cat([z, F.one_hot(torch.full((len(z),), self.class_index, device=z.device),
                                        self.label_size).to(z.dtype)], 1)
        if self.normalize_latents:
            x = _pixel_norm(x)
        w = self._w("4x4/Dense/weight", math.sqrt(2) / 4, x.shape[1])
        x = self._post(self.dense(x @ w).view(len(x), -1, 4, 4), "4x4/Dense")
        x = self._post(self._conv(x, "4x4/Conv"), "4x4/Conv")
        lod, images = self.lod, self._torgb(x, 2)
        for res in range(3, self.log2 + 1):
            r = f"{2 ** res}x{2 ** res}"
            if self.fused:
                x = self._post(self._up_conv(x, f"{r}/Conv0_up"), f"{r}/Conv0_up")
            else:
                x = self._post(self._conv(_upscale(x), f"{r}/Conv0"), f"{r}/Conv0")
            x = self._post(self._conv(x, f"{r}/Conv1"), f"{r}/Conv1")
            img = self._torgb(x, res)
            t = min(max(lod - (self.log2 - res), 0.0), 1.0)  # lerp_clip(img, upscaled lower level, lod - level)
            images = img + (_upscale(images) - img) * t
        return images
