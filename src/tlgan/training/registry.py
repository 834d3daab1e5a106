"""FAMILIES: training family name -> trainer class. The one list a family joins (``tlgan train NAME``).

A trainer class fills the contract in :mod:`tlgan.training.trainer` (``build()``, ``step()``, ``keys``,
``defaults``); the CLI's family choices, config validation and the family-contract test all read this table.
"""
from __future__ import annotations

from ..config import COMMON_KEYS, TrainConfig, build, merged_values, resolve
from ..errors import UserError
from .conditional import ACGANTrainer, ConditionalTrainer
from .cyclegan import CycleGANTrainer
from .gan import GANTrainer, VanillaGANTrainer, WGANGPTrainer, WGANTrainer
from .pggan import PGGANTrainer
from .pix2pix import Pix2PixTrainer
from .r3gan import R3GANTrainer
from .stargan import StarGANTrainer
from .stylegan import StyleGANTrainer
from .trainer import Trainer
from .unit import ComboGANTrainer, SharedLatentTrainer
from .vae import VAETrainer

FAMILIES: dict[str, type[Trainer]] = {
    "gan": VanillaGANTrainer,
    "dcgan": GANTrainer,
    "wgan": WGANTrainer,
    "wgan-gp": WGANGPTrainer,
    "vae": VAETrainer,
    "stylegan": StyleGANTrainer,
    "pggan": PGGANTrainer,
    "r3gan": R3GANTrainer,
    "cyclegan": CycleGANTrainer,
    "stargan": StarGANTrainer,
    "cgan": ConditionalTrainer,
    "acgan": ACGANTrainer,
    "pix2pix": Pix2PixTrainer,
    "unit": SharedLatentTrainer,
    "combogan": ComboGANTrainer,
}


def family(name: str) -> type[Trainer]:
    """The trainer class of family ``name``; UserError naming the known ones."""
    if name not in FAMILIES:
        raise UserError(f"unknown model {name!r}; expected one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


def make_config(values: dict, check_keys: bool = True) -> TrainConfig:
    """A resolved TrainConfig from ``values`` (option -> value). Unknown keys are errors; with ``check_keys``
    so is a key the family does not read (e.g. ``ema`` for cyclegan), which would otherwise silently do nothing."""
    cfg = build(TrainConfig, values)
    fam = family(cfg.model)
    ignored = sorted(set(values) - COMMON_KEYS - fam.keys) if check_keys else []
    if ignored:
        raise UserError(f"{cfg.model} does not use config key(s) {', '.join(ignored)}; it reads: "
                        f"{', '.join(sorted(COMMON_KEYS | fam.keys))}")
    cfg = resolve(cfg, fam.defaults)
    fam.validate(cfg)
    return cfg


def load_config(path=None, **overrides) -> TrainConfig:
    """Defaults <- YAML file (if given) <- non-None keyword overrides; then :func:`make_config`."""
    return make_config(merged_values(path, overrides))
