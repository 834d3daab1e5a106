"""The one adversarial training loop every GAN family plugs into.

Run directory layout::

    RUN/config.json              resolved TrainConfig + generator spec (what load_generator needs)
    RUN/generator.safetensors    inference weights of the last checkpoint (EMA of G when ema > 0)
    RUN/best/                    generator.safetensors + metric.json of the best checkpoint (metric != none)
    RUN/state/                   g/d/ema .safetensors + trainer.pt (optimisers, RNG, step): for --resume
    RUN/samples/step_XXXXXX.png  fixed-noise sample grids
    RUN/tb/                      TensorBoard scalars

Every write is atomic (temp file or directory, then rename); a crash leaves the previous checkpoint whole.
"""
from __future__ import annotations

import copy
import dataclasses
import shutil
import time
from pathlib import Path

import torch

from . import losses
from .config import TrainConfig, from_dict
from .data import ImageData, load_data
from .errors import UserError
from .io import load_weights, read_json, replace_dir, save_weights, write_json
from .models.registry import build_pair
from .progress import progress_bar


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def _optimizer(cfg: TrainConfig, params, lr: float) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))
    return torch.optim.RMSprop(params, lr=lr)


class Trainer:
    """Holds the models, optimisers and RNG state of one run; ``step()`` does n_critic D updates + one G update."""

    grid_nrow: int | None = None  # images per row of the sample grids (None: a square grid)

    def __init__(self, cfg: TrainConfig, data: ImageData):
        self.cfg, self.data = cfg, data
        torch.manual_seed(cfg.seed)
        self.spec, self.g, self.d = build_pair(cfg, data.shape)
        self.ema = copy.deepcopy(self.g).eval().requires_grad_(False) if cfg.ema > 0 else None
        self.opt_g = _optimizer(cfg, self.g.parameters(), cfg.lr_g)
        self.opt_d = _optimizer(cfg, self.d.parameters(), cfg.lr_d)
        self.d_loss_fn, self.g_loss_fn = losses.D_LOSSES[cfg.d_loss], losses.G_LOSSES[cfg.g_loss]
        self.fixed_z = torch.randn(64, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 2))
        self.start_state()

    def start_state(self) -> None:
        """Reset what every trainer saves and resumes besides its networks: data-order RNG, step, best metric."""
        self.data_gen = torch.Generator().manual_seed(self.cfg.seed + 1)
        self.step_no, self.best = 0, float("inf")

    def batch_indices(self, data: ImageData | None = None) -> torch.Tensor:
        """``batch_size`` random indices (drawn from the run's data-order RNG) into ``data`` (default: the run's)."""
        n = len(data if data is not None else self.data)
        return torch.randint(n, (self.cfg.batch_size,), generator=self.data_gen)

    def nets(self) -> dict[str, torch.nn.Module]:
        """Every network of the run by name (saved as ``state/<name>.safetensors``)."""
        return {"g": self.g, "d": self.d, **({"ema": self.ema} if self.ema is not None else {})}

    def optimizers(self) -> dict[str, tuple[torch.optim.Optimizer, float]]:
        """Every optimiser by name with its base learning rate (for decay and resume)."""
        return {"g": (self.opt_g, self.cfg.lr_g), "d": (self.opt_d, self.cfg.lr_d)}

    def decay_lr(self) -> None:
        """Linear decay to 0 at the last step: a function of the step alone, so resuming needs no state."""
        if self.cfg.lr_decay == "linear":
            frac = 1.0 - self.step_no / self.cfg.steps
            for opt, lr in self.optimizers().values():
                for group in opt.param_groups:
                    group["lr"] = lr * frac

    def step(self) -> dict[str, torch.Tensor]:
        """One generator update (after n_critic critic updates). Returns detached scalar losses."""
        cfg, bs = self.cfg, self.cfg.batch_size
        self.decay_lr()
        self.g.train()
        self.d.train()
        for _ in range(cfg.n_critic):
            real = self.data.batch(self.batch_indices())
            fake = self.g(torch.randn(bs, cfg.z_dim))
            loss_d = self.d_loss_fn(self.d(real), self.d(fake.detach()))
            out = {"d_loss": loss_d.detach()}
            if cfg.gp_lambda > 0:
                gp, norms = losses.gradient_penalty(self.d, real, fake.detach())
                loss_d = loss_d + cfg.gp_lambda * gp
                out["grad_norm"] = norms.mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            if cfg.clip > 0:
                with torch.no_grad():
                    for p in self.d.parameters():
                        p.clamp_(-cfg.clip, cfg.clip)
        # G update on the last critic iteration's fake (the canonical DCGAN order)
        loss_g = self.g_loss_fn(self.d(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_ema()
        self.step_no += 1
        out["g_loss"] = loss_g.detach()
        return out

    @torch.no_grad()
    def update_ema(self, copy_buffers: bool = False) -> None:
        """Move the EMA generator's weights towards G's (decay cfg.ema); optionally copy G's buffers too."""
        if self.ema is None:
            return
        for pe, p in zip(self.ema.parameters(), self.g.parameters(), strict=True):
            pe.lerp_(p, 1 - self.cfg.ema)
        if copy_buffers:
            for be, b in zip(self.ema.buffers(), self.g.buffers(), strict=True):
                be.copy_(b)

    @property
    def inference_g(self) -> torch.nn.Module:
        return self.ema if self.ema is not None else self.g

    @torch.no_grad()
    def recalibrate_ema(self, batches: int = 16) -> None:
        """Recompute the EMA generator's BatchNorm statistics from its own activations.

        Averaged weights with the live G's running statistics give washed-out samples; fresh statistics
        (a cumulative average over ``batches`` batches of fixed noise) fix that. The global RNG is untouched.
        """
        bns = [m for m in self.ema.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if not bns:
            return
        gen = torch.Generator().manual_seed(self.cfg.seed + 4)
        saved = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        self.ema.train()
        for _ in range(batches):
            self.ema(torch.randn(self.cfg.batch_size, self.cfg.z_dim, generator=gen))
        for m, mom in zip(bns, saved, strict=True):
            m.momentum = mom
        self.ema.eval()

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        g = self.inference_g
        was = g.training
        g.eval()
        x = g(self.fixed_z[:n])
        g.train(was)
        return x

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self, run: Path) -> None:
        """Write state/ (every net, optimiser and RNG: for resume) and generator.safetensors atomically."""
        tmp = run / "state.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        for name, net in self.nets().items():
            save_weights(net.state_dict(), tmp / f"{name}.safetensors")
        torch.save({"step": self.step_no, "best": self.best,
                    "opt": {k: opt.state_dict() for k, (opt, _) in self.optimizers().items()},
                    "rng": torch.get_rng_state(), "data_rng": self.data_gen.get_state()}, tmp / "trainer.pt")
        replace_dir(tmp, run / "state")
        save_weights(self.inference_g.state_dict(), run / "generator.safetensors")

    def load(self, run: Path) -> None:
        """Restore everything ``save`` wrote (the checkpoint is our own file: loaded with weights_only)."""
        state = run / "state"
        if not state.exists() and (run / "state.old").exists():
            state = run / "state.old"
        if not (state / "trainer.pt").exists():
            raise UserError(f"{run} has no checkpoint to resume from (no state/trainer.pt)")
        for name, net in self.nets().items():
            load_weights(net, state / f"{name}.safetensors")
        t = torch.load(state / "trainer.pt", weights_only=True)
        for name, (opt, _) in self.optimizers().items():
            opt.load_state_dict(t["opt"][name])
        torch.set_rng_state(t["rng"])
        self.data_gen.set_state(t["data_rng"])
        self.step_no, self.best = int(t["step"]), float(t["best"])


def _run_config(cfg: TrainConfig, spec: dict) -> dict:
    return {**dataclasses.asdict(cfg), "generator": spec, "value_range": [-1.0, 1.0]}


def run_config(run: str | Path) -> TrainConfig:
    """The resolved TrainConfig a run was trained with (from RUN/config.json)."""
    saved = read_json(Path(run) / "config.json")
    return from_dict({k: v for k, v in saved.items() if k not in ("generator", "value_range")})


def train(cfg: TrainConfig, out: str | Path, resume: bool = False, data: ImageData | None = None,
          progress: bool = True, log=print, make_trainer=None) -> Path:
    """Train ``cfg`` into run directory ``out`` (or continue it with ``resume``). Returns the run path.

    ``make_trainer(cfg, data)`` builds the model family's :class:`Trainer` (default: by ``cfg.model``, the GAN
    pair, :class:`tlgan.models.vae.VAETrainer` or :class:`tlgan.models.style_training.StyleGANTrainer`).

    Raises UserError before creating anything if the data or config is bad; TrainingDiverged on NaN/inf.
    """
    run = Path(out)
    if resume:
        cfg = dataclasses.replace(run_config(run), steps=cfg.steps)
    elif run.exists() and any(run.iterdir()):
        raise UserError(f"{run} already exists and is not empty; pass --resume to continue it or choose another --out")
    if data is None:
        data = load_data(cfg.data, cfg.resolution, cfg.n_data, seed=cfg.data_seed)
    if make_trainer is None:
        from .models.style_training import StyleGANTrainer
        from .models.translation_training import CycleGANTrainer, StarGANTrainer
        from .models.vae import VAETrainer
        make_trainer = {"vae": VAETrainer, "stylegan": StyleGANTrainer, "cyclegan": CycleGANTrainer,
                        "stargan": StarGANTrainer}.get(cfg.model, Trainer)
    trainer = make_trainer(cfg, data)
    created = not run.exists()
    try:
        run.mkdir(parents=True, exist_ok=True)
        write_json(run / "config.json", _run_config(cfg, trainer.spec))
        if resume:
            trainer.load(run)
        return _loop(trainer, run, progress, log)
    except BaseException:
        if created and not (run / "state").exists():
            shutil.rmtree(run, ignore_errors=True)  # no half-written run directory
        raise


def _loop(trainer: Trainer, run: Path, progress: bool, log) -> Path:
    from torch.utils.tensorboard import SummaryWriter
    cfg = trainer.cfg
    writer = SummaryWriter(str(run / "tb"))
    metric_fn = _metric(cfg, trainer.data) if cfg.metric != "none" else None
    t0, start = time.time(), trainer.step_no
    bar = progress_bar(total=cfg.steps, initial=start, desc=f"{cfg.model} {cfg.data}", disable=not progress)
    try:
        while trainer.step_no < cfg.steps:
            out = trainer.step()
            s = trainer.step_no
            vals = torch.stack(list(out.values()))
            if not torch.isfinite(vals).all():
                raise TrainingDiverged(f"losses became NaN/inf at step {s} ({_fmt(out)}); the last good "
                                       f"checkpoint in {run} is kept: lower the learning rate or resume from it")
            bar.update(1)
            if s % cfg.log_every == 0 or s == cfg.steps:
                for k, v in out.items():
                    writer.add_scalar(k, float(v), s)
                bar.set_postfix_str(_fmt(out))
            due_sample = trainer.data.is_image and (s % cfg.sample_every == 0 or s == cfg.steps)
            due_ckpt = s % cfg.ckpt_every == 0 or s == cfg.steps
            if trainer.ema is not None and (due_sample or due_ckpt):
                trainer.recalibrate_ema()  # once, before grids, the metric and the checkpoint use the EMA
            if due_sample:
                from .data.images import save_grid
                save_grid(trainer.samples(), run / "samples" / f"step_{s:06d}.png", nrow=trainer.grid_nrow)
            if due_ckpt:
                if metric_fn is not None:
                    value = metric_fn(trainer.inference_g)
                    writer.add_scalar(cfg.metric, value, s)
                    if value < trainer.best:
                        trainer.best = value
                        best_tmp = run / "best.tmp"
                        best_tmp.mkdir(exist_ok=True)
                        save_weights(trainer.inference_g.state_dict(), best_tmp / "generator.safetensors")
                        write_json(best_tmp / "metric.json", {"metric": cfg.metric, "value": value, "step": s})
                        replace_dir(best_tmp, run / "best")
                trainer.save(run)
    finally:
        bar.close()
        writer.close()
    rate = (trainer.step_no - start) * cfg.batch_size / max(time.time() - t0, 1e-9)
    log(f"trained {cfg.model} to step {trainer.step_no} ({rate:.0f} img/s); run written to {run}")
    return run


def _fmt(out: dict) -> str:
    return " ".join(f"{k}={float(v):.3f}" for k, v in out.items())


def _metric(cfg: TrainConfig, data: ImageData):
    """A function G -> FD-<dataset> against held-out real images (lower is better)."""
    from .metrics import FrechetScorer
    scorer = FrechetScorer.for_dataset(cfg.data, data, n=cfg.metric_samples, extractor_steps=cfg.fd_extractor_steps)
    z = torch.randn(cfg.metric_samples, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 3))

    @torch.no_grad()
    def fd(g) -> float:
        was = g.training
        g.eval()
        x = torch.cat([g(z[i:i + 256]) for i in range(0, len(z), 256)])
        g.train(was)
        return scorer.score(x)
    return fd
