"""The (z, y) cache: latents and the extractor's labels of their images, memory-mapped on disk.

Layout of CACHE/: ``z.npy`` (N, d) float32, ``y.npy`` (N, K) float32 (logits for binary labels, values for
continuous ones), ``meta.json`` (label names and types, content hashes of generator and extractor, seed,
batch size, rows done), ``batches.npy`` (one flag per finished batch). Rows are written batch by batch and flagged
once on disk, so a killed run resumes where it stopped; memory use is one batch of images, whatever N is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import distributed
from ..errors import UserError
from ..extractors import check_compatible, label_images
from ..io import ensure_dir, read_json, write_json
from ..progress import progress_bar


@dataclass
class Cache:
    """An opened cache: ``z`` (N, d) and ``y`` (N, K) as read-only memory maps, plus its metadata."""
    path: Path
    z: np.ndarray
    y: np.ndarray
    meta: dict

    @property
    def label_names(self) -> list[str]:
        """Names of the K label columns of ``y``, in order."""
        return self.meta["label_names"]

    @property
    def binary(self) -> list[bool]:
        """Per label column: True for a yes/no attribute (``y`` holds probabilities), False for a continuous one."""
        return self.meta["binary"]


def _latents(seed: int, start: int, n: int, d: int) -> torch.Tensor:
    """Latents for rows start..start+n: a pure function of (seed, start), so resumed runs draw the same z."""
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed * 1_000_003 + start))


@torch.no_grad()
def build_cache(generator, extractor, n: int, out, seed: int = 0, batch: int = 256, progress: bool = True) -> Cache:
    """Sample ``n`` latents, render, label; write or resume the cache in ``out``. Returns the opened cache.

    ``generator``: a :class:`tlgan.generator.Generator`; ``extractor``: a :class:`tlgan.extractors.Extractor`.
    Under torchrun the ranks share the batches (each writes its own rows of the memory maps; rank 0 keeps
    meta.json); batch b's rows are a pure function of (seed, b), so any number of processes, killed and resumed
    under any other number, writes the same cache bit for bit (at equal threads per process).
    """
    if n < 1 or batch < 1:
        raise UserError("--n and --batch must be >= 1")
    check_compatible(generator, extractor)
    distributed.setup()
    out = Path(out)
    meta = {"n": n, "z_dim": generator.z_dim, "label_names": list(extractor.label_names),
            "binary": list(extractor.binary), "generator_hash": generator.content_hash,
            "extractor_hash": getattr(extractor, "content_hash", ""), "seed": seed, "batch": batch,
            "space": getattr(generator, "space", "z"), "n_ws": getattr(generator, "n_ws", 1), "done": 0}
    meta = distributed.on_main(_prepare, out, meta)
    distributed.barrier()  # the files exist before any rank maps them
    z_mm = np.load(out / "z.npy", mmap_mode="r+")
    y_mm = np.load(out / "y.npy", mmap_mode="r+")
    flags = np.load(out / "batches.npy", mmap_mode="r+")
    mine = np.flatnonzero(flags == 0)[distributed.rank()::distributed.world()]
    sizes = np.minimum(batch, n - np.arange(len(flags)) * batch)
    with progress_bar(total=n, initial=meta["done"], desc="sampling (z, y)",
                      disable=not (progress and distributed.is_main())) as bar:
        for b in mine:
            start, m = int(b) * batch, int(sizes[b])
            z = generator.prior(_latents(seed, start, m, generator.prior_dim))
            y = label_images(generator, extractor, z, batch=batch)
            z_mm[start:start + m] = z.numpy()
            y_mm[start:start + m] = y.numpy()
            z_mm.flush()
            y_mm.flush()
            flags[b] = 1  # only after the rows are on disk
            flags.flush()
            if distributed.is_main():  # meta.json has one writer; "done" counts finished rows of every rank
                meta["done"] = int(sizes[flags == 1].sum())
                write_json(out / "meta.json", meta)
                bar.update(meta["done"] - bar.n)
    del z_mm, y_mm
    if distributed.world() > 1:  # rank 0 may have finished first: count every rank's batches once all are done
        distributed.barrier()
        if distributed.is_main():
            meta["done"] = int(sizes[flags == 1].sum())
            write_json(out / "meta.json", meta)
        distributed.barrier()
    return open_cache(out)


def _prepare(out: Path, meta: dict) -> dict:
    """Create the cache files in ``out`` (or check an existing cache has ``meta``'s settings); returns the
    metadata with its rows done. ``batches.npy`` flags each finished batch (a cache from before the flags
    counts its first ``done`` rows as finished)."""
    n, batch = meta["n"], meta["batch"]
    n_batches = -(-n // batch)
    if (out / "meta.json").exists():
        old = read_json(out / "meta.json")
        same = {k: old.get(k) for k in meta if k != "done"} == {k: v for k, v in meta.items() if k != "done"}
        if not same:
            raise UserError(f"{out} holds a cache built with other settings or models; choose another --out")
        meta["done"] = old["done"]
        if not (out / "batches.npy").exists():
            flags = np.lib.format.open_memmap(out / "batches.npy", "w+", np.uint8, (n_batches,))
            flags[: meta["done"] // batch] = 1
            flags.flush()
        return meta
    import shutil
    need = n * (meta["z_dim"] + len(meta["label_names"])) * 4
    free = shutil.disk_usage(next(p for p in (out, *out.parents) if p.exists())).free
    if need > free:
        raise UserError(f"a cache of {n:,} rows needs {need / 1e9:.1f} GB; {free / 1e9:.1f} GB are free")
    ensure_dir(out)
    np.lib.format.open_memmap(out / "z.npy", "w+", np.float32, (n, meta["z_dim"])).flush()
    np.lib.format.open_memmap(out / "y.npy", "w+", np.float32, (n, len(meta["label_names"]))).flush()
    np.lib.format.open_memmap(out / "batches.npy", "w+", np.uint8, (n_batches,)).flush()
    write_json(out / "meta.json", meta)
    return meta


def open_cache(path, generator_hash: str | None = None) -> Cache:
    """Open a finished cache read-only; UserError if unfinished or built by another generator."""
    p = Path(path)
    meta = read_json(p / "meta.json")
    if not {"done", "n", "label_names", "binary", "generator_hash"} <= set(meta):
        raise UserError(f"{p / 'meta.json'} is not a tlgan cache's metadata (keys missing)")
    if meta["done"] < meta["n"]:
        raise UserError(f"{p} is unfinished ({meta['done']}/{meta['n']} rows); rerun `tlgan axes sample` to resume")
    if generator_hash is not None and meta["generator_hash"] != generator_hash:
        raise UserError(f"{p} was built by another generator (hash {meta['generator_hash']}, "
                        f"expected {generator_hash})")
    try:
        z, y = (np.load(p / f, mmap_mode="r", allow_pickle=False) for f in ("z.npy", "y.npy"))
    except (OSError, ValueError) as e:
        raise UserError(f"{p}: z.npy / y.npy are missing or corrupt ({str(e).splitlines()[0]})") from None
    if z.ndim != 2 or y.ndim != 2 or len(z) != meta["n"] or len(y) != meta["n"] or \
            y.shape[1:] != (len(meta["label_names"]),):
        raise UserError(f"{p}: z.npy {z.shape} and y.npy {y.shape} do not match meta.json ({meta['n']} rows, "
                        f"{len(meta['label_names'])} labels)")
    return Cache(p, z, y, meta)
