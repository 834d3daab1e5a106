"""GAN anomaly detection with one API: train a detector on normal images, score new images.

Protocols on a labelled dataset: **one-class** (``normal_class``: that class is normal, every other class is an
anomaly) or **reverse** (``anomalous_class``: that class is the anomaly, the other nine are normal — the GANomaly and
EGBAD papers' protocol). A higher score means more anomalous.

Run directory::

    RUN/anomaly.json      method, config, protocol, calibration (from held-out *normal training* images)
    RUN/gan/              the adversarial stage, an ordinary tlgan run (``tlgan sample RUN/gan`` works)
    RUN/encoder/          f-AnoGAN only: the izif encoder stage
    RUN/member{i}/        an ensemble (``members`` > 1): each member a whole detector run, instead of gan/

Scores (all reduced per image, never over a batch):

- ``anogan``   latent search on z: (1 − w)·mean|x − G(z)| + w·mean|f(x) − f(G(z))|, f = D's last feature layer.
- ``egbad``    AnoGAN's form with z = E(x); f(x) = the cycle discriminator's features of (x, x) and f(G(z)) those
               of (x, G(E(x))) (ALAD's recipe, the default), or the joint discriminator's features of (x, E(x)) and
               (G(E(x)), E(x)) (the plain BiGAN, ``egbad_cycle: false``).
- ``ganomaly`` mean((E(x) − E2(G(E(x))))²).
- ``fanogan``  mean((x − G(E(x)))²) + κ · mean((f(x) − f(G(E(x))))²), f = the WGAN-GP critic's features.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import MAX_SEED, TrainConfig, build
from ..data import ImageData, load_data
from ..errors import UserError
from ..generator import load_network, load_networks
from ..io import ensure_dir, read_json, write_json
from ..latent.invert import latent_search, per_image
from ..progress import progress_bar
from ..training import family, make_config, train
from .trainers import EGBADTrainer, GANomalyTrainer, IZIFEncoderTrainer

METHODS = ("anogan", "egbad", "ganomaly", "fanogan")
GAN_MODEL = {"anogan": "dcgan", "egbad": "dcgan", "ganomaly": "dcgan", "fanogan": "wgan-gp"}
# R3GAN's objective for the plain GAN inside AnoGAN and f-AnoGAN, fixed before any run: Adam beta1 = 0, one critic
# step per G step, a critic without BatchNorm (the penalties are per image), gamma 0.1 (R3GAN's 64 px preset
# scaled by the resolution squared to 28 px lies between 0.4 and 0.04).
R3GAN_OBJECTIVE = dict(model="dcgan", d_loss="relativistic", g_loss="relativistic", d_norm="layer", gamma=0.1,
                       betas=[0.0, 0.99], n_critic=1, lr_g=2e-4, lr_d=2e-4)
LABELLED = ("fashion", "digits")
EGBAD_SCORES = ("mixed", "dxx_features", "dxx_logit")
SCORING_KEYS = ("egbad_score",)  # settings that change how a trained detector scores, not what it trained


@dataclass
class AnomalyConfig:
    """An anomaly detector's settings with their defaults (method, data and protocol, budget, score); a preset, a
    YAML file or the command line overrides them, an unknown key is a UserError."""
    method: str = "ganomaly"              # anogan | egbad | ganomaly | fanogan
    data: str = "fashion"                 # fashion | digits | folder:PATH (a folder holds only normal images)
    normal_class: int | None = None       # one-class protocol: the normal class (None: class 0 of fashion/digits)
    anomalous_class: int | None = None    # reverse protocol: the anomalous class (the other nine are normal)
    resolution: int | None = None         # None: the dataset's native size
    steps: int = 3000                     # adversarial training updates
    encoder_steps: int = 2000             # f-AnoGAN: izif encoder updates after the WGAN-GP
    batch_size: int = 64
    z_dim: int = 100
    width: int = 32
    holdout: float = 0.1                  # share of normal training images kept for calibration
    w_adv: float = 1.0                    # GANomaly loss weights
    w_con: float = 50.0
    w_lat: float = 1.0
    egbad_cycle: bool = True              # EGBAD: ALAD's cycle discriminators + spectral norm (False: plain BiGAN)
    gan_objective: str = "default"        # anogan, fanogan: default (DCGAN's BCE / WGAN-GP) | r3gan (R3GAN's
                                          # relativistic loss + R1/R2 on the same DCGAN networks, see R3GAN_OBJECTIVE)
    kappa: float = 1.0                    # f-AnoGAN feature-residual weight (izif)
    feature_weight: float = 0.1           # AnoGAN / EGBAD: weight w of the discriminator-feature term
    egbad_score: str = "mixed"            # EGBAD (ALAD recipe): mixed ((1 - w)·pixel L1 + w·D_xx features, EGBAD's
                                          # form) | dxx_features (ALAD's) | dxx_logit (−D_xx(x, G(E(x))))
    search_steps: int = 200               # AnoGAN: gradient steps of the latent search per image
    search_lr: float = 0.01
    threshold_quantile: float = 0.95      # threshold = this quantile of held-out normal scores
    calibration_n: int = 500              # at most this many held-out images calibrate the scores
    members: int = 1                      # > 1: an ensemble of this many detectors (seeds seed, seed + 1, ...) on
                                          # one split; score = the mean of their z-scores against held-out normals
    seed: int = 0
    split_seed: int | None = None         # the permutation that holds out the calibration images (None: seed)


def anomaly_config(**values) -> AnomalyConfig:
    """Build and validate an AnomalyConfig; unknown keys and bad values are UserErrors."""
    c = build(AnomalyConfig, values)
    if c.split_seed is None:
        c.split_seed = c.seed
    if c.normal_class is not None and c.anomalous_class is not None:
        raise UserError("give a normal class (one-class protocol) or an anomalous class (reverse protocol), not both")
    if c.normal_class is None and c.anomalous_class is None and c.data in LABELLED:
        c.normal_class = 0
    if c.method not in METHODS:
        raise UserError(f"unknown anomaly method {c.method!r}; expected one of {', '.join(METHODS)}")
    k = c.normal_class if c.anomalous_class is None else c.anomalous_class
    if k is not None and c.data not in LABELLED:
        raise UserError(f"--normal-class and --anomalous-class need a labelled dataset ({', '.join(LABELLED)}); "
                        f"a folder of normal images takes no class")
    if k is not None and not 0 <= k <= 9:
        raise UserError(f"a class must be 0..9, got {k}")
    if not 0 < c.holdout < 0.5 or not 0 < c.threshold_quantile < 1:
        raise UserError("holdout must be in (0, 0.5) and threshold_quantile in (0, 1)")
    if c.gan_objective not in ("default", "r3gan"):
        raise UserError(f"gan_objective must be default or r3gan, got {c.gan_objective!r}")
    if c.gan_objective == "r3gan" and c.method not in ("anogan", "fanogan"):
        raise UserError("gan_objective r3gan applies to the plain GAN inside anogan and fanogan; "
                        f"{c.method} trains its own networks")
    if c.egbad_score not in EGBAD_SCORES:
        raise UserError(f"egbad_score must be one of {', '.join(EGBAD_SCORES)}, got {c.egbad_score!r}")
    if c.egbad_score != "mixed" and not c.egbad_cycle:
        raise UserError("egbad_score dxx_features and dxx_logit read ALAD's cycle discriminator: they need "
                        "egbad_cycle true")
    if min(c.steps, c.encoder_steps, c.search_steps, c.calibration_n, c.members) < 1:
        raise UserError("steps, encoder_steps, search_steps, calibration_n and members must be >= 1")
    if not 0 <= min(c.seed, c.split_seed) <= max(c.seed + c.members - 1, c.split_seed) <= MAX_SEED:
        raise UserError(f"seed (of every ensemble member) and split_seed must be in 0..{MAX_SEED}")
    return c


def protocol(acfg: AnomalyConfig) -> str:
    """One line naming the protocol and what is normal, printed with every result."""
    if acfg.anomalous_class is not None:
        return (f"reverse: {acfg.data} class {acfg.anomalous_class} is the anomaly, the other nine classes are "
                "normal")
    if acfg.normal_class is None:
        return f"one-class: the images of {acfg.data} are normal"
    return f"one-class: {acfg.data} class {acfg.normal_class} is normal, every other class is an anomaly"


def is_normal(acfg: AnomalyConfig, classes: np.ndarray) -> np.ndarray:
    """Boolean (N,): which of these integer class labels are normal under ``acfg``'s protocol."""
    if acfg.anomalous_class is not None:
        return classes != acfg.anomalous_class
    return classes == acfg.normal_class


