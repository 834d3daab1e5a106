"""NVIDIA's StyleGAN2 / StyleGAN2-ADA generator (Karras et al. 2020), written from the papers and the layer
definitions for weights read out of ``network-snapshot-*.pkl`` files (:mod:`tlgan.importers`): same parameter and
buffer names, same arithmetic, float32 throughout.

The pieces: a mapping network (``normalize_2nd_moment(z)`` [+ the normalised embedding of a class label c], then
``num_layers`` equalised-lr fully connected layers with leaky ReLU × √2 and a learning-rate multiplier), ``w_avg``
and truncation ψ (with a layer cutoff); a synthesis network of one block per resolution 4…R, each two modulated
3×3 convolutions with weight demodulation (the first upsampling ×2 through the [1,3,3,1] low-pass filter), per-pixel
noise (``const`` | ``random`` | ``none``), bias + leaky ReLU × √2 clamped at ``conv_clamp``, and a 1×1 ToRGB whose
output is added to the upsampled image of the block below (the ``skip`` architecture). Channels at resolution r:
min(channel_base / r, channel_max). Layers NVIDIA runs in fp16 (``num_fp16_res``) are computed here in float32, as
the reference does with ``force_fp32``; ``conv_clamp`` applies either way.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError

GAINS = {"linear": 1.0, "relu": math.sqrt(2), "lrelu": math.sqrt(2)}  # the activations' default gains


def _act(x: torch.Tensor, act: str, gain: float = 1.0, clamp: float | None = None) -> torch.Tensor:
    """Activation ``act`` × its default gain × ``gain``, then clamped to ±``clamp``."""
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
    elif act == "relu":
        x = F.relu(x)
    g = GAINS[act] * gain
    if g != 1:
        x = x * g
    return x.clamp(-clamp, clamp) if clamp is not None else x


def lowpass_filter(taps=(1, 3, 3, 1)) -> torch.Tensor:
    """The normalised 2-D low-pass filter (k, k) built from 1-D ``taps`` (outer product, sum 1)."""
    f = torch.as_tensor(taps, dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def fir(x: torch.Tensor, f: torch.Tensor, up: int = 1, pad: tuple[int, int] = (0, 0), gain: float = 1.0):
    """Per-channel FIR filtering: insert ``up`` − 1 zeros after each pixel, pad ``pad`` (before, after) on both axes,
    convolve with ``f`` (k, k) × ``gain`` (the valid part). x (N, C, H, W) -> (N, C, H·up + p0 + p1 − k + 1, …)."""
    n, c, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    k = (f * gain).flip([0, 1]).to(x.dtype)[None, None].expand(c, 1, *f.shape)
    return F.conv2d(x, k, groups=c)


class FullyConnected(nn.Module):
    """Equalised-learning-rate linear layer: weight stored as randn / lr_mul, used × lr_mul / √in; bias × lr_mul."""

    def __init__(self, in_features: int, out_features: int, activation: str = "linear", lr_multiplier: float = 1.0,
                 bias_init: float = 0.0):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init)))
        self.weight_gain, self.bias_gain = lr_multiplier / math.sqrt(in_features), lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.addmm(self.bias * self.bias_gain, x, (self.weight * self.weight_gain).t())
        return _act(x, self.activation)


def _normalize(x: torch.Tensor) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


class Mapping(nn.Module):
    """z (N, z_dim) [, c (N, c_dim)] -> w (N, w_dim); ``w_avg`` is the training-time average of w."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_layers: int = 8, embed_features: int | None = None,
                 layer_features: int | None = None, activation: str = "lrelu", lr_multiplier: float = 0.01):
        super().__init__()
        self.z_dim, self.c_dim, self.num_layers = z_dim, c_dim, num_layers
        embed = 0 if c_dim == 0 else (w_dim if embed_features is None else embed_features)
        hidden = w_dim if layer_features is None else layer_features
        sizes = [z_dim + embed] + [hidden] * (num_layers - 1) + [w_dim]
        if c_dim:
            self.embed = FullyConnected(c_dim, embed)
        for i in range(num_layers):
            setattr(self, f"fc{i}", FullyConnected(sizes[i], sizes[i + 1], activation, lr_multiplier))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        parts = [_normalize(z)] if self.z_dim else []
        if self.c_dim:
            parts.append(_normalize(self.embed(c)))
        x = torch.cat(parts, 1) if len(parts) > 1 else parts[0]
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3×3 convolution with demodulation (optionally upsampling ×2), noise, bias, activation, clamp."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, up: int = 1,
                 activation: str = "lrelu", conv_clamp: float | None = None, kernel_size: int = 3,
                 use_noise: bool = True):
        super().__init__()
        self.resolution, self.up, self.activation, self.conv_clamp = resolution, up, activation, conv_clamp
        self.padding, self.use_noise = kernel_size // 2, use_noise
        self.register_buffer("resample_filter", lowpass_filter())
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        n, cin, h, _ = x.shape
        styles = self.affine(w)  # (N, in)
        wgt = self.weight[None] * styles[:, None, :, None, None]  # one modulated kernel per sample (N, out, in, k, k)
        wgt = wgt * (wgt.square().sum([2, 3, 4], keepdim=True) + 1e-8).rsqrt()  # demodulated
        cout, k = wgt.shape[1], wgt.shape[-1]
        x = x.reshape(1, n * cin, h, h)  # the batch as groups: one convolution for all samples
        if self.up == 1:
            x = F.conv2d(x, wgt.reshape(n * cout, cin, k, k), padding=self.padding, groups=n)
        else:  # a stride-2 transposed convolution, then the [1,3,3,1] low-pass (gain 4) trims it to 2H
            x = F.conv_transpose2d(x, wgt.transpose(1, 2).reshape(n * cin, cout, k, k), stride=self.up, groups=n)
            fw = self.resample_filter.shape[-1]
            pad = (self.padding + (fw + self.up - 1) // 2 - (k - 1), self.padding + (fw - self.up) // 2 - (k - self.up))
            x = fir(x, self.resample_filter, 1, pad, gain=self.up ** 2)
        x = x.reshape(n, cout, *x.shape[2:])
        if self.use_noise and noise_mode != "none":  # in place: a convolution's backward needs not its output
            noise = self.noise_const if noise_mode == "const" else \
                torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device)
            x.add_(noise * self.noise_strength)
        return _act(x.add_(self.bias[None, :, None, None]), self.activation, clamp=self.conv_clamp)


