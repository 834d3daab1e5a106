"""The inversion encoder: E (image -> latent) trained with the generator frozen, through the one training loop.

Loss per batch (f-AnoGAN's izif on real images, plus a latent-consistency term on G's samples):

    MSE(x, G(E(x))) + κ·MSE(f(x), f(G(E(x))))  +  λ·MSE(E(G(z)), z)

f = the extractor's penultimate features. The latent term keeps E's answers where the axes were fitted (on the
prior), which keeps them editable; λ trades reconstruction for editability (``benchmarks/inversion.py`` sweeps it).

An encoder run is an ordinary tlgan run directory (resumable, sample grids of real | reconstruction pairs) whose
``config.json`` also names the generator it inverts (``inverts``: path and content hash).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..data import load_data
from ..errors import UserError
from ..generator import load_network
from ..io import file_hash, read_json
from ..training import Built, Trainer, make_config, train
from . import upload_check
from .invert import feature_map, frozen, signed_output

FOLDER_HOLDOUT = 64  # at most this many of a folder's images are kept out of encoder training for the upload check


class EncoderTrainer(Trainer):
    """Trains network ``e`` (``conv_encoder`` at the generator's size) against a frozen generator."""
    label = "inversion encoder"

    grid_nrow = 8

    def __init__(self, cfg, data, generator, extractor, kappa: float, latent_weight: float, inverts: dict,
                 held_out: dict | None = None, runtime=None):
        self.gen, self.features = generator, feature_map(extractor)
        self.frozen = (generator, extractor)
        self.kappa, self.latent_weight, self.inverts, self.held_out = kappa, latent_weight, inverts, held_out
        super().__init__(cfg, data, runtime)

    def build(self) -> Built:
        g = self.gen
        for m in self.frozen:  # the generator and extractor it trains against, on the run's device
            if isinstance(m, torch.nn.Module):
                self.rt.place(m)
        e = self.network("e", "conv_encoder", z_dim=g.z_dim, resolution=g.resolution, channels=g.channels,
                         width=self.cfg.width)
        info = {"inverts": {**self.inverts, "kappa": self.kappa, "latent_weight": self.latent_weight}}
        if self.held_out:
            info["held_out"] = self.held_out
        return Built({"e": e}, {"e": (self.optimizer(e.parameters(), self.cfg.lr_g), self.cfg.lr_g)},
                     generator=None, info=info)

    def step(self) -> dict[str, torch.Tensor]:
        self.decay_lr()
        self.train_mode()
        real = self.data.batch(self.batch_indices())
        z = self.gen.prior(self.rt.put(torch.randn(self.cfg.batch_size, self.gen.prior_dim, generator=self.data_gen)))
        with frozen(*self.frozen):
            xr = signed_output(self.gen, self.e(real))
            img = F.mse_loss(xr, real)
            feat = F.mse_loss(self.features(xr), self.features(real)) if self.features else torch.zeros(())
            with torch.no_grad():
                xs = signed_output(self.gen, z)
            lat = F.mse_loss(self.e(xs), z)
            loss = img + self.kappa * feat + self.latent_weight * lat
            self.opt_e.zero_grad(set_to_none=True)
            loss.backward()
        self.opt_e.step()
        self.step_no += 1
        return {"img": img.detach(), "feat": feat.detach(), "lat": lat.detach()}

    @torch.no_grad()
    def samples(self, n: int = 64) -> torch.Tensor:
        """Rows of 8 real images, each row followed by its reconstructions G(E(x))."""
        self.e.eval()
        x = self.data.batch(torch.arange(min(n // 2, len(self.data))))
        xr = signed_output(self.gen, self.e(x)).clamp(-1, 1)
        self.e.train()
        return torch.stack([x.view(-1, 8, *x.shape[1:]), xr.view(-1, 8, *x.shape[1:])], 1).flatten(0, 2)


def train_encoder(generator, generator_path: str, out: str | Path, extractor=None, data: str | None = None,
                  steps: int = 3000, batch_size: int = 64, kappa: float = 1.0, latent_weight: float = 1.0,
                  width: int = 32, lr: float = 2e-4, seed: int = 0, resume: bool = False,
                  progress: bool = True, log=print, runtime=None, deadline: float | None = None) -> Path:
    """Train an inversion encoder for ``generator`` (loaded from ``generator_path``) on real images of ``data``
    (default: the dataset the generator was trained on) into run directory ``out``. Returns the run path.

    ``deadline`` (a ``time.time()``): stop with a checkpoint after the step that passes it (see ``train``)."""
    data = data or _trained_on(generator_path)
    every = max(1, min(500, steps // 4))
    cfg = make_config(dict(model="dcgan", data=data, resolution=generator.resolution, steps=steps,
                           batch_size=batch_size, z_dim=generator.z_dim, width=width, lr_g=lr, seed=seed,
                           betas=[0.5, 0.999], sample_every=every, ckpt_every=every, log_every=min(50, every)))
    images = load_data(data, generator.resolution, cfg.n_data, seed=cfg.data_seed,
                       device=runtime.device if runtime is not None else None)
    if images.shape[0] != generator.channels:
        raise UserError(f"{data} has {images.shape[0]}-channel images; the generator makes {generator.channels}")
    held_out = None
    if data.startswith("folder:"):  # no test split: keep some of the folder's images out for the upload check
        keep, held = folder_split(len(images), seed)
        held_out = {"images": len(images), "indices": held.tolist()}
        images = images.subset(keep)
        if len(held):
            log(f"{len(held)} of the folder's {held_out['images']} images held out for the upload check")
    inverts = {"generator": str(generator_path), "content_hash": generator.content_hash, "space": generator.space}
    make = lambda c, d, runtime=None: EncoderTrainer(c, d, generator, extractor, kappa, latent_weight,  # noqa: E731
                                                     inverts, held_out, runtime)
    return train(cfg, out, resume=resume, data=images, progress=progress, log=log, make_trainer=make,
                 runtime=runtime, deadline=deadline,
                 resume_hint="the same `tlgan invert train-encoder` command with --resume")


def folder_split(n_images: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) indices of a folder's ``n_images`` for an encoder: a tenth, at most ``FOLDER_HOLDOUT``,
    held out by a permutation of ``seed`` (none of fewer than 10 images); both sorted."""
    order = np.random.default_rng(seed).permutation(n_images)
    n_held = min(FOLDER_HOLDOUT, n_images // 10)
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def _trained_on(generator_path: str) -> str:
    cfg_path = Path(str(generator_path).split("@")[0]) / "config.json"
    cfg = read_json(cfg_path) if cfg_path.exists() else {}
    data = cfg.get("data") or cfg.get("trained_with", {}).get("data")
    if not data:
        raise UserError(f"cannot tell which data {generator_path} was trained on; pass --data")
    return data


def load_encoder(run: str | Path, generator) -> torch.nn.Module:
    """The encoder of run ``run`` in eval mode: images (N, C, R, R) in [-1, 1] -> latents (N, z_dim).

    UserError if the run is not an encoder run or was trained for another generator (by content hash)."""
    run = Path(run)
    if not run.exists():
        raise UserError(f"encoder run {run} does not exist")
    cfg = read_json(run / "config.json") if (run / "config.json").exists() else {}
    inv = cfg.get("inverts")
    if inv is None:
        raise UserError(f"{run} is not an inversion-encoder run (train one with `tlgan invert train-encoder`)")
    if generator.content_hash and inv.get("content_hash") not in (None, generator.content_hash):
        raise UserError(f"{run} was trained to invert {inv['generator']}, not this generator "
                        f"(weights differ); train an encoder for it with `tlgan invert train-encoder`")
    if inv.get("space", "z") != generator.space:
        raise UserError(f"{run} inverts into {inv['space'].upper()}, but the generator is opened in "
                        f"{generator.space.upper()}")
    return load_network(run, "e").eval().requires_grad_(False)


def encoder_hash(run: str | Path) -> str:
    """The content hash of an encoder run's weights (``RUN/state/e.safetensors``): what figures made with it record."""
    return file_hash(Path(run) / "state" / "e.safetensors")


def export_encoder(run: str | Path, out: str | Path) -> Path:
    """Copy an encoder run's config and weights (fp16) into ``out`` — what ships, without optimiser state, sample
    grids or logs. ``load_encoder(out, generator)`` opens it. Returns ``out``."""
    from safetensors.torch import load_file

    from ..io import ensure_dir, save_weights, write_json
    run, out = Path(run), Path(out)
    weights = run / "state" / "e.safetensors"
    if not weights.exists():
        raise UserError(f"{run} has no trained encoder (state/e.safetensors)")
    ensure_dir(out / "state")
    save_weights(load_file(str(weights)), out / "state" / "e.safetensors", half=True)
    write_json(out / "config.json", read_json(run / "config.json"))
    if (run / upload_check.FILE).exists():
        write_json(out / upload_check.FILE, read_json(run / upload_check.FILE))
    return out


def check_uploads(run: str | Path, generator, extractor=None, n: int = 64, log=print) -> dict | None:
    """Measure the upload threshold of the encoder in ``run`` (:mod:`tlgan.latent.upload_check`) on ``n`` held-out
    images of the data it was trained on (a ``folder:``'s: the images training held out), against colour gradients
    and noise, and write ``run/upload_check.json``: then the editor and ``tlgan invert`` warn about images unlike
    what the generator draws. Returns the report, or None (nothing written) where no held-out image is at hand."""
    from ..io import write_json
    run = Path(run)
    cfg = read_json(run / "config.json")
    data = cfg["data"]
    if data.startswith("folder:"):
        held = cfg.get("held_out")
        images = load_data(data, generator.resolution, cfg["n_data"])
        why = ("the encoder was trained by a tlgan that held none out" if not held else
               "fewer than 10 images, none held out" if not held["indices"] else
               f"it holds {len(images)} images now, {held['images']} when the encoder was trained"
               if len(images) != held["images"] else "")
        if why:
            log(f"no upload check: {data} has no held-out images ({why})")
            return None
        real = images.subset(held["indices"][:n]).batch(slice(None))
    else:
        test = load_data(data, generator.resolution, n, split="test")
        real = test.batch(torch.arange(min(n, len(test))))
    report = upload_check.measure(generator, load_encoder(run, generator), extractor, real,
                                  upload_check.unlike_images(len(real), generator.resolution, generator.channels))
    write_json(run / upload_check.FILE, report)
    log(f"upload check: {report['real_pass_rate']:.0%} of {len(real)} held-out images reconstruct above "
        f"{report['threshold_db']:.1f} dB PSNR, {report['unlike_flagged_rate']:.0%} of gradients and noise below it; "
        f"wrote {run / upload_check.FILE}")
    return report
