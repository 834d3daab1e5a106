"""The ``tlgan`` command line. User errors print one line (``error: ...``) and exit with status 2."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import typer

from .errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tlgan: controllable image generation with GANs (TL-GAN).")
data_app = typer.Typer(no_args_is_help=True, help="Render or inspect datasets.")
evaluate_app = typer.Typer(no_args_is_help=True, help="Measure generators and feature axes.")
features_app = typer.Typer(no_args_is_help=True, help="Train feature extractors (image -> attributes).")
axes_app = typer.Typer(no_args_is_help=True, help="Build (z, y) caches and fit feature axes.")
anomaly_app = typer.Typer(no_args_is_help=True, help="GAN anomaly detection: AnoGAN, EGBAD, GANomaly, f-AnoGAN.")
app.add_typer(data_app, name="data")
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(features_app, name="features")
app.add_typer(axes_app, name="axes")
app.add_typer(anomaly_app, name="anomaly")


@data_app.command("render")
def data_render(dataset: str = typer.Argument("faces", help="only 'faces' is rendered"),
                n: int = typer.Option(1000, "--n", help="number of images"),
                out: Path = typer.Option(..., "--out", help="output folder"),
                seed: int = typer.Option(0), resolution: int = typer.Option(64), start: int = typer.Option(0)):
    """Render procedural faces: PNGs, attributes.csv (CelebA-style columns) and contact_sheet.png."""
    from .data.faces import ATTRIBUTES, CONTINUOUS, RESOLUTIONS, render_faces
    from .data.images import make_grid, save_png
    if dataset != "faces":
        raise UserError(f"only the 'faces' dataset is rendered (got {dataset!r})")
    if resolution not in RESOLUTIONS or n < 1:
        raise UserError(f"--resolution must be one of {RESOLUTIONS} and --n >= 1")
    imgs, attrs = render_faces(n, seed, resolution, start)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"{start + i:06d}.png" for i in range(n)]
    arr = imgs.permute(0, 2, 3, 1).numpy()
    for name, a in zip(names, arr, strict=True):
        save_png(a, out / name)
    rows = ["filename," + ",".join(ATTRIBUTES)]
    for i, name in enumerate(names):
        rows.append(name + "," + ",".join(f"{attrs[k][i]:.4g}" if k in CONTINUOUS
                                          else str(int(attrs[k][i])) for k in ATTRIBUTES))
    (out / "attributes.csv").write_text("\n".join(rows) + "\n")
    save_png(make_grid(imgs[:64]), out / "contact_sheet.png", min_size=512)
    typer.echo(f"wrote {n} faces, attributes.csv and contact_sheet.png to {out}")


@app.command()
def train(model: str = typer.Argument(..., help="gan | dcgan | wgan | wgan-gp | vae | stylegan | cyclegan | "
                                                 "stargan"),
          data: str | None = typer.Option(None, help="faces | fashion | digits | shapes | ring8 | folder:PATH, "
                                                     "optionally filtered: fashion#Sneaker, faces#Blond_Hair=0"),
          data_b: str | None = typer.Option(None, help="cyclegan: the second domain"),
          attributes: str | None = typer.Option(None, help="stargan: comma-separated binary labels to condition "
                                                           "on (default Black_Hair,Blond_Hair,Brown_Hair,Male,Young)"),
          resolution: int | None = typer.Option(None), steps: int | None = typer.Option(None),
          batch_size: int | None = typer.Option(None), out: Path = typer.Option(Path("runs/latest")),
          config: Path | None = typer.Option(None, help="YAML file overriding defaults"),
          resume: bool = typer.Option(False, help="continue the run in --out"),
          seed: int | None = typer.Option(None)):
    """Train a GAN through the one training loop; writes a run directory."""
    from .config import load_config
    from .train import train as run_train
    cfg = load_config(config, model=model, data=data, data_b=data_b, resolution=resolution, steps=steps,
                      batch_size=batch_size, seed=seed,
                      attributes=[a.strip() for a in attributes.split(",")] if attributes else None)
    run_train(cfg, out, resume=resume)


@app.command()
def sample(run: str = typer.Argument(..., help="run directory, TorchScript file or module:function"),
           n: int = typer.Option(64, "--n"), seed: int = typer.Option(0),
           out: Path | None = typer.Option(None, help="grid PNG"),
           out_dir: Path | None = typer.Option(None, help="one PNG per sample"),
           save_latents: Path | None = typer.Option(None, help="write the latents as .npy")):
    """Sample images from a generator: a grid, single PNGs and/or the latents."""
    import numpy as np

    from .data.images import save_grid, save_png, to_uint8
    from .io import load_generator
    if n < 1:
        raise UserError("--n must be >= 1")
    g = load_generator(run)
    z, x = g.sample(n, seed)
    if out is None and out_dir is None:
        out = Path("samples.png")
    if out is not None:
        save_grid(x, out, g.value_range)
        typer.echo(f"wrote a grid of {n} samples to {out}")
    if out_dir is not None:
        for i, a in enumerate(to_uint8(x, g.value_range).permute(0, 2, 3, 1).numpy()):
            save_png(a if a.shape[2] == 3 else a[:, :, 0], out_dir / f"sample_{seed}_{i:05d}.png")
        typer.echo(f"wrote {n} PNGs to {out_dir}")
    if save_latents is not None:
        np.save(save_latents, z.numpy())
        typer.echo(f"wrote latents {tuple(z.shape)} to {save_latents}")


@app.command()
def export(run: Path = typer.Argument(...), out: Path = typer.Option(..., "--out"),
           fp16: bool = typer.Option(True, help="store weights as float16 (half the size)")):
    """Export a run's generator (best if kept, else last) as a small self-contained directory."""
    from .io import export_generator
    typer.echo(f"exported the generator to {export_generator(run, out, half=fp16)}")