class ToRGB(nn.Module):
    """Modulated 1×1 convolution without demodulation, bias, clamp."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, conv_clamp: float | None = None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, cin, h, _ = x.shape
        wgt = self.weight[None] * (self.affine(w) * self.weight_gain)[:, None, :, None, None]  # (N, out, in, 1, 1)
        x = F.conv2d(x.reshape(1, n * cin, h, h), wgt.reshape(-1, cin, 1, 1), groups=n).reshape(n, -1, h, h)
        return _act(x + self.bias[None, :, None, None], "linear", clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """One resolution: [const 4×4 | conv0 ↑2], conv1, ToRGB added to the upsampled image (``skip``)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 conv_clamp: float | None = None, activation: str = "lrelu"):
        super().__init__()
        self.in_channels, self.resolution = in_channels, resolution
        self.register_buffer("resample_filter", lowpass_filter())
        kw = dict(w_dim=w_dim, resolution=resolution, conv_clamp=conv_clamp, activation=activation)
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, up=2, **kw)
        self.conv1 = SynthesisLayer(out_channels, out_channels, **kw)
        self.torgb = ToRGB(out_channels, img_channels, w_dim, conv_clamp)
        self.num_conv = 1 if in_channels == 0 else 2

    def forward(self, x, img, ws: torch.Tensor, noise_mode: str = "const"):
        ws = ws.unbind(1)
        if self.in_channels == 0:
            x = self.conv1(self.const[None].expand(len(ws[0]), -1, -1, -1), ws[0], noise_mode)
        else:
            x = self.conv1(self.conv0(x, ws[0], noise_mode), ws[1], noise_mode)
        if img is not None:
            fw = self.resample_filter.shape[-1]
            img = fir(img, self.resample_filter, 2, ((fw + 1) // 2, (fw - 2) // 2), gain=4)
        y = self.torgb(x, ws[self.num_conv])
        return x, y if img is None else img + y


class Synthesis(nn.Module):
    """ws (N, num_ws, w_dim) -> images (N, C, R, R), roughly in [-1, 1]."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 32768,
                 channel_max: int = 512, num_fp16_res: int = 0, conv_clamp: float | None = None,
                 architecture: str = "skip", resample_filter=(1, 3, 3, 1), activation: str = "lrelu",
                 **unused):
        super().__init__()
        if architecture != "skip" or list(resample_filter) != [1, 3, 3, 1] or activation not in GAINS:
            raise UserError(f"StyleGAN2 synthesis with architecture={architecture!r}, resample_filter="
                            f"{list(resample_filter)}, activation={activation!r} is not supported (tlgan reads the "
                            "'skip' generator with the [1,3,3,1] filter that NVIDIA's configs use)")
        self.w_dim, self.img_resolution, self.noise_mode = w_dim, img_resolution, "const"
        self.resolutions = [2 ** i for i in range(2, int(math.log2(img_resolution)) + 1)]
        ch = {r: min(channel_base // r, channel_max) for r in self.resolutions}
        self.num_ws = 0
        for r in self.resolutions:
            block = SynthesisBlock(ch[r // 2] if r > 4 else 0, ch[r], w_dim, r, img_channels, conv_clamp, activation)
            self.num_ws += block.num_conv
            setattr(self, f"b{r}", block)
        self.num_ws += 1  # the last ToRGB's w

    def forward(self, ws: torch.Tensor, noise_mode: str | None = None) -> torch.Tensor:
        noise_mode = noise_mode or self.noise_mode
        x = img = None
        i = 0
        for r in self.resolutions:
            block = getattr(self, f"b{r}")
            x, img = block(x, img, ws[:, i:i + block.num_conv + 1], noise_mode)
            i += block.num_conv
        return img


class NVStyleGAN2(nn.Module):
    """StyleGAN2(-ADA) generator with NVIDIA's parameter names: ``forward(z (N, z_dim)) -> images (N, C, R, R)`` at
    the stored truncation ψ (``truncation``, on the first ``truncation_cutoff`` layers; all when None), class
    ``class_index`` (conditional models) and noise mode.

    ``mapping`` / ``synthesis``: NVIDIA's ``mapping_kwargs`` / ``synthesis_kwargs``. The StyleGAN interface tlgan's
    W and W+ spaces use: ``map(z, psi) -> w``, ``map_plus(z) -> ws``, ``synthesis(ws) -> images`` (the stored
    noise mode), ``n_ws``, ``w_dim``."""

    def __init__(self, z_dim: int = 512, c_dim: int = 0, w_dim: int = 512, resolution: int = 1024, channels: int = 3,
                 mapping: dict | None = None, synthesis: dict | None = None, truncation: float = 1.0,
                 truncation_cutoff: int | None = None, class_index: int | None = None, noise_mode: str = "const"):
        super().__init__()
        if noise_mode not in ("const", "random", "none"):
            raise UserError(f"noise mode must be const, random or none, got {noise_mode!r}")
        if not 0 <= truncation <= 2:
            raise UserError(f"truncation psi must be in [0, 2], got {truncation}")
        if c_dim and (class_index is None or not 0 <= class_index < c_dim):
            raise UserError(f"this StyleGAN2 is conditional on {c_dim} classes: choose one with --class 0..{c_dim - 1}")
        self.z_dim, self.c_dim, self.w_dim, self.resolution, self.channels = z_dim, c_dim, w_dim, resolution, channels
        self.truncation, self.truncation_cutoff, self.noise_mode = float(truncation), truncation_cutoff, noise_mode
        self.class_index = class_index
        self.synthesis = Synthesis(w_dim, resolution, channels, **(synthesis or {}))  # ws -> images
        self.synthesis.noise_mode = noise_mode
        self.n_ws = self.synthesis.num_ws
        self.mapping = Mapping(z_dim, c_dim, w_dim, **{k: v for k, v in (mapping or {}).items()
                                                       if k not in ("num_ws", "w_avg_beta")})

    def _c(self, n: int, like: torch.Tensor) -> torch.Tensor | None:
        if not self.c_dim:
            return None
        return F.one_hot(torch.full((n,), self.class_index, device=like.device), self.c_dim).to(like.dtype)

    def map(self, z: torch.Tensor, psi: float | None = None) -> torch.Tensor:
        """z (N, z_dim) -> w (N, w_dim), truncated towards ``w_avg`` by ψ (default the stored one) on every layer."""
        w = self.mapping(z, self._c(len(z), z))
        psi = self.truncation if psi is None else psi
        return w if psi == 1 else self.mapping.w_avg.lerp(w, psi)

    def map_plus(self, z: torch.Tensor) -> torch.Tensor:
        """z -> ws (N, n_ws, w_dim) as NVIDIA's generator makes them: ψ on the first ``truncation_cutoff`` layers."""
        w = self.mapping(z, self._c(len(z), z))[:, None].repeat(1, self.n_ws, 1)
        if self.truncation != 1:
            k = self.n_ws if self.truncation_cutoff is None else self.truncation_cutoff
            w[:, :k] = self.mapping.w_avg.lerp(w[:, :k], self.truncation)
        return w

    def style_weights(self, first: int, last: int) -> torch.Tensor:
        """Effective weights (Σ C_in, w_dim) of the style affines that read ws[first..last] (SeFa's matrix): the
        convolutions', and for the last entry, which only the last ToRGB reads, that ToRGB's."""
        convs, rgbs, i = {}, {}, 0
        for r in self.synthesis.resolutions:
            block = getattr(self.synthesis, f"b{r}")
            for k, conv in enumerate([block.conv1] if block.in_channels == 0 else [block.conv0, block.conv1]):
                convs[i + k] = conv.affine
            rgbs[i + block.num_conv] = block.torgb.affine
            i += block.num_conv
        affines = [convs.get(j) or rgbs[j] for j in range(first, last + 1)]
        return torch.cat([(a.weight * a.weight_gain).detach() for a in affines])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.map_plus(z))
