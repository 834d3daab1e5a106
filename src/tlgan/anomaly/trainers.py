"""Trainers that plug the anomaly detectors into the one training loop (:func:`tlgan.train.train`).

Each subclasses :class:`tlgan.train.Trainer` (same checkpoints, resume, progress bar, sample grids): only the
networks, the optimisers and ``step()`` differ. Sample grids show a fixed real batch above its reconstructions.
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

from .. import losses
from ..models.conv import ConvEncoder, dcgan_init
from ..train import Trainer, _optimizer
from .nets import JointDiscriminator


class _Reconstructing(Trainer):
    """Shared parts: an encoder ``e`` beside G, and grids of (real, reconstruction) pairs."""

    def _encoder(self) -> ConvEncoder:
        kw = self.spec["kwargs"]
        e = ConvEncoder(kw["z_dim"], kw["resolution"], kw["channels"], self.cfg.width)
        dcgan_init(e)
        return e

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, C, R, R) in [-1, 1] -> G(E(x)), same shape and range."""
        return self.g(self.e(x))

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        nets = list(self.nets().values())
        was = [m.training for m in nets]
        for m in nets:
            m.eval()
        x = self.data.batch(torch.arange(min(n // 2, len(self.data))))
        out = torch.cat([x, self.reconstruct(x)])
        for m, w in zip(nets, was, strict=True):
            m.train(w)
        return out

    def _real_batch(self) -> torch.Tensor:
        return self.data.batch(self.batch_indices())


class EGBADTrainer(_Reconstructing):
    """EGBAD (BiGAN): D(x, z) tells (x, E(x)) from (G(z), z); G and E are trained together to fool it."""

    def __init__(self, cfg, data):
        super().__init__(cfg, data)
        kw = self.spec["kwargs"]
        self.e = self._encoder()
        self.d = JointDiscriminator(kw["z_dim"], kw["resolution"], kw["channels"], cfg.width)
        dcgan_init(self.d)
        self.opt_g = _optimizer(cfg, itertools.chain(self.g.parameters(), self.e.parameters()), cfg.lr_g)
        self.opt_d = _optimizer(cfg, self.d.parameters(), cfg.lr_d)

    def nets(self):
        return {"g": self.g, "d": self.d, "e": self.e}

    def step(self):
        self.decay_lr()
        for m in self.nets().values():
            m.train()
        real, z = self._real_batch(), torch.randn(self.cfg.batch_size, self.cfg.z_dim)
        ez, gz = self.e(real), self.g(z)
        loss_d = losses.d_bce(self.d(real, ez.detach()), self.d(gz.detach(), z))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_ge = losses.d_bce(self.d(gz, z), self.d(real, ez))  # the labels swapped: fool D both ways
        self.opt_g.zero_grad(set_to_none=True)
        loss_ge.backward()
        self.opt_g.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "ge_loss": loss_ge.detach()}


class GANomalyTrainer(_Reconstructing):
    """GANomaly: encoder E -> decoder G -> encoder E2, a DCGAN discriminator for feature matching.

    Generator loss = w_adv ‖f(x) − f(G(E(x)))‖² + w_con ‖x − G(E(x))‖₁ + w_lat ‖E(x) − E2(G(E(x)))‖²
    (``cfg_weights`` = (w_adv, w_con, w_lat)); D is re-initialised when its loss collapses below 1e-5.
    """

    def __init__(self, cfg, data, weights=(1.0, 50.0, 1.0)):
        super().__init__(cfg, data)
        self.w_adv, self.w_con, self.w_lat = weights
        self.e, self.e2 = self._encoder(), self._encoder()
        params = itertools.chain(self.e.parameters(), self.g.parameters(), self.e2.parameters())
        self.opt_g = _optimizer(cfg, params, cfg.lr_g)

    def nets(self):
        return {"g": self.g, "d": self.d, "e": self.e, "e2": self.e2}

    def step(self):
        self.decay_lr()
        for m in self.nets().values():
            m.train()
        real = self._real_batch()
        z = self.e(real)
        xr = self.g(z)
        loss_d = losses.d_bce(self.d(real), self.d(xr.detach()))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        if loss_d.item() < 1e-5:
            dcgan_init(self.d)
        adv = (self.d.features(real) - self.d.features(xr)).pow(2).mean()
        con = (real - xr).abs().mean()
        lat = (z - self.e2(xr)).pow(2).mean()
        loss_g = self.w_adv * adv + self.w_con * con + self.w_lat * lat
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "adv": adv.detach(), "con": con.detach(), "lat": lat.detach()}


class IZIFEncoderTrainer(_Reconstructing):
    """f-AnoGAN's second stage: E trained with G and the critic frozen.

    Loss izif = MSE(x, G(E(x))) + κ MSE(f(x), f(G(E(x)))), f = the critic's last feature layer.

    ``g`` and ``critic`` come from a finished WGAN-GP run; κ = 0 gives the izi objective.
    """

    def __init__(self, cfg, data, g, critic, kappa: float = 1.0):
        super().__init__(cfg, data)
        self.g, self.d, self.kappa = g.eval().requires_grad_(False), critic.eval().requires_grad_(False), kappa
        self.e = self._encoder()
        self.opt_e = _optimizer(cfg, self.e.parameters(), cfg.lr_g)

    def nets(self):
        return {"e": self.e}

    def optimizers(self):
        return {"e": (self.opt_e, self.cfg.lr_g)}

    def step(self):
        self.decay_lr()
        self.e.train()
        real = self._real_batch()
        xr = self.g(self.e(real))
        img = F.mse_loss(xr, real)
        feat = F.mse_loss(self.d.features(xr), self.d.features(real))
        loss = img + self.kappa * feat
        self.opt_e.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_e.step()
        self.step_no += 1
        return {"izi": img.detach(), "feat": feat.detach()}

