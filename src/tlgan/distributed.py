"""Multi-process runs on PyTorch's own engine: ``torchrun ... -m tlgan train|axes sample``, one code path.

Under ``torchrun`` (RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT in the environment) :func:`setup` joins the
process group (``gloo`` on CPU, ``nccl`` on CUDA); without them every helper here is the identity, so a one-process
run executes exactly the same code.

How GAN training stays correct under several processes (the StyleGAN3 pattern, no DDP wrapper):

- every rank draws the *global* batch (data indices, noise, labels) from the same seeded streams and keeps its own
  rows (:func:`shard`): the ranks see disjoint slices of what one process would see, the random streams stay in
  step on every rank, and a checkpoint resumes under any number of processes;
- before each optimiser step the gradients of that optimiser's parameters are averaged across ranks (a step
  pre-hook: :func:`average_gradients_before_step`), so D, G and encoder phases each get the global-batch gradient;
  penalties (gradient penalty, R1) take ``torch.autograd.grad(create_graph=True)`` w.r.t. their inputs on the
  local rows, which needs nothing of DDP;
- after each update every network's buffers (BatchNorm statistics, the EMA's copies) are broadcast from rank 0,
  so parameters, buffers and the EMA are identical on every rank; only rank 0 writes (:func:`is_main`).
"""
from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist
from torch import nn

from .errors import UserError


class SetupError(UserError):
    """A launch mistake every rank sees alike (bad world size, no rendezvous): only rank 0 prints it."""


def world() -> int:
    """Number of processes in the run (1 without torchrun)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 without torchrun)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    """True on the process that writes files, logs and progress bars."""
    return rank() == 0


def env_rank() -> int:
    """The rank torchrun gave this process (0 if none); readable before :func:`setup`, e.g. for error output."""
    return int(os.environ.get("RANK", "0") or 0)


def setup() -> int:
    """Join the process group torchrun describes in the environment; returns the world size (1: no torchrun).

    One CPU thread per process unless OMP_NUM_THREADS says otherwise. SetupError (one line) for a partial
    environment or an unreachable rendezvous within ``TLGAN_DIST_TIMEOUT`` seconds (default 300)."""
    n = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if n <= 1 or dist.is_initialized():
        return world()
    missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not os.environ.get(k)]
    if missing:
        raise SetupError(f"WORLD_SIZE={n} but {', '.join(missing)} unset: launch with torchrun (e.g. `torchrun "
                         "--nproc_per_node 2 -m tlgan train ...`), which sets the rendezvous for every process")
    if "OMP_NUM_THREADS" not in os.environ:
        local = int(os.environ.get("LOCAL_WORLD_SIZE", n))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    timeout = float(os.environ.get("TLGAN_DIST_TIMEOUT", 300))
    try:
        dist.init_process_group("nccl" if cuda else "gloo", timeout=datetime.timedelta(seconds=timeout))
    except Exception as e:
        raise SetupError(f"could not join the process group at {os.environ['MASTER_ADDR']}:"
                         f"{os.environ['MASTER_PORT']} within {timeout:g} s ({type(e).__name__}); check that every "
                         "node was started with the same --rdzv-endpoint and --nnodes") from None
    return n


def teardown() -> None:
    """Leave the process group (if joined)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def check_batch(batch_size: int, what: str = "batch_size") -> int:
    """The rows each rank handles of a global batch of ``batch_size``; SetupError if the ranks cannot split it."""
    n = world()
    if batch_size % n:
        raise SetupError(f"{what} {batch_size} does not split over {n} processes: use a multiple of {n} (the "
                         f"batch is global; each process takes batch / {n} rows)")
    return batch_size // n


def shard(t: torch.Tensor) -> torch.Tensor:
    """This rank's rows of a globally drawn (B, ...) tensor: rows rank*B/N .. (rank+1)*B/N − 1 (all of it alone)."""
    if world() == 1:
        return t
    b = check_batch(len(t), "a batch of")
    return t[rank() * b:(rank() + 1) * b]


@torch.no_grad()
def average_gradients(params) -> None:
    """All-reduce the gradients of ``params`` (those that have one) into their mean over ranks, in one flat
    buffer; non-finite entries become 0 on every rank alike (as StyleGAN3 does)."""
    if world() == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat.div_(world()).nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0)
    for g, part in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
        g.copy_(part.view_as(g))


def average_gradients_before_step(opt: torch.optim.Optimizer) -> None:
    """Make ``opt.step()`` first average its parameters' gradients across ranks (no-op with one process)."""
    if world() == 1:
        return

    def hook(optimizer, args, kwargs):
        average_gradients(p for group in optimizer.param_groups for p in group["params"])
    opt.register_step_pre_hook(hook)


@torch.no_grad()
def broadcast_module(net: nn.Module, buffers_only: bool = False) -> None:
    """Copy rank 0's parameters (unless ``buffers_only``) and buffers of ``net`` to every rank."""
    if world() == 1:
        return
    tensors = [*([] if buffers_only else net.parameters()), *net.buffers()]
    for t in tensors:
        dist.broadcast(t.data, 0)


def broadcast_object(obj):
    """Rank 0's ``obj`` (any picklable value) on every rank."""
    if world() == 1:
        return obj
    box = [obj if is_main() else None]
    dist.broadcast_object_list(box, 0)
    return box[0]


def on_main(fn, *args):
    """``fn(*args)`` run on rank 0 alone (e.g. checking or creating files), its result returned on every rank; a
    UserError it raises is raised on every rank as a SetupError (printed once). Plain ``fn(*args)`` alone."""
    if world() == 1:
        return fn(*args)
    try:
        out = fn(*args) if is_main() else None
    except UserError as e:
        out = SetupError(str(e))
    out = broadcast_object(out)
    if isinstance(out, UserError):
        raise out
    return out


def mean_scalars(values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Scalars by name averaged over ranks (every rank gets the same dict): the global-batch losses to log."""
    if world() == 1 or not values:
        return values
    flat = torch.stack([v.detach().float().reshape(()) for v in values.values()])
    dist.all_reduce(flat)
    return dict(zip(values, flat / world(), strict=True))


def max_divergence(nets: dict[str, nn.Module]) -> float:
    """Largest |rank − rank 0| over every parameter and buffer of ``nets`` (0.0 with one process): the
    consistency check run at each checkpoint."""
    if world() == 1:
        return 0.0
    worst = torch.zeros(())
    with torch.no_grad():
        for net in nets.values():
            for t in [*net.parameters(), *net.buffers()]:
                ref = t.detach().clone()
                dist.broadcast(ref, 0)
                if t.is_floating_point():
                    worst = torch.maximum(worst, (t.detach() - ref).abs().max().float())
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst)


def barrier() -> None:
    """Wait for every rank (no-op with one process)."""
    if world() > 1:
        dist.barrier()
