"""Training configuration: every default lives in code; YAML files only override; unknown keys are errors.

``None`` means "the model family's default" (its trainer's ``defaults``), filled in by :func:`resolve`; a key the
chosen family does not read is an error when set (:func:`tlgan.training.registry.make_config`). The resolved
config is saved as ``config.json`` in every run directory.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

MAX_SEED = 2 ** 31 - 1  # seeds (of weights, latents, the renderer) are 0..MAX_SEED everywhere: CLI, configs, the editor

COMMON_KEYS = frozenset({"model", "data", "resolution", "n_data", "data_seed", "steps", "batch_size", "seed",
                         "log_every", "sample_every", "ckpt_every", "lr_decay", "optimizer", "lr_g", "lr_d",
                         "betas"})  # read by every family; a family declares the rest it reads (Trainer.keys)


@dataclass
class TrainConfig:
    """Every training setting with its default; a YAML file or the command line overrides a field, an unknown key
    is a UserError. A family reads the common keys and those it declares (``Trainer.keys``)."""
    model: str = "dcgan"                  # a family of tlgan.training.registry.FAMILIES
    data: str = "faces"                   # faces | fashion | digits | ring8 | folder:PATH
    resolution: int | None = None         # None: the dataset's native size (faces 64, fashion 28, digits 32)
    n_data: int | None = None             # images to load or render (None: dataset default; faces 30k)
    data_seed: int = 0                    # seed of the faces renderer
    steps: int = 5000                     # generator updates
    batch_size: int = 64
    z_dim: int = 100
    width: int = 64                       # conv nets: channels of G's last and D's first layer
    mlp_hidden_g: list[int] = field(default_factory=lambda: [256, 512, 1024])
    mlp_hidden_d: list[int] = field(default_factory=lambda: [512, 256])
    mlp_batchnorm: bool = True
    d_norm: str | None = None             # batch | layer | none (WGAN-GP: never batch)
    d_mbstd: int = 0                      # conv D: minibatch-stddev group size before the head (0: off)
    grow_from: str | None = None          # dcgan: grow this conv generator (run/export dir, resolution/2) one level;
                                          # its weights stay frozen, ``width`` is the new 2x level's channels
    grow_l1: float = 100.0                # dcgan with grow_from: weight of the L1 loss of upscaling real images
                                          # (downsampled -> original), beside the adversarial loss
    grow_gan: float = 1.0                 # dcgan with grow_from: weight of the adversarial loss (0: the new level
                                          # is an upscaler learnt from real faces by L1 alone; D is not trained)
    d_loss: str | None = None             # bce | wasserstein | lsgan | hinge | relativistic (R3GAN's objective:
    g_loss: str | None = None             # nonsaturating | wasserstein | lsgan | hinge | relativistic  both, + R1/R2)
    optimizer: str | None = None          # adam | rmsprop
    lr_g: float | None = None
    lr_d: float | None = None
    betas: list[float] | None = None      # Adam only
    n_critic: int | None = None           # D updates per G update
    clip: float | None = None             # WGAN weight clipping (0 = off)
    gp_lambda: float | None = None        # gradient penalty weight (0 = off)
    lr_decay: str = "none"                # none | linear (to 0 at the last step)
    ema: float | None = None              # EMA decay of G's weights (0 = off), e.g. 0.999
    seed: int = 0
    log_every: int = 50                   # TensorBoard scalars / progress-bar refresh
    sample_every: int = 500               # fixed-noise sample grid
    ckpt_every: int = 1000                # checkpoint (atomic; keeps last, and best when metric != none)
    metric: str = "none"                  # none | fd  (FD-<dataset> at each checkpoint -> best/)
    metric_samples: int = 2000
    fd_extractor_steps: int = 1500        # training steps of FD's default feature network (cached per dataset)
    vae_decoder: str = "bernoulli"        # vae: bernoulli (pixels in [0, 1]) | gaussian (fixed sigma)
    vae_sigma: float = 0.1                # vae, gaussian decoder: sigma on the [-1, 1] pixel scale
    r1_gamma: float = 1.0                 # stylegan: R1 penalty weight (lazy, every 16 steps)
    style_mixing: float = 0.9             # stylegan: probability of mixing two latents' styles in a batch
    widths: list[int] | None = None       # r3gan: channels per stage, 4x4 first (None: the family's for the resolution)
    blocks: int = 1                       # r3gan: residual blocks per stage
    expansion: int = 2                    # r3gan: a block's 1x1 conv widens its channels by this factor
    cardinality: int = 1                  # r3gan: groups of a block's 3x3 conv
    gamma: float = 1.0                    # r3gan: weight of R1 + R2 (gamma/2 (R1 + R2)) at the start ... (the GAN
                                          # family with the relativistic losses: the constant weight)
    gamma_end: float = 0.1                # ... and at the end of its cosine schedule
    lr_end: float = 0.25                  # r3gan: lr at the end of its cosine schedule, a fraction of lr_g / lr_d
    beta2_end: float = 0.99               # r3gan: Adam's beta2 at the end of its cosine schedule (from betas[1])
    schedule_kimg: float | None = None    # r3gan: length of the cosine schedules in thousands of images (None: the
                                          # run's steps x batch_size; set it to resume to more steps on the same curve)
    penalty_every: int = 1                # r3gan: R1 + R2 every k D steps, weighted gamma * k (lazy penalties)
    ema_half_life: float = 10.0           # r3gan: half-life of the EMA of G in thousands of images (0: no EMA) ...
    ema_ramp: float = 0.05                # ... at most this fraction of the images seen so far (a ramp from 0)
    augment: list[str] = field(default_factory=list)  # r3gan: D sees real and fake through: xflip, translate
    data_b: str | None = None             # cyclegan, pix2pix, unit: the second domain, e.g. fashion#Sandal
    n_res: int = 4                        # cyclegan/stargan: residual blocks of the generator
    cycle_lambda: float = 10.0            # cyclegan: cycle-consistency weight
    identity: float = 0.5                 # cyclegan: identity weight, as a multiple of cycle_lambda
    pool_size: int = 50                   # cyclegan: history of generated images shown to D
    attributes: list[str] | None = None   # stargan/cgan/acgan: the conditioning labels (default: the family's)
    cls_lambda: float = 1.0               # stargan, acgan: attribute-classification weight
    d_cond: str | None = None             # cgan: how D sees the labels: projection | concat
    l1_lambda: float | None = None        # pix2pix: weight of the L1 distance to the paired target (default 100)
    rec_lambda: float = 10.0              # stargan, unit: reconstruction weight
    kl_lambda: float | None = None        # unit: weight of the KL term on the code (default 0.01)
    latent_discriminator: float = 0.0     # unit, combogan: weight of the domain-adversarial loss on the code (0: off)
    semantic_consistency: float = 0.0     # unit (XGAN): weight of ||e(x) - e(translation of x)||_1 (0: off)
    domains: list[str] | None = None      # combogan: every domain's data spec (data is the first)
    max_channels: int = 256               # pggan: feature maps at the coarse levels are capped here
    pg_phase_steps: int = 1000            # pggan: generator updates per fade-in and per stabilisation phase
    pg_batch_sizes: list[int] | None = None  # pggan: batch size per level, 4x4 first (None: batch_size)
    drift: float = 0.001                  # pggan (wasserstein): weight of the drift term E[D(x)^2]


def resolve(cfg: TrainConfig, defaults: dict) -> TrainConfig:
    """Fill ``defaults`` (a family's) into unset fields and validate the set ones (UserError if invalid)."""
    cfg = dataclasses.replace(cfg, **{k: v for k, v in defaults.items() if getattr(cfg, k) is None})
    from .losses import D_LOSSES, G_LOSSES
    checks = [(cfg.d_loss in (None, *D_LOSSES), f"d_loss must be one of {sorted(D_LOSSES)}"),
              (cfg.g_loss in (None, *G_LOSSES), f"g_loss must be one of {sorted(G_LOSSES)}"),
              ((cfg.d_loss == "relativistic") == (cfg.g_loss == "relativistic"),
               "d_loss and g_loss are relativistic together (R3GAN's objective) or not at all"),
              (cfg.optimizer in (None, "adam", "rmsprop"), "optimizer must be adam or rmsprop"),
              (cfg.optimizer != "adam" or cfg.betas is not None, "adam needs betas"),
              (cfg.steps >= 1 and 2 <= cfg.batch_size <= 65_536, "steps must be >= 1 and batch_size in 2..65536"),
              (min(cfg.z_dim, cfg.width, cfg.max_channels, cfg.pg_phase_steps, cfg.n_res + 1) >= 1,
               "z_dim, width, max_channels and pg_phase_steps must be >= 1, n_res >= 0"),
              (cfg.n_data is None or cfg.n_data >= 1, "n_data must be >= 1"),
              (0 <= min(cfg.seed, cfg.data_seed) and max(cfg.seed, cfg.data_seed) <= MAX_SEED,
               f"seed and data_seed must be in 0..{MAX_SEED}"),
              (cfg.resolution is None or cfg.resolution >= 4, "resolution must be >= 4"),
              (all(lr is None or lr > 0 for lr in (cfg.lr_g, cfg.lr_d)), "learning rates must be > 0"),
              (cfg.betas is None or (len(cfg.betas) == 2 and all(0 <= b < 1 for b in cfg.betas)),
               "betas must be two numbers in [0, 1), e.g. [0.5, 0.999]"),
              (all(v is None or v >= 0 for v in (cfg.clip, cfg.gp_lambda, cfg.drift, cfg.cycle_lambda,
                                                 cfg.identity, cfg.cls_lambda, cfg.rec_lambda, cfg.kl_lambda,
                                                 cfg.latent_discriminator, cfg.semantic_consistency, cfg.grow_l1,
                                                 cfg.grow_gan)),
               "clip, gp_lambda, drift and the loss weights must be >= 0"),
              (cfg.metric_samples >= 2 and cfg.fd_extractor_steps >= 1 and cfg.pool_size >= 0,
               "metric_samples must be >= 2, fd_extractor_steps >= 1, pool_size >= 0"),
              (cfg.pg_batch_sizes is None or min(cfg.pg_batch_sizes, default=2) >= 2,
               "every pg_batch_sizes entry must be >= 2"),
              (cfg.n_critic is None or cfg.n_critic >= 1, "n_critic must be >= 1"),
              (cfg.d_mbstd >= 0 and (cfg.d_mbstd == 0 or cfg.batch_size % cfg.d_mbstd == 0),
               "d_mbstd must be >= 0 and divide batch_size"),
              (not (cfg.d_loss == "relativistic" and cfg.d_norm == "batch"),
               "the relativistic losses' R1/R2 penalties are per image: BatchNorm in the critic breaks them; use "
               "d_norm layer or none"),
              (not (cfg.gp_lambda and cfg.d_norm == "batch"),
               "a gradient penalty is per sample: BatchNorm in the critic breaks it; use d_norm layer or none"),
              (cfg.ema is None or 0.0 <= cfg.ema < 1.0, "ema must be in [0, 1)"),
              (cfg.metric in ("none", "fd"), "metric must be none or fd"),
              (cfg.lr_decay in ("none", "linear"), "lr_decay must be none or linear"),
              (cfg.vae_decoder in ("bernoulli", "gaussian") and cfg.vae_sigma > 0,
               "vae_decoder must be bernoulli or gaussian and vae_sigma > 0"),
              (cfg.r1_gamma >= 0 and 0 <= cfg.style_mixing <= 1, "r1_gamma must be >= 0, style_mixing in [0, 1]"),
              (cfg.schedule_kimg is None or cfg.schedule_kimg > 0, "schedule_kimg must be > 0"),
              (min(cfg.gamma, cfg.gamma_end, cfg.ema_half_life, cfg.ema_ramp) >= 0,
               "gamma, gamma_end, ema_half_life and ema_ramp must be >= 0"),
              (min(cfg.blocks, cfg.expansion, cfg.cardinality, cfg.penalty_every) >= 1,
               "blocks, expansion, cardinality and penalty_every must be >= 1"),
              (0 < cfg.lr_end <= 1 and 0 <= cfg.beta2_end < 1,
               "lr_end (a fraction of the initial lr) must be in (0, 1] and beta2_end in [0, 1)"),
              (set(cfg.augment) <= {"xflip", "translate"}, "augment may list xflip and translate"),
              (cfg.widths is None or (len(cfg.widths) >= 2 and min(cfg.widths) >= 1),
               "widths must list at least two positive channel counts, 4x4 first"),
              (min(cfg.log_every, cfg.sample_every, cfg.ckpt_every) >= 1, "log/sample/ckpt intervals must be >= 1")]
    for ok, msg in checks:
        if not ok:
            raise UserError(msg)
    return cfg


def merged_values(path: str | Path | None, overrides: dict) -> dict:
    """The option values of a YAML file (if given), updated with the non-None ``overrides``."""
    values: dict = {}
    if path is not None:
        import yaml
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise UserError(f"cannot read config {path}: {e}") from None
        if not isinstance(loaded, dict):
            raise UserError(f"{path}: a config file must be a mapping of option: value")
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values


def _fits(value, hint) -> bool:
    """Whether ``value`` (as YAML or the CLI gives it) fits the type annotation ``hint``."""
    if hint is type(None):
        return value is None
    if isinstance(hint, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def build(cls, values: dict):
    """Instantiate the config dataclass ``cls`` from ``values``; unknown keys and values of the wrong type are
    UserErrors naming the key."""
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(values) - set(hints))
    if unknown:
        raise UserError(f"unknown config key(s): {', '.join(unknown)}; known keys: {', '.join(sorted(hints))}")
    for key, value in values.items():
        if not _fits(value, hints[key]):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
            hint = " (YAML reads 1e-4 as text: write 1.0e-4)" if isinstance(value, str) and \
                _fits(_number(value), hints[key]) else ""
            raise UserError(f"config key {key}: expected {_describe(hints[key])}, got {shown}{hint}")
    return cls(**values)


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def _describe(hint) -> str:
    """'an integer', 'a number or null', 'a list of integers', ... for an annotation."""
    if isinstance(hint, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return f"a list of {_describe(typing.get_args(hint)[0]).split(' ', 1)[1]}s"
    return {int: "an integer", float: "a finite number", str: "a string", bool: "true or false",
            type(None): "null"}.get(hint, str(hint))
