"""The ``Trainer`` base every training family fills in: ``build()`` and ``step()``.

The contract (checked by ``tests/test_families.py`` for every entry of :data:`tlgan.training.registry.FAMILIES`):

- ``build()`` makes the networks and optimisers, once, and returns them as :class:`Built`. Each network is made
  with :meth:`Trainer.network` (which records its spec, so the run can be reopened without training code) or
  :meth:`Trainer.ema_of`. The base sets every network as an attribute of its name (``self.g``) and every optimiser
  as ``self.opt_<name>``.
- ``step()`` does one generator update (and whatever else the family does per update), advances
  ``self.step_no`` and returns detached scalar losses by name.
- ``validate(cfg)`` (optional, a class method) checks what the family alone knows about a config, before any
  data is loaded.
- Class attributes: ``keys`` (config keys the family reads besides :data:`tlgan.config.COMMON_KEYS`; setting any
  other is an error), ``defaults`` (values for the config's ``None`` fields), ``grid_nrow``.
- The base saves and resumes every network, optimiser and random stream; it never builds networks of its own.
- Devices (:class:`tlgan.device.Runtime`): the base moves the networks, the data and every tensor or module
  kept as an attribute to the run's device; noise drawn through :meth:`rows` lands there too (drawn from the CPU's
  seeded stream, so a CPU run is bit-identical to one that never heard of devices); :meth:`update` runs ``step()``
  under the runtime's autocast (bf16 on CUDA). Losses a family returns may live on the device.
"""
from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from .. import distributed
from ..config import TrainConfig
from ..data import ImageData
from ..device import CPU, Runtime
from ..errors import UserError
from ..io import load_weights, replace_dir, save_weights
from ..models.registry import build_network, spec


@dataclass
class Built:
    """What ``build()`` returns. ``nets``: every network saved and resumed (``state/<name>.safetensors``);
    ``optimizers``: name -> (optimiser, base learning rate); ``generator``: the name of the network
    ``load_generator`` opens (its spec becomes config.json's ``generator``), None for image translators;
    ``info``: extra JSON entries for config.json (e.g. a translator's attributes)."""
    nets: dict[str, nn.Module]
    optimizers: dict[str, tuple[torch.optim.Optimizer, float]]
    generator: str | None = "g"
    info: dict = field(default_factory=dict)


