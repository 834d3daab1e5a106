"""The figures docs/training.md quotes for the small model families, measured on the runs it documents.

Each group trains its documented run (or reuses it when already trained to its steps) and measures what the guide
says about it; the results go into one JSON file (default docs/family_figures.json, other groups' entries kept),
from which ``scripts/readme_tables.py`` writes the sentences in the guide.

- vae: ``configs/vae_digits.yaml`` — held-out ELBO before and after training, reconstruction MSE vs the mean image;
- stylegan: an 80-update StyleGAN-style run on 32x32 faces — how far a second w in the finest layers moves the 4x4
  layout and the pixel detail, against a whole new w; a brightness axis's held-out R² in Z and in W;
- cyclegan_shapes / cyclegan_fashion: ``configs/cyclegan_{shapes,fashion}.yaml`` — a logistic-regression classifier
  of the two real domains (its test accuracy), how often it accepts translations as their target domain, cycle
  error, both directions;
- stargan_shapes: ``configs/stargan_shapes.yaml`` — per attribute, how often classifiers of real shapes read the
  requested change and the other attribute kept, and the L1 of translating back;
- pix2pix_faces: ``configs/pix2pix_faces32.yaml`` — held-out L1 against copying the drawing and the mean face;
- style_transfer: docs/style_inputs, 200 Adam steps at 128 px, the random network and the faces classifier — how
  many times lower the style loss ends, and the final content loss.

    python scripts/family_figures.py [--groups vae,stylegan,...] [--runs runs/family] [--json docs/family_figures.json]
                                     [--grids]   (also copy each run's last sample grid to the guide's picture)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression

from tlgan.data import load_data
from tlgan.io import read_json, write_json
from tlgan.training import load_config, make_config, train

ROOT = Path(__file__).resolve().parent.parent


def trained(cfg, run: Path) -> tuple[Path, float | None]:
    """Train ``cfg`` into ``run`` unless it is already trained to its steps: (run, training seconds, kept in the run
    beside its checkpoint; None for a run trained elsewhere or resumed)."""
    state, timing = run / "state" / "trainer.pt", run / "train_seconds.json"
    if state.exists() and int(torch.load(state, weights_only=True)["step"]) >= cfg.steps:
        return run, read_json(timing)["seconds"] if timing.exists() else None
    resumed, t0 = state.exists(), time.perf_counter()
    with torch.enable_grad():  # the measuring functions run under no_grad
        train(cfg, run, resume=resumed, progress=False, log=lambda *_: None)
    seconds = None if resumed else time.perf_counter() - t0
    write_json(timing, {"seconds": seconds})
    return run, seconds


def last_grid(run: Path) -> Path:
    return sorted((run / "samples").glob("step_*.png"))[-1]


def flat(x: torch.Tensor) -> np.ndarray:
    return x.flatten(1).numpy()


def vae(runs: Path) -> dict:
    from tlgan.io import load_weights
    from tlgan.training.vae import VAETrainer
    cfg = load_config(ROOT / "configs/vae_digits.yaml")
    data, x = load_data("digits"), load_data("digits", split="test").batch(slice(None))

    @torch.no_grad()
    def held_out(trainer):
        trainer.g.eval()
        trainer.e.eval()
        t = trainer.elbo_terms(x, sample=False)
        return -(t["rec"] + t["kl"]).mean().item(), (t["recon"] - x).pow(2).mean().item()
    elbo0, mse0 = held_out(VAETrainer(cfg, data))
    run, seconds = trained(cfg, runs / "vae")
    after = VAETrainer(cfg, data)
    for name, net in after.nets().items():
        load_weights(net, run / "state" / f"{name}.safetensors")
    elbo, mse = held_out(after)
    return {"command": "tlgan train vae --config configs/vae_digits.yaml", "steps": cfg.steps, "seconds": seconds,
            "test_images": len(x), "elbo_before": elbo0, "elbo_after": elbo, "mse_before": mse0, "mse": mse,
            "mse_mean_image": (x - data.batch(slice(None)).mean(0)).pow(2).mean().item(), "grid": run}


@torch.no_grad()
def stylegan(runs: Path) -> dict:
    from tlgan.extractors import brightness_extractor
    from tlgan.generator import Generator, _style_space, load_generator
    from tlgan.latent.cache import build_cache
    from tlgan.latent.directions import fit_glm
    cfg = make_config(dict(model="stylegan", data="faces", resolution=32, n_data=1000, steps=80, z_dim=32, width=16,
                           batch_size=16, sample_every=80, ckpt_every=80))
    run, seconds = trained(cfg, runs / "stylegan")
    g = load_generator(run).net
    gen = torch.Generator().manual_seed(0)
    w1, w2 = (g.map(torch.randn(256, g.z_dim, generator=gen))[:, None].expand(-1, g.n_ws, -1) for _ in range(2))
    fine = g.n_ws - 2  # the last two layers style the finest resolution
    x1, x2 = g.synthesis(w1), g.synthesis(w2)
    mix = g.synthesis(torch.cat([w1[:, :fine], w2[:, fine:]], 1))  # the second w in the finest layers only
    low = lambda x: F.avg_pool2d(x, 8)  # noqa: E731  the 4x4 layout
    high = lambda x: x - F.interpolate(F.avg_pool2d(x, 2), scale_factor=2)  # noqa: E731  pixel-level detail
    dist = lambda f, a, b: (f(a) - f(b)).abs().mean().item()  # noqa: E731
    r2 = {}
    for space in ("z", "w"):
        wrapped = Generator(g, g.z_dim, 32, 3, content_hash="family-figures-stylegan")
        wrapped = wrapped if space == "z" else _style_space(wrapped, space)
        cache = build_cache(wrapped, brightness_extractor(), 4000, runs / f"stylegan-cache-{space}", progress=False)
        r2[space] = fit_glm(cache.z, cache.y, cache.label_names, cache.binary).quality["brightness"]["r2"]
    return {"command": "the 80-update run of tests/test_stylegan.py (faces 32x32, z 32, width 16, batch 16)",
            "steps": cfg.steps, "seconds": seconds, "pairs": len(x1),
            "layout_fine_mix": dist(low, mix, x1), "layout_new_w": dist(low, x2, x1),
            "detail_fine_mix": dist(high, mix, x1), "detail_new_w": dist(high, x2, x1),
            "brightness_r2_z": r2["z"], "brightness_r2_w": r2["w"], "latents": 4000}


def _domain_judge(a_train, b_train, a_test, b_test) -> tuple[LogisticRegression, float]:
    """A classifier of real A (0) vs real B (1) and its accuracy on the test images."""
    judge = LogisticRegression(max_iter=3000).fit(np.concatenate([flat(a_train), flat(b_train)]),
                                                  np.r_[np.zeros(len(a_train)), np.ones(len(b_train))])
    acc = judge.score(np.concatenate([flat(a_test), flat(b_test)]), np.r_[np.zeros(len(a_test)), np.ones(len(b_test))])
    return judge, float(acc)


@torch.no_grad()
def _cyclegan(runs: Path, name: str) -> dict:
    from tlgan.translate import load_translator, translate
    cfg = load_config(ROOT / f"configs/cyclegan_{name}.yaml")
    run, seconds = trained(cfg, runs / f"cyclegan_{name}")
    g, (_, r, _) = load_translator(run, "a2b")
    f, _ = load_translator(run, "b2a")
    domains = [(load_data(d, r, cfg.n_data).batch(slice(None)), load_data(d, r, split="test")
                .batch(slice(None))) for d in (cfg.data, cfg.data_b)]
    judge, acc = _domain_judge(domains[0][0], domains[1][0], domains[0][1], domains[1][1])
    a, b = domains[0][1], domains[1][1]
    ab, ba = translate(g, a), translate(f, b)
    return {"command": f"tlgan train cyclegan --config configs/cyclegan_{name}.yaml", "steps": cfg.steps,
            "seconds": seconds, "domains": [cfg.data, cfg.data_b], "test_images": [len(a), len(b)],
            "judge_accuracy": acc, "accepted_a2b": float(judge.predict(flat(ab)).mean()),
            "accepted_b2a": float(1 - judge.predict(flat(ba)).mean()),
            "cycle_a": float((translate(f, ab) - a).abs().mean()),
            "cycle_b": float((translate(g, ba) - b).abs().mean()),
            "grid": run}


def cyclegan_shapes(runs: Path) -> dict:
    return _cyclegan(runs, "shapes")


def cyclegan_fashion(runs: Path) -> dict:
    return _cyclegan(runs, "fashion")


@torch.no_grad()
def stargan_shapes(runs: Path) -> dict:
    from tlgan.translate import StarGAN
    cfg = load_config(ROOT / "configs/stargan_shapes.yaml")
    run, seconds = trained(cfg, runs / "stargan_shapes")
    real, test = load_data("shapes", n=2000), load_data("shapes", split="test", n=600)
    cols = [real.label_names.index(a) for a in cfg.attributes]
    judges = [LogisticRegression(max_iter=3000).fit(flat(real.batch(slice(None))), real.labels[:, c]) for c in cols]
    x, labels = test.batch(slice(None)), torch.from_numpy(test.labels[:, cols])
    model, out = StarGAN(run), {}
    for j, name in enumerate(cfg.attributes):
        target = labels.clone()
        target[:, j] = 1 - target[:, j]
        y = model.translate(x, target)
        out[name] = {"changed": float((judges[j].predict(flat(y)) == target[:, j].numpy()).mean()),
                     "other_kept": float((judges[1 - j].predict(flat(y)) == target[:, 1 - j].numpy()).mean()),
                     "l1_back": float((model.translate(y, labels) - x).abs().mean())}
    return {"command": "tlgan train stargan --config configs/stargan_shapes.yaml", "steps": cfg.steps,
            "seconds": seconds, "test_images": len(x), "attributes": out, "grid": run}


@torch.no_grad()
def pix2pix_faces(runs: Path) -> dict:
    from tlgan.translate import load_translator, translate
    cfg = load_config(ROOT / "configs/pix2pix_faces32.yaml")
    run, seconds = trained(cfg, runs / "pix2pix_faces32")
    net, (_, r, _) = load_translator(run, "a2b")
    x = load_data(cfg.data, r, 500, split="test").batch(slice(None))
    y = load_data(cfg.data_b, r, 500, split="test").batch(slice(None))
    l1 = lambda a: float((a - y).abs().mean())  # noqa: E731
    return {"command": "tlgan train pix2pix --config configs/pix2pix_faces32.yaml", "steps": cfg.steps,
            "seconds": seconds, "pairs": len(x), "l1_model": l1(translate(net.eval(), x)), "l1_copy": l1(x),
            "l1_mean_target": l1(y.mean(0, keepdim=True)), "grid": run}


def style_transfer(runs: Path) -> dict:
    from tlgan.data.images import save_grid
    from tlgan.neural_style import StyleLoss, feature_net, load_pair, transfer
    c, s = load_pair(ROOT / "docs/style_inputs/face.png", ROOT / "docs/style_inputs/texture.png", 128)
    out = {"command": "tlgan style-transfer --content docs/style_inputs/face.png --style "
                      "docs/style_inputs/texture.png --steps 200 --net NET", "steps": 200, "nets": {}}
    for net in ("random", "faces"):
        t0 = time.perf_counter()
        x, trace = transfer(StyleLoss(feature_net(net, c.shape[1]), c, s), 200, progress=False)
        grid = save_grid(torch.cat([c, s, x]), runs / f"style_transfer_{net}.png", nrow=3,
                         col_labels=["content", "style", f"result ({net})"])
        out["nets"][net] = {"style_ratio": trace[0]["style"] / max(trace[-1]["style"], 1e-12),
                            "content_loss": trace[-1]["content"], "seconds": time.perf_counter() - t0,
                            "grid": grid}
    return out


GROUPS = {"vae": vae, "stylegan": stylegan, "cyclegan_shapes": cyclegan_shapes, "cyclegan_fashion": cyclegan_fashion,
          "stargan_shapes": stargan_shapes, "pix2pix_faces": pix2pix_faces, "style_transfer": style_transfer}
PICTURES = {"vae": "vae_digits.png", "cyclegan_shapes": "cyclegan_shapes.png",
            "cyclegan_fashion": "cyclegan_fashion.png", "stargan_shapes": "stargan_shapes.png",
            "pix2pix_faces": "pix2pix_faces32.png"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--groups", default=",".join(GROUPS))
    ap.add_argument("--runs", type=Path, default=Path("runs/family"))
    ap.add_argument("--json", type=Path, default=ROOT / "docs/family_figures.json")
    ap.add_argument("--grids", action="store_true", help="copy each run's last sample grid to its picture in docs/")
    args = ap.parse_args()
    groups = args.groups.split(",")
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise SystemExit(f"unknown group(s) {unknown}; known: {', '.join(GROUPS)}")
    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    for name in groups:
        print(f"[{name}]", flush=True)
        r = GROUPS[name](args.runs)
        if args.grids and name in PICTURES:
            shutil.copyfile(last_grid(r["grid"]), ROOT / "docs" / PICTURES[name])
        if args.grids and name == "style_transfer":
            for net, v in r["nets"].items():
                shutil.copyfile(v["grid"], ROOT / "docs" / f"style_transfer_{net}.png")
        r = json.loads(json.dumps(r, default=str))  # paths as text
        r["cpu_threads"] = torch.get_num_threads()
        r["cpus"] = os.cpu_count()
        results[name] = r
        print(json.dumps(r, indent=1), flush=True)
        write_json(args.json, results)  # after each group: a crash keeps the others


if __name__ == "__main__":
    main()