@evaluate_app.command("fd")
def evaluate_fd(run: str = typer.Argument(...), data: str = typer.Option(..., help="dataset the generator models"),
                n: int = typer.Option(2000, "--n"), seed: int = typer.Option(0),
                features: Path | None = typer.Option(None, help="extractor directory used as the feature network "
                                                        "(default: a classifier trained on --data, cached)")):
    """FD-<dataset> of a generator beside the floor (FD between two real splits)."""
    from .data import load_data
    from .io import load_generator
    from .metrics import FrechetScorer
    g = load_generator(run)
    net = None
    if features is not None:
        from .features import load_extractor
        net = load_extractor(features)
    res = net.resolution if net is not None else g.resolution
    train_data = load_data(data, res, None if data != "faces" else 10_000)
    scorer = FrechetScorer.for_dataset(data, train_data, n=n, feature_net=net)
    _, x = g.sample(n, seed)
    from .data.images import resize
    x = resize(g.to_unit(x) * 2 - 1, res)
    typer.echo(f"{scorer.name}: {scorer.score(x):.3f}   floor (real vs real): {scorer.floor(train_data, n):.3f}"
               f"   ({n} samples, feature network: {features or 'default classifier'})")


def _models(generator: str | None, axes_path: Path | None, features: Path | None = None):
    """(generator, axes, extractor-or-None): the given ones, or the shipped faces model when none is given."""
    from .io import load_generator
    from .latent.axes import Axes
    if (generator is None) != (axes_path is None):
        raise UserError("pass both --generator and --axes, or neither (to use the shipped faces model)")
    if generator is None:
        from .pretrained import default_paths
        p = default_paths()
        generator, axes_path, features = str(p["generator"]), p["axes"], features or p["extractor"]
    g = load_generator(generator)
    axes = Axes.load(axes_path)
    axes.check_latent(g.z_dim, g.content_hash)
    extractor = None
    if features is not None:
        from .features import load_extractor
        extractor = load_extractor(features)
    return g, axes, extractor


@features_app.command("train")
def features_train(data: str = typer.Option("faces", help="faces | fashion | digits | folder:PATH"),
                   out: Path = typer.Option(..., "--out"), steps: int = typer.Option(2000),
                   n: int | None = typer.Option(None, "--n", help="training images (faces default 20000)"),
                   resolution: int | None = typer.Option(None), seed: int = typer.Option(0),
                   data_seed: int = typer.Option(0, help="faces renderer seed: another seed = another split"),
                   batch_size: int = typer.Option(128)):
    """Train a CNN extractor (binary logits + regression heads); print and save held-out AUC/accuracy/R²."""
    from .data import load_data
    from .features import evaluate_extractor, save_extractor, train_extractor
    if data == "faces" and n is None:
        n = 20_000
    train_data = load_data(data, resolution, n, seed=data_seed)
    test = load_data(data, train_data.shape[-1], 2000 if data == "faces" else None, split="test", seed=data_seed)
    model = train_extractor(train_data, steps=steps, batch_size=batch_size, seed=seed)
    metrics = evaluate_extractor(model, test)
    save_extractor(model, out, metrics, {"data": data, "n": len(train_data), "steps": steps, "seed": seed,
                                         "data_seed": data_seed})
    for name, m in metrics.items():
        typer.echo(f"{name:22s} " + "  ".join(f"{k}={v:.3f}" for k, v in m.items()))
    typer.echo(f"wrote the extractor to {out}")


