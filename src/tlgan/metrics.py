"""Fréchet distance over a pluggable feature network: FD-<dataset> (never called FID).

The default feature network is a small classifier trained on the dataset's own labels, cached under
``$TLGAN_CACHE`` (default ``~/.cache/tlgan``) so it is trained once per dataset and resolution.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from scipy import linalg

from .data import ImageData, load_data
from .data.images import resize
from .errors import UserError
from .io import cache_dir


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets a (N, F) and b (M, F)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # near-singular covariances (few samples, dead features): retry with a ridge
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():
            eps = 1e-6 * np.eye(len(s1))
            covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


# Feature networks shipped with the package under their cache names, read before the cache: faces at 64 px (about
# 17 minutes on 2 cores to train; the faces model's gate) and 32 px (the README's five commands' size), and
# Fashion-MNIST's.
SHIPPED_FEATURE_NETS = Path(__file__).parent / "pretrained" / "fd"
# The renderer never runs out of faces: FD-faces's network is trained on its first 10,000 at each size, whatever
# a run trains on, so a run's best-by-FD, `tlgan evaluate fd` and the benchmarks score with one network.
FD_FACES_IMAGES = 10_000


def feature_net_path(dataset: str, resolution: int, n: int, steps: int = 1500) -> Path:
    """Where :func:`default_feature_net` caches the classifier it trains on ``n`` images of ``dataset`` at
    ``resolution`` for ``steps`` steps."""
    return cache_dir() / f"fd-{dataset.replace(':', '_').replace('/', '_')}-{resolution}px-{n}-{steps}steps"


def default_feature_net(dataset: str, data: ImageData, steps: int = 1500, log=None):
    """The dataset's own classifier (shipped, or trained once on ``data``'s labels and cached; faces: on the
    renderer's first :data:`FD_FACES_IMAGES` at ``data``'s size); its pooled features.
    ``log`` (e.g. ``print``): say so, with a progress bar, when it has to be trained (minutes on a CPU)."""
    from .extractors import load_extractor, save_extractor, train_extractor
    if data.labels is None:
        raise UserError(f"FD needs a labelled dataset for its default feature network ({dataset!r} has no labels)")
    n = FD_FACES_IMAGES if dataset == "faces" else len(data)
    path = feature_net_path(dataset, data.shape[-1], n, steps)
    for known in (SHIPPED_FEATURE_NETS / path.name, path):
        if (known / "extractor.json").exists():
            return load_extractor(known)
    if len(data) != n:
        data = load_data(dataset, data.shape[-1], n)
    if log is not None:
        log(f"training FD-{dataset}'s feature network once: a classifier on {len(data):,} images at "
            f"{data.shape[-1]} px, {steps} steps; cached in {path}")
    save_extractor(train_extractor(data, steps=steps, seed=123, progress=log is not None), path)
    return load_extractor(path)  # the stored (fp16) weights: a cold and a warm cache score alike


class FrechetScorer:
    """Scores generated images against reference features: ``score(x) -> FD``; ``floor`` = FD of two real splits.
    Images of another size than the reference's are resized to it first (a 128-px model scored at 64 px)."""

    def __init__(self, feature_net, reference: torch.Tensor, name: str):
        self.net, self.name, self.resolution = feature_net.eval(), name, reference.shape[-1]
        self.ref = self.features(reference)

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch: int = 256) -> np.ndarray:
        """Features (N, F) of images (N, C, R, R) in [-1, 1]."""
        return torch.cat([self.net.features(resize(x[i:i + batch], self.resolution))
                          for i in range(0, len(x), batch)]).numpy()

    def score(self, x: torch.Tensor) -> float:
        """FD between images ``x`` (N, C, R, R) in [-1, 1] and the reference set (lower is better; ≥ 0)."""
        return frechet_distance(self.features(x), self.ref)

    @classmethod
    def for_dataset(cls, spec: str, train_data: ImageData, n: int = 2000, feature_net=None,
                    extractor_steps: int = 1500, log=None) -> FrechetScorer:
        """Reference = ``n`` test-split images of ``spec`` at the training data's resolution; ``log``: as for
        :func:`default_feature_net`."""
        net = feature_net or default_feature_net(spec, train_data, extractor_steps, log)
        res = train_data.shape[-1]
        test = load_data(spec, res, n, split="test")
        return cls(net, test.batch(torch.arange(len(test))), f"FD-{train_data.name}")

    def floor(self, train_data: ImageData, n: int = 2000) -> float:
        """FD between ``n`` real training images and the real test reference: the best a generator can hope for."""
        idx = torch.randperm(len(train_data), generator=torch.Generator().manual_seed(0))[:n]
        return self.score(train_data.batch(idx))


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image: x, y (N, C, H, W) in [-1, 1] -> (N,) (peak-to-peak range 2)."""
    mse = (x - y).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(4.0 / mse)


def ssim(x: torch.Tensor, y: torch.Tensor, window: int = 7, sigma: float = 1.5) -> torch.Tensor:
    """Structural similarity per image (Wang et al. 2004, Gaussian window, averaged over channels and positions):
    x, y (N, C, H, W) in [-1, 1] -> (N,) in [-1, 1]; differentiable (the inverters use 1 − SSIM as a loss)."""
    c = x.shape[1]
    window = min(window, x.shape[-1])
    g = torch.exp(-((torch.arange(window, dtype=x.dtype) - (window - 1) / 2) ** 2) / (2 * sigma ** 2))
    k = (g[:, None] * g[None, :] / g.sum() ** 2).expand(c, 1, window, window).contiguous()
    blur = lambda t: torch.nn.functional.conv2d(t, k, groups=c)  # noqa: E731
    x, y = (x + 1) / 2, (y + 1) / 2
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return s.flatten(1).mean(1)


def attribute_rates(generator, judge, n: int = 5000, seed: int = 0, tolerance: float = 0.25,
                    min_rate: float = 0.05) -> list[dict]:
    """Does a faces generator keep every binary attribute? One row per binary face attribute: the renderer's exact
    rate on ``n`` held-out faces (``data_exact``), the judge's rate on them (``data_judge``) and on ``n`` samples
    (``samples_judge``, latents of ``seed``), the relative difference and whether it is within ``tolerance``
    (``within``: None where the data rate is under ``min_rate``). The same reader reads both, at the generator's
    resolution (real faces are rendered at max(R, 32) and resized)."""
    from .data import FACES_TEST_OFFSET
    from .data.faces import BINARY, render_faces
    from .data.images import resize, to_model_range
    from .extractors import label_images, predict_labels
    x, attrs = render_faces(n, seed=1, resolution=max(generator.resolution, 32), start=FACES_TEST_OFFSET)
    real = np.concatenate([predict_labels(judge, resize(to_model_range(x[i:i + 500]), generator.resolution),
                                          probabilities=True).numpy() for i in range(0, n, 500)])
    with torch.no_grad():
        fake = label_images(generator, judge, generator.latents(n, seed), probabilities=True).numpy()
    rows = []
    for name in BINARY:
        j = judge.label_names.index(name)
        rj, sj = float((real[:, j] > 0.5).mean()), float((fake[:, j] > 0.5).mean())
        rel = sj / rj - 1 if rj > 0 else float("nan")
        rows.append({"attribute": name, "data_exact": float(attrs[name].mean()), "data_judge": rj,
                     "samples_judge": sj, "relative": rel, "within": abs(rel) <= tolerance if rj >= min_rate else None})
    return rows


def generator_quality(generator, scorer: FrechetScorer, floor: float, judge, n_fd: int = 2000,
                      n_rates: int = 5000) -> dict:
    """A faces generator's FD (``n_fd`` samples, latents of seed 0, over ``scorer``) beside ``floor``, and its
    :func:`attribute_rates` by ``judge``: {fd, fd_floor, outside_25 (attributes with a data rate >= 5% outside
    ±25%), judged (how many have such a rate), rates (the rows)}."""
    _, x = generator.sample(n_fd, seed=0)
    rows = attribute_rates(generator, judge, n_rates)
    return {"fd": scorer.score(generator.to_signed(x)), "fd_floor": floor,
            "outside_25": sum(r["within"] is False for r in rows), "judged": sum(r["within"] is not None for r in rows),
            "rates": rows}
