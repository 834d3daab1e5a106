"""Training configuration: every default lives here; YAML files only override; unknown keys are errors.

``None`` means "the model family's default" (``FAMILY_DEFAULTS``) and is filled in by :func:`resolve`.
The resolved config is saved as ``config.json`` in every run directory.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

MODELS = ("gan", "dcgan", "wgan", "wgan-gp", "vae", "stylegan", "cyclegan", "stargan")


@dataclass
class TrainConfig:
    model: str = "dcgan"                  # gan | dcgan | wgan | wgan-gp | vae | stylegan | cyclegan | stargan
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
    d_loss: str | None = None             # bce | wasserstein | lsgan | hinge
    g_loss: str | None = None             # nonsaturating | wasserstein | lsgan | hinge
    optimizer: str | None = None          # adam | rmsprop
    lr_g: float | None = None
    lr_d: float | None = None
    betas: list[float] | None = None      # Adam only
    n_critic: int | None = None           # D updates per G update
    clip: float | None = None             # WGAN weight clipping (0 = off)
    gp_lambda: float | None = None        # gradient penalty weight (0 = off)
    lr_decay: str = "none"                # none | linear (to 0 at the last step)
    ema: float = 0.0                      # EMA decay of G's weights (0 = off), e.g. 0.999
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
    data_b: str | None = None             # cyclegan: the second domain (data is the first), e.g. fashion#Sandal
    n_res: int = 4                        # cyclegan/stargan: residual blocks of the generator
    cycle_lambda: float = 10.0            # cyclegan: cycle-consistency weight
    identity: float = 0.5                 # cyclegan: identity weight, as a multiple of cycle_lambda
    pool_size: int = 50                   # cyclegan: history of generated images shown to D
    attributes: list[str] = field(default_factory=lambda: ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male",
                                                           "Young"])  # stargan: the conditioning labels
    cls_lambda: float = 1.0               # stargan: attribute-classification weight
    rec_lambda: float = 10.0              # stargan: reconstruction weight


FAMILY_DEFAULTS: dict[str, dict] = {
    "gan": dict(d_norm="none", d_loss="bce", g_loss="nonsaturating", optimizer="adam", lr_g=2e-4, lr_d=2e-4,
                betas=[0.5, 0.999], n_critic=1, clip=0.0, gp_lambda=0.0),
    "dcgan": dict(d_norm="batch", d_loss="bce", g_loss="nonsaturating", optimizer="adam", lr_g=2e-4, lr_d=2e-4,
                  betas=[0.5, 0.999], n_critic=1, clip=0.0, gp_lambda=0.0),
    "wgan": dict(d_norm="batch", d_loss="wasserstein", g_loss="wasserstein", optimizer="rmsprop", lr_g=5e-5,
                 lr_d=5e-5, betas=None, n_critic=5, clip=0.01, gp_lambda=0.0),
    "wgan-gp": dict(d_norm="layer", d_loss="wasserstein", g_loss="wasserstein", optimizer="adam", lr_g=1e-4,
                    lr_d=1e-4, betas=[0.5, 0.9], n_critic=5, clip=0.0, gp_lambda=10.0),
    "vae": dict(d_norm="batch", d_loss="bce", g_loss="nonsaturating", optimizer="adam", lr_g=1e-3, lr_d=1e-3,
                betas=[0.9, 0.999], n_critic=1, clip=0.0, gp_lambda=0.0),  # the loss terms are unused by a VAE
    "cyclegan": dict(d_norm="none", d_loss="lsgan", g_loss="lsgan", optimizer="adam", lr_g=2e-4, lr_d=2e-4,
                     betas=[0.5, 0.999], n_critic=1, clip=0.0, gp_lambda=0.0),
    "stargan": dict(d_norm="none", d_loss="wasserstein", g_loss="wasserstein", optimizer="adam", lr_g=1e-4,
                    lr_d=1e-4, betas=[0.5, 0.999], n_critic=5, clip=0.0, gp_lambda=10.0),
    "stylegan": dict(d_norm="none", d_loss="bce", g_loss="nonsaturating", optimizer="adam", lr_g=2e-3, lr_d=2e-3,
                     betas=[0.0, 0.99], n_critic=1, clip=0.0, gp_lambda=0.0),
}


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill family defaults into unset fields and validate the whole config (UserError if invalid)."""
    if cfg.model not in MODELS:
        raise UserError(f"unknown model {cfg.model!r}; expected one of {', '.join(MODELS)}")
    fam = FAMILY_DEFAULTS[cfg.model]
    cfg = dataclasses.replace(cfg, **{k: v for k, v in fam.items() if getattr(cfg, k) is None})
    if cfg.model == "wgan-gp" and cfg.d_norm == "batch":
        raise UserError("wgan-gp: BatchNorm in the critic breaks the per-sample gradient penalty; use layer or none")
    from .losses import D_LOSSES, G_LOSSES
    checks = [(cfg.d_loss in D_LOSSES, f"d_loss must be one of {sorted(D_LOSSES)}"),
              (cfg.g_loss in G_LOSSES, f"g_loss must be one of {sorted(G_LOSSES)}"),
              (cfg.optimizer in ("adam", "rmsprop"), "optimizer must be adam or rmsprop"),
              (cfg.steps >= 1 and cfg.batch_size >= 2, "steps must be >= 1 and batch_size >= 2"),
              (cfg.n_critic >= 1, "n_critic must be >= 1"),
              (0.0 <= cfg.ema < 1.0, "ema must be in [0, 1)"),
              (cfg.metric in ("none", "fd"), "metric must be none or fd"),
              (cfg.lr_decay in ("none", "linear"), "lr_decay must be none or linear"),
              (cfg.vae_decoder in ("bernoulli", "gaussian") and cfg.vae_sigma > 0,
               "vae_decoder must be bernoulli or gaussian and vae_sigma > 0"),
              (cfg.model != "vae" or cfg.ema == 0, "vae: ema is not supported (set ema: 0)"),
              (cfg.r1_gamma >= 0 and 0 <= cfg.style_mixing <= 1, "r1_gamma must be >= 0, style_mixing in [0, 1]"),
              (min(cfg.log_every, cfg.sample_every, cfg.ckpt_every) >= 1, "log/sample/ckpt intervals must be >= 1")]
    for ok, msg in checks:
        if not ok:
            raise UserError(msg)
    return cfg


def load_config(path: str | Path | None = None, **overrides) -> TrainConfig:
    """Defaults <- YAML file (if given) <- non-None keyword overrides; then :func:`resolve`."""
    return from_dict(merged_values(path, overrides))


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


def build(cls, values: dict):
    """Instantiate the config dataclass ``cls`` from ``values``; unknown keys and bad values are UserErrors."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown config key(s): {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    try:
        return cls(**values)
    except TypeError as e:
        raise UserError(f"bad config value: {e}") from None


def from_dict(values: dict) -> TrainConfig:
    """Build and resolve a TrainConfig from a dict; unknown keys are a UserError."""
    return resolve(build(TrainConfig, values))