class Trainer:
    """Holds the networks, optimisers and random state of one run; subclasses fill in ``build()`` and ``step()``."""

    keys: ClassVar[frozenset[str]] = frozenset()
    defaults: ClassVar[dict] = {}
    grid_nrow: ClassVar[int | None] = None  # images per row of the sample grids (None: a square grid)
    label: ClassVar[str | None] = None      # its name in the progress bar and log (None: the family, cfg.model)

    def __init__(self, cfg: TrainConfig, data: ImageData, runtime: Runtime | None = None):
        self.rt = runtime or CPU
        self.cfg, self.data = cfg, data.to(self.rt.device)
        self.specs: dict[str, dict] = {}
        self.ema: nn.Module | None = None
        torch.manual_seed(cfg.seed)
        built = self.build()
        missing = sorted(set(built.nets) - set(self.specs))
        if missing:
            raise TypeError(f"{type(self).__name__}.build(): network(s) {missing} not made with network()/ema_of()")
        self._nets, self._optimizers, self.info = built.nets, built.optimizers, built.info
        self.specs = {k: v for k, v in self.specs.items() if k in built.nets}
        self.spec = self.specs.get(built.generator) if built.generator else None
        if self.rt.device.type != "cpu":
            for name, value in list(vars(self).items()):  # what build() kept: data, tensors, frozen networks
                if isinstance(value, ImageData | torch.Tensor):
                    setattr(self, name, value.to(self.rt.device))
                elif isinstance(value, nn.Module):
                    self.rt.place(value)
        for name, net in built.nets.items():
            setattr(self, name, self.rt.place(net))
            distributed.broadcast_module(net)  # rank 0's initialisation everywhere
        if self.rt.compile:
            if built.generator is None:
                raise UserError(f"--compile compiles a generator; {cfg.model} trains none")
            built.nets[built.generator].compile()  # G's forward only: never D, which R1/R2 differentiate twice
        for name, (opt, _) in built.optimizers.items():
            setattr(self, f"opt_{name}", opt)
            distributed.average_gradients_before_step(opt)
        z_dim = (self.spec or {}).get("kwargs", {}).get("z_dim", 1)
        self.fixed_z = torch.randn(64, z_dim, generator=torch.Generator().manual_seed(cfg.seed + 2))
        self.start_state()

    # -- the contract ----------------------------------------------------------------------------
    def build(self) -> Built:
        """Make the networks (with :meth:`network`) and optimisers of this family, once."""
        raise NotImplementedError

    def step(self) -> dict[str, torch.Tensor]:
        """One update; returns detached scalar losses by name."""
        raise NotImplementedError

    @classmethod
    def validate(cls, cfg: TrainConfig) -> None:
        """Family-specific checks of a resolved config, before any data is loaded (UserError if invalid)."""

    # -- helpers for build() ---------------------------------------------------------------------
    def network(self, name: str, arch: str, **kwargs) -> nn.Module:
        """Build network ``name`` of architecture ``arch`` (see :mod:`tlgan.models.registry`), recording its spec."""
        self.specs[name] = spec(arch, **kwargs)
        return build_network(self.specs[name])

    def ema_of(self, name: str, net: nn.Module) -> nn.Module:
        """A frozen copy of network ``name`` (``net``) to hold the moving average of its weights: network ``ema``."""
        self.specs["ema"] = self.specs[name]
        self.ema = copy.deepcopy(net).eval().requires_grad_(False)
        return self.ema

    def optimizer(self, params, lr: float) -> torch.optim.Optimizer:
        """The config's optimiser (adam with ``betas`` | rmsprop) over ``params`` at learning rate ``lr``."""
        if self.cfg.optimizer == "adam":
            return torch.optim.Adam(params, lr=lr, betas=tuple(self.cfg.betas))
        return torch.optim.RMSprop(params, lr=lr)

    def g_and_d_optimizers(self, g: nn.Module, d: nn.Module) -> dict[str, tuple[torch.optim.Optimizer, float]]:
        """The usual pair for ``Built.optimizers``: G's at ``lr_g`` and D's at ``lr_d`` (the config's optimiser)."""
        return {"g": (self.optimizer(g.parameters(), self.cfg.lr_g), self.cfg.lr_g),
                "d": (self.optimizer(d.parameters(), self.cfg.lr_d), self.cfg.lr_d)}

    # -- shared machinery ------------------------------------------------------------------------
    def start_state(self) -> None:
        """Reset what every trainer saves and resumes besides its networks: data-order RNG, step, best metric."""
        self.data_gen = torch.Generator().manual_seed(self.cfg.seed + 1)
        self.step_no, self.best = 0, float("inf")

    def batch_indices(self, data: ImageData | None = None, size: int | None = None) -> torch.Tensor:
        """This process's share of ``size`` (default ``batch_size``) random indices into ``data`` (default: the
        run's), drawn from the run's data-order RNG: the whole batch with one process, rows rank·B/N.. under
        torchrun (every rank draws the global batch and keeps its slice; see :mod:`tlgan.distributed`)."""
        n = len(data if data is not None else self.data)
        return distributed.shard(torch.randint(n, (size or self.cfg.batch_size,), generator=self.data_gen))

    def rows(self, t: torch.Tensor) -> torch.Tensor:
        """This process's rows of ``t`` (N, ...), a draw for the whole global batch from the run's random stream,
        on the run's device: ``t`` itself with one process on the CPU (e.g. ``self.rows(torch.randn(batch_size,
        z_dim))`` for G's noise)."""
        return self.rt.put(distributed.shard(t))

    def update(self) -> dict[str, torch.Tensor]:
        """One update as the loop runs it: :meth:`step`; under torchrun, then the global batch's losses (alike on
        every rank) and rank 0's buffers (BatchNorm statistics, the EMA's copies) on every rank, so every network
        is identical everywhere (parameters already are: their gradients are averaged before each step)."""
        with self.rt.autocast():
            out = self.step()
        if distributed.world() > 1:
            out = distributed.mean_scalars(out)
            for net in self._nets.values():
                distributed.broadcast_module(net, buffers_only=True)
        return out

    def nets(self) -> dict[str, nn.Module]:
        """Every network of the run by name (saved as ``state/<name>.safetensors``)."""
        return self._nets

    def optimizers(self) -> dict[str, tuple[torch.optim.Optimizer, float]]:
        """Every optimiser by name with its base learning rate (for decay and resume)."""
        return self._optimizers

    def train_mode(self) -> None:
        """Put every trained network in training mode (the EMA copy stays in eval mode)."""
        for net in self._nets.values():
            net.train(net is not self.ema)

    def decay_lr(self) -> None:
        """Linear decay to 0 at the last step: a function of the step alone, so resuming needs no state."""
        if self.cfg.lr_decay == "linear":
            frac = 1.0 - self.step_no / self.cfg.steps
            for opt, lr in self._optimizers.values():
                for group in opt.param_groups:
                    group["lr"] = lr * frac

    @torch.no_grad()
    def update_ema(self, copy_buffers: bool = False, warmup: bool = False, decay: float | None = None) -> None:
        """Move the EMA generator's weights towards G's (decay ``decay``, default cfg.ema); optionally copy G's
        buffers too.

        ``warmup``: decay min(ema, (1 + t) / (10 + t)) at update t, so the average forgets the initial weights
        within the first hundred updates instead of after 1 / (1 − ema) of them."""
        if self.ema is None:
            return
        if decay is None:
            decay = min(self.cfg.ema, (1 + self.step_no) / (10 + self.step_no)) if warmup else self.cfg.ema
        for pe, p in zip(self.ema.parameters(), self.g.parameters(), strict=True):
            pe.lerp_(p, 1 - decay)
        if copy_buffers:
            for be, b in zip(self.ema.buffers(), self.g.buffers(), strict=True):
                be.copy_(b)

    @property
    def inference_g(self) -> nn.Module:
        """The network sampled, scored and exported: the EMA generator if kept, else G."""
        return self.ema if self.ema is not None else self.g

    @torch.no_grad()
    def recalibrate_ema(self, batches: int = 16) -> None:
        """Recompute the EMA generator's BatchNorm statistics from its own activations.

        Averaged weights with the live G's running statistics give washed-out samples; fresh statistics
        (a cumulative average over ``batches`` batches of fixed noise) fix that. The global RNG is untouched.
        """
        bns = [m for m in self.ema.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not bns:
            return
        gen = torch.Generator().manual_seed(self.cfg.seed + 4)
        saved = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        self.ema.train()
        for _ in range(batches):
            self.ema(self.rt.put(torch.randn(self.cfg.batch_size, self.cfg.z_dim, generator=gen)))
        for m, mom in zip(bns, saved, strict=True):
            m.momentum = mom
        self.ema.eval()

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        """The sample grid's images (N, C, R, R) in [-1, 1], float32 on the CPU: the inference generator on fixed
        noise."""
        g = self.inference_g
        was = g.training
        g.eval()
        with self.rt.autocast():
            x = g(self.rt.put(self.fixed_z[:n]))
        g.train(was)
        return x.float().cpu()

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self, run: Path) -> None:
        """Write state/ (every net, optimiser and RNG: for resume) and generator.safetensors atomically."""
        tmp = run / "state.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        for name, net in self._nets.items():
            save_weights(net.state_dict(), tmp / f"{name}.safetensors")
        torch.save({"step": self.step_no, "best": self.best,
                    "opt": {k: opt.state_dict() for k, (opt, _) in self._optimizers.items()},
                    "rng": torch.get_rng_state(), "data_rng": self.data_gen.get_state(), **self.extra_state()},
                   tmp / "trainer.pt")
        replace_dir(tmp, run / "state")
        if self.spec is not None:
            save_weights(self.inference_g.state_dict(), run / "generator.safetensors")

    def extra_state(self) -> dict:
        """Family state beyond networks, optimisers and RNGs to save with a checkpoint (tensors, numbers)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what :meth:`extra_state` saved."""

    def load(self, run: Path) -> None:
        """Restore everything ``save`` wrote (the checkpoint is our own file: loaded with weights_only). Under
        torchrun rank 0 reads it and sends it to the others, so the run directory need only exist there; the
        checkpoint holds no per-rank state, so it resumes under any number of processes."""
        t = self._read_checkpoint(run) if distributed.is_main() else None
        if distributed.world() > 1:
            for net in self._nets.values():
                distributed.broadcast_module(net)
            t = distributed.broadcast_object(t)
        for name, (opt, lr) in self._optimizers.items():
            opt.load_state_dict(t["opt"][name])
            for group in opt.param_groups:  # config.json is the truth: an edited learning rate takes effect
                group["lr"] = lr
        torch.set_rng_state(t["rng"])
        self.data_gen.set_state(t["data_rng"])
        self.step_no, self.best = int(t["step"]), float(t["best"])
        self.load_extra_state(t)

    def _read_checkpoint(self, run: Path) -> dict:
        """Load the networks from ``run``'s state/ and return trainer.pt's contents."""
        state = run / "state"
        if not state.exists() and (run / "state.old").exists():
            state = run / "state.old"
        if not (state / "trainer.pt").exists():
            raise UserError(f"{run} has no checkpoint to resume from (no state/trainer.pt)")
        for name, net in self._nets.items():
            load_weights(net, state / f"{name}.safetensors")
        try:
            return torch.load(state / "trainer.pt", weights_only=True, map_location="cpu")
        except Exception as e:  # truncated, or not our file (weights_only refuses pickled code)
            raise UserError(f"{state / 'trainer.pt'} is corrupt or not a tlgan checkpoint "
                            f"({type(e).__name__}); resume from a good copy or start again") from None
