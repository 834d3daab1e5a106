"""Variational auto-encoder trained through the one loop; its decoder is an ordinary tlgan generator.

The decoder is the DCGAN generator: its tanh output x = tanh(a) equals 2·σ(2a) − 1, so it reads as the mean of a
Bernoulli decoder with logits 2a on pixels rescaled to [0, 1] (``vae_decoder: bernoulli``), or as the mean of a
Gaussian decoder with fixed σ (``vae_decoder: gaussian``, σ = ``vae_sigma`` on the [−1, 1] scale). Sampling it from
the prior N(0, I) gives images in [−1, 1], so the TL-GAN pipeline, ``tlgan sample`` and the editor use it as is.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .trainer import Built, Trainer


class VAETrainer(Trainer):
    """Gaussian encoder q(z|x) = N(μ, diag σ²), decoder p(x|z), loss = −ELBO per image (nats), reparameterised."""

    keys = frozenset({"z_dim", "width", "vae_decoder", "vae_sigma", "metric", "metric_samples", "fd_extractor_steps"})
    defaults = dict(optimizer="adam", lr_g=1e-3, betas=[0.9, 0.999])
    grid_nrow = 8

    def build(self) -> Built:
        cfg, (c, r) = self.cfg, (self.data.shape[0], self.data.shape[-1])
        g = self.network("g", "conv", z_dim=cfg.z_dim, resolution=r, channels=c, width=cfg.width)
        e = self.network("e", "conv_encoder", z_dim=2 * cfg.z_dim, resolution=r, channels=c, width=cfg.width)
        self.fixed_x = self.data.batch(torch.arange(min(32, len(self.data))))
        return Built({"g": g, "e": e}, {"g": (self.optimizer([*g.parameters(), *e.parameters()], cfg.lr_g),
                                              cfg.lr_g)})

    def elbo_terms(self, x: torch.Tensor, sample: bool = True) -> dict[str, torch.Tensor]:
        """Per-image reconstruction NLL and KL (N,) in nats for images x (N, C, R, R) in [−1, 1]."""
        mu, logvar = self.e(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if sample else mu
        a = self.g.net[:-1](z.view(len(z), -1, 1, 1))  # pre-tanh activation
        if self.cfg.vae_decoder == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(2 * a, (x + 1) / 2, reduction="none").flatten(1).sum(1)
        else:
            s = self.cfg.vae_sigma
            nll = (((x - torch.tanh(a)) / s) ** 2 / 2 + math.log(s * math.sqrt(2 * math.pi))).flatten(1).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return {"rec": nll, "kl": kl, "recon": torch.tanh(a)}

    def step(self):
        self.decay_lr()
        self.train_mode()
        idx = self.batch_indices()
        t = self.elbo_terms(self.data.batch(idx))
        rec, kl = t["rec"].mean(), t["kl"].mean()
        self.opt_g.zero_grad(set_to_none=True)
        (rec + kl).backward()
        self.opt_g.step()
        self.step_no += 1
        return {"elbo": -(rec + kl).detach(), "rec": rec.detach(), "kl": kl.detach()}

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        """Prior samples (top half) above (real, reconstruction) pairs of a fixed batch."""
        self.g.eval()
        self.e.eval()
        prior = self.g(self.fixed_z[: n // 2])
        x = self.fixed_x[: n // 4]
        out = torch.cat([prior, x, self.elbo_terms(x, sample=False)["recon"]])
        self.g.train()
        self.e.train()
        return out
