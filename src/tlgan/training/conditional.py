"""The conditional generators TL-GAN argues against, through the one loop: conditional GAN and AC-GAN.

Labels: the binary columns ``attributes`` of the data (default: all its binary labels). When every image has
exactly one of them set (Fashion-MNIST's classes, digits) they are *classes*: sampled uniformly, cross-entropy in
AC-GAN; otherwise *attributes*: sampled as whole label rows of real images (their joint distribution), BCE.

- ``cgan``: D(x, y) with projection (default, ``d_cond: projection``) or input concatenation (``d_cond:
  concat``); non-saturating loss; G(z, y).
- ``acgan``: D(x) -> (real/fake logit, label logits); D minimises L_S + L_C on real and fake, G minimises the
  non-saturating L_S plus L_C on its fakes (Odena et al. 2017, with the non-saturating form for G).

Sample grids: one row per label value asked for (classes: one row per class; attributes: all off, then each one
on alone), the same z along each column.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .. import losses
from ..errors import UserError
from ..models.conv import dcgan_init
from .stargan import attribute_columns
from .trainer import Built, Trainer


class ConditionalTrainer(Trainer):
    """Conditional GAN (``cgan``); :class:`ACGANTrainer` overrides the losses."""

    keys = frozenset({"z_dim", "width", "attributes", "d_cond", "ema"})
    defaults = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=[0.5, 0.999], d_cond="projection", ema=0.0)
    d_mode = None  # the discriminator's conditioning: the config's d_cond, or "aux" for AC-GAN
    grid_nrow = 8

    def build(self) -> Built:
        cfg, data = self.cfg, self.data
        if data.labels is None or not data.is_image:
            raise UserError(f"{cfg.model} needs labelled images; {data.name} has no labels")
        names = cfg.attributes or [n for n, b in zip(data.label_names, data.binary, strict=True) if b]
        self.cols = attribute_columns(data, names)
        self.labels = torch.from_numpy(np.ascontiguousarray(data.labels[:, self.cols])).float()
        self.classes = bool((self.labels.sum(1) == 1).all()) and len(self.cols) > 1
        mode = self.d_mode or cfg.d_cond
        if mode not in ("projection", "concat", "aux"):
            raise UserError(f"d_cond must be projection or concat, got {mode!r}")
        c, r, k = data.shape[0], data.shape[-1], len(self.cols)
        g = self.network("g", "cond", z_dim=cfg.z_dim, n_labels=k, resolution=r, channels=c, width=cfg.width)
        d = self.network("d", "cond_d", resolution=r, channels=c, width=cfg.width, n_labels=k, mode=mode)
        dcgan_init(g)
        dcgan_init(d)
        if mode == "projection":
            d.embed.reset_parameters()  # N(0, 0.02) would mute the projection term at the start
        g.labels.copy_(self.labels.mean(0) if not self.classes else torch.eye(k)[0])
        nets = {"g": g, "d": d}
        if cfg.ema > 0:
            nets["ema"] = self.ema_of("g", g)
        info = {"conditional": {"labels": [data.label_names[j] for j in self.cols], "classes": self.classes}}
        return Built(nets, self.g_and_d_optimizers(g, d), info=info)

    def fake_labels(self, n: int) -> torch.Tensor:
        """Labels to generate (n, K): uniform classes, or label rows of random real images."""
        if self.classes:
            k = len(self.cols)
            return torch.eye(k)[torch.randint(k, (n,), generator=self.data_gen)]
        return self.labels[torch.randint(len(self.labels), (n,), generator=self.data_gen)]

    def label_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy over classes, or BCE over independent attributes."""
        if self.classes:
            return F.cross_entropy(logits, y.argmax(1))
        return F.binary_cross_entropy_with_logits(logits, y)

    def d_losses(self, real, y_real, fake, y_fake) -> tuple[torch.Tensor, dict]:
        """D's loss on real and fake images (N, C, R, R) in [-1, 1] with their labels (N, K), and extra logs."""
        return losses.d_bce(self.d(real, y_real), self.d(fake, y_fake)), {}

    def g_loss(self, fake, y_fake) -> torch.Tensor:
        """G's loss on its images (N, C, R, R) drawn for labels ``y_fake`` (N, K)."""
        return losses.g_nonsaturating(self.d(fake, y_fake))

    def step(self) -> dict[str, torch.Tensor]:
        cfg, bs = self.cfg, self.cfg.batch_size
        self.decay_lr()
        self.train_mode()
        idx = self.batch_indices()
        real, y_real = self.data.batch(idx), self.labels[idx]
        y_fake = self.rows(self.fake_labels(bs))
        fake = self.g(self.rows(torch.randn(bs, cfg.z_dim)), y_fake)
        loss_d, extra = self.d_losses(real, y_real, fake.detach(), y_fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = self.g_loss(fake, y_fake)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_ema()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "g_loss": loss_g.detach(), **extra}

    def grid_labels(self) -> torch.Tensor:
        """One label row per grid row: each class; or all attributes off, then each one on alone."""
        k = len(self.cols)
        return torch.eye(k) if self.classes else torch.cat([torch.zeros(1, k), torch.eye(k)])

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        g = self.inference_g
        was = g.training
        g.eval()
        rows = self.grid_labels()
        z = self.fixed_z[:8].repeat(len(rows), 1)
        x = g(z, rows.repeat_interleave(8, 0))
        g.train(was)
        return x


class ACGANTrainer(ConditionalTrainer):
    """AC-GAN: an auxiliary label head on an unconditional D (see the module doc)."""

    keys = frozenset({"z_dim", "width", "attributes", "cls_lambda", "ema"})
    defaults = {**ConditionalTrainer.defaults, "cls_lambda": 1.0}
    d_mode = "aux"

    def d_losses(self, real, y_real, fake, y_fake):
        (s_real, c_real), (s_fake, c_fake) = self.d(real), self.d(fake)
        l_c = self.label_loss(c_real, y_real) + self.label_loss(c_fake, y_fake)
        with torch.no_grad():
            acc = ((c_real.argmax(1) == y_real.argmax(1)) if self.classes else ((c_real > 0) == (y_real > 0.5)))
        return losses.d_bce(s_real, s_fake) + self.cfg.cls_lambda * l_c, {"aux_acc_real": acc.float().mean()}

    def g_loss(self, fake, y_fake):
        s, c = self.d(fake)
        return losses.g_nonsaturating(s) + self.cfg.cls_lambda * self.label_loss(c, y_fake)
