"""Training the StyleGAN-style generator through the one loop (see :mod:`tlgan.models.style`)."""
from __future__ import annotations

import torch

from .. import losses
from ..models.conv import dcgan_init
from ..models.style import mix_styles
from .trainer import Built, Trainer


class StyleGANTrainer(Trainer):
    """Non-saturating loss with lazy R1 (every ``R1_EVERY`` steps, weighted by that interval), style mixing,
    w_avg tracking and an EMA of G that carries the buffers (w_avg, constant noise) with it."""

    keys = frozenset({"z_dim", "width", "r1_gamma", "style_mixing", "ema", "metric", "metric_samples",
                      "fd_extractor_steps"})
    defaults = dict(optimizer="adam", lr_g=2e-3, lr_d=2e-3, betas=[0.0, 0.99], ema=0.0)
    R1_EVERY = 16

    def build(self) -> Built:
        cfg, (c, r) = self.cfg, (self.data.shape[0], self.data.shape[-1])
        g = self.network("g", "style", z_dim=cfg.z_dim, w_dim=cfg.z_dim, resolution=r, channels=c, width=cfg.width)
        d = self.network("d", "conv_d", resolution=r, channels=c, width=cfg.width, norm="none")
        dcgan_init(d)
        nets = {"g": g, "d": d, **({"ema": self.ema_of("g", g)} if cfg.ema > 0 else {})}
        return Built(nets, self.g_and_d_optimizers(g, d))

    def step(self):
        cfg, bs = self.cfg, self.cfg.batch_size
        self.decay_lr()
        self.train_mode()
        real = self.data.batch(self.batch_indices())
        fake = self.g.synthesis(mix_styles(self.g, self.rows(torch.randn(bs, cfg.z_dim)), cfg.style_mixing))
        loss_d = losses.d_bce(self.d(real), self.d(fake.detach()))
        out = {"d_loss": loss_d.detach()}
        if cfg.r1_gamma > 0 and self.step_no % self.R1_EVERY == 0:
            real = real.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.d(real).sum(), real, create_graph=True)
            r1 = grad.pow(2).flatten(1).sum(1).mean()
            loss_d = loss_d + cfg.r1_gamma / 2 * r1 * self.R1_EVERY
            out["r1"] = r1.detach()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = losses.g_nonsaturating(self.d(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_ema(copy_buffers=True)  # w_avg and the constant noise travel with the weights
        self.step_no += 1
        out["g_loss"] = loss_g.detach()
        return out
