"""R3GAN (Huang et al., NeurIPS 2024): the relativistic pairing loss with zero-centred R1 + R2 penalties on a plain
ResNet G and D (:mod:`tlgan.models.r3gan`), none of the usual tricks.

Per update: one D step (its own real batch and z; R1 on reals, R2 on fakes, every ``penalty_every`` steps with
γ·k) and one G step (another real batch and z). Adam β1 = 0; cosine schedules over ``schedule_kimg`` thousand
images (default: the whole run) for the learning rate (× 1 → ``lr_end``), Adam's β2 (``betas[1]`` → ``beta2_end``)
and γ (``gamma`` → ``gamma_end``), all functions of the step, so a resume continues exactly (resuming to more
steps stretches the default schedule; a set ``schedule_kimg`` keeps it). The EMA of G has a half-life of
``ema_half_life`` thousand images, ramped from 0 (at most ``ema_ramp`` of the images seen). ``augment``: D sees
both real and fake images x-flipped and/or translated (by up to 1/8 of the side, reflected at the border).
Logged: ``d_loss``, ``g_loss``, ``gap`` (the mean of D(real) − D(fake): watch it — a γ too large flattens D and
the gap goes to 0), and the last computed ``r1``/``r2``.
"""
from __future__ import annotations

import math

import torch

from .. import losses
from ..config import TrainConfig
from ..errors import UserError
from ..models.r3gan import check_widths, stages_for
from .trainer import Built, Trainer

CPU_WIDTHS = {2: [64, 32], 3: [64, 64, 32], 4: [96, 96, 64, 32], 5: [96, 96, 64, 32, 16],
              6: [96, 96, 64, 32, 16, 16]}  # stages -> channels: narrow enough for 2 CPU cores


def default_widths(resolution: int) -> list[int]:
    """The family's widths at ``resolution`` (4×4 first), sized for a CPU."""
    return list(CPU_WIDTHS[min(stages_for(resolution), 6)]) + [16] * max(stages_for(resolution) - 6, 0)


def cosine(start: float, end: float, t: float) -> float:
    """``start`` at t = 0 to ``end`` at t = 1 along half a cosine."""
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(max(t, 0.0), 1.0)))


