"""Trainers that plug the anomaly detectors into the one training loop (:func:`tlgan.training.train`).

Each fills the :class:`tlgan.training.Trainer` contract (same checkpoints, resume, progress bar, sample grids):
only ``build()`` and ``step()`` differ. Sample grids show a fixed real batch above its reconstructions.
AnoGAN and f-AnoGAN's first stage are plain families (``dcgan``, ``wgan-gp``).
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

from .. import distributed, losses
from ..models.conv import dcgan_init
from ..training import Built, Trainer


class _Reconstructing(Trainer):
    """Shared parts: conv networks sized to the data, an encoder ``e``, grids of (real, reconstruction) pairs."""

    def _conv(self, name: str, arch: str, **kwargs) -> torch.nn.Module:
        """Network ``name`` of a conv ``arch`` at the data's size and the config's width, DCGAN-initialised."""
        c, r = self.data.shape[0], self.data.shape[-1]
        net = self.network(name, arch, resolution=r, channels=c, width=self.cfg.width, **kwargs)
        dcgan_init(net)
        return net

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
    """EGBAD (BiGAN): D(x, z) tells (x, E(x)) from (G(z), z); G and E are trained together to fool it.

    ``cycle=True`` is ALAD's recipe (Zenati et al. 2018), the fix for the plain BiGAN's instability: two more
    discriminators, D_xx on (x, x) vs (x, G(E(x))) and D_zz on (z, z) vs (z, E(G(z))), make E and G invert each other,
    and all three discriminators are spectrally normalised (no BatchNorm). ``cycle=False`` is the plain BiGAN.
    """
    label = "egbad"

    def __init__(self, cfg, data, cycle: bool = True, runtime=None):
        self.cycle = cycle
        super().__init__(cfg, data, runtime)

    def build(self) -> Built:
        cfg = self.cfg
        c, r = self.data.shape[0], self.data.shape[-1]
        g = self._conv("g", "conv", z_dim=cfg.z_dim)
        e = self._conv("e", "conv_encoder", z_dim=cfg.z_dim)
        if not self.cycle:
            d = self._conv("d", "joint_d", z_dim=cfg.z_dim)
            nets = {"g": g, "d": d, "e": e}
        else:  # spectrally normalised discriminators keep PyTorch's initialisation (SN rescales the weights)
            nets = {"g": g, "e": e,
                    "d": self.network("d", "joint_d", z_dim=cfg.z_dim, resolution=r, channels=c, width=cfg.width,
                                      spectral_norm=True),
                    "dxx": self.network("dxx", "pair_d", resolution=r, channels=c, width=cfg.width),
                    "dzz": self.network("dzz", "latent_pair_d", z_dim=cfg.z_dim)}
        d_params = itertools.chain(*(nets[k].parameters() for k in nets if k.startswith("d")))
        return Built(nets, {"g": (self.optimizer(itertools.chain(g.parameters(), e.parameters()), cfg.lr_g), cfg.lr_g),
                            "d": (self.optimizer(d_params, cfg.lr_d), cfg.lr_d)})

    def _pairs(self, real, z, ez, gz, detach: bool):
        """[(D on the 'real' pair, D on the 'fake' pair)] for each discriminator; G/E inputs detached for D's step."""
        cut = (lambda t: t.detach()) if detach else (lambda t: t)
        out = [(self.d(real, cut(ez)), self.d(cut(gz), z))]
        if self.cycle:
            out += [(self.dxx(real, real), self.dxx(real, cut(self.g(ez)))),
                    (self.dzz(z, z), self.dzz(z, cut(self.e(gz))))]
        return out

    def step(self):
        self.decay_lr()
        self.train_mode()
        real, z = self._real_batch(), self.rows(torch.randn(self.cfg.batch_size, self.cfg.z_dim))
        ez, gz = self.e(real), self.g(z)
        loss_d = sum(losses.d_bce(a, b) for a, b in self._pairs(real, z, ez, gz, detach=True))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        # the labels swapped: G and E fool every discriminator both ways
        loss_ge = sum(losses.d_bce(b, a) for a, b in self._pairs(real, z, ez, gz, detach=False))
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
    label = "ganomaly"

    def __init__(self, cfg, data, weights=(1.0, 50.0, 1.0), runtime=None):
        super().__init__(cfg, data, runtime)
        self.w_adv, self.w_con, self.w_lat = weights

    def build(self) -> Built:
        cfg = self.cfg
        g = self._conv("g", "conv", z_dim=cfg.z_dim)
        d = self._conv("d", "conv_d", norm=cfg.d_norm)
        e, e2 = self._conv("e", "conv_encoder", z_dim=cfg.z_dim), self._conv("e2", "conv_encoder", z_dim=cfg.z_dim)
        params = itertools.chain(e.parameters(), g.parameters(), e2.parameters())
        return Built({"g": g, "d": d, "e": e, "e2": e2}, {"g": (self.optimizer(params, cfg.lr_g), cfg.lr_g),
                                                         "d": (self.optimizer(d.parameters(), cfg.lr_d), cfg.lr_d)})

    def step(self):
        self.decay_lr()
        self.train_mode()
        real = self._real_batch()
        z = self.e(real)
        xr = self.g(z)
        loss_d = losses.d_bce(self.d(real), self.d(xr.detach()))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        if float(distributed.mean_scalars({"d": loss_d.detach()})["d"]) < 1e-5:  # decided alike on every rank
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
    label = "f-AnoGAN encoder"

    def __init__(self, cfg, data, g, critic, kappa: float = 1.0, runtime=None):
        self.g, self.d, self.kappa = g.eval().requires_grad_(False), critic.eval().requires_grad_(False), kappa
        super().__init__(cfg, data, runtime)

    def build(self) -> Built:
        e = self._conv("e", "conv_encoder", z_dim=self.cfg.z_dim)
        return Built({"e": e}, {"e": (self.optimizer(e.parameters(), self.cfg.lr_g), self.cfg.lr_g)}, generator=None)

    def step(self):
        self.decay_lr()
        self.train_mode()
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