def class_of(data: ImageData) -> np.ndarray:
    """Integer class per image of a labelled dataset (its first 10 label columns are one-hot)."""
    return data.labels[:, :10].argmax(1)


def normal_split(acfg: AnomalyConfig) -> tuple[ImageData, ImageData]:
    """(train, held-out) normal training images: a fixed permutation by split_seed, ``holdout`` share held out."""
    data = load_data(acfg.data, acfg.resolution, split="train")
    idx = np.arange(len(data)) if acfg.data not in LABELLED else np.flatnonzero(is_normal(acfg, class_of(data)))
    idx = np.random.default_rng(acfg.split_seed).permutation(idx)
    n_hold = max(1, round(len(idx) * acfg.holdout))
    if len(idx) - n_hold < acfg.batch_size:
        raise UserError(f"only {len(idx)} normal training images: too few for batches of {acfg.batch_size}")
    return data.subset(np.sort(idx[n_hold:])), data.subset(np.sort(idx[:n_hold]))


def _gan_config(acfg: AnomalyConfig, steps: int) -> TrainConfig:
    every = max(1, steps // 5)
    objective = R3GAN_OBJECTIVE if acfg.gan_objective == "r3gan" else {"model": _gan_model(acfg)}
    return make_config(dict(data=acfg.data, resolution=acfg.resolution, steps=steps, batch_size=acfg.batch_size,
                            z_dim=acfg.z_dim, width=acfg.width, seed=acfg.seed, sample_every=every,
                            ckpt_every=every, log_every=min(50, every), **objective))


def _factory(acfg: AnomalyConfig):
    if acfg.method == "egbad":
        return lambda cfg, data, runtime=None: EGBADTrainer(cfg, data, acfg.egbad_cycle, runtime)
    if acfg.method == "ganomaly":
        return lambda cfg, data, runtime=None: GANomalyTrainer(cfg, data, (acfg.w_adv, acfg.w_con, acfg.w_lat),
                                                               runtime)
    return family(_gan_model(acfg))


def _gan_model(acfg: AnomalyConfig) -> str:
    """The training family of the detector's GAN stage."""
    return R3GAN_OBJECTIVE["model"] if acfg.gan_objective == "r3gan" else GAN_MODEL[acfg.method]


def train_detector(acfg: AnomalyConfig, out: str | Path, resume: bool = False, progress: bool = True,
                   log=print, runtime=None) -> Path:
    """Train a detector on the normal images of ``acfg`` into ``out``, then calibrate it on held-out normals.

    An ensemble (``members`` > 1) trains each member, a whole detector of seed ``seed + i`` on the same split, into
    ``out/member{i}``. Returns the run path. With ``resume``, finished stages are kept and an interrupted one
    continues.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not resume:
        raise UserError(f"{out} already exists and is not empty; pass --resume to continue it or choose another --out")
    train_set, hold = normal_split(acfg)
    log(protocol(acfg) + f"; {len(train_set)} training images, {len(hold)} held out for calibration")
    ensure_dir(out)
    meta = {"method": acfg.method, "protocol": protocol(acfg), "config": dataclasses.asdict(acfg),
            "data_shape": list(train_set.shape), "complete": False}
    write_json(out / "anomaly.json", meta)  # complete: False until calibrated (a crash leaves it marked)
    if acfg.members > 1:
        for i, member in enumerate(member_configs(acfg)):
            log(f"ensemble member {i + 1} of {acfg.members} (seed {member.seed})")
            train_detector(member, out / f"member{i}", resume, progress, log, runtime)
        calibrate(out, acfg, hold, meta, progress, log)
        return out
    _stage(_gan_config(acfg, acfg.steps), out / "gan", train_set, _factory(acfg), resume, progress, log, runtime)
    if acfg.method == "fanogan":
        g, critic = load_networks(out / "gan", ["g", "d"]).values()
        make = lambda cfg, data, runtime=None: IZIFEncoderTrainer(cfg, data, g, critic, acfg.kappa,  # noqa: E731
                                                                  runtime=runtime)
        _stage(_gan_config(acfg, acfg.encoder_steps), out / "encoder", train_set, make, resume, progress, log,
               runtime)
    calibrate(out, acfg, hold, meta, progress, log)
    return out


def member_configs(acfg: AnomalyConfig) -> list[AnomalyConfig]:
    """An ensemble's members (none for a single detector): ``acfg`` with seeds seed, seed + 1, ... on its split."""
    if acfg.members == 1:
        return []
    return [dataclasses.replace(acfg, members=1, seed=acfg.seed + i) for i in range(acfg.members)]


def calibrate(run: Path, acfg: AnomalyConfig, hold: ImageData | None = None, meta: dict | None = None,
              progress: bool = False, log=print) -> None:
    """Score held-out normal training images with the trained detector in ``run`` as ``acfg`` scores (its
    SCORING_KEYS may differ from the training's) and write its threshold and z-score statistics into
    RUN/anomaly.json, together with ``acfg``."""
    if hold is None:
        hold = normal_split(acfg)[1]
    for i, member in enumerate(member_configs(acfg)):  # an ensemble scored otherwise: its members first
        if anomaly_config(**read_json(run / f"member{i}" / "anomaly.json")["config"]) != member:
            calibrate(run / f"member{i}", member, hold, log=log)
    meta = {**(meta or read_json(run / "anomaly.json")), "config": dataclasses.asdict(acfg)}
    write_json(run / "anomaly.json", {**meta, "complete": False})
    det = Detector(run, calibrated=False)
    cal = hold.subset(np.random.default_rng(acfg.seed + 1).permutation(len(hold))[:acfg.calibration_n])
    scores = det.score(cal.batch(slice(None)), progress=progress)["score"].numpy()
    calibration = {"n": len(scores), "mean": float(scores.mean()), "std": float(scores.std() + 1e-12),
                   "quantile": acfg.threshold_quantile,
                   "threshold": float(np.quantile(scores, acfg.threshold_quantile))}
    write_json(run / "anomaly.json", {**meta, "complete": True, "calibration": calibration})
    log(f"calibrated on {len(scores)} held-out normal images: threshold {calibration['threshold']:.4g} "
        f"({acfg.threshold_quantile:.0%} of normal scores fall below it); detector written to {run}")


def _stage(cfg, run: Path, data, make, resume, progress, log, runtime=None) -> None:
    state = run / "state" / "trainer.pt"
    started = state.exists()
    if started:
        try:
            step = int(torch.load(state, weights_only=True)["step"])
        except Exception as e:  # truncated, or not our file (weights_only refuses pickled code)
            raise UserError(f"{state} is corrupt or not a tlgan checkpoint ({type(e).__name__}); resume from a "
                            "good copy or start again") from None
        if step >= cfg.steps:
            return
        if not resume:
            raise UserError(f"{run} holds an unfinished stage; pass --resume to continue it")
    train(cfg, run, resume=started, data=data, progress=progress, log=log, make_trainer=make, runtime=runtime,
          resume_hint="the same `tlgan anomaly train` command with --resume")


def egbad_scores(nets: dict, x: torch.Tensor, z: torch.Tensor, xr: torch.Tensor,
                 feature_weight: float) -> dict[str, torch.Tensor]:
    """Every score an EGBAD detector's networks give images x (N, C, R, R) with latents z = E(x) and
    reconstructions xr = G(z), per image (N,), higher = more anomalous: ``mixed`` (EGBAD's form: (1 − w)·pixel L1 +
    w·the discriminator-feature L1, with ALAD's cycle discriminator D_xx(x, x) vs D_xx(x, xr) where it exists, else
    BiGAN's D(x, z) vs D(xr, z)), and with D_xx ``dxx_features`` (ALAD's score) and ``dxx_logit`` (−D_xx(x, xr))."""
    pixel = per_image((x - xr).abs())
    if "dxx" in nets:
        dxx = nets["dxx"]
        feats = per_image((dxx.features(x, x) - dxx.features(x, xr)).abs())
        extra = {"dxx_features": feats, "dxx_logit": -dxx(x, xr)}
    else:
        feats, extra = per_image((nets["d"].features(x, z) - nets["d"].features(xr, z)).abs()), {}
    return {"mixed": (1 - feature_weight) * pixel + feature_weight * feats, "pixel": pixel, **extra}


def _load_nets(run: Path) -> dict:
    """The networks of a detector run by name (g, d and, by method, e, e2, dxx, dzz), in eval mode."""
    nets = load_networks(run / "gan")
    if (run / "encoder" / "state").exists():  # f-AnoGAN's izif stage
        nets["e"] = load_network(run / "encoder", "e")
    return nets


class Detector:
    """A trained anomaly detector loaded from its run directory (read-only: scoring never writes to it).

    ``score(x)`` takes images (N, C, R, R) in [-1, 1] and returns per-image ``score`` (N,) (higher = more
    anomalous), ``normalised`` (N,) (z-score against held-out normal images), ``flag`` (N,) bool (above the
    threshold) and ``recon`` (N, C, R, R), the reconstruction the residual heat maps compare against.
    """

    def __init__(self, run: str | Path, method: str | None = None, calibrated: bool = True):
        self.run = Path(run)
        meta_path = self.run / "anomaly.json"
        if not self.run.exists():
            raise UserError(f"{self.run} does not exist")
        if not meta_path.exists():
            raise UserError(f"{self.run} is not an anomaly-detector run (no anomaly.json); "
                            "train one with `tlgan anomaly train`")
        meta = read_json(meta_path)
        if method is not None and method != meta["method"]:
            raise UserError(f"{self.run} is a {meta['method']} detector, not {method}")
        if calibrated and not meta.get("complete"):
            raise UserError(f"{self.run}: training did not finish; continue it with `tlgan anomaly train --resume`")
        self.method, self.protocol, self.calibration = meta["method"], meta["protocol"], meta.get("calibration")
        self.cfg = anomaly_config(**meta["config"])
        self.members = [Detector(self.run / f"member{i}") for i in range(len(member_configs(self.cfg)))]
        self.nets = self.members[0].nets if self.members else _load_nets(self.run)
        self.g, self.d, self.e, self.e2 = (self.nets.get(k) for k in ("g", "d", "e", "e2"))
        self.shape = tuple(meta["data_shape"])

    def check(self, x: torch.Tensor) -> None:
        """UserError unless ``x`` is a float batch (N, C, R, R) of this detector's channel count and size."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.shape:
            raise UserError(f"this detector takes images of shape {self.shape} (channels, height, width), "
                            f"got {tuple(x.shape[1:])}")

    def score(self, x: torch.Tensor, batch: int = 256, progress: bool = False) -> dict[str, torch.Tensor]:
        """Per-image scores of images (N, C, R, R) in [-1, 1]; see the class docstring."""
        self.check(x)
        parts = [self._score_batch(x[i:i + batch]) for i in
                 progress_bar(range(0, len(x), batch), desc=f"{self.method} scoring", disable=not progress)]
        out = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
        if self.calibration:
            c = self.calibration
            out["normalised"] = (out["score"] - c["mean"]) / c["std"]
            out["flag"] = out["score"] > c["threshold"]
        return out

    def _score_batch(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        c = self.cfg
        if self.members:  # the mean z-score of the members; the first member's reconstruction
            scores = [m.score(x) for m in self.members]
            return {"score": torch.stack([s["normalised"] for s in scores]).mean(0), "recon": scores[0]["recon"]}
        if self.method == "anogan":
            res = latent_search(self.g, self.d.features, x, c.search_steps, c.search_lr, c.feature_weight, c.seed)
            return {"score": res["loss"], "recon": res["recon"], "initial_loss": res["initial_loss"]}
        with torch.no_grad():
            z = self.e(x)
            xr = self.g(z)
            if self.method == "egbad":
                score = egbad_scores(self.nets, x, z, xr, c.feature_weight)[c.egbad_score]
            elif self.method == "ganomaly":
                score = per_image((z - self.e2(xr)).pow(2))
            else:  # fanogan
                fx, fr = self.d.features(x), self.d.features(xr)
                score = per_image((x - xr).pow(2)) + c.kappa * per_image((fx - fr).pow(2))
        return {"score": score, "recon": xr}
