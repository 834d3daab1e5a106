"""Architecture name -> network class: one spec dialect, ``{"arch": NAME, "kwargs": {...}}``, builds every network.

Every run stores the spec of each saved network in ``config.json`` (``networks``), so a network is rebuilt from
its run without any training code. The generator names ``mlp``, ``conv`` and ``style`` are those of the shipped
checkpoints and stay as they are.
"""
from __future__ import annotations

from torch import nn

from ..errors import UserError
from .conditional import CondDiscriminator, CondGenerator
from .conv import ConvDiscriminator, ConvEncoder, ConvGenerator, GrownConvGenerator
from .joint import ImagePairDiscriminator, JointDiscriminator, LatentPairDiscriminator
from .mlp import MLPDiscriminator, MLPGenerator
from .pggan import PGDiscriminator, PGGenerator
from .pggan_nv import NVPGGAN
from .r3gan import R3Discriminator, R3Generator
from .style import StyleGenerator
from .stylegan2_nv import NVStyleGAN2
from .translation import (
    LatentDomainClassifier,
    PatchDiscriminator,
    ResnetGenerator,
    SharedLatentTranslator,
    UNetGenerator,
)

ARCHS: dict[str, type[nn.Module]] = {
    "mlp": MLPGenerator,              # z -> images or points (the seeds' vanilla GAN)
    "conv": ConvGenerator,            # z -> images (DCGAN)
    "conv_grown": GrownConvGenerator,  # z -> images: a DCGAN grown one level (2x resolution)
    "style": StyleGenerator,          # z -> images (StyleGAN-style: mapping, modulated convs)
    "stylegan2_nv": NVStyleGAN2,      # z -> images: NVIDIA's StyleGAN2(-ADA), imported (tlgan import)
    "pggan_nv": NVPGGAN,              # z -> images: NVIDIA's pg-GAN (TensorFlow pickles), imported
    "pggan": PGGenerator,             # z -> images (progressive growing)
    "pggan_d": PGDiscriminator,
    "r3gan": R3Generator,             # z -> images (R3GAN's ResNet, no normalisation)
    "r3gan_d": R3Discriminator,
    "cond": CondGenerator,            # (z, labels) -> images (conditional GAN, AC-GAN); z alone: at its labels
    "cond_d": CondDiscriminator,
    "mlp_d": MLPDiscriminator,
    "conv_d": ConvDiscriminator,
    "conv_encoder": ConvEncoder,      # images -> latents (VAE, EGBAD, GANomaly, f-AnoGAN)
    "joint_d": JointDiscriminator,    # BiGAN's D(x, z)
    "pair_d": ImagePairDiscriminator,  # ALAD's D(x, x')
    "latent_pair_d": LatentPairDiscriminator,  # ALAD's D(z, z')
    "resnet": ResnetGenerator,        # images -> images (CycleGAN, StarGAN)
    "unet": UNetGenerator,            # images -> images with skips (pix2pix)
    "patch_d": PatchDiscriminator,
    "shared_latent": SharedLatentTranslator,  # per-domain encoders/decoders on one latent (UNIT, ComboGAN)
    "latent_d": LatentDomainClassifier,       # code -> domain logits (UNIT/XGAN's domain-adversarial loss)
}
# the archs load_generator can open
LATENT_GENERATORS = ("mlp", "conv", "conv_grown", "style", "stylegan2_nv", "pggan_nv", "pggan", "r3gan", "cond")


def spec(arch: str, **kwargs) -> dict:
    """The JSON spec of a network: ``{"arch": arch, "kwargs": kwargs}`` (kwargs JSON-serialisable)."""
    if arch not in ARCHS:
        raise UserError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHS)}")
    return {"arch": arch, "kwargs": kwargs}


def build_network(net_spec: dict) -> nn.Module:
    """Instantiate a network from its spec (a keyword whose value is itself a spec, e.g. a grown generator's
    ``base``, is built first); UserError if the spec is malformed."""
    try:
        kwargs = {k: build_network(v) if isinstance(v, dict) and "arch" in v else v
                  for k, v in net_spec["kwargs"].items()}
        return ARCHS[net_spec["arch"]](**kwargs)
    except (KeyError, TypeError) as e:
        raise UserError(f"invalid network spec {net_spec}: {e}") from None
