"""Conditional generators (cGAN, AC-GAN), StarGAN and TL-GAN axes on faces, judged alike, side by side.

The seeds' claim as one table. Budget fixed in advance for every model: 32x32 faces, 2 CPU cores, at most 40 min of
training (cGAN and AC-GAN: 8,000 updates of 64, the shipped DCGAN's recipe; StarGAN: its 3,000 updates of 16;
TL-GAN: the shipped DCGAN, 8,000 updates, 26 min), all conditioned on / edited along the same attributes.

Every face is pushed toward the class the shipped independent judge does not see in it (a hair colour: set to 1):
- cGAN / AC-GAN: n faces G(z, y), y = the labels of n real test faces; the edit sets the attribute in y, same z;
- StarGAN: n real test faces, target = the critic's reading of the face with the attribute changed;
- TL-GAN: n faces of the shipped generator, z + λ·u (λ = 2; axes disentangled against Male except Male's own).
Success = the judge's decision reaches the request (among faces that needed a change); leakage = mean |Δ| of the
judge's other binary attributes' probabilities (the attribute's one-of group excluded); pixel Δ = mean |x' − x|
on [0, 1]; FD-faces over every edited image (the judge's features; floor = real vs real).

Cost of one attribute none of them was conditioned on (--new, default Young): a conditional model retrains (its
seconds per update, timed here, × its updates); TL-GAN fits one axis on latents it has sampled and labelled once.
The same is done to the cGAN itself — a cache of its z at fixed labels (RUN@labels), one GLM axis — and that axis
is scored like the others: a conditional model made transparent gets the new attribute without retraining.

    python benchmarks/conditional_vs_axes.py [--cgan runs/bench/cgan] [--acgan runs/bench/acgan]
        [--stargan runs/bench/stargan] [--n 500] [--lam 2] [--new Young]
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tlgan.data import load_data
from tlgan.extractors import load_extractor, predict_labels
from tlgan.generator import load_generator
from tlgan.latent.axes import Axes
from tlgan.latent.cache import build_cache
from tlgan.latent.directions import fit_glm
from tlgan.latent.disentangle import disentangle
from tlgan.metrics import FrechetScorer
from tlgan.models.translation import set_attributes
from tlgan.pretrained import default_paths
from tlgan.training import family, run_config
from tlgan.training.stargan import exclusive_attributes
from tlgan.translate import StarGAN

ap = argparse.ArgumentParser()
ap.add_argument("--cgan", default="runs/bench/cgan")
ap.add_argument("--acgan", default="runs/bench/acgan")
ap.add_argument("--stargan", default="runs/bench/stargan")
ap.add_argument("--n", type=int, default=500)
ap.add_argument("--lam", type=float, default=2.0)
ap.add_argument("--new", default="Young", help="an attribute none of the models was conditioned on")
ap.add_argument("--cache-n", type=int, default=20_000)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--json", type=Path, default=None, help="also write every figure here")
args = ap.parse_args()
paths = default_paths()
judge = load_extractor(paths["judge"])
t_start = time.perf_counter()


def judged(x01: torch.Tensor) -> np.ndarray:
    """Images on [0, 1] → the judge's (N, K) scores (probabilities for binary labels)."""
    return predict_labels(judge, x01 * 2 - 1, probabilities=True).numpy()


def scores(name: str, group: list[str], before: np.ndarray, after: np.ndarray, want: np.ndarray,
           x0: torch.Tensor, x1: torch.Tensor) -> dict:
    """success among faces that needed a change, mean |Δ| of the other binary attributes, pixel change."""
    t = judge.label_names.index(name)
    need = (before[:, t] > 0.5) != want
    others = [k for k, o in enumerate(judge.label_names) if judge.binary[k] and o != name and o not in group]
    return {"success": float(((after[:, t] > 0.5) == want)[need].mean()),
            "leakage": float(np.abs(after[:, others] - before[:, others]).mean()),
            "pixel": float((x1 - x0).abs().mean())}