def augment(x: torch.Tensor, ops: list[str], u: torch.Tensor) -> torch.Tensor:
    """Images (N, C, R, R) -> the same, each x-flipped where u[:, 0] < 1/2 (``xflip``) and/or shifted by a whole
    number of pixels, up to R/8 each way, chosen by u[:, 1:] (``translate``, reflected at the border); ``u``
    (N, 3) uniform in [0, 1). Differentiable in ``x``."""
    n, r = x.shape[0], x.shape[-1]
    if "xflip" in ops:
        x = torch.where((u[:, 0] < 0.5).view(-1, 1, 1, 1), x.flip(3), x)
    if "translate" in ops:
        m = max(r // 8, 1)
        shift = (u[:, 1:] * (2 * m + 1)).long().clamp_max(2 * m) - m  # (N, 2) in -m..m
        base = torch.arange(r, device=x.device)
        rows = (base.view(1, r) - shift[:, :1]).abs()  # reflect: -k -> k, r-1+k -> r-1-k
        rows = torch.where(rows > r - 1, 2 * (r - 1) - rows, rows)
        cols = (base.view(1, r) - shift[:, 1:]).abs()
        cols = torch.where(cols > r - 1, 2 * (r - 1) - cols, cols)
        idx = torch.arange(n, device=x.device).view(n, 1, 1)
        x = x.permute(0, 2, 3, 1)[idx, rows.view(n, r, 1), cols.view(n, 1, r)].permute(0, 3, 1, 2)
    return x


class R3GANTrainer(Trainer):
    """R3GAN: relativistic pairing loss + R1 + R2 on a ResNet G and D without normalisation, EMA of G."""

    keys = frozenset({"z_dim", "mlp_hidden_g", "mlp_hidden_d", "widths", "blocks", "expansion", "cardinality",
                      "gamma", "gamma_end", "lr_end", "beta2_end", "schedule_kimg", "penalty_every",
                      "ema_half_life", "ema_ramp", "augment", "metric", "metric_samples", "fd_extractor_steps"})
    defaults = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=[0.0, 0.9])

    @classmethod
    def validate(cls, cfg: TrainConfig) -> None:
        if cfg.lr_decay != "none":
            raise UserError("r3gan schedules its learning rate by a cosine (lr_g/lr_d -> x lr_end): "
                            "lr_decay must be none")
        if cfg.optimizer != "adam":
            raise UserError("r3gan trains with adam (betas[1] follows a cosine to beta2_end)")
        if cfg.resolution is not None:
            check_widths(cfg.resolution, cfg.widths or default_widths(cfg.resolution), cfg.expansion,
                         cfg.cardinality)

    def build(self) -> Built:
        cfg, shape = self.cfg, self.data.shape
        if len(shape) == 1:  # points (the ring-of-8 toy): the objective on MLPs without normalisation
            g = self.network("g", "mlp", z_dim=cfg.z_dim, out_shape=list(shape), hidden=list(cfg.mlp_hidden_g),
                             batchnorm=False, out_act="none")
            d = self.network("d", "mlp_d", in_shape=list(shape), hidden=list(cfg.mlp_hidden_d))
        elif len(shape) == 3 and shape[1] == shape[2]:
            kw = dict(resolution=shape[-1], channels=shape[0], widths=cfg.widths or default_widths(shape[-1]),
                      blocks=cfg.blocks, expansion=cfg.expansion, cardinality=cfg.cardinality)
            g = self.network("g", "r3gan", z_dim=cfg.z_dim, **kw)
            d = self.network("d", "r3gan_d", **kw)
        else:
            raise UserError(f"r3gan trains on square images or points; {cfg.data} has shape {shape}")
        nets = {"g": g, "d": d, **({"ema": self.ema_of("g", g)} if cfg.ema_half_life > 0 else {})}
        self.penalties: dict[str, torch.Tensor] = {}  # the last R1 and R2 (lazy: not computed every step)
        return Built(nets, self.g_and_d_optimizers(g, d))

    def schedule(self) -> float:
        """Set this step's learning rates and β2 on both optimisers; return this step's γ."""
        cfg = self.cfg
        horizon = cfg.schedule_kimg * 1000 if cfg.schedule_kimg else cfg.steps * cfg.batch_size
        t = self.step_no * cfg.batch_size / horizon
        beta2 = cosine(cfg.betas[1], cfg.beta2_end, t)
        for opt, lr in self.optimizers().values():
            for group in opt.param_groups:
                group["lr"] = cosine(lr, lr * cfg.lr_end, t)
                group["betas"] = (cfg.betas[0], beta2)
        return cosine(cfg.gamma, cfg.gamma_end, t)

    def ema_decay(self) -> float:
        """β of this step's EMA update: 0.5^(batch / half-life), the half-life ramped from 0 (images)."""
        cfg = self.cfg
        half_life = min(cfg.ema_half_life * 1000, cfg.ema_ramp * self.step_no * cfg.batch_size)
        return 0.5 ** (cfg.batch_size / half_life) if half_life > 0 else 0.0

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        """D's logits (N,) in float32 on ``x`` (this process's rows of the batch) seen through the augmentation,
        drawn for the global batch (so N processes augment as one does)."""
        if self.cfg.augment:
            x = augment(x, self.cfg.augment, self.rows(torch.rand(self.cfg.batch_size, 3)))
        return self.d(x).float()

    def step(self) -> dict[str, torch.Tensor]:
        cfg, bs = self.cfg, self.cfg.batch_size
        gamma = self.schedule()
        self.train_mode()
        # D: relativistic pairs (real[i], fake[i]) + gamma/2 (R1 + R2), lazily every k steps with gamma * k
        real = self.data.batch(self.batch_indices())
        with torch.no_grad():
            fake = self.g(self.rows(torch.randn(bs, cfg.z_dim))).float()
        if self.step_no % cfg.penalty_every == 0:
            d_real, r1 = losses.zero_centred_penalty(self.critic, real)
            d_fake, r2 = losses.zero_centred_penalty(self.critic, fake)
            penalty = gamma * cfg.penalty_every / 2 * (r1 + r2).mean()
            self.penalties = {"r1": r1.mean().detach(), "r2": r2.mean().detach()}  # logged until the next ones
        else:
            d_real, d_fake, penalty = self.critic(real), self.critic(fake), 0.0
        loss_d = losses.d_relativistic(d_real, d_fake)
        self.opt_d.zero_grad(set_to_none=True)
        (loss_d + penalty).backward()
        self.opt_d.step()
        out = {"d_loss": loss_d.detach(), "gap": (d_real - d_fake).mean().detach(), **self.penalties}
        # G: its own real batch and z; D is fixed
        real = self.data.batch(self.batch_indices())
        fake = self.g(self.rows(torch.randn(bs, cfg.z_dim)))
        self.d.requires_grad_(False)
        with torch.no_grad():
            d_real = self.critic(real)
        loss_g = losses.g_relativistic(self.critic(fake), d_real)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.d.requires_grad_(True)
        self.opt_g.step()
        self.update_ema(decay=self.ema_decay())
        self.step_no += 1
        out["g_loss"] = loss_g.detach()
        return out
