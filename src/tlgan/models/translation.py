"""Image-to-image translation networks: CycleGAN's ResNet generator and PatchGAN discriminator, the image pool.

StarGAN reuses both: its generator takes the target labels tiled over the image as extra input channels, and
its discriminator adds a classification head.
"""
from __future__ import annotations

import random

import torch
from torch import nn


def _conv_norm_relu(c_in: int, c_out: int, k: int, stride: int = 1, pad: int = 0, up: bool = False) -> list:
    conv = (nn.ConvTranspose2d(c_in, c_out, k, stride, pad, output_padding=1) if up
            else nn.Conv2d(c_in, c_out, k, stride, pad))
    return [conv, nn.InstanceNorm2d(c_out, affine=True), nn.ReLU(True)]


class ResBlock(nn.Module):
    """x + (conv3 – IN – ReLU – conv3 – IN)(x), reflection padding."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True),
                                  nn.ReLU(True), nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3),
                                  nn.InstanceNorm2d(c, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """images (N, C + extra, R, R) in [−1, 1] → images (N, C, R, R) in [−1, 1].

    c7s1-w, d2w, d4w, ``n_res`` residual blocks, u2w, uw, c7s1-C, tanh (CycleGAN's generator; 9 blocks at 256
    px, fewer here). ``extra`` input channels carry StarGAN's tiled target labels.
    """

    def __init__(self, channels: int = 3, width: int = 32, n_res: int = 4, extra: int = 0):
        super().__init__()
        self.channels, self.extra = channels, extra
        # Tiled labels are constant over the image: an InstanceNorm right after the first convolution would
        # subtract their whole contribution, so with labels the stem is conv → ReLU (the ReLU mixes them in).
        stem = _conv_norm_relu(channels + extra, width, 7)
        layers = [nn.ReflectionPad2d(3), *(stem[::2] if extra else stem),
                  *_conv_norm_relu(width, 2 * width, 3, 2, 1), *_conv_norm_relu(2 * width, 4 * width, 3, 2, 1)]
        layers += [ResBlock(4 * width) for _ in range(n_res)]
        layers += [*_conv_norm_relu(4 * width, 2 * width, 3, 2, 1, up=True),
                   *_conv_norm_relu(2 * width, width, 3, 2, 1, up=True),
                   nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.extra:
            if labels is None or labels.shape != (len(x), self.extra):
                raise ValueError(f"this generator needs target labels of shape (N, {self.extra})")
            x = torch.cat([x, labels[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: images (N, C, R, R) → a grid of real/fake scores (N, 1, P, P), one per receptive field.

    Stride-2 4×4 convolutions (LeakyReLU 0.2, InstanceNorm after the first) down to R/8, then two stride-1 4×4
    convolutions: the 70×70 PatchGAN at 256 px, scaled to the resolution by its depth. With ``n_classes`` a
    second head (StarGAN) returns class logits (N, n_classes) from the same trunk; ``norm=False`` drops the
    InstanceNorm (StarGAN's WGAN-GP critic: the penalty is per sample).
    """

    def __init__(self, channels: int = 3, width: int = 32, resolution: int = 32, n_classes: int = 0,
                 norm: bool = True):
        super().__init__()
        n_down = 3 if resolution >= 32 else 2
        layers, c = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)], width
        for _ in range(n_down - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), *([nn.InstanceNorm2d(2 * c, affine=True)] if norm else []),
                       nn.LeakyReLU(0.2, True)]
            c *= 2
        self.trunk = nn.Sequential(*layers)
        self.src = nn.Conv2d(c, 1, 3, 1, 1)
        side = resolution // 2 ** n_down
        self.cls = nn.Conv2d(c, n_classes, side) if n_classes else None

    def forward(self, x: torch.Tensor):
        h = self.trunk(x)
        if self.cls is None:
            return self.src(h)
        return self.src(h), self.cls(h).flatten(1)


def set_attributes(labels: torch.Tensor, updates: dict[str, float], names: list[str],
                   exclusive: dict[str, list[str]] | None = None) -> torch.Tensor:
    """Labels (N, K) with the named columns set (values in [0, 1]); an attribute set to 1 zeroes those listed
    as exclusive with it (hair colours). Returns a new tensor."""
    out = labels.clone()
    for name, value in updates.items():
        if value >= 0.5:
            for other in (exclusive or {}).get(name, []):
                out[:, names.index(other)] = 0.0
        out[:, names.index(name)] = value
    return out


