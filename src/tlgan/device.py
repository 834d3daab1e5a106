"""Where the heavy work runs: ``--device auto|cpu|cuda`` and the CUDA speed settings, in one place.

:func:`resolve` turns a device name into a ``torch.device`` (``auto``: CUDA when available; under torchrun each
rank its ``LOCAL_RANK`` GPU) and refuses ``cuda`` on a machine without one in one line. :class:`Runtime` is what a
trainer needs to know: the device and, on CUDA only, bf16 autocast, channels_last memory and TF32 matrix products
(``fast=False`` turns all three off) and an optional ``torch.compile`` of G. On the CPU a runtime changes nothing:
every result stays bit-identical to a run that never heard of devices.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

import torch
from torch import nn

from .errors import UserError
from .models.placement import follow, module_device  # noqa: F401  (re-exported: where a network runs)

DEVICES = ("auto", "cpu", "cuda")


def resolve(name: str | torch.device | None = "auto") -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> torch.device. ``auto``/``cuda`` take the LOCAL_RANK GPU under
    torchrun (cuda:0 alone). UserError (one line) for an unknown name or CUDA asked for where there is none."""
    if isinstance(name, torch.device):
        name = str(name)
    name = (name or "auto").strip().lower()
    if name not in DEVICES and not name.startswith("cuda:"):
        raise UserError(f"--device {name!r}: expected one of {', '.join(DEVICES)} (or cuda:N)")
    available = torch.cuda.is_available()
    if name == "cpu" or (name == "auto" and not available):
        return torch.device("cpu")
    if not available:
        raise UserError(f"--device {name}: PyTorch sees no CUDA GPU here (torch {torch.__version__}, "
                        f"{'a CPU-only build' if torch.version.cuda is None else 'no device visible'}); "
                        "use --device cpu or auto")
    if name.startswith("cuda:"):
        index = int(name.split(":", 1)[1]) if name.split(":", 1)[1].isdigit() else -1
        if not 0 <= index < torch.cuda.device_count():
            raise UserError(f"--device {name}: this machine has {torch.cuda.device_count()} GPU(s)")
        return torch.device(name)
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0) or 0))


@dataclass(frozen=True)
class Runtime:
    """How a run uses its device. ``fast`` (CUDA only): bf16 autocast for forward passes, channels_last conv
    weights and TF32 matrix products; ``compile``: ``torch.compile`` G's forward (never D: R1/R2 differentiate
    it twice)."""
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    fast: bool = True
    compile: bool = False

    @classmethod
    def of(cls, device: str | torch.device | None = "auto", fast: bool = True, compile: bool = False) -> Runtime:
        """The runtime for a device name (see :func:`resolve`); on CUDA it also switches TF32 on when ``fast``."""
        rt = cls(resolve(device), fast, compile)
        if rt.cuda:
            torch.cuda.set_device(rt.device)
            torch.backends.cuda.matmul.allow_tf32 = fast
            torch.backends.cudnn.allow_tf32 = fast
            torch.backends.cudnn.benchmark = True
        return rt

    @property
    def cuda(self) -> bool:
        """True where this runtime's device is a GPU."""
        return self.device.type == "cuda"

    @property
    def amp(self) -> bool:
        """True where forward passes run under bf16 autocast (CUDA with ``fast``)."""
        return self.cuda and self.fast

    def autocast(self):
        """A context: bf16 autocast on CUDA with ``fast``, else nothing."""
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.amp else contextlib.nullcontext()

    def place(self, net: nn.Module) -> nn.Module:
        """``net`` moved to the device in place (its parameters keep their identity, so optimisers made over them
        stay valid), in channels_last memory on CUDA with ``fast``."""
        net.to(self.device)
        if self.amp:
            net.to(memory_format=torch.channels_last)
        return net

    def put(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` on the device (the same tensor on the CPU)."""
        return t.to(self.device, non_blocking=True)


CPU = Runtime()


def to_device(name: str, *modules) -> torch.device:
    """Resolve device ``name`` (see :func:`resolve`) and move each module given (None skipped) there; returns it."""
    dev = resolve(name)
    if dev.type == "cuda":
        Runtime.of(dev)
    for m in modules:
        if m is not None:
            m.to(dev)
    return dev