@axes_app.command("sample")
def axes_sample(generator: str = typer.Option(...), features: Path = typer.Option(...),
                n: int = typer.Option(20_000, "--n"), out: Path = typer.Option(..., "--out"),
                seed: int = typer.Option(0), batch: int = typer.Option(256)):
    """Sample latents, render, label: the (z, y) cache (memory-mapped, resumable after a kill)."""
    from .features import load_extractor
    from .io import load_generator
    from .latent.cache import build_cache
    cache = build_cache(load_generator(generator), load_extractor(features), n, out, seed, batch)
    typer.echo(f"cache of {len(cache.z)} (z, y) pairs in {out}")


@axes_app.command("fit")
def axes_fit(cache: Path = typer.Argument(...), method: str = typer.Option("glm", help="glm | svm"),
             out: Path = typer.Option(..., "--out"),
             disentangle_from: list[str] = typer.Option([], "--disentangle-from",
                                                        help="also save a heat map of axes projected off these"),
             layers: str | None = typer.Option(None, help="W+ caches: act on style layers A-B only (0 = coarsest)")):
    """Fit one unit axis per label; print held-out quality; save axes + cosine heat map."""
    from .latent.axes import fit_glm, fit_svm
    from .latent.cache import open_cache
    from .latent.disentangle import cosine_heatmaps, disentangle
    if method not in ("glm", "svm"):
        raise UserError(f"--method must be glm or svm, got {method!r}")
    c = open_cache(cache)
    fit = fit_glm if method == "glm" else fit_svm
    axes = fit(c.z, c.y, c.label_names, c.binary)
    axes.generator_hash, axes.space = c.meta["generator_hash"], c.meta.get("space", "z")
    if layers is not None:
        from .latent.axes import restrict_layers
        if axes.space != "w+":
            raise UserError(f"--layers needs a cache sampled in W+ (generator RUN@w+), this one is in {axes.space}")
        try:
            first, last = (int(v) for v in layers.split("-"))
        except ValueError:
            raise UserError(f"--layers must look like 0-3, got {layers!r}") from None
        axes = restrict_layers(axes, c.meta["n_ws"], (first, last))
    axes.save(out)
    for name in axes.names:
        typer.echo(f"{name:22s} " + "  ".join(f"{k}={v:.3f}" for k, v in axes.quality[name].items()))
    refs = disentangle_from or (["Male"] if "Male" in axes.names else [])
    if refs:
        cosine_heatmaps(axes, disentangle(axes, refs), out / "cosine.png")
    typer.echo(f"wrote {len(axes.names)} {method} axes to {out}")


@axes_app.command("export")
def axes_export(axes_path: Path = typer.Option(..., "--axes"), name: str = typer.Option(...),
                out: Path = typer.Option(..., "--out")):
    """Write one axis as an InterFaceGAN boundary .npy (1, d)."""
    from .latent.axes import Axes, export_boundary
    typer.echo(f"wrote {export_boundary(Axes.load(axes_path), name, out)}")


@axes_app.command("import")
def axes_import(boundary: Path = typer.Argument(...), axes_path: Path = typer.Option(..., "--axes"),
                name: str = typer.Option(...), binary: bool = typer.Option(True)):
    """Add an InterFaceGAN boundary .npy (1, d) to an axes directory under ``--name``."""
    import numpy as np

    from .latent.axes import Axes, import_boundary
    axes = Axes.load(axes_path)
    u = import_boundary(boundary, axes.dim)
    if name in axes.names:
        raise UserError(f"axis {name!r} already exists in {axes_path}")
    axes.names.append(name)
    axes.binary.append(binary)
    axes.vectors = np.vstack([axes.vectors, u[None]])
    axes.slopes = np.append(axes.slopes, 1.0).astype(np.float32)
    axes.intercepts = np.append(axes.intercepts, 0.0).astype(np.float32)
    axes.quality[name] = {"imported": str(boundary)}
    axes.save(axes_path)
    typer.echo(f"added axis {name} to {axes_path}")


