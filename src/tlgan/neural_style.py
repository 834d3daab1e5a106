"""Neural style transfer (Gatys et al.): optimise an image's pixels so that a feature network sees the content
image's layout in one deep layer and the style image's texture statistics (Gram matrices) in several layers.

Loss = content_weight · ‖φ_c(x) − φ_c(content)‖² + style_weight · Σ_l ‖G(φ_l(x)) − G(φ_l(style))‖² + tv_weight · TV(x),
with φ_l the ReLU activations of layer l, G the Gram matrix normalised by C·H·W, TV the mean absolute difference of
neighbouring pixels. Pixels live in [-1, 1] (clamped after each step), start from the content image.

Feature networks, all offline (:func:`feature_net`):
- ``random``: a fixed random-weight CNN (four stages of two 3×3 conv + ReLU, average pooling between; He-normal
  weights from a fixed seed) — random filters already carry texture statistics;
- ``faces`` / ``fashion``: the shipped extractor of that model (a trained CNN: eight conv + BN + ReLU layers);
- a directory holding any tlgan extractor.
Layers are named ``relu{stage}_{k}`` (stage 1.., k = 1, 2).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .errors import UserError


class LayerTaps(nn.Module):
    """A sequential CNN read at named ReLU outputs: ``forward(x) -> {name: activation (N, C, H, W)}``."""

    def __init__(self, layers: nn.Sequential, channels: int):
        super().__init__()
        self.layers, self.channels = layers, channels
        self.names, stage, k = {}, 1, 0
        for i, m in enumerate(layers):
            if isinstance(m, nn.ReLU):
                k += 1
                self.names[i] = f"relu{stage}_{k}"
                if k == 2:
                    stage, k = stage + 1, 0
        self.eval().requires_grad_(False)

    @property
    def layer_names(self) -> list[str]:
        """The tapped layers' names (``relu1_1`` …), shallow to deep."""
        return list(self.names.values())

    def forward(self, x: torch.Tensor, wanted: set[str]) -> dict[str, torch.Tensor]:
        out = {}
        for i, m in enumerate(self.layers):
            x = m(x)
            if self.names.get(i) in wanted:
                out[self.names[i]] = x
                if len(out) == len(wanted):
                    break
        return out


def random_net(channels: int, width: int = 32, seed: int = 0) -> LayerTaps:
    """The fixed random-weight CNN for images with ``channels`` channels (same weights for the same seed)."""
    gen = torch.Generator().manual_seed(seed)
    layers, c = [], channels
    for stage in range(4):
        w = width * 2 ** stage
        for _ in range(2):
            conv = nn.Conv2d(c, w, 3, 1, 1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2 / (9 * c)) ** 0.5)
                conv.bias.zero_()
            layers += [conv, nn.ReLU()]
            c = w
        if stage < 3:
            layers.append(nn.AvgPool2d(2))
    return LayerTaps(nn.Sequential(*layers), channels)


def feature_net(spec: str, channels: int) -> LayerTaps:
    """``random``, ``faces``, ``fashion`` (the shipped extractors) or an extractor directory, for images with
    ``channels`` channels; UserError if the extractor reads another channel count."""
    if spec == "random":
        return random_net(channels)
    from .extractors import load_extractor
    from .pretrained import SHIPPED, default_paths
    path = default_paths(spec)["extractor"] if spec in SHIPPED else spec
    ext = load_extractor(path)
    if ext.channels != channels:
        raise UserError(f"the {spec} feature network reads {ext.channels}-channel images; these have {channels} "
                        "(use --net random, built for any channel count)")
    body = [m for m in ext.body if not isinstance(m, (nn.AdaptiveAvgPool2d, nn.Flatten))]
    return LayerTaps(nn.Sequential(*body), channels)


