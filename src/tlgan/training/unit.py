"""Translation through one latent space: UNIT (two domains, shared layers, VAE code) with XGAN's semantic
consistency and a domain-adversarial code as options, and ComboGAN (N domains, one encoder and decoder each).

Networks: ``g`` a :class:`tlgan.models.translation.SharedLatentTranslator`; ``d_0 … d_{N-1}`` PatchGAN critics
(LSGAN), one per domain; ``dz`` (with ``latent_discriminator`` > 0) a classifier of the code's domain.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import losses
from ..data import load_data
from ..errors import UserError
from ..models.conv import dcgan_init
from .trainer import Built, Trainer


class SharedLatentTrainer(Trainer):
    """One update: a domain pair (i, j) — UNIT: always (A, B); ComboGAN: a random pair —, a batch of each.

    G loss = adversarial (both translations) + rec_lambda·reconstruction + cycle_lambda·cycle (translate, encode,
    decode back) + kl_lambda·(‖code‖² of the inputs and of the translations: the VAE's KL with unit variance)
    + semantic_consistency·‖e(x) − e(translation)‖₁ + latent_discriminator·(the code classifier's cross-entropy
    to the uniform domain distribution). The code is sampled as code + N(0, 1) for reconstruction and cycle when
    kl_lambda > 0 (UNIT); translations use the code's mean.
    """

    keys = frozenset({"data_b", "domains", "width", "n_res", "cycle_lambda", "rec_lambda", "kl_lambda",
                      "latent_discriminator", "semantic_consistency"})
    defaults = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=[0.5, 0.999], kl_lambda=0.01)
    grid_nrow = 8
    shared = True  # UNIT's shared last encoder / first decoder block
    reconstruct = True  # UNIT's within-domain VAE reconstruction

    def domain_specs(self) -> list[str]:
        """The data specs of the domains, first = ``cfg.data``."""
        if not self.cfg.data_b:
            raise UserError("unit needs a second domain: --data-b (e.g. --data faces#Black_Hair "
                            "--data-b faces#Blond_Hair)")
        return [self.cfg.data, self.cfg.data_b]

    def build(self) -> Built:
        cfg, data = self.cfg, self.data
        specs = self.domain_specs()
        self.domains = [data] + [load_data(s, cfg.resolution or data.shape[-1], cfg.n_data, seed=cfg.data_seed)
                                 for s in specs[1:]]
        for spec, d in zip(specs[1:], self.domains[1:], strict=True):
            if d.shape != data.shape:
                raise UserError(f"the domains differ in size: {data.shape} ({specs[0]}) vs {d.shape} ({spec}) "
                                "(channels, height, width); give them the same --resolution and channel count")
        c, r, n = data.shape[0], data.shape[-1], len(specs)
        g = self.network("g", "shared_latent", channels=c, width=cfg.width, n_res=cfg.n_res, n_domains=n,
                         shared=self.shared)
        nets = {"g": g, **{f"d_{i}": self.network(f"d_{i}", "patch_d", channels=c, width=cfg.width, resolution=r)
                           for i in range(n)}}
        if cfg.latent_discriminator > 0:
            nets["dz"] = self.network("dz", "latent_d", code_channels=4 * cfg.width, n_domains=n)
        for m in nets.values():
            dcgan_init(m)
        critics = [p for k, m in nets.items() if k != "g" for p in m.parameters()]
        names = [s.split("#", 1)[-1] for s in specs]
        info = {"translator": {"resolution": r, "domains": names, "specs": specs}}
        if n == 2:
            info["translator"]["directions"] = {"a2b": "g", "b2a": "g"}
        return Built(nets, {"g": (self.optimizer(g.parameters(), cfg.lr_g), cfg.lr_g),
                            "d": (self.optimizer(critics, cfg.lr_d), cfg.lr_d)}, generator=None, info=info)

    def pair(self) -> tuple[int, int]:
        """The domains of this update: (0, 1) for two domains, else a random ordered pair from the data stream."""
        n = len(self.domains)
        if n == 2:
            return 0, 1
        i, j = torch.randperm(n, generator=self.data_gen)[:2].tolist()
        return i, j

    def critic(self, i: int):
        """The discriminator of domain ``i``."""
        return getattr(self, f"d_{i}")

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        self.train_mode()
        i, j = self.pair()
        a = self.domains[i].batch(self.batch_indices(self.domains[i]))
        b = self.domains[j].batch(self.batch_indices(self.domains[j]))
        g, vae = self.g, cfg.kl_lambda > 0
        noisy = (lambda h: h + torch.randn_like(h)) if vae else (lambda h: h)
        ha, hb = g.encode(a, i), g.encode(b, j)
        ab, ba = g.decode(ha, j), g.decode(hb, i)
        hab, hba = g.encode(ab, j), g.encode(ba, i)
        adv = losses.g_lsgan(self.critic(j)(ab)) + losses.g_lsgan(self.critic(i)(ba))
        rec = (g.decode(noisy(ha), i) - a).abs().mean() + (g.decode(noisy(hb), j) - b).abs().mean()
        cyc = (g.decode(noisy(hab), i) - a).abs().mean() + (g.decode(noisy(hba), j) - b).abs().mean()
        kl = sum(h.pow(2).mean() for h in (ha, hb, hab, hba))
        w_rec = cfg.rec_lambda if self.reconstruct else 0.0
        loss_g = adv + w_rec * rec + cfg.cycle_lambda * cyc + cfg.kl_lambda * kl
        out = {"g_adv": adv.detach(), "rec": rec.detach(), "cycle": cyc.detach()}
        if cfg.semantic_consistency > 0:  # XGAN: a translation keeps its source's embedding
            sem = (hab - ha).abs().mean() + (hba - hb).abs().mean()
            loss_g = loss_g + cfg.semantic_consistency * sem
            out["semantic"] = sem.detach()
        if cfg.latent_discriminator > 0:  # the encoders make the code's domain unreadable
            za, zb = noisy(ha), noisy(hb)  # the codes the decoders see (sampled, for UNIT)
            logits = self.dz(torch.cat([za, zb]))
            loss_g = loss_g - cfg.latent_discriminator * F.log_softmax(logits, 1).mean()  # toward uniform
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        loss_d = (losses.d_lsgan(self.critic(j)(b), self.critic(j)(ab.detach()))
                  + losses.d_lsgan(self.critic(i)(a), self.critic(i)(ba.detach())))
        if cfg.latent_discriminator > 0:
            logits = self.dz(torch.cat([za, zb]).detach())
            target = torch.cat([torch.full((len(a),), i), torch.full((len(b),), j)])
            loss_d = loss_d + F.cross_entropy(logits, target)
            out["latent_acc"] = (logits.argmax(1) == target).float().mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), **out}

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        """Rows: each domain's first 8 images, then their translations into every other domain and back."""
        self.g.eval()
        k = min(8, *(len(d) for d in self.domains))
        rows = []
        for i, d in enumerate(self.domains):
            x = d.batch(torch.arange(k))
            rows.append(x)
            for j in range(len(self.domains)):
                if j != i:
                    y = self.g(x, i, j)
                    rows += [y, self.g(y, j, i)] if len(self.domains) == 2 else [y]
        return torch.cat(rows)


class ComboGANTrainer(SharedLatentTrainer):
    """ComboGAN: N domains (``domains``), one encoder and one decoder each, nothing shared, cycle losses over a
    random domain pair per update (no VAE term, no reconstruction)."""

    keys = frozenset({"domains", "width", "n_res", "cycle_lambda", "latent_discriminator"})
    defaults = {**SharedLatentTrainer.defaults, "kl_lambda": 0.0}
    shared = reconstruct = False

    def domain_specs(self) -> list[str]:
        specs = self.cfg.domains or []
        if len(specs) < 2:
            raise UserError("combogan needs two or more domains: --data D1 --data D2 [--data D3 ...]")
        if specs[0] != self.cfg.data:
            raise UserError(f"combogan: data ({self.cfg.data}) must be the first of the domains ({specs[0]})")
        return list(specs)
