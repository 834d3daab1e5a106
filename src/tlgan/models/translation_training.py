"""CycleGAN and StarGAN trainers for the one loop (networks in :mod:`tlgan.models.translation`)."""
from __future__ import annotations

import torch

from .. import losses
from ..data import load_data
from ..errors import UserError
from ..train import Trainer, _optimizer
from .conv import dcgan_init
from .translation import ImagePool, PatchDiscriminator, ResnetGenerator


def translation_spec(cfg, data_shape, extra: int = 0) -> dict:
    """The JSON spec of a translation run's generator (stored in config.json, read by ``tlgan translate``)."""
    c, r, _ = data_shape
    return {"arch": cfg.model, "kwargs": dict(channels=c, width=cfg.width, n_res=cfg.n_res, extra=extra),
            "resolution": r}


class CycleGANTrainer(Trainer):
    """G: A → B and F: B → A with PatchGAN critics D_B, D_A; LSGAN, cycle λ, identity 0.5·λ, image pools.

    ``self.data`` is domain A (``cfg.data``); domain B is ``cfg.data_b``. Grid rows: A, G(A), F(G(A)), B, F(B),
    G(F(B)).
    """

    grid_nrow = 8

    def __init__(self, cfg, data, data_b=None):
        if not cfg.data_b and data_b is None:
            raise UserError("cyclegan needs a second domain: --data-b (e.g. --data fashion#Sneaker "
                            "--data-b fashion#Sandal)")
        self.cfg, self.data = cfg, data
        self.data_b = data_b if data_b is not None else load_data(cfg.data_b, cfg.resolution or data.shape[-1],
                                                                   None, seed=cfg.data_seed)
        if self.data_b.shape != data.shape:
            raise UserError(f"the two domains differ in size: {data.shape} vs {self.data_b.shape} "
                            "(channels, height, width); give both the same --resolution and channel count")
        torch.manual_seed(cfg.seed)
        c, r = data.shape[0], data.shape[-1]
        self.spec = translation_spec(cfg, data.shape)
        self.g, self.f = ResnetGenerator(c, cfg.width, cfg.n_res), ResnetGenerator(c, cfg.width, cfg.n_res)
        self.d, self.d_a = PatchDiscriminator(c, cfg.width, r), PatchDiscriminator(c, cfg.width, r)
        for m in self.nets().values():
            dcgan_init(m)
        self.ema = None
        self.opt_g = _optimizer(cfg, [*self.g.parameters(), *self.f.parameters()], cfg.lr_g)
        self.opt_d = _optimizer(cfg, [*self.d.parameters(), *self.d_a.parameters()], cfg.lr_d)
        self.pool_a, self.pool_b = ImagePool(cfg.pool_size, cfg.seed), ImagePool(cfg.pool_size, cfg.seed + 1)
        self.data_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.fixed_z = torch.zeros(0)
        self.step_no, self.best = 0, float("inf")

    def nets(self):
        return {"g": self.g, "f": self.f, "d": self.d, "d_a": self.d_a}

    def _batch(self, data):
        return data.batch(torch.randint(len(data), (self.cfg.batch_size,), generator=self.data_gen))

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        for m in self.nets().values():
            m.train()
        a, b = self._batch(self.data), self._batch(self.data_b)
        fake_b, fake_a = self.g(a), self.f(b)
        adv = losses.g_lsgan(self.d(fake_b)) + losses.g_lsgan(self.d_a(fake_a))
        cycle = (self.f(fake_b) - a).abs().mean() + (self.g(fake_a) - b).abs().mean()
        ident = (self.g(b) - b).abs().mean() + (self.f(a) - a).abs().mean() if cfg.identity > 0 else torch.zeros(())
        loss_g = adv + cfg.cycle_lambda * cycle + cfg.identity * cfg.cycle_lambda * ident
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        pb, pa = self.pool_b.query(fake_b), self.pool_a.query(fake_a)
        loss_d = losses.d_lsgan(self.d(b), self.d(pb)) + losses.d_lsgan(self.d_a(a), self.d_a(pa))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "g_adv": adv.detach(), "cycle": cycle.detach(), "identity": ident.detach()}

    @property
    def inference_g(self):
        return self.g

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        k = min(8, len(self.data), len(self.data_b))
        for m in self.nets().values():
            m.eval()
        a, b = self.data.batch(torch.arange(k)), self.data_b.batch(torch.arange(k))
        ga, fb = self.g(a), self.f(b)
        return torch.cat([a, ga, self.f(ga), b, fb, self.g(fb)])