class ImagePool:
    """CycleGAN's history of generated images: D sees a 50/50 mix of fresh fakes and older ones (size 50)."""

    def __init__(self, size: int = 50, seed: int = 0):
        self.size, self.images, self.rng = size, [], random.Random(seed)

    def state(self) -> dict:
        """The pool's images and random state (for a bit-identical resume)."""
        images = torch.stack(self.images) if self.images else torch.empty(0)
        return {"images": images, "rng": torch.tensor(self.rng.getstate()[1], dtype=torch.int64)}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` returned."""
        self.images = list(state["images"])
        version, _, gauss = self.rng.getstate()
        self.rng.setstate((version, tuple(int(v) for v in state["rng"]), gauss))

    def query(self, batch: torch.Tensor) -> torch.Tensor:
        """A batch (N, C, R, R) → a batch of the same shape, each image fresh or swapped for a stored one."""
        if self.size == 0:
            return batch
        out = []
        for img in batch.detach():
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif self.rng.random() < 0.5:
                i = self.rng.randrange(self.size)
                out.append(self.images[i])
                self.images[i] = img
            else:
                out.append(img)
        return torch.stack(out)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net: images (N, C, R, R) in [-1, 1] -> images (N, C_out, R, R) in [-1, 1] (tanh).

    ``depth`` stride-2 4×4 convolutions down (LeakyReLU 0.2, InstanceNorm after the first), as many transposed
    convolutions up (ReLU, InstanceNorm), each up-step concatenated with the down-step of its size (the skips);
    dropout 0.5 in the innermost up-steps is pix2pix's noise in training (eval mode turns it off)."""

    def __init__(self, channels: int = 3, out_channels: int | None = None, width: int = 32, depth: int = 4,
                 max_channels: int = 256, dropout: float = 0.5):
        super().__init__()
        self.channels = channels
        widths = [min(width * 2 ** i, max_channels) for i in range(depth)]
        self.down = nn.ModuleList()
        c = channels
        for i, w in enumerate(widths):
            self.down.append(nn.Sequential(nn.Conv2d(c, w, 4, 2, 1),
                                           *([nn.InstanceNorm2d(w, affine=True)] if 0 < i < depth - 1 else []),
                                           nn.LeakyReLU(0.2, True)))
            c = w
        self.up = nn.ModuleList()
        for i in reversed(range(depth - 1)):
            inner = c if i == depth - 2 else 2 * c
            self.up.append(nn.Sequential(nn.ConvTranspose2d(inner, widths[i], 4, 2, 1),
                                         nn.InstanceNorm2d(widths[i], affine=True), nn.ReLU(True),
                                         *([nn.Dropout(dropout)] if i >= depth - 3 and dropout > 0 else [])))
            c = widths[i]
        self.out = nn.Sequential(nn.ConvTranspose2d(2 * c, out_channels or channels, 4, 2, 1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
        for i, u in enumerate(self.up):
            x = u(x if i == 0 else torch.cat([x, skips[-1 - i]], 1))
        return self.out(torch.cat([x, skips[0]], 1))


class SharedLatentTranslator(nn.Module):
    """Per-domain encoders and decoders around one latent space (UNIT, ComboGAN): any domain's code decodes in
    any other domain.

    encode(x (N, C, R, R) in [−1, 1], i) -> code (N, 4w, R/4, R/4): c7s1-w, d2w, d4w, ``n_res`` residual blocks,
    the last of which is one block shared by every domain when ``shared`` (UNIT's weight sharing: the same code
    means the same thing in every domain); decode(code, j) -> images: the mirror image, its first residual block
    shared. ``shared=False`` (ComboGAN) keeps every block per domain. forward(x, i, j) translates domain i to j.
    """

    def __init__(self, channels: int = 3, width: int = 32, n_res: int = 2, n_domains: int = 2,
                 shared: bool = True):
        super().__init__()
        self.channels, self.n_domains = channels, n_domains
        c = 4 * width

        def encoder(private_blocks: int) -> nn.Sequential:
            return nn.Sequential(nn.ReflectionPad2d(3), *_conv_norm_relu(channels, width, 7),
                                 *_conv_norm_relu(width, 2 * width, 3, 2, 1), *_conv_norm_relu(2 * width, c, 3, 2, 1),
                                 *[ResBlock(c) for _ in range(private_blocks)])

        def decoder(private_blocks: int) -> nn.Sequential:
            return nn.Sequential(*[ResBlock(c) for _ in range(private_blocks)],
                                 *_conv_norm_relu(c, 2 * width, 3, 2, 1, up=True),
                                 *_conv_norm_relu(2 * width, width, 3, 2, 1, up=True),
                                 nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh())
        private = n_res - 1 if shared else n_res
        self.enc = nn.ModuleList(encoder(private) for _ in range(n_domains))
        self.dec = nn.ModuleList(decoder(private) for _ in range(n_domains))
        self.enc_shared = ResBlock(c) if shared else nn.Identity()
        self.dec_shared = ResBlock(c) if shared else nn.Identity()

    def encode(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Shared code (N, 4·width, R/4, R/4) of images ``x`` (N, C, R, R) in [-1, 1] from domain ``i``."""
        return self.enc_shared(self.enc[i](x))

    def decode(self, h: torch.Tensor, j: int) -> torch.Tensor:
        """Images (N, C, R, R) in [-1, 1] of domain ``j`` from shared codes ``h`` (``encode``'s output)."""
        return self.dec[j](self.dec_shared(h))

    def forward(self, x: torch.Tensor, i: int = 0, j: int = 1) -> torch.Tensor:
        return self.decode(self.encode(x, i), j)


class LatentDomainClassifier(nn.Module):
    """Codes (N, C, H, W) -> domain logits (N, n_domains): the domain discriminator the encoders learn to fool."""

    def __init__(self, code_channels: int = 128, n_domains: int = 2):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(code_channels, code_channels, 3, 1, 1), nn.LeakyReLU(0.2, True),
                                 nn.Conv2d(code_channels, code_channels, 3, 2, 1), nn.LeakyReLU(0.2, True),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(code_channels, n_domains))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)