@app.command()
def edit(generator: str | None = typer.Option(None), axes: Path | None = typer.Option(None),
         seed: int = typer.Option(0), n: int = typer.Option(1, "--n", help="rows: seeds seed..seed+n-1"),
         set_: list[str] = typer.Option([], "--set", help="AXIS=λ (repeatable)"),
         lock: list[str] = typer.Option([], "--lock", help="axes the edits must not move (repeatable)"),
         sweep: str | None = typer.Option(None, help="AXIS=START:STOP:COUNT, one column per λ"),
         keep_norm: bool = typer.Option(False, help="rescale edited latents to the prior's radius √d"),
         out: Path = typer.Option(Path("edit.png"), "--out")):
    """Edit generated faces along feature axes: original | edited, or a sweep grid."""
    import torch

    from .data.images import save_grid
    from .latent.edit import edit_latents, parse_assignments, parse_sweep
    g, ax, _ = _models(generator, axes)
    edits = parse_assignments(set_)
    for name in lock:
        ax.index(name)
    if not 1 <= n <= 64:
        raise UserError("--n must be between 1 and 64")
    z0 = torch.cat([g.latents(1, seed + i) for i in range(n)])
    if sweep:
        name, lams = parse_sweep(sweep)
        cols = [edit_latents(z0, ax, {**edits, name: float(lam)}, lock, keep_norm) for lam in lams]
    elif edits:
        cols = [z0, edit_latents(z0, ax, edits, lock, keep_norm)]
    else:
        raise UserError("give --set AXIS=λ and/or --sweep AXIS=START:STOP:COUNT")
    with torch.no_grad():
        x = torch.stack([g(c) for c in cols], 1).flatten(0, 1)
    save_grid(x, out, g.value_range, nrow=len(cols))
    typer.echo(f"wrote {out}")


@app.command()
def generate(want: str = typer.Option(..., help='e.g. "Smiling=1,Eyeglasses=1" (binary 0/1, continuous values)'),
             n: int = typer.Option(100, "--n"), out: Path = typer.Option(..., "--out"),
             seed: int = typer.Option(0), generator: str | None = typer.Option(None),
             axes: Path | None = typer.Option(None), features: Path | None = typer.Option(None)):
    """Write images whose predicted attributes meet the request (data augmentation); print the achieved rate."""
    import json

    from .data.images import save_grid, save_png, to_uint8
    from .latent.edit import generate_wanted, parse_assignments
    g, ax, extractor = _models(generator, axes, features)
    if extractor is None:
        raise UserError("generate needs --features (the extractor that checks the attributes)")
    if n < 1:
        raise UserError("--n must be >= 1")
    wanted = parse_assignments([want], "--want")
    _z, x, stats = generate_wanted(g, extractor, ax, wanted, n, seed)
    out.mkdir(parents=True, exist_ok=True)
    for i, a in enumerate(to_uint8(x, g.value_range).permute(0, 2, 3, 1).numpy()):
        save_png(a, out / f"{i:05d}.png")
    if len(x):
        save_grid(x[:64], out / "contact_sheet.png", g.value_range)
    (out / "request.json").write_text(json.dumps({"want": wanted, "seed": seed, **stats}, indent=2))
    typer.echo(f"wrote {len(x)} images to {out}; {stats['accepted']}/{stats['tried']} edited samples met the "
               f"request ({stats['rate']:.1%}) vs {stats['base_rate']:.1%} of unedited samples")


