"""Name -> network builders. A generator is rebuilt from the JSON ``spec`` stored with its checkpoint."""
from __future__ import annotations

from torch import nn

from ..errors import UserError
from .conv import ConvDiscriminator, ConvGenerator, dcgan_init
from .mlp import MLPDiscriminator, MLPGenerator
from .style import StyleGenerator

ARCHS = {"mlp": (MLPGenerator, MLPDiscriminator), "conv": (ConvGenerator, ConvDiscriminator),
         "style": (StyleGenerator, ConvDiscriminator)}


def generator_spec(cfg, data_shape: tuple[int, ...]) -> dict:
    """The JSON description of the generator a config trains on data of ``data_shape`` (C, H, W) or (D,)."""
    if cfg.model == "gan" or len(data_shape) == 1:
        point = len(data_shape) == 1
        kw = dict(z_dim=cfg.z_dim, out_shape=list(data_shape), hidden=list(cfg.mlp_hidden_g),
                  batchnorm=cfg.mlp_batchnorm, out_act="none" if point else "tanh")
        return {"arch": "mlp", "kwargs": kw}
    c, h, _w = data_shape
    if cfg.model == "stylegan":
        return {"arch": "style", "kwargs": dict(z_dim=cfg.z_dim, w_dim=cfg.z_dim, resolution=h, channels=c,
                                                width=cfg.width)}
    return {"arch": "conv", "kwargs": dict(z_dim=cfg.z_dim, resolution=h, channels=c, width=cfg.width)}


def build_generator(spec: dict) -> nn.Module:
    """Instantiate a generator from its spec ({'arch': 'mlp'|'conv', 'kwargs': {...}})."""
    try:
        cls = ARCHS[spec["arch"]][0]
        return cls(**spec["kwargs"])
    except (KeyError, TypeError) as e:
        raise UserError(f"invalid generator spec {spec}: {e}") from None


def build_discriminator(cfg, gen_spec: dict) -> nn.Module:
    """The discriminator/critic matching a generator spec, under the config's norm choice."""
    kw = gen_spec["kwargs"]
    if gen_spec["arch"] == "mlp":
        return MLPDiscriminator(in_shape=kw["out_shape"], hidden=list(cfg.mlp_hidden_d))
    return ConvDiscriminator(resolution=kw["resolution"], channels=kw["channels"], width=cfg.width, norm=cfg.d_norm)


def build_pair(cfg, data_shape) -> tuple[dict, nn.Module, nn.Module]:
    """(generator spec, G, D) for a config; conv nets get the DCGAN initialisation."""
    spec = generator_spec(cfg, data_shape)
    g, d = build_generator(spec), build_discriminator(cfg, spec)
    if spec["arch"] == "conv":
        dcgan_init(g)
    if spec["arch"] != "mlp":
        dcgan_init(d)
    return spec, g, d
