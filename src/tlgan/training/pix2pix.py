"""pix2pix (Isola et al. 2017) through the one loop: paired translation A -> B.

``data`` is domain A and ``data_b`` domain B, paired index by index: a pairing of the same images
(``faces|edges`` with ``faces``: line drawing -> face; ``shapes`` with ``shapes|inverse``) or two folders whose
image file names match (``folder:A`` and ``folder:B``). G is a U-Net with skips and dropout as its noise; D a PatchGAN
on the (input, output) pair, least-squares loss; G adds ``l1_lambda`` (100) × L1 to the target.
"""
from __future__ import annotations

import torch

from .. import losses
from ..data import load_data
from ..errors import UserError
from .trainer import Built, Trainer


def _check_folder_pairs(a: str, b: str) -> None:
    """UserError unless folders ``a`` and ``b`` (``folder:`` specs) hold images of the same file names."""
    from ..data.images import list_images
    names = [list_images(s[len("folder:"):]) for s in (a, b)]
    if names[0] != names[1]:
        only = sorted(set(names[0]) ^ set(names[1])) or [x for x, y in zip(*names, strict=False) if x != y]
        raise UserError(f"pix2pix pairs images by file name: {a} and {b} differ (e.g. {only[0]})")


class Pix2PixTrainer(Trainer):
    """U-Net G: A -> B; PatchGAN D on (A, B) pairs; LSGAN + λ·L1. Grid rows: input, output, target."""

    keys = frozenset({"width", "data_b", "l1_lambda"})
    defaults = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=[0.5, 0.999], l1_lambda=100.0)
    grid_nrow = 8

    def build(self) -> Built:
        cfg = self.cfg
        if not cfg.data_b:
            raise UserError("pix2pix needs paired domains: --data A --data-b B (e.g. faces|edges and faces)")
        if cfg.data.startswith("folder:") and cfg.data_b.startswith("folder:"):
            _check_folder_pairs(cfg.data, cfg.data_b)
        a = self.data
        b = load_data(cfg.data_b, a.shape[-1], len(a), seed=cfg.data_seed)
        if len(b) != len(a) or b.shape[-1] != a.shape[-1]:
            raise UserError(f"pix2pix pairs index by index: {cfg.data} has {len(a)} images, {cfg.data_b} {len(b)}")
        self.data_b = b
        c, c_b, r = a.shape[0], b.shape[0], a.shape[-1]
        depth = max(2, min(5, r.bit_length() - 3))  # down to 4×4 (32 px: 3 steps; 16 px: 2)
        g = self.network("g", "unet", channels=c, out_channels=c_b, width=cfg.width, depth=depth)
        d = self.network("d", "patch_d", channels=c + c_b, width=cfg.width, resolution=r)
        self.translator = {"resolution": r, "directions": {"a2b": "g"}}
        return Built({"g": g, "d": d}, self.g_and_d_optimizers(g, d),
                     generator=None, info={"translator": self.translator})

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        self.train_mode()
        idx = self.batch_indices()
        x, y = self.data.batch(idx), self.data_b.batch(idx)
        fake = self.g(x)
        loss_d = losses.d_lsgan(self.d(torch.cat([x, y], 1)), self.d(torch.cat([x, fake.detach()], 1)))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        l1 = (fake - y).abs().mean()
        loss_g = losses.g_lsgan(self.d(torch.cat([x, fake], 1))) + cfg.l1_lambda * l1
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.step_no += 1
        return {"d_loss": loss_d.detach(), "g_loss": loss_g.detach(), "l1": l1.detach()}

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        self.g.eval()
        idx = torch.arange(min(8, len(self.data)))
        x = self.data.batch(idx)
        return torch.cat([x, self.g(x), self.data_b.batch(idx)])
