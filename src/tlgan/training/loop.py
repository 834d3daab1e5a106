"""The one training loop every family plugs into; it names no family (they live in ``registry.FAMILIES``).

Run directory layout::

    RUN/config.json              resolved TrainConfig, the spec of every network (``networks``) and of the
                                 generator load_generator opens (``generator``), family info (``translator``)
    RUN/generator.safetensors    inference weights of the last checkpoint (EMA of G when ema > 0)
    RUN/best/                    generator.safetensors + metric.json of the best checkpoint (metric != none)
    RUN/state/                   g/d/ema .safetensors + trainer.pt (optimisers, RNG, step): for --resume
    RUN/samples/step_XXXXXX.png  fixed-noise sample grids
    RUN/tb/                      TensorBoard scalars

Every write is atomic (temp file or directory, then rename); a crash leaves the previous checkpoint whole.
"""
from __future__ import annotations

import dataclasses
import shutil
import signal
import threading
import time
from pathlib import Path

import torch

from .. import distributed
from ..config import TrainConfig
from ..data import ImageData, load_data
from ..device import Runtime
from ..errors import Interrupted, UserError
from ..io import ensure_dir, read_json, replace_dir, save_weights, write_json
from ..progress import progress_bar
from .registry import family, make_config
from .trainer import Trainer

MAX_LOSS = 1e10  # a loss beyond this has diverged (a WGAN critic drifting to 1e23 is not training)


class TrainingDiverged(UserError):
    """A loss became NaN, infinite or exploded; the last good checkpoint (if any) is kept."""


RUN_ENTRIES = ("generator", "networks", "value_range", "translator", "conditional")  # beside TrainConfig


def _run_config(cfg: TrainConfig, trainer: Trainer) -> dict:
    out = {**dataclasses.asdict(cfg), "networks": trainer.specs, **trainer.info}
    if trainer.spec is not None:
        out |= {"generator": trainer.spec, "value_range": [-1.0, 1.0]}
    return out


def run_config(run: str | Path) -> TrainConfig:
    """The resolved TrainConfig a run was trained with (from RUN/config.json)."""
    saved = read_json(Path(run) / "config.json")
    return make_config({k: v for k, v in saved.items() if k not in RUN_ENTRIES}, check_keys=False)


def train(cfg: TrainConfig, out: str | Path, resume: bool = False, data: ImageData | None = None,
          progress: bool = True, log=print, make_trainer=None, runtime: Runtime | None = None,
          deadline: float | None = None, on_checkpoint=None, resume_hint: str | None = None) -> Path:
    """Train ``cfg`` into run directory ``out`` (or continue it with ``resume``) on ``runtime``'s device (default
    the CPU; see :mod:`tlgan.device`). Returns the run path.

    ``deadline`` (a ``time.time()``): stop after the step that passes it, with a checkpoint, as if cfg.steps were
    reached. ``on_checkpoint(run, step)`` is called after each checkpoint is written. ``resume_hint``: how the user
    continues the run after Ctrl-C (default: ``tlgan train MODEL --out RUN --resume``).

    ``make_trainer(cfg, data, runtime=...)`` builds the :class:`Trainer` (default: the family ``cfg.model`` names in
    :data:`tlgan.training.registry.FAMILIES`).

    Raises UserError before creating anything if the data or config is bad; TrainingDiverged on NaN/inf.
    """
    n_proc = distributed.setup()
    distributed.check_batch(cfg.batch_size)
    if not distributed.is_main():
        log = _quiet
    run = Path(out)
    cfg, resume = distributed.on_main(_preflight, cfg, run, resume, log)  # rank 0 looks at the run directory
    if n_proc > 1:
        log(f"training on {n_proc} processes ({distributed.dist.get_backend()}): global batch {cfg.batch_size} "
            f"= {n_proc} x {cfg.batch_size // n_proc}")
    if data is None:
        data = load_data(cfg.data, cfg.resolution, cfg.n_data, seed=cfg.data_seed,
                         device=runtime.device if runtime is not None else None)
    trainer = (make_trainer or family(cfg.model))(cfg, data, runtime=runtime)
    if trainer.rt.cuda:
        log(f"training on {torch.cuda.get_device_name(trainer.rt.device)} ({trainer.rt.device}; "
            f"{'bf16 autocast, channels_last, TF32' if trainer.rt.fast else 'float32, no TF32'}"
            f"{', compiled G' if trainer.rt.compile else ''})")
    main = distributed.is_main()
    created = not run.exists()
    try:
        if resume:  # read the checkpoint before writing anything: a bad one leaves the run as it was
            trainer.load(run)
        if main:
            ensure_dir(run)
            write_json(run / "config.json", _run_config(cfg, trainer))
        return _loop(trainer, run, progress and main, log, deadline, on_checkpoint, resume_hint)
    except BaseException:
        if main and created and not (run / "state").exists():
            shutil.rmtree(run, ignore_errors=True)  # no half-written run directory
        raise