@evaluate_app.command("axes")
def evaluate_axes_cmd(generator: str | None = typer.Option(None), axes: Path | None = typer.Option(None),
                      judge: Path | None = typer.Option(None, help="independent extractor (default: shipped)"),
                      references: list[str] = typer.Option(["Male"], "--reference"),
                      n: int = typer.Option(256, "--n"), seed: int = typer.Option(0),
                      json_out: Path = typer.Option(Path("axes_eval.json"), "--json"),
                      report: Path | None = typer.Option(None, help="markdown report (default beside --json)")):
    """Controllability, flip rate and leakage of every axis, raw and disentangled, by an independent judge."""
    import json

    from .features import load_extractor
    from .latent.evaluate import evaluate_axes, write_report
    g, ax, _ = _models(generator, axes)
    if judge is None:
        from .pretrained import default_paths
        judge = default_paths()["judge"]
    result = evaluate_axes(g, load_extractor(judge), ax, references, n, seed)
    json_out.write_text(json.dumps(result, indent=2))
    report = report or json_out.with_suffix(".md")
    write_report(result, report, report.with_suffix(".png"))
    for name, r in result["raw"].items():
        d = result["disentangled"].get(name)
        extra = "".join(f"  leak->{ref} {r['leakage_ratio'][ref]:.2f}"
                        + (f"/{d['leakage_ratio'][ref]:.2f}" if d else "")
                        for ref in result["references"] if ref in r["leakage_ratio"])
        typer.echo(f"{name:22s} ctrl {r['controllability']:+.3f}  flip {r['flip_rate']:.2f}" +
                   (f"  (dis. ctrl {d['controllability']:+.3f} flip {d['flip_rate']:.2f})" if d else "") + extra)
    typer.echo(f"wrote {json_out} and {report}")


@app.command("translate")
def translate_cmd(run: Path = typer.Argument(..., help="a run of `tlgan train cyclegan` or `tlgan train stargan`"),
                  input: Path = typer.Option(..., "--input", help="an image or a folder of images (the run's size)"),
                  direction: str = typer.Option("a2b", help="CycleGAN: a2b | b2a"),
                  set_: list[str] = typer.Option([], "--set", help="StarGAN: NAME=VALUE, repeatable "
                                                                    "(e.g. --set Blond_Hair=1 --set Young=0)"),
                  out: Path = typer.Option(Path("translated"), help="output folder")):
    """Translate images with a CycleGAN (--direction) or StarGAN (--set) run: one PNG each plus a before/after grid.

    StarGAN keeps every attribute not named in --set as its critic reads it off the input image.
    """
    import torch

    from .data.images import read_images, save_grid, save_png, to_uint8
    from .translate import StarGAN, load_translator, parse_settings, run_arch, translate
    if run_arch(run) == "stargan":
        if not set_:
            raise UserError("a StarGAN run translates to target attributes: give --set NAME=VALUE")
        settings = parse_settings(set_)
        model = StarGAN(run)
        names, x = read_images(input, model.shape)
        y = model.translate(x, model.targets(x, settings))
        tag = "_".join(f"{k}={v:g}" for k, v in settings.items())
    else:
        if set_:
            raise UserError("--set applies to StarGAN runs; a CycleGAN run translates by --direction a2b|b2a")
        net, shape = load_translator(run, direction)
        names, x = read_images(input, shape)
        y, tag = translate(net, x), direction
    for name, img in zip(names, to_uint8(y).permute(0, 2, 3, 1).numpy(), strict=True):
        save_png(img if img.shape[2] == 3 else img[:, :, 0], out / (Path(name).stem + f"_{tag}.png"))
    save_grid(torch.stack([x, y], 1).flatten(0, 1), out / "grid.png", nrow=2)  # each input beside its output
    typer.echo(f"translated {len(names)} image(s) ({tag}); wrote them and grid.png to {out}")


def _anomaly_config(config: Path | None, **overrides):
    """AnomalyConfig from code defaults <- YAML file <- the command line's non-None options."""
    from .anomaly.detector import anomaly_config
    from .config import merged_values
    return anomaly_config(**merged_values(config, overrides))


@anomaly_app.command("train")
def anomaly_train(method: str = typer.Argument(..., help="anogan | egbad | ganomaly | fanogan"),
                  data: str = typer.Option("fashion", help="fashion | digits | folder:PATH (normal images only)"),
                  normal_class: int | None = typer.Option(None, help="the normal class (fashion/digits)"),
                  steps: int | None = typer.Option(None, help="adversarial updates (default 3000)"),
                  encoder_steps: int | None = typer.Option(None, help="f-AnoGAN encoder updates (default 2000)"),
                  resolution: int | None = typer.Option(None), seed: int | None = typer.Option(None),
                  config: Path | None = typer.Option(None, help="YAML file overriding AnomalyConfig defaults"),
                  out: Path = typer.Option(..., "--out"), resume: bool = typer.Option(False)):
    """Train a detector on normal images, then calibrate its threshold on held-out normal training images."""
    from .anomaly.detector import train_detector
    acfg = _anomaly_config(config, method=method, data=data, normal_class=normal_class, steps=steps,
                           encoder_steps=encoder_steps, resolution=resolution, seed=seed)
    train_detector(acfg, out, resume=resume)


