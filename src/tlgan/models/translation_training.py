"""CycleGAN and StarGAN trainers for the one loop (networks in :mod:`tlgan.models.translation`)."""
from __future__ import annotations

import numpy as np
import torch

from .. import losses
from ..data import load_data
from ..errors import UserError
from ..train import Trainer, _optimizer
from .conv import dcgan_init
from .translation import ImagePool, PatchDiscriminator, ResnetGenerator, set_attributes, stargan_networks


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
        self.start_state()

    def nets(self):
        return {"g": self.g, "f": self.f, "d": self.d, "d_a": self.d_a}


    def step(self):
        cfg = self.cfg
        self.decay_lr()
        for m in self.nets().values():
            m.train()
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


def attribute_columns(data, names) -> list[int]:
    """Column indices of the binary labels ``names`` in ``data`` (UserError for unknown or continuous ones)."""
    cols = []
    for n in names:
        if n not in data.label_names:
            raise UserError(f"unknown attribute {n!r} for {data.name}; its binary labels: "
                            + ", ".join(k for k, b in zip(data.label_names, data.binary, strict=True) if b))
        j = data.label_names.index(n)
        if not data.binary[j]:
            raise UserError(f"{n} is continuous; StarGAN conditions on binary attributes")
        cols.append(j)
    return cols


def exclusive_attributes(labels: np.ndarray, names: list[str]) -> dict[str, list[str]]:
    """For each attribute, the others never 1 together with it in ``labels`` (N, K) 0/1 (e.g. hair colours).

    Setting one of them to 1 at translation time sets these to 0, as StarGAN does for CelebA's hair colours.
    """
    on = labels > 0.5
    both = on.T.astype(np.int64) @ on.astype(np.int64)
    return {a: [b for j, b in enumerate(names) if j != i and both[i, j] == 0 and both[j, j] > 0]
            for i, a in enumerate(names) if both[i, i] > 0}


class StarGANTrainer(Trainer):
    """One generator G(x, c) for every attribute combination c; D(x) → (patch critic, attribute logits).

    WGAN-GP (λ_gp, n_critic from the config), attribute classification on real images for D and on fakes for G
    (BCE-with-logits, λ_cls), reconstruction G(G(x, c_trg), c_org) ≈ x (λ_rec); c_trg = the batch's labels
    shuffled. ``cfg.attributes`` names the labels. Networks keep PyTorch's default initialisation (as StarGAN's
    code); the critic has no normalisation. Grid rows: inputs, then one row per attribute (flipped, or set to 1
    for one-of groups such as hair colours).
    """

    grid_nrow = 8

    def __init__(self, cfg, data):
        if data.labels is None:
            raise UserError(f"stargan needs labelled images; {data.name} has no labels")
        self.cfg, self.data = cfg, data
        self.cols = attribute_columns(data, cfg.attributes)
        self.labels = torch.from_numpy(data.labels[:, self.cols]).float()
        torch.manual_seed(cfg.seed)
        self.spec = {**translation_spec(cfg, data.shape, extra=len(self.cols)), "attributes": list(cfg.attributes),
                     "exclusive": exclusive_attributes(self.labels.numpy(), cfg.attributes)}
        self.g, self.d = stargan_networks(self.spec)
        self.ema = None
        self.opt_g = _optimizer(cfg, self.g.parameters(), cfg.lr_g)
        self.opt_d = _optimizer(cfg, self.d.parameters(), cfg.lr_d)
        self.start_state()

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        self.g.train()
        self.d.train()
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        for _ in range(cfg.n_critic):
            idx = self.batch_indices()
            x, c_org = self.data.batch(idx), self.labels[idx]
            c_trg = c_org[torch.randperm(len(c_org), generator=self.data_gen)]
            with torch.no_grad():
                fake = self.g(x, c_trg)
            src_real, cls_real = self.d(x)
            src_fake, _ = self.d(fake)
            gp, _ = losses.gradient_penalty(lambda v: self.d(v)[0], x, fake)
            wdist = src_real.mean() - src_fake.mean()
            loss_d = -wdist + cfg.cls_lambda * bce(cls_real, c_org) + cfg.gp_lambda * gp
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        fake = self.g(x, c_trg)
        src, cls = self.d(fake)
        rec = (self.g(fake, c_org) - x).abs().mean()
        loss_g = -src.mean() + cfg.cls_lambda * bce(cls, c_trg) + cfg.rec_lambda * rec
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "wdist": wdist.detach(), "g_loss": loss_g.detach(), "rec": rec.detach()}

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        self.g.eval()
        k = min(8, len(self.data))
        x, c = self.data.batch(torch.arange(k)), self.labels[:k]
        names, exclusive = self.spec["attributes"], self.spec["exclusive"]
        rows = [x]
        for j, a in enumerate(names):  # one-of groups (hair colours): set to 1; other attributes: flipped
            flipped = c.clone()
            flipped[:, j] = 1 - flipped[:, j]
            rows.append(self.g(x, set_attributes(c, {a: 1.0}, names, exclusive) if exclusive.get(a) else flipped))
        return torch.cat(rows)
