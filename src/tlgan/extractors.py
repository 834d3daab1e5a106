"""Feature extractors (image -> attribute logits / values): the protocol, training, saving, loading, and the one
G -> F chain (:func:`label_images`) every part of tlgan uses to label generated images.

A saved extractor is a directory with ``extractor.json`` (architecture, label names and types, held-out
metrics) and ``extractor.safetensors``. Any user module can be plugged in via :func:`wrap_extractor`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from .data import ImageData
from .data.images import resize
from .device import resolve
from .errors import UserError
from .io import (
    ensure_dir,
    file_hash,
    load_weights,
    module_hash,
    output_fingerprint,
    read_json,
    save_weights,
    write_json,
)
from .models.classifier import EXTRACTOR_ARCHS, Classifier
from .progress import progress_bar


class Extractor(Protocol):
    """What tlgan needs of a feature extractor: ``forward(images (N, C, R, R) in [-1, 1]) -> (N, K)`` (logits for
    binary labels, values for continuous ones), ``label_names`` (K), ``binary`` (K flags), ``resolution`` and
    ``channels`` of its input, and a ``content_hash`` identifying its weights."""

    label_names: list[str]
    binary: list[bool]
    resolution: int
    channels: int
    content_hash: str

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


@torch.no_grad()
def predict_labels(extractor: Extractor, x: torch.Tensor, probabilities: bool = False,
                   batch: int = 512) -> torch.Tensor:
    """Extractor outputs (N, K) for images x (N, C, H, W) in [-1, 1] (resized to its resolution, batched);
    with ``probabilities`` binary columns go through a sigmoid (continuous columns stay in their units)."""
    if len(x) == 0:
        return torch.empty(0, len(extractor.label_names))
    y = torch.cat([extractor(resize(x[i:i + batch], extractor.resolution)) for i in range(0, len(x), batch)])
    return torch.where(torch.tensor(extractor.binary), torch.sigmoid(y), y) if probabilities else y


def write_attributes(path, files: list[str], extractor: Extractor, x: torch.Tensor) -> None:
    """``attributes.csv`` for images ``x`` (N, C, H, W) in [-1, 1] saved as ``files``: ``filename`` then the
    extractor's reading of every label, binary ones as 0/1 (its decision), continuous ones in their units; the
    layout ``--data folder:`` reads."""
    from .io import atomic_write_text
    y = predict_labels(extractor, x, probabilities=True)
    rows = [",".join(["filename", *extractor.label_names])]
    for name, row in zip(files, y.tolist(), strict=True):
        rows.append(",".join([name] + [str(int(v > 0.5)) if b else f"{v:.4g}"
                                       for v, b in zip(row, extractor.binary, strict=True)]))
    atomic_write_text(path, "\n".join(rows) + "\n")


def check_compatible(generator, extractor: Extractor) -> None:
    """UserError unless the extractor reads images with the generator's channel count."""
    if getattr(extractor, "channels", generator.channels) != generator.channels:
        raise UserError(f"the generator makes {generator.channels}-channel images but the extractor expects "
                        f"{extractor.channels}")


@torch.no_grad()
def label_images(generator, extractor: Extractor, z: torch.Tensor, probabilities: bool = False,
                 batch: int = 256) -> torch.Tensor:
    """The TL-GAN chain: latents z (N, d) -> G(z) -> F: labels (N, K) as :func:`predict_labels`."""
    check_compatible(generator, extractor)
    parts = [predict_labels(extractor, generator.to_signed(generator(z[i:i + batch])), probabilities)
             for i in range(0, len(z), batch)]
    return torch.cat(parts) if parts else torch.empty(0, len(extractor.label_names))


