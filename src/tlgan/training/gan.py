"""The seeds' GAN family on one trainer: vanilla GAN (MLP), DCGAN, WGAN (clipping + RMSProp) and WGAN-GP.

The four differ only in their defaults (losses, optimiser, n_critic, clipping, penalty, critic norm); the networks
are the MLP pair (``gan``, and any family on 2-D point data) or the DCGAN conv pair.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from .. import losses
from ..data.images import resize
from ..errors import UserError
from ..models.conv import dcgan_init
from .trainer import Built, Trainer

GAN_KEYS = frozenset({"z_dim", "width", "d_norm", "d_mbstd", "grow_from", "grow_l1", "grow_gan", "mlp_hidden_g",
                      "mlp_hidden_d", "mlp_batchnorm", "d_loss", "g_loss", "n_critic", "clip", "gp_lambda", "ema",
                      "gamma", "metric", "metric_samples", "fd_extractor_steps"})


class GANTrainer(Trainer):
    """G and D (or critic) with EMA of G; ``step()`` does n_critic D updates + one G update."""

    keys = GAN_KEYS
    defaults = dict(d_norm="batch", d_loss="bce", g_loss="nonsaturating", optimizer="adam", lr_g=2e-4, lr_d=2e-4,
                    betas=[0.5, 0.999], n_critic=1, clip=0.0, gp_lambda=0.0, ema=0.0)

    def build(self) -> Built:
        cfg, shape = self.cfg, self.data.shape
        if self.mlp:
            g = self.network("g", "mlp", z_dim=cfg.z_dim, out_shape=list(shape), hidden=list(cfg.mlp_hidden_g),
                             batchnorm=cfg.mlp_batchnorm, out_act="none" if len(shape) == 1 else "tanh")
            d = self.network("d", "mlp_d", in_shape=list(shape), hidden=list(cfg.mlp_hidden_d))
        else:
            c, r = shape[0], shape[-1]
            base, base_kw = self.base_generator(r, c) if cfg.grow_from else (None, {})
            if base is None:
                g = self.network("g", "conv", z_dim=cfg.z_dim, resolution=r, channels=c, width=cfg.width)
            else:
                g = self.network("g", "conv_grown", z_dim=cfg.z_dim, resolution=r, channels=c, grow_width=cfg.width,
                                 **base_kw)
            d = self.network("d", "conv_d", resolution=r, channels=c, width=cfg.width, norm=cfg.d_norm,
                             mbstd=cfg.d_mbstd)
            dcgan_init(g)
            dcgan_init(d)
            if base is not None:
                g.grow_from(base.net)
        nets = {"g": g, "d": d}
        if cfg.ema > 0:
            nets["ema"] = self.ema_of("g", g)
        self.d_loss_fn, self.g_loss_fn = losses.D_LOSSES[cfg.d_loss], losses.G_LOSSES[cfg.g_loss]
        self.relativistic = cfg.d_loss == "relativistic"
        return Built(nets, self.g_and_d_optimizers(g, d))

    def upscale_l1(self, real: torch.Tensor) -> torch.Tensor:
        """L1 distance between real images (N, C, R, R) and the grown G's upscaling of them downsampled to R/2."""
        return F.l1_loss(self.g.upscale(resize(real, real.shape[-1] // 2)), real)

    def upscaler_step(self) -> dict[str, torch.Tensor]:
        """A grown G's update without the adversarial loss: the new level learns to upscale real faces."""
        l1 = self.upscale_l1(self.data.batch(self.batch_indices()))
        self.opt_g.zero_grad(set_to_none=True)
        (self.cfg.grow_l1 * l1).backward()
        self.opt_g.step()
        self.update_ema()
        self.step_no += 1
        return {"l1": l1.detach()}

    def base_generator(self, resolution: int, channels: int):
        """``grow_from``'s generator and the keywords that build it inside the grown one (a DCGAN's width, or
        another network's spec); UserError unless it is a DCGAN or R3GAN generator at resolution/2 with the same z
        and channels."""
        from ..generator import load_generator
        from ..io import read_json
        from ..models.conv import ConvGenerator
        from ..models.r3gan import R3Generator
        base = load_generator(self.cfg.grow_from)
        if not isinstance(base.net, ConvGenerator | R3Generator) or 2 * base.resolution != resolution or \
                (base.z_dim, base.channels) != (self.cfg.z_dim, channels):
            raise UserError(f"grow_from {self.cfg.grow_from}: expected a DCGAN or R3GAN generator at "
                            f"{resolution // 2}x{resolution // 2} with {channels} channels and z_dim {self.cfg.z_dim}")
        if isinstance(base.net, ConvGenerator):
            return base, {"width": base.net.width}
        return base, {"base": read_json(Path(self.cfg.grow_from) / "config.json")["generator"]}

    @property
    def mlp(self) -> bool:
        """MLP networks: the vanilla GAN, and every family on point data."""
        return self.cfg.model == "gan" or len(self.data.shape) == 1

    def step(self) -> dict[str, torch.Tensor]:
        cfg, bs = self.cfg, self.cfg.batch_size
        self.decay_lr()
        self.train_mode()
        if cfg.grow_from and cfg.grow_gan == 0:
            return self.upscaler_step()
        for _ in range(cfg.n_critic):
            real = self.data.batch(self.batch_indices())
            fake = self.g(self.rows(torch.randn(bs, cfg.z_dim)))
            if self.relativistic:  # R3GAN's objective: zero-centred R1 on reals and R2 on fakes, gamma/2 each
                (d_real, r1), (d_fake, r2) = (losses.zero_centred_penalty(self.d, x) for x in (real, fake))
                penalty = cfg.gamma / 2 * (r1 + r2).mean()
                self.penalties = {"r1": r1.mean().detach(), "r2": r2.mean().detach()}
            else:
                d_real, d_fake, penalty = self.d(real), self.d(fake.detach()), 0.0
            loss_d = self.d_loss_fn(d_real, d_fake)
            out = {"d_loss": loss_d.detach(), "gap": (d_real - d_fake).mean().detach(),  # the critic's logit gap
                   **(self.penalties if self.relativistic else {})}
            loss_d = loss_d + penalty
            if cfg.gp_lambda > 0:
                gp, norms = losses.gradient_penalty(self.d, real, fake.detach(), self.rows(torch.rand(bs)))
                loss_d = loss_d + cfg.gp_lambda * gp
                out["grad_norm"] = norms.mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            if cfg.clip > 0:
                with torch.no_grad():
                    for p in self.d.parameters():
                        p.clamp_(-cfg.clip, cfg.clip)
        # G update on the last critic iteration's fake (the canonical DCGAN order)
        if self.relativistic:  # paired with the updated D's logits on the last real batch
            with torch.no_grad():
                d_real = self.d(real)
            loss_g = self.g_loss_fn(self.d(fake), d_real)
        else:
            loss_g = self.g_loss_fn(self.d(fake))
        if cfg.grow_from:  # the new level also learns to upscale real faces
            l1 = self.upscale_l1(real)
            loss_g = cfg.grow_gan * loss_g + cfg.grow_l1 * l1
            out["l1"] = l1.detach()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.update_ema()
        self.step_no += 1
        out["g_loss"] = loss_g.detach()
        return out


class VanillaGANTrainer(GANTrainer):
    """The seeds' MLP GAN (100→256→512→1024→out; D 784→512→256→1), BCE with the non-saturating G loss."""
    defaults = {**GANTrainer.defaults, "d_norm": "none"}


class WGANTrainer(GANTrainer):
    """WGAN: Wasserstein losses, weight clipping at 0.01, RMSProp at 5e-5, five critic updates per G update."""
    defaults = dict(d_norm="batch", d_loss="wasserstein", g_loss="wasserstein", optimizer="rmsprop", lr_g=5e-5,
                    lr_d=5e-5, betas=None, n_critic=5, clip=0.01, gp_lambda=0.0, ema=0.0)


class WGANGPTrainer(GANTrainer):
    """WGAN-GP: gradient penalty λ = 10 (per-sample norm, so the critic has LayerNorm, never BatchNorm)."""
    defaults = dict(d_norm="layer", d_loss="wasserstein", g_loss="wasserstein", optimizer="adam", lr_g=1e-4,
                    lr_d=1e-4, betas=[0.5, 0.9], n_critic=5, clip=0.0, gp_lambda=10.0, ema=0.0)