def gram(a: torch.Tensor) -> torch.Tensor:
    """Gram matrices (N, C, C) of activations (N, C, H, W), normalised by C·H·W."""
    n, c, h, w = a.shape
    f = a.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between vertically and horizontally neighbouring pixels of (N, C, H, W)."""
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()


def load_pair(content, style, size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the content and style images (paths), centre-cropped and resized to ``size``: two (1, C, size, size)
    tensors in [-1, 1] with the same C (UserError for a size outside [8, 1024] or RGB beside greyscale)."""
    import numpy as np

    from .data.images import center_crop_resize, read_image, to_model_range
    if not 8 <= size <= 1024:
        raise UserError("--size must be between 8 and 1024")
    arrs = [read_image(p, channels=0) for p in (content, style)]
    if arrs[0].shape[2] != arrs[1].shape[2]:
        raise UserError(f"{content} has {arrs[0].shape[2]} channel(s) and {style} {arrs[1].shape[2]}: give two "
                        "RGB or two greyscale images")
    return tuple(to_model_range(torch.from_numpy(np.ascontiguousarray(center_crop_resize(a, size)))
                                .permute(2, 0, 1)[None]) for a in arrs)


@dataclass
class StyleLoss:
    """The three terms for one (content, style) pair on one feature network; call with the image being made."""
    net: LayerTaps
    content: torch.Tensor
    style: torch.Tensor
    content_layer: str = "relu3_2"
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 0.0

    def __post_init__(self):
        if self.content.shape[1] != self.style.shape[1]:
            raise UserError(f"content has {self.content.shape[1]} channels and style {self.style.shape[1]}: give "
                            "two RGB or two greyscale images")
        unknown = sorted({self.content_layer, *self.style_layers} - set(self.net.layer_names))
        if unknown:
            raise UserError(f"unknown layer(s) {', '.join(unknown)}; this network has "
                            f"{', '.join(self.net.layer_names)}")
        with torch.no_grad():
            self.target_content = self.net(self.content, {self.content_layer})[self.content_layer]
            self.target_grams = {k: gram(v) for k, v in self.net(self.style, set(self.style_layers)).items()}

    def terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"content", "style", "tv"} unweighted losses of image ``x`` (1, C, H, W) in [-1, 1]."""
        acts = self.net(x, {self.content_layer, *self.style_layers})
        style = sum(F.mse_loss(gram(acts[k]), g, reduction="sum") for k, g in self.target_grams.items())
        return {"content": F.mse_loss(acts[self.content_layer], self.target_content), "style": style,
                "tv": total_variation(x)}

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        t = self.terms(x)
        total = self.content_weight * t["content"] + self.style_weight * t["style"] + self.tv_weight * t["tv"]
        return total, t


def transfer(loss: StyleLoss, steps: int = 300, optimizer: str = "adam", lr: float = 0.02,
             progress: bool = True) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Optimise the pixels, starting from the content image: (image (1, C, H, W) in [-1, 1], loss trace: the
    unweighted terms every step)."""
    if optimizer not in ("adam", "lbfgs"):
        raise UserError(f"--optimizer must be adam or lbfgs, got {optimizer!r}")
    if steps < 1:
        raise UserError("--steps must be >= 1")
    from .progress import progress_bar
    x = loss.content.clone().requires_grad_(True)
    trace = []
    if optimizer == "adam":
        opt = torch.optim.Adam([x], lr=lr)
        for _ in progress_bar(range(steps), desc="style transfer", disable=not progress):
            total, t = loss(x)
            opt.zero_grad(set_to_none=True)
            total.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(-1, 1)
            trace.append({k: float(v.detach()) for k, v in t.items()})
    else:
        opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad(set_to_none=True)
            total, t = loss(x)
            total.backward()
            closure.terms = t
            return total
        for _ in progress_bar(range(steps), desc="style transfer (L-BFGS)", disable=not progress):
            opt.step(closure)
            with torch.no_grad():
                x.clamp_(-1, 1)
            trace.append({k: float(v.detach()) for k, v in closure.terms.items()})
    return x.detach(), trace
