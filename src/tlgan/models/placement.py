"""Where a network lives, and running it there for callers whose tensors live elsewhere (see :mod:`tlgan.device`)."""
from __future__ import annotations

import torch
from torch import nn


def module_device(module: nn.Module) -> torch.device:
    """Where ``module``'s first parameter or buffer lives (the CPU for one with neither)."""
    t = next(module.parameters(), None)
    if t is None:
        t = next(module.buffers(), None)
    return t.device if t is not None else torch.device("cpu")


def follow(module: nn.Module, fn, x: torch.Tensor, amp: bool = False) -> torch.Tensor:
    """``fn(x)`` run where ``module`` lives: on the CPU exactly ``fn(x)``; elsewhere ``x`` goes to the module's
    device, ``fn`` runs there (under bf16 autocast with ``amp``) and the float32 result comes back to ``x``'s
    device, so callers holding CPU tensors need not know where the network is. Differentiable in ``x``."""
    dev = module_device(module)
    if dev == x.device:
        if not amp or dev.type != "cuda":
            return fn(x)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp and dev.type == "cuda"):
        y = fn(x.to(dev))
    return y.float().to(x.device)