def request(name: str, group: list[str], before: np.ndarray) -> np.ndarray:
    """The class each face is pushed toward: the one the judge does not see (a one-of group's member: 1)."""
    return np.ones(len(before), bool) if group else ~(before[:, judge.label_names.index(name)] > 0.5)


def seconds_per_update(run: str) -> tuple[float, int]:
    """(seconds per update of ``run``'s family on this machine, the run's updates): 2 warm-up + 3 timed."""
    cfg = run_config(run)
    trainer = family(cfg.model)(cfg, train_faces)
    for _ in range(2):
        trainer.step()
    t0 = time.perf_counter()
    for _ in range(3):
        trainer.step()
    return (time.perf_counter() - t0) / 3, cfg.steps


def requested(labels: torch.Tensor, name: str, names: list[str], exclusive: dict, want: np.ndarray) -> torch.Tensor:
    """``labels`` (N, K) with ``name`` set to the request (a one-of group's member: 1, clearing the group)."""
    if exclusive.get(name):
        return set_attributes(labels, {name: 1.0}, names, exclusive)
    out = labels.clone()
    out[:, names.index(name)] = torch.from_numpy(want.astype(np.float32))
    return out


@torch.no_grad()
def edit_all(names: list[str], groups: dict, x0: torch.Tensor, edit) -> tuple[dict, list[torch.Tensor]]:
    """For each attribute, ``edit(name, want)`` -> images on [0, 1] pushed from ``x0`` toward ``want``; returns
    the scores by attribute and the edited images."""
    before, out, images = judged(x0), {}, []
    for name in names:
        group = groups.get(name, [])
        want = request(name, group, before)
        x1 = edit(name, want)
        out[name] = scores(name, group, before, judged(x1), want, x0, x1)
        images.append(x1)
    return out, images


@torch.no_grad()
def conditional(run: str) -> tuple[dict, list[torch.Tensor]]:
    """Edit by setting the label in y (same z); every attribute the run was conditioned on."""
    g = load_generator(run)
    names = json.loads((Path(run) / "config.json").read_text())["conditional"]["labels"]
    cols = [faces.label_names.index(a) for a in names]
    y0 = torch.from_numpy(faces.labels[:, cols]).float()
    exclusive = exclusive_attributes(train_faces.labels[:, cols], names)
    z = torch.randn(args.n, g.z_dim, generator=torch.Generator().manual_seed(args.seed))
    draw = lambda y: g.to_unit(g.net(z, y))  # noqa: E731
    return edit_all(names, exclusive, draw(y0), lambda name, want: draw(requested(y0, name, names, exclusive, want)))


@torch.no_grad()
def stargan(star: StarGAN) -> tuple[dict, list[torch.Tensor]]:
    """Translate the real faces to the request; the critic's reading of each face is what StarGAN keeps."""
    src = star.classify(x_real).round()

    def edit(name, want):
        return (star.translate(x_real, requested(src, name, star.attributes, star.exclusive, want)) + 1) / 2
    return edit_all(star.attributes, star.exclusive, (x_real + 1) / 2, edit)


@torch.no_grad()
def along_axes(g, axes: Axes, names: list[str], z: torch.Tensor, groups: dict) -> tuple[dict, list[torch.Tensor]]:
    """Edit z + λ·u toward the requested class (axes disentangled against Male, except Male's own)."""
    dis = disentangle(axes, ["Male"]) if "Male" in axes.names else axes

    def edit(name, want):
        u = torch.from_numpy((axes if name == "Male" else dis).vector(name)).float()
        sign = torch.from_numpy(np.where(want, 1.0, -1.0)).float()[:, None]
        return g.to_unit(g(z + args.lam * sign * u))
    return edit_all(names, groups, g.to_unit(g(z)), edit)


train_faces = load_data("faces", 32, 10_000)  # label statistics, the FD floor's real images, timing batches
faces = load_data("faces", 32, args.n, split="test", seed=args.seed)
x_real = faces.batch(slice(None))
star = StarGAN(args.stargan)
shipped = load_generator(paths["generator"])
runs = {"cGAN": conditional(args.cgan), "AC-GAN": conditional(args.acgan), "StarGAN": stargan(star)}
names = list(runs["cGAN"][0])
runs["TL-GAN"] = along_axes(shipped, Axes.load(paths["axes"]), names, shipped.latents(args.n, args.seed),
                            star.exclusive)
