"""Run by tests/test_distributed.py, in-process (one rank) or under torchrun (several): trains each of JOBS for
STEPS updates with the trainers' own update(), builds a small (z, y) cache with the shipped faces models, and
saves this rank's networks and loss traces to OUT/rank<r>.pt (the cache goes to OUT/cache).

    torchrun --nproc_per_node 2 tests/dist_worker.py OUT
"""
import sys
from pathlib import Path

import torch

from tlgan import distributed
from tlgan.data import load_data
from tlgan.training import family, load_config

STEPS = 20
JOBS = {  # DCGAN: BatchNorm in G and D; WGAN-GP: the gradient penalty, no BatchNorm (MLPs on 2-D points);
    # R3GAN: R1 + R2 (a double backward) and augmentation drawn for the global batch
    "dcgan": dict(model="dcgan", data="shapes", resolution=16, n_data=256, width=8, batch_size=16),
    "wgan-gp": dict(model="wgan-gp", data="ring8", n_data=512, batch_size=32, mlp_batchnorm=False,
                    mlp_hidden_g=[32, 32], mlp_hidden_d=[32, 32], n_critic=2),
    "r3gan": dict(model="r3gan", data="shapes", resolution=16, n_data=256, widths=[8, 8, 4], batch_size=16,
                  penalty_every=2, augment=["xflip", "translate"]),
}


def train_job(name: str) -> dict:
    """STEPS updates of JOBS[name] -> {"trace": [losses by name per update], "state": every network's tensors}."""
    cfg = load_config(None, **JOBS[name], steps=STEPS)
    trainer = family(cfg.model)(cfg, load_data(cfg.data, cfg.resolution, cfg.n_data, seed=cfg.data_seed))
    trace = [{k: float(v) for k, v in trainer.update().items()} for _ in range(STEPS)]
    state = {f"{n}.{k}": v.clone() for n, net in trainer.nets().items() for k, v in net.state_dict().items()}
    return {"trace": trace, "state": state}


def build_small_cache(out: Path) -> None:
    """640 (z, y) rows of the shipped faces generator and extractor, in batches of 128, into ``out``."""
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.latent.cache import build_cache
    from tlgan.pretrained import default_paths
    paths = default_paths()
    build_cache(load_generator(paths["generator"]), load_extractor(paths["extractor"]), 640, out, seed=3,
                batch=128, progress=False)


def main(out: Path) -> None:
    distributed.setup()
    result = {name: train_job(name) for name in JOBS}
    torch.save(result, out / f"rank{distributed.rank()}.pt")
    build_small_cache(out / "cache")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
