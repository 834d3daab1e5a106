"""pg-GAN (progressive growing, Karras et al. 2018): TL-GAN's own generator, through the one loop.

Schedule, in generator updates of ``pg_phase_steps`` each: level 0 (4×4) stabilises, then every next level fades
in (α 0 → 1 linearly) and stabilises; the last level then trains until ``steps``. Level, α and the batch size
(``pg_batch_sizes``, one per level) are functions of the step alone, so a resume anywhere — inside a fade too —
continues exactly. Real images are shown at the current level's size (average pooling), and blended like G's
output during a fade.

Loss: WGAN-GP (λ = ``gp_lambda``) with the drift term ``drift``·E[D(x)²] (``d_loss: wasserstein``, default), or
the non-saturating loss with an R1 penalty (``d_loss: bce``, γ = ``r1_gamma``). Adam lr 1e-3, β = (0, 0.99), EMA of G
0.999 with a warm-up (its level and α travel with it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import distributed, losses
from .trainer import Built, Trainer


class PGGANTrainer(Trainer):
    """Progressive growing of G and D from 4×4 to the data's resolution (networks in :mod:`tlgan.models.pggan`)."""

    keys = frozenset({"z_dim", "width", "max_channels", "pg_phase_steps", "pg_batch_sizes", "d_loss", "gp_lambda",
                      "drift", "r1_gamma", "n_critic", "ema", "metric", "metric_samples", "fd_extractor_steps"})
    defaults = dict(optimizer="adam", lr_g=1e-3, lr_d=1e-3, betas=[0.0, 0.99], d_loss="wasserstein", n_critic=1,
                    gp_lambda=10.0, ema=0.999)

    def build(self) -> Built:
        cfg, (c, r) = self.cfg, (self.data.shape[0], self.data.shape[-1])
        kw = dict(resolution=r, channels=c, width=cfg.width, max_channels=cfg.max_channels)
        g = self.network("g", "pggan", z_dim=cfg.z_dim, **kw)
        d = self.network("d", "pggan_d", **kw)
        self.n_levels = g.n_levels
        if cfg.pg_batch_sizes is not None and len(cfg.pg_batch_sizes) != self.n_levels:
            from ..errors import UserError
            raise UserError(f"pg_batch_sizes needs one batch size per level ({self.n_levels} for {r}x{r}: 4x4 up), "
                            f"got {len(cfg.pg_batch_sizes)}")
        for b in cfg.pg_batch_sizes or []:
            distributed.check_batch(b, "pg_batch_sizes entry")
        g.set_growth(*self.growth(0))
        nets = {"g": g, "d": d, **({"ema": self.ema_of("g", g)} if cfg.ema > 0 else {})}
        return Built(nets, self.g_and_d_optimizers(g, d))

    def growth(self, step: int) -> tuple[int, float]:
        """(level, α) at generator update ``step``: stabilise 4×4, then fade in and stabilise each next level."""
        phase = self.cfg.pg_phase_steps
        s = step // phase
        level = (s + 1) // 2
        if level >= self.n_levels:
            return self.n_levels - 1, 1.0
        return (level, (step - s * phase) / phase) if s % 2 else (level, 1.0)

    def level_batch(self, level: int) -> int:
        """The batch size at ``level``."""
        return self.cfg.pg_batch_sizes[level] if self.cfg.pg_batch_sizes else self.cfg.batch_size

    def reals(self, level: int, alpha: float) -> torch.Tensor:
        """A batch of real images at level ``level``'s size (N, C, R_k, R_k), blended like G's output in a fade."""
        x = self.data.batch(self.batch_indices(size=self.level_batch(level)))
        size = 4 * 2 ** level
        if x.shape[-1] != size:
            x = F.avg_pool2d(x, x.shape[-1] // size)
        if alpha < 1.0:
            x = torch.lerp(F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest"), x, alpha)
        return x

    def step(self) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        level, alpha = self.growth(self.step_no)
        self.g.set_growth(level, alpha)
        self.decay_lr()
        self.train_mode()
        critic = lambda v: self.d(v, level, alpha)  # noqa: E731
        wasserstein = cfg.d_loss == "wasserstein"
        for _ in range(cfg.n_critic):
            real = self.reals(level, alpha)
            fake = self.g(self.rows(torch.randn(self.level_batch(level), cfg.z_dim)), full_size=False)
            d_real, d_fake = critic(real), critic(fake.detach())
            if wasserstein:
                gp, _ = losses.gradient_penalty(critic, real, fake.detach(),
                                                self.rows(torch.rand(self.level_batch(level))))
                loss_d = losses.d_wasserstein(d_real, d_fake) + cfg.gp_lambda * gp + cfg.drift * d_real.pow(2).mean()
            else:
                real_r = real.detach().requires_grad_(True)
                (grad,) = torch.autograd.grad(critic(real_r).sum(), real_r, create_graph=True)
                loss_d = losses.d_bce(d_real, d_fake) + cfg.r1_gamma / 2 * grad.pow(2).flatten(1).sum(1).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        g_loss = losses.g_wasserstein if wasserstein else losses.g_nonsaturating
        loss_g = g_loss(critic(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_ema(copy_buffers=True, warmup=True)  # level and α travel with the weights
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "g_loss": loss_g.detach(), "level": torch.tensor(float(level)),
                "alpha": torch.tensor(alpha)}