models = list(runs)
results = {m: r for m, (r, _) in runs.items()}

# image quality of what each model hands the user: every edited image
scorer = FrechetScorer.for_dataset("faces", train_faces, n=2000, feature_net=judge)
floor = scorer.floor(train_faces, 2000)
fd = {m: scorer.score(torch.cat(images) * 2 - 1) for m, (_, images) in runs.items()}

# one more attribute
extractor = load_extractor(paths["extractor"])
retrain = {m: seconds_per_update(r) for m, r in (("cGAN", args.cgan), ("AC-GAN", args.acgan),
                                                 ("StarGAN", args.stargan))}
new_axis = {}
fit_glm(np.random.default_rng(0).normal(size=(500, 8)), np.zeros((500, 1)) + [[0], [1]] * 250, ['warm-up'], [True])
for label, spec in (("TL-GAN", str(paths["generator"])),
                    ("cGAN + axis", f"{args.cgan}@" + ",".join(f"{a}=0" for a in names))):
    g = load_generator(spec)
    tmp = Path(tempfile.mkdtemp()) / "cache"
    t0 = time.perf_counter()
    cache = build_cache(g, extractor, args.cache_n, tmp, seed=args.seed, batch=500, progress=False)
    t_cache = time.perf_counter() - t0
    col = cache.label_names.index(args.new)
    t0 = time.perf_counter()
    axes = fit_glm(np.asarray(cache.z), np.asarray(cache.y[:, [col]]), [args.new], [True])
    t_fit = time.perf_counter() - t0
    scored, _ = along_axes(g, axes, [args.new], g.latents(args.n, args.seed + 1), {})
    new_axis[label] = {"cache_s": t_cache, "fit_s": t_fit, **scored[args.new]}

print(f"{args.n} faces per model and attribute; judge: shipped independent judge; λ = {args.lam:g}\n")
for metric, fmt in (("success", "{:.2f}"), ("leakage", "{:.3f}")):
    print(f"| {metric} | " + " | ".join(models) + " |\n|---|" + "---:|" * len(models))
    for name in names:
        print(f"| {name} | " + " | ".join(fmt.format(results[m][name][metric]) for m in models) + " |")
    print("| **mean** | " + " | ".join("**" + fmt.format(np.mean([results[m][n][metric] for n in names])) + "**"
                                      for m in models) + " |\n")
print(f"| model | mean success | mean leakage | pixel Δ | FD-faces of the edits (floor {floor:.1f}) | "
      f"one more attribute ({args.new}) |")
print("|---|---:|---:|---:|---:|---|")
for m in models:
    mean = {k: np.mean([results[m][n][k] for n in names]) for k in ("success", "leakage", "pixel")}
    if m in retrain:
        per, steps = retrain[m]
        cost = f"retrain: {steps:,} updates × {per:.2f} s = {steps * per / 60:.0f} min"
    else:
        cost = f"one axis on {args.cache_n:,} cached latents: {new_axis['TL-GAN']['fit_s']:.1f} s"
    print(f"| {m} | {mean['success']:.2f} | {mean['leakage']:.3f} | {mean['pixel']:.3f} | {fd[m]:.1f} | {cost} |")
print(f"\nthe new attribute by axes (sampling + labelling {args.cache_n:,} latents once per generator, then one fit):")
print("| generator | success | leakage | pixel Δ | sample + label | fit |\n|---|---:|---:|---:|---:|---:|")
for label, r in new_axis.items():
    print(f"| {label} | {r['success']:.2f} | {r['leakage']:.3f} | {r['pixel']:.3f} | {r['cache_s']:.0f} s | "
          f"{r['fit_s']:.1f} s |")
print(f"\nbenchmark time: {time.perf_counter() - t_start:.0f} s")
if args.json:
    args.json.write_text(json.dumps({"results": results, "fd": fd, "floor": floor, "new_axis": new_axis,
                                     "retrain": retrain}, indent=1))