@anomaly_app.command("score")
def anomaly_score(run: Path = typer.Argument(..., help="a run of `tlgan anomaly train`"),
                  input: Path = typer.Option(..., "--input", help="folder of images (the detector's size)"),
                  out: Path = typer.Option(Path("anomaly_scores"), help="scores.csv and heatmaps/ go here"),
                  method: str | None = typer.Option(None, help="fail unless the run is this method")):
    """Score images: per-image score, z-score vs held-out normals, flag above the threshold, residual heat maps."""
    from .anomaly.detector import Detector
    from .anomaly.files import write_scores
    from .data.images import read_images
    det = Detector(run, method)
    if out.resolve().is_relative_to(run.resolve()):
        raise UserError("--out must not lie inside the detector's run directory (scoring never modifies a run)")
    names, x = read_images(input, det.shape)
    result = det.score(x, progress=True)
    write_scores(out, names, result, x)
    c = det.calibration
    typer.echo(f"{det.protocol}\n{det.method}: {int(result['flag'].sum())} of {len(names)} images above the "
               f"threshold {c['threshold']:.4g} (the {c['quantile']:.0%} quantile of held-out normal scores); "
               f"wrote {out / 'scores.csv'} and {out / 'heatmaps'}/")


@anomaly_app.command("bench")
def anomaly_bench(data: str = typer.Option("fashion", help="fashion | digits"),
                  methods: str = typer.Option("ganomaly,fanogan,egbad,anogan", help="comma-separated"),
                  classes: str = typer.Option("0-9", help="e.g. 0-9 or 0,3,7"),
                  steps: int | None = typer.Option(None, help="adversarial updates per detector"),
                  encoder_steps: int | None = typer.Option(None), search_steps: int | None = typer.Option(None),
                  test_n: int | None = typer.Option(None, help="test images (default: the whole test set)"),
                  anogan_test_n: int = typer.Option(1000, help="AnoGAN scores at most this many test images"),
                  config: Path | None = typer.Option(None, help="YAML file overriding AnomalyConfig defaults"),
                  out: Path = typer.Option(Path("runs/anomaly-bench"))):
    """One-class benchmark: each class in turn normal; per-class and mean AUROC, AP, F1 and images/s."""
    from .anomaly.bench import run_bench
    try:
        ks = [int(k) for part in classes.split(",") for k in
              (range(int(part.split("-")[0]), int(part.split("-")[1]) + 1) if "-" in part else [part])]
    except ValueError:
        raise UserError(f"--classes must look like 0-9 or 0,3,7 (got {classes!r})") from None
    base = _anomaly_config(config, data=data, normal_class=ks[0] if ks else None, steps=steps,
                           encoder_steps=encoder_steps, search_steps=search_steps)
    res = run_bench(base, [m.strip() for m in methods.split(",") if m.strip()], ks, out, test_n, anogan_test_n)
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wrote {out / 'results.json'} ({len(res['runs'])} classes)")


def _serve(app, host: str, port: int, open_browser: bool) -> None:
    import threading
    import webbrowser

    import uvicorn
    url = f"http://{host}:{port}"
    typer.echo(f"tlgan editor running at {url}  (Ctrl+C to stop)")
    if open_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


@app.command()
def demo(port: int = typer.Option(8000), open_browser: bool = typer.Option(False, "--open", help="open a browser")):
    """Start the web editor on the shipped faces model at http://127.0.0.1:PORT (offline)."""
    from .serve.app import load_app
    _serve(load_app(), "127.0.0.1", port, open_browser)


@app.command()
def serve(generator: str | None = typer.Option(None), axes: Path | None = typer.Option(None),
          features: Path | None = typer.Option(None, help="extractor for the attribute read-out"),
          host: str = typer.Option("127.0.0.1", help="bind address (127.0.0.1: this machine only)"),
          port: int = typer.Option(8000), open_browser: bool = typer.Option(False, "--open")):
    """Serve the web editor for any generator + axes (default: the shipped faces model)."""
    from .serve.app import load_app
    _serve(load_app(generator, axes, features), host, port, open_browser)


def main() -> None:
    """Console entry point: run the app, turning UserError into a one-line message and exit status 2."""
    try:
        app(standalone_mode=False)
    except UserError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as e:
        sys.exit(getattr(e, "exit_code", getattr(e, "code", 0)))
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
