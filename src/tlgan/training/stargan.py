"""StarGAN through the one loop: one generator G(x, c) for every attribute combination (networks in
:mod:`tlgan.models.translation`)."""
from __future__ import annotations

import numpy as np
import torch

from .. import losses
from ..errors import UserError
from ..models.translation import set_attributes
from .trainer import Built, Trainer


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

    keys = frozenset({"width", "n_res", "attributes", "cls_lambda", "rec_lambda", "gp_lambda", "n_critic"})
    defaults = dict(optimizer="adam", lr_g=1e-4, lr_d=1e-4, betas=[0.5, 0.999], n_critic=5, gp_lambda=10.0,
                    attributes=["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"])
    grid_nrow = 8

    def build(self) -> Built:
        cfg, data = self.cfg, self.data
        if data.labels is None:
            raise UserError(f"stargan needs labelled images; {data.name} has no labels")
        self.cols = attribute_columns(data, cfg.attributes)
        self.labels = torch.from_numpy(data.labels[:, self.cols]).float()
        c, r, k = data.shape[0], data.shape[-1], len(self.cols)
        g = self.network("g", "resnet", channels=c, width=cfg.width, n_res=cfg.n_res, extra=k)
        d = self.network("d", "patch_d", channels=c, width=cfg.width, resolution=r, n_classes=k, norm=False)
        self.translator = {"resolution": r, "attributes": list(cfg.attributes),
                           "exclusive": exclusive_attributes(self.labels.numpy(), cfg.attributes)}
        return Built({"g": g, "d": d}, self.g_and_d_optimizers(g, d),
                     generator=None, info={"translator": self.translator})

    def step(self):
        cfg = self.cfg
        self.decay_lr()
        self.train_mode()
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
        names, exclusive = self.translator["attributes"], self.translator["exclusive"]
        rows = [x]
        for j, a in enumerate(names):  # one-of groups (hair colours): set to 1; other attributes: flipped
            flipped = c.clone()
            flipped[:, j] = 1 - flipped[:, j]
            rows.append(self.g(x, set_attributes(c, {a: 1.0}, names, exclusive) if exclusive.get(a) else flipped))
        return torch.cat(rows)