def train_extractor(data: ImageData, steps: int = 2000, batch_size: int = 128, lr: float = 2e-3,
                    seed: int = 0, width: int = 32, progress: bool = True, arch: str = "classifier",
                    device: str | torch.device = "cpu") -> Classifier:
    """Fit an extractor (``arch``: the CNN ``classifier`` or the pixel ``mlp``) to ``data``'s labels: BCE-with-logits
    on binary columns, MSE on standardised continuous ones; trained on ``device`` (see :func:`tlgan.device.resolve`),
    returned on the CPU.

    Deterministic given ``seed``; the global random stream is left exactly as it was (a forked RNG)."""
    if data.labels is None or not data.label_names:
        raise UserError(f"dataset {data.name!r} has no labels to train a feature extractor on")
    if arch not in EXTRACTOR_ARCHS:
        raise UserError(f"unknown extractor architecture {arch!r}; expected one of {', '.join(EXTRACTOR_ARCHS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _train(data, steps, batch_size, lr, seed, width, progress, EXTRACTOR_ARCHS[arch], resolve(device))


def _train(data: ImageData, steps: int, batch_size: int, lr: float, seed: int, width: int,
           progress: bool, cls=Classifier, device=None) -> Classifier:
    c, r = data.shape[0], data.shape[-1]
    model = cls(r, c, data.label_names, data.binary, width)
    y = torch.from_numpy(data.labels)
    binary = torch.tensor(data.binary)
    cont = ~binary
    if cont.any():
        model.mean[cont] = y[:, cont].mean(0)
        model.std[cont] = y[:, cont].std(0).clamp(min=1e-6)
    target = torch.where(cont, (y - model.mean) / model.std, y)
    if device is not None and device.type != "cpu":
        model, data, target, binary, cont = (v.to(device) for v in (model, data, target, binary, cont))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in progress_bar(range(steps), desc="extractor", disable=not progress, leave=False):
        idx = torch.randint(len(data), (batch_size,), generator=gen)
        x = data.batch(idx)
        if data.is_image:  # light augmentation: brightness jitter
            x = (x + 0.1 * (torch.rand(len(x), 1, 1, 1, generator=gen).to(x.device) - 0.5)).clamp(-1, 1)
        out, t = model.raw(x), target[idx.to(target.device)]
        loss = 0.0
        if binary.any():
            loss = loss + F.binary_cross_entropy_with_logits(out[:, binary], t[:, binary])
        if cont.any():
            loss = loss + F.mse_loss(out[:, cont], t[:, cont])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model.eval().cpu()


def evaluate_extractor(model, data: ImageData) -> dict[str, dict[str, float]]:
    """Held-out quality per label: AUC and accuracy for binary labels, R² for continuous ones."""
    from sklearn.metrics import r2_score, roc_auc_score
    out = predict_labels(model.eval(), data.batch(torch.arange(len(data)))).numpy()
    res = {}
    for j, (name, is_bin) in enumerate(zip(data.label_names, data.binary, strict=True)):
        y = data.labels[:, j]
        if is_bin:
            ok = len(np.unique(y)) == 2
            res[name] = {"auc": float(roc_auc_score(y, out[:, j])) if ok else math.nan,
                         "accuracy": float(((out[:, j] > 0) == (y > 0.5)).mean())}
        else:
            res[name] = {"r2": float(r2_score(y, out[:, j]))}
    return res


def save_extractor(model: Classifier, out_dir, metrics: dict | None = None, extra: dict | None = None) -> Path:
    """Write ``extractor.json`` + ``extractor.safetensors`` (fp16) into ``out_dir``."""
    out = Path(out_dir)
    ensure_dir(out)
    save_weights(model.state_dict(), out / "extractor.safetensors", half=True)
    meta = {"arch": model.arch, "resolution": model.resolution, "channels": model.channels,
            "width": model.width, "label_names": model.label_names, "binary": model.binary,
            "metrics": metrics or {}, **(extra or {})}
    write_json(out / "extractor.json", meta)
    return out


def load_extractor(path, trust_code: bool | None = None) -> Classifier:
    """Load an extractor directory written by :func:`save_extractor`, or a ``torch.export`` (``.pt2``) /
    TorchScript (``.pt``) file with a JSON descriptor beside it (``label_names``, ``binary``, ``resolution``,
    ``channels``; such a file runs code: refused unless ``trust_code`` or the CLI's ``--trust-code``);
    ``.content_hash`` identifies it."""
    from .generator import PROGRAM_SUFFIXES, check_trusted, load_program
    p = Path(path)
    if p.is_file() and p.suffix in PROGRAM_SUFFIXES:
        desc_path = p.with_suffix(".json")
        desc = read_json(desc_path) if desc_path.exists() else {}
        need = ("label_names", "binary", "resolution")
        if any(k not in desc for k in need):
            raise UserError(f"{p}: needs a JSON descriptor {desc_path.name} giving {', '.join(need)} (and channels)")
        check_trusted(str(p), trust_code)
        module = load_program(p)
        module.content_hash = file_hash(p)
        return wrap_extractor(module, desc["label_names"], desc["binary"], desc["resolution"], desc.get("channels", 3))
    if not (p / "extractor.json").exists():
        raise UserError(f"{p} is not a feature-extractor directory (no extractor.json)")
    meta = read_json(p / "extractor.json")
    cls = EXTRACTOR_ARCHS.get(meta.get("arch", "classifier"))
    if cls is None:
        raise UserError(f"{p}: unknown extractor architecture {meta['arch']!r}")
    model = cls(meta["resolution"], meta["channels"], meta["label_names"], meta["binary"], meta["width"])
    load_weights(model, p / "extractor.safetensors")
    model.content_hash = file_hash(p / "extractor.safetensors")
    model.metrics = meta.get("metrics", {})
    return model.float().eval().requires_grad_(False)  # inference only: gradients flow to the images alone


def wrap_extractor(module: torch.nn.Module, label_names, binary, resolution: int, channels: int = 3):
    """Plug in any module mapping images (N, C, R, R) in [-1, 1] to (N, K) outputs named ``label_names``."""
    module.label_names, module.binary = list(label_names), [bool(b) for b in binary]
    module.resolution, module.channels = resolution, channels
    if not getattr(module, "content_hash", None):  # weights, class and the outputs on a fixed probe batch
        probe = torch.rand(4, channels, resolution, resolution, generator=torch.Generator().manual_seed(0)) * 2 - 1
        module.content_hash = module_hash(module, output_fingerprint(module, probe))
    return module.eval()


class _MeanBrightness(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((1, 2, 3))[:, None]


def brightness_extractor(resolution: int = 32, channels: int = 3):
    """An extractor with one continuous label, ``brightness``: the mean of an image (N, C, R, R) in [-1, 1], as (N, 1).
    No training: a known, exact feature to check a generator's axes and latent spaces against."""
    return wrap_extractor(_MeanBrightness(), ["brightness"], [False], resolution, channels)
