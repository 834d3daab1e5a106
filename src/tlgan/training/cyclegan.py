"""CycleGAN through the one loop (networks in :mod:`tlgan.models.translation`)."""
from __future__ import annotations

import torch

from .. import losses
from ..data import load_data
from ..errors import UserError
from ..models.conv import dcgan_init
from ..models.translation import ImagePool
from .trainer import Built, Trainer


class CycleGANTrainer(Trainer):
    """G: A → B and F: B → A with PatchGAN critics D_B, D_A; LSGAN, cycle λ, identity 0.5·λ, image pools.

    ``self.data`` is domain A (``cfg.data``); domain B is ``cfg.data_b``. Grid rows: A, G(A), F(G(A)), B, F(B),
    G(F(B)).
    """

    keys = frozenset({"data_b", "width", "n_res", "cycle_lambda", "identity", "pool_size"})
    defaults = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=[0.5, 0.999])
    grid_nrow = 8

    def build(self) -> Built:
        cfg, data = self.cfg, self.data
        if not cfg.data_b:
            raise UserError("cyclegan needs a second domain: --data-b (e.g. --data fashion#Sneaker "
                            "--data-b fashion#Sandal)")
        self.data_b = load_data(cfg.data_b, cfg.resolution or data.shape[-1], None, seed=cfg.data_seed)
        if self.data_b.shape != data.shape:
            raise UserError(f"the two domains differ in size: {data.shape} vs {self.data_b.shape} "
                            "(channels, height, width); give both the same --resolution and channel count")
        c, r = data.shape[0], data.shape[-1]
        nets = {name: self.network(name, "resnet", channels=c, width=cfg.width, n_res=cfg.n_res)
                for name in ("g", "f")}
        nets |= {name: self.network(name, "patch_d", channels=c, width=cfg.width, resolution=r)
                 for name in ("d", "d_a")}
        for m in nets.values():
            dcgan_init(m)
        self.pool_a, self.pool_b = ImagePool(cfg.pool_size, cfg.seed), ImagePool(cfg.pool_size, cfg.seed + 1)
        params = lambda *names: [p for n in names for p in nets[n].parameters()]  # noqa: E731
        return Built(nets, {"g": (self.optimizer(params("g", "f"), cfg.lr_g), cfg.lr_g),
                            "d": (self.optimizer(params("d", "d_a"), cfg.lr_d), cfg.lr_d)},
                     generator=None, info={"translator": {"resolution": r, "directions": {"a2b": "g", "b2a": "f"}}})

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        self.train_mode()
        a, b = self.data.batch(self.batch_indices()), self.data_b.batch(self.batch_indices(self.data_b))
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

    def extra_state(self) -> dict:
        return {"pool_a": self.pool_a.state(), "pool_b": self.pool_b.state()}

    def load_extra_state(self, state: dict) -> None:
        self.pool_a.load_state(state["pool_a"])
        self.pool_b.load_state(state["pool_b"])

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
