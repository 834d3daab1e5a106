"""Files only: atomic text/JSON writes, safetensors weights, content hashes, atomic directory swaps.

Nothing here knows about networks or runs (that is :mod:`tlgan.generator`). User files are never unpickled.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .errors import UserError


def cache_dir() -> Path:
    """Where tlgan keeps what it can rebuild (feature networks, rendered datasets): ``$TLGAN_CACHE``, default
    ``~/.cache/tlgan``."""
    return Path(os.environ.get("TLGAN_CACHE", Path.home() / ".cache" / "tlgan"))


def ensure_dir(path: str | os.PathLike) -> Path:
    """Create output directory ``path`` (and its parents) if needed; UserError if it or a parent is a file."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(f"{path} (or a folder above it) is a file; give a directory") from None
    return path


def _write_atomically(path: str | os.PathLike, write) -> Path:
    """Call ``write(tmp)`` on a file beside ``path``, then rename it over ``path``: readers see the old or the whole
    new content. The folder is made if missing; UserError if ``path`` is a folder or a file stands where a folder
    must be. Returns ``path``."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name")
    ensure_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a text file atomically, its folder made if missing (as :func:`_write_atomically`)."""
    _write_atomically(path, lambda tmp: tmp.write_text(text))


def save_npy(path: str | os.PathLike, array) -> Path:
    """Atomically write ``array`` as a ``.npy`` file (``.npy`` appended to the name if missing, as NumPy does; the
    folder made if missing; UserError if ``path`` is a folder). Returns the path written."""
    import numpy as np

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: NumPy appends no second suffix to the temporary name
            np.save(f, np.asarray(array))
    path = Path(path)
    return _write_atomically(path if path.suffix == ".npy" else path.with_name(path.name + ".npy"), write)


def _strict(obj):
    """``obj`` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj


def write_json(path, obj) -> None:
    """Atomically write ``obj`` as indented, strict JSON (a NaN or infinite number is written as null)."""
    atomic_write_text(path, json.dumps(_strict(obj), indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json(path) -> dict:
    """Read a JSON file; UserError if missing or malformed."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: malformed JSON ({e})") from None


def save_weights(state: dict[str, torch.Tensor], path, half: bool = False, metadata: dict | None = None) -> None:
    """Atomically save a state dict as safetensors (optionally float tensors as fp16)."""
    out = {}
    for k, v in state.items():
        v = v.detach().cpu().contiguous()
        out[k] = v.half() if half and v.is_floating_point() else v
    _write_atomically(path, lambda tmp: save_file(out, str(tmp), metadata={k: str(v) for k, v in
                                                                          (metadata or {}).items()}))


def load_weights(module: nn.Module, path) -> nn.Module:
    """Load safetensors weights into ``module`` (cast to the module's dtypes); UserError on mismatch."""
    try:
        state = load_file(str(path))
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise UserError(f"{path}: not a valid safetensors file ({e})") from None
    own = module.state_dict()
    try:
        module.load_state_dict({k: v.to(own[k].dtype) if k in own else v for k, v in state.items()})
    except RuntimeError as e:
        raise UserError(f"{path}: weights do not fit the network ({str(e).splitlines()[0]})") from None
    return module


def file_hash(path, length: int | None = 16) -> str:
    """SHA-256 of a file's bytes, shortened to ``length`` hex digits (identifies a model's weights; None: whole)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


def module_hash(module: nn.Module, extra: str = "") -> str:
    """Short SHA-256 of a module's weights and buffers (names, dtypes, bytes), its class and, for TorchScript, its
    code, plus ``extra``: identifies a user's module by what it computes, not by its class name."""
    h = hashlib.sha256(f"{type(module).__module__}.{type(module).__qualname__}|{extra}".encode())
    code = getattr(module, "code", None)  # a scripted module's source
    if isinstance(code, str):
        h.update(code.encode())
    for name, t in sorted(module.state_dict().items()):
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


@torch.no_grad()
def output_fingerprint(module: nn.Module, probe: torch.Tensor) -> str:
    """Short SHA-256 of ``module``'s outputs on the fixed input ``probe`` (eval mode, rounded to 1e-4): catches a
    change of behaviour that is not in the weights (a plain attribute, other code). '' if it cannot run on it."""
    was = module.training
    module.eval()
    try:
        out = module(probe)
    except Exception:  # a module that does not take this probe: its weights and class identify it alone
        return ""
    finally:
        module.train(was)
    if not isinstance(out, torch.Tensor):
        return ""
    return hashlib.sha256(out.float().mul(1e4).round().cpu().numpy().tobytes()).hexdigest()[:16]


def replace_dir(tmp: Path, final: Path) -> None:
    """Swap a fully written directory ``tmp`` into place at ``final`` (old copy kept as ``final.old`` meanwhile)."""
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old)