def _preflight(cfg: TrainConfig, run: Path, resume: bool, log) -> tuple[TrainConfig, bool]:
    """Check ``run`` before any data is loaded; returns (the config to train: the run's own on resume, resume).
    A run directory killed before its first checkpoint is removed and started afresh."""
    existing = next(p for p in (run, *run.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"--out {run}: {existing} is a file; give a directory for the run")
    if _never_checkpointed(run):  # killed before its first checkpoint: nothing to keep, start it afresh
        log(f"{run} holds a run killed before its first checkpoint; starting it from step 0")
        shutil.rmtree(run)
        resume = False
    if resume:
        cfg = dataclasses.replace(run_config(run), steps=cfg.steps)
    elif run.exists() and any(run.iterdir()):
        raise UserError(f"{run} already exists and is not empty; pass --resume to continue it or choose another --out")
    return cfg, resume


RUN_FILES = {"config.json", "config.json.tmp", "generator.safetensors", "generator.safetensors.tmp", "samples",
             "tb", "state.tmp", "best", "best.tmp"}  # what a run writes before and during its first checkpoint


def _never_checkpointed(run: Path) -> bool:
    """True for a run directory that tlgan started but that never finished a checkpoint (e.g. SIGKILLed during
    the first save): a config.json, no state/, and nothing a user put there."""
    if not (run / "config.json").exists() or (run / "state").exists() or (run / "state.old").exists():
        return False
    return {p.name for p in run.iterdir()} <= RUN_FILES


def _quiet(*args, **kwargs) -> None:
    """The log of ranks other than 0."""


class _StopOnCtrlC:
    """Between ``start()`` and ``close()`` (one process, main thread): the first SIGINT asks the loop to stop after
    the current step (``requested``); a second one aborts at once (KeyboardInterrupt), leaving the last good
    checkpoint."""

    def __init__(self, log):
        self.requested, self.log, self.previous = False, log, None

    def start(self) -> None:
        if distributed.world() == 1 and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.log("\nCtrl-C: stopping after this step to write a checkpoint (Ctrl-C again aborts at once)")

    def close(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _loop(trainer: Trainer, run: Path, progress: bool, log, deadline: float | None = None,
          on_checkpoint=None, resume_hint: str | None = None) -> Path:
    """Step ``trainer`` to cfg.steps; every rank steps, rank 0 alone writes grids, scalars and checkpoints.
    Ctrl-C (one process) finishes the current step, writes a checkpoint and raises :class:`Interrupted`."""
    from torch.utils.tensorboard import SummaryWriter
    cfg, main, n_proc = trainer.cfg, distributed.is_main(), distributed.world()
    writer = SummaryWriter(str(run / "tb")) if main else None
    metric_fn = (_metric(cfg, trainer.data.to("cpu"), trainer.rt, log if progress else None)
                 if cfg.metric != "none" and main else None)
    t0, start = time.time(), trainer.step_no
    name = trainer.label or cfg.model
    bar = progress_bar(total=cfg.steps, initial=start, desc=f"{name} {cfg.data}", disable=not progress)
    stop = _StopOnCtrlC(log)
    try:
        stop.start()
        while trainer.step_no < cfg.steps:
            out = trainer.update()
            s, stopping = trainer.step_no, stop.requested
            timed_out = deadline is not None and distributed.broadcast_object(time.time() > deadline)  # rank 0 decides
            last = s == cfg.steps or timed_out
            due_sample = trainer.data.is_image and (s % cfg.sample_every == 0 or last)
            due_ckpt = s % cfg.ckpt_every == 0 or last or stopping
            # the NaN check reads the losses back: every step on the CPU, on a GPU (where that read stalls the queue
            # of kernels) at every log step and before anything is written
            check = not trainer.rt.cuda or due_sample or due_ckpt or s % cfg.log_every == 0
            vals = torch.stack(list(out.values())) if check else None
            if check and (not torch.isfinite(vals).all() or vals.abs().max() > MAX_LOSS):
                kept = (f"the last good checkpoint in {run} is kept: lower the learning rate or resume from it"
                        if (run / "state").exists() else "no checkpoint had been written, so the run directory "
                        "is removed: lower the learning rate and start again")
                raise TrainingDiverged(f"losses became NaN/inf or exploded (> {MAX_LOSS:g}) at step {s} ({_fmt(out)}); "
                                       f"{kept}")
            bar.update(1)
            if main and (s % cfg.log_every == 0 or s == cfg.steps):
                for k, v in out.items():
                    writer.add_scalar(k, float(v), s)
                bar.set_postfix_str(_fmt(out))
            if trainer.ema is not None and (due_sample or due_ckpt):
                trainer.recalibrate_ema()  # once, before grids, the metric and the checkpoint use the EMA
            if due_sample and main:
                from ..data.images import save_grid
                save_grid(trainer.samples(), run / "samples" / f"step_{s:06d}.png", nrow=trainer.grid_nrow)
            if due_ckpt and n_proc > 1:  # StyleGAN3's check: every rank must hold rank 0's networks
                delta = distributed.max_divergence(trainer.nets())
                if main:
                    writer.add_scalar("rank_divergence", delta, s)
            if due_ckpt and main:
                if metric_fn is not None and not stopping:
                    value = metric_fn(trainer.inference_g)
                    writer.add_scalar(cfg.metric, value, s)
                    if value < trainer.best:
                        trainer.best = value
                        best_tmp = run / "best.tmp"
                        best_tmp.mkdir(exist_ok=True)
                        save_weights(trainer.inference_g.state_dict(), best_tmp / "generator.safetensors")
                        write_json(best_tmp / "metric.json", {"metric": cfg.metric, "value": value, "step": s,
                                                               "floor": metric_fn.floor})
                        replace_dir(best_tmp, run / "best")
                trainer.save(run)
                if on_checkpoint is not None:
                    on_checkpoint(run, s)
            if timed_out:
                log(f"\nstopped at step {s} of {cfg.steps}: the deadline passed")
                break
            if stopping:
                raise Interrupted(f"interrupted at step {s}; the checkpoint is in {run}: continue with "
                                  + (resume_hint or f"`tlgan train {cfg.model} --out {run} --resume`"))
    finally:
        stop.close()
        bar.close()
        if writer is not None:
            writer.close()
    distributed.barrier()  # every rank returns once rank 0's last checkpoint is on disk
    rate = (trainer.step_no - start) * cfg.batch_size / max(time.time() - t0, 1e-9)
    log(f"trained {name} to step {trainer.step_no} ({rate:.0f} img/s); run written to {run}")
    return run


def _fmt(out: dict) -> str:
    return " ".join(f"{k}={float(v):.3f}" for k, v in out.items())


def _metric(cfg: TrainConfig, data: ImageData, rt: Runtime, log=None):
    """A function G -> FD-<dataset> against held-out real images (lower is better); ``log``: say so when the
    feature network has to be trained first (minutes).

    Building it (loading or training the feature network, reading test images) never touches the run's random
    stream: a cold and a warm feature-network cache give the same run."""
    from ..metrics import FrechetScorer
    with torch.random.fork_rng(devices=[]):
        scorer = FrechetScorer.for_dataset(cfg.data, data, n=cfg.metric_samples,
                                           extractor_steps=cfg.fd_extractor_steps, log=log)
        floor = scorer.floor(data, cfg.metric_samples)
    z = torch.randn(cfg.metric_samples, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 3))

    @torch.no_grad()
    def fd(g) -> float:
        was = g.training
        g.eval()
        with rt.autocast():
            x = torch.cat([g(rt.put(z[i:i + 256])).float().cpu() for i in range(0, len(z), 256)])
        g.train(was)
        return scorer.score(x)
    fd.floor = floor
    return fd
