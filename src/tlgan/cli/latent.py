"""TL-GAN commands: ``features train``, ``axes sample|fit|export|import``, ``edit``, ``generate``, ``evaluate axes``."""
from __future__ import annotations

from pathlib import Path

import typer

from ..config import MAX_SEED
from ..errors import UserError
from ..io import ensure_dir, write_json
from ..latent.directions import METHODS, UNSUPERVISED, fit_ganspace, fit_sefa
from ..latent.edit import MAX_WALK, WANT_CONFIDENCE
from ..pretrained import resolve_models
from .app import AXES, DEVICE, GENERATOR, SEED, app, evaluate_app, seed_option

MAX_GENERATE_BYTES = 2 ** 31  # images `tlgan generate` keeps in memory before writing them
features_app = typer.Typer(no_args_is_help=True, help="Train feature extractors (image -> attributes).")
axes_app = typer.Typer(no_args_is_help=True, help="Build (z, y) caches and fit feature axes.")
app.add_typer(features_app, name="features")
app.add_typer(axes_app, name="axes")


@features_app.command("train")
def features_train(data: str = typer.Option("faces", help="faces | fashion | digits | folder:PATH"),
                   out: Path = typer.Option(..., "--out", help="directory to write the extractor to"),
                   steps: int = typer.Option(2000, help="optimiser updates"),
                   n: int | None = typer.Option(None, "--n", help="training images (faces default 20000)"),
                   resolution: int | None = typer.Option(None, help="image size (default: the dataset's own)"),
                   seed: int = seed_option("seed of the initial weights and batches"),
                   data_seed: int = seed_option("faces renderer seed: another seed = another split"),
                   batch_size: int = typer.Option(128, help="images per update"),
                   arch: str = typer.Option("classifier", help="classifier (a CNN) | mlp (a pixel MLP: a second "
                                                                "judge of another architecture)"),
                   width: int | None = typer.Option(None, help="CNN: first-layer channels (32); MLP: hidden units "
                                                               "(256)"),
                   device: str = DEVICE):
    """Train an extractor (binary logits + regression heads); print and save held-out AUC/accuracy/R²."""
    from ..data import load_data
    from ..extractors import evaluate_extractor, save_extractor, train_extractor
    if (n is not None and n < 1) or batch_size < 2 or steps < 1:
        raise UserError("--n must be >= 1, --batch-size >= 2 and --steps >= 1")
    if data == "faces" and n is None:
        n = 20_000
    from ..device import resolve
    device = resolve(device)  # before the data: a machine without the GPU asked for says so at once
    train_data = load_data(data, resolution, n, seed=data_seed)
    test = load_data(data, train_data.shape[-1], 2000 if data == "faces" else None, split="test", seed=data_seed)
    model = train_extractor(train_data, steps=steps, batch_size=batch_size, seed=seed, arch=arch,
                            width=width or (256 if arch == "mlp" else 32), device=device)
    metrics = evaluate_extractor(model, test)
    save_extractor(model, out, metrics, {"data": data, "n": len(train_data), "steps": steps, "seed": seed,
                                         "data_seed": data_seed})
    for name, m in metrics.items():
        typer.echo(f"{name:22s} " + "  ".join(f"{k}={v:.3f}" for k, v in m.items()))
    typer.echo(f"wrote the extractor to {out}")


@axes_app.command("sample")
def axes_sample(generator: str = typer.Option(..., help="run directory, export or NVIDIA .pkl (RUN@w, RUN@w+: "
                                                "its W / W+ space); with --trust-code also .pt2 / .pt"),
                features: Path = typer.Option(..., help="extractor that labels the samples (directory, or .pt2 "
                                                        "with --trust-code)"),
                n: int = typer.Option(20_000, "--n", "--rows", help="rows to sample (--rows under torchrun, "
                                      "whose own options --n would abbreviate)"),
                out: Path = typer.Option(..., "--out", help="cache directory (an unfinished one is resumed)"),
                seed: int = seed_option("seed of the latents (a resumed cache draws the same ones)"),
                batch: int = typer.Option(256, help="latents rendered and labelled at once"), device: str = DEVICE):
    """Sample latents, render, label: the (z, y) cache (memory-mapped, resumable after a kill; under torchrun
    the processes share the batches)."""
    import time

    from .. import distributed
    from ..extractors import load_extractor
    from ..generator import load_generator
    from ..latent.cache import build_cache
    t0 = time.perf_counter()
    from ..device import to_device
    g, ext = load_generator(generator), load_extractor(features)
    to_device(device, g, ext)
    cache = build_cache(g, ext, n, out, seed, batch)
    if distributed.is_main():
        typer.echo(f"cache of {len(cache.z)} (z, y) pairs in {out} ({time.perf_counter() - t0:.1f} s on "
                   f"{distributed.world()} process{'es' if distributed.world() > 1 else ''})")


@axes_app.command("fit")
def axes_fit(cache: Path = typer.Argument(..., help="(z, y) cache directory from `tlgan axes sample`"),
             method: str = typer.Option("glm", help=" | ".join(METHODS)),
             out: Path = typer.Option(..., "--out", help="axes directory to write"),
             disentangle_from: list[str] = typer.Option([], "--disentangle-from",
                                                        help="also save a heat map of axes projected off these"),
             layers: str | None = typer.Option(None, help="W+ caches: act on style layers A-B only (0 = coarsest)")):
    """Fit one unit axis per label; print held-out quality; save axes + cosine heat map."""
    from ..latent.cache import open_cache
    from ..latent.disentangle import cosine_heatmaps, disentangle
    if method not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    c = open_cache(cache)
    axes = METHODS[method](c.z, c.y, c.label_names, c.binary)
    axes.generator_hash, axes.space = c.meta["generator_hash"], c.meta.get("space", "z")
    if layers is not None:
        from ..latent.axes import restrict_layers
        if axes.space != "w+":
            raise UserError(f"--layers needs a cache sampled in W+ (generator RUN@w+), this one is in {axes.space}")
        axes = restrict_layers(axes, c.meta["n_ws"], _layer_range(layers))
    axes.save(out)
    flat = [n for n in c.label_names if n not in axes.names]
    if flat:
        typer.echo(f"no axis for {', '.join(flat)}: never varies over these samples", err=True)
    for name in axes.names:
        typer.echo(f"{name:22s} " + "  ".join(f"{k}={v:.3f}" for k, v in axes.quality[name].items()))
    refs = disentangle_from or (["Male"] if "Male" in axes.names else [])
    if refs:
        cosine_heatmaps(axes, disentangle(axes, refs), out / "cosine.png")
    typer.echo(f"wrote {len(axes.names)} {method} axes to {out}")


def _layer_range(layers: str | None) -> tuple[int, int] | None:
    if layers is None:
        return None
    try:
        first, last = (int(v) for v in layers.split("-"))
    except ValueError:
        raise UserError(f"--layers must look like 0-3, got {layers!r}") from None
    return first, last


@axes_app.command("find")
def axes_find(generator: str | None = typer.Option(None, help="run dir / file (RUN@w for W); default: shipped"),
              method: str = typer.Option("sefa", help=" | ".join(UNSUPERVISED)),
              k: int = typer.Option(20, "--k", help="number of directions"),
              n: int = typer.Option(10_000, "--n", help="ganspace: prior samples for the PCA"),
              layer: str | None = typer.Option(None, help="ganspace, Z-space: module whose activations to PCA "
                                                          "(default: the first latent-facing linear layer)"),
              layers: str | None = typer.Option(None, help="W / W+: style layers A-B (0 = coarsest)"),
              features: Path | None = typer.Option(None, help="extractor that labels the directions "
                                                              "(default: the shipped model's when --generator "
                                                              "is not given)"),
              model: str = typer.Option("faces", help="shipped model when --generator is not given"),
              out: Path = typer.Option(..., "--out", help="directory to write the directions to (as axes)"),
              seed: int = SEED, device: str = DEVICE):
    """Unsupervised directions (GANSpace PCA or SeFa), named PC0…/SeFa0… and labelled by what they move."""
    from ..device import resolve, to_device
    from ..latent.directions import annotate
    if method not in UNSUPERVISED:
        raise UserError(f"--method must be one of {', '.join(UNSUPERVISED)}, got {method!r}")
    dev = resolve(device)  # a missing GPU is refused before anything is loaded
    m = resolve_models(generator, None, features, need_axes=False, model=model)
    rng = _layer_range(layers)
    if method == "sefa":
        if layer is not None:
            raise UserError("--layer is a GANSpace option; SeFa reads the first latent-facing weight")
        axes = fit_sefa(m.generator, k, rng)
    else:
        axes = fit_ganspace(m.generator, k, n, layer, seed, layers=rng)
    if m.extractor is not None:  # the directions are fitted on the CPU; labelling them renders thousands of images
        to_device(str(dev), m.generator, m.extractor)
        annotate(m.generator, m.extractor, axes, seed=seed)
    axes.save(out)
    for name in axes.names:
        q = axes.quality[name]
        typer.echo(f"{name:8s} σ={q['sigma']:.2f}  var={q['variance_ratio']:.3f}  {q.get('label', '')}")
    typer.echo(f"wrote {len(axes.names)} {method} directions to {out}")


@axes_app.command("match")
def axes_match(directions: Path = typer.Argument(..., help="axes directory of unsupervised directions"),
               axes: Path = typer.Option(..., "--axes", help="supervised axes to pair them with"),
               generator: str | None = typer.Option(None, help="default: the shipped model's"),
               n: int = typer.Option(4096, "--n", help="prior latents the correlations are measured on"),
               seed: int = SEED,
               json_out: Path | None = typer.Option(None, "--json", help="also write the pairs here")):
    """Pair directions with supervised axes: Hungarian assignment on |corr| of the latents' coordinates."""
    from ..generator import load_generator
    from ..latent.axes import Axes
    from ..latent.direction_metrics import correlations, match
    from ..pretrained import default_paths
    d, a = Axes.load(directions), Axes.load(axes)
    g = load_generator(generator or default_paths()["generator"])
    for ax in (d, a):
        ax.check_latent(g.z_dim, g.content_hash)
    z = g.latents(n, seed).numpy()
    corr = correlations(z @ d.vectors.T, z @ a.vectors.T)
    pairs = [{"axis": a.names[j], "direction": d.names[k], "corr": c,
              "label": d.quality.get(d.names[k], {}).get("label", "")} for j, k, c in match(corr)]
    for p in pairs:
        typer.echo(f"{p['axis']:22s} <-> {p['direction']:8s} corr {p['corr']:+.2f}  {p['label']}")
    if json_out is not None:
        write_json(json_out, pairs)


@axes_app.command("export")
def axes_export(axes_path: Path | None = AXES,
                name: str = typer.Option(..., help="the axis to export"),
                out: Path = typer.Option(..., "--out", help="the .npy file to write (1 × d)")):
    """Write one axis as an InterFaceGAN boundary .npy (1, d)."""
    from ..latent.axes import Axes, export_boundary
    from ..pretrained import default_paths
    axes = Axes.load(axes_path or default_paths()["axes"])
    typer.echo(f"wrote {export_boundary(axes, name, out)}")


@axes_app.command("import")
def axes_import(boundary: Path = typer.Argument(..., help="InterFaceGAN boundary .npy (1 × d)"),
                axes_path: Path = typer.Option(..., "--axes", help="axes directory to add it to"),
                name: str = typer.Option(..., help="the new axis's name"),
                binary: bool = typer.Option(True, help="a yes/no attribute (--no-binary: a continuous one)")):
    """Add an InterFaceGAN boundary .npy (1, d) to an axes directory under ``--name``."""
    from ..latent.axes import Axes, import_boundary
    axes = Axes.load(axes_path)
    axes.add(name, import_boundary(boundary, axes.dim), binary, {"imported": str(boundary)})
    axes.save(axes_path)
    typer.echo(f"added axis {name} to {axes_path}")


@app.command()
def edit(generator: str | None = GENERATOR, axes: Path | None = AXES,
         seed: int = seed_option("the face: the latent of this seed (as in the editor)"),
         n: int = typer.Option(1, "--n", help="rows: seeds seed..seed+n-1"),
         set_: list[str] = typer.Option([], "--set", help="AXIS=λ (repeatable)"),
         lock: list[str] = typer.Option([], "--lock", help="axes the edits must not move, e.g. Male,Young "
                                                           "(repeatable)"),
         sweep: str | None = typer.Option(None, help="AXIS=START:STOP:COUNT, one column per λ"),
         want: str | None = typer.Option(None, help='edit each face just enough, e.g. "Smiling=1": walk along the '
                                                    "axes until the extractor reads it (instead of --set/--sweep)"),
         confidence: float = typer.Option(WANT_CONFIDENCE, min=0.5, max=0.999, help="--want: the extractor's "
                                          "probability a yes/no attribute must reach"),
         max_lambda: float = typer.Option(MAX_WALK, min=0.25, max=10.0, help="--want: the farthest walk along an "
                                                                             "axis"),
         keep_norm: bool = typer.Option(False, help="rescale edited latents to the prior's radius √d"),
         image: Path | None = typer.Option(None, help="edit this real image (or folder of images): inverted "
                                                     "first, shown as input | reconstruction | edits"),
         latent: Path | None = typer.Option(None, help="edit this latent (.npy from `tlgan invert`)"),
         method: str = typer.Option("hybrid", help="--image: inversion method, opt | encoder | hybrid"),
         encoder: Path | None = typer.Option(None, help="--image: encoder run (default: the shipped model's)"),
         model: str = typer.Option("faces", help="shipped model used without --generator: faces | fashion"),
         save_latents: Path | None = typer.Option(None, help="also write the edited latents (the last column) as "
                                                            ".npy, one row per face"),
         out: Path = typer.Option(Path("edit.png"), "--out", help="the PNG to write; with --sweep, a .gif or "
                                                                  ".webp file is an animation of the sweep (forth "
                                                                  "and back, 2 s each way)")):
    """Edit generated faces, a real image or a saved latent along feature axes: original | edited, or a sweep.
    --want edits each face just as far as the extractor needs to read the request, and prints how far that was."""
    import torch

    from ..data.images import ANIMATIONS, save_grid
    from ..latent.edit import edit_latents, parse_assignments, parse_sweep, walk_until_seen
    edits, lock = parse_assignments(set_), name_list(lock)
    wanted = parse_assignments([want], "--want") if want is not None else {}
    if want is not None and (edits or sweep):
        raise UserError("give --want, or --set/--sweep, not both")
    if want is not None and keep_norm:
        raise UserError("--keep-norm does not combine with --want: rescaling after the walk would undo what the "
                        "extractor read")
    if want is not None and not wanted:
        raise UserError('--want names no attribute; give e.g. --want "Smiling=1"')
    animate = out.suffix.lower() in ANIMATIONS
    if animate and not sweep:
        raise UserError(f"an animation ({out.name}) shows a sweep: give --sweep AXIS=START:STOP:COUNT")
    m = resolve_models(generator, axes, model=model)
    g, ax = m.generator, m.axes
    for name in lock:
        ax.index(name)
    if wanted and m.extractor is None:
        raise UserError("--want needs the extractor that reads the attributes (the run's --features)")
    if not 1 <= n <= 64:
        raise UserError("--n must be between 1 and 64")
    if seed + n - 1 > MAX_SEED:
        raise UserError(f"--seed {seed} --n {n} would go past the last seed, {MAX_SEED}")
    if image is not None and latent is not None:
        raise UserError("give --image or --latent, not both")
    inputs, source, rows = None, f"seed {seed}" if n == 1 else f"seeds {seed}..{seed + n - 1}", None
    if image is not None:
        from .invert import invert_path
        names, inputs, res = invert_path(image, generator, m, method, encoder, seed, model=model)
        z0, rows = res.z, names if len(names) > 1 else None
        source = f"{image.name} ({method} inversion)"
    elif latent is not None:
        z0, source = read_latent(latent, g.z_dim), latent.name
    else:
        z0 = torch.cat([g.latents(1, seed + i) for i in range(n)])
        rows = [f"seed {seed + i}" for i in range(n)] if n > 1 else None
    n = len(z0)
    recipe = ", ".join(f"{k}={v:+g}" for k, v in edits.items())
    if sweep:
        name, lams = parse_sweep(sweep)
        cols = [edit_latents(z0, ax, {**edits, name: float(lam)}, lock, keep_norm) for lam in lams]
        labels, recipe = [f"{name} {lam:+.2g}" for lam in lams], f"sweep {name}" + (f"; {recipe}" if recipe else "")
    elif edits:
        cols, labels = [z0, edit_latents(z0, ax, edits, lock, keep_norm)], ["original", "edited"]
    elif wanted:
        z1, walked, met = walk_until_seen(g, m.extractor, ax, z0, wanted, lock, confidence, max_lambda)
        cols, labels, edits = [z0, z1], ["original", "edited"], {}
        binary = [m.extractor.binary[m.extractor.label_names.index(k)] for k in wanted]
        reading = ([f"p >= {confidence:g}"] if any(binary) else []) + \
            (["values within 10% (at least 0.1)"] if not all(binary) else [])
        recipe = "until the extractor reads " + ", ".join(f"{k}={v:g}" for k, v in wanted.items()) + \
            f" ({', '.join(reading)}, |lambda| <= {max_lambda:g})"
    else:
        raise UserError("give --set AXIS=λ, --sweep AXIS=START:STOP:COUNT or --want AXIS=VALUE")
    title = f"{source}: {recipe}" + (f"; locked: {', '.join(lock)}" if lock else "")
    with torch.no_grad():
        imgs = [g.to_signed(g(c)) for c in cols]
    if inputs is not None:
        labels = ["input", "reconstruction" if labels[0] == "original" else labels[0], *labels[1:]]
        imgs = [inputs, *imgs]
    if animate:
        _save_sweep_animation(g, z0, inputs, imgs, labels, title, rows, out)
    else:
        save_grid(torch.stack(imgs, 1).flatten(0, 1), out, nrow=len(imgs), col_labels=labels, title=title,
                  row_labels=rows)
    typer.echo(f"wrote {out} ({title})")
    if save_latents is not None:
        from ..io import save_npy
        typer.echo(f"wrote the edited latents {tuple(cols[-1].shape)} to {save_npy(save_latents, cols[-1].numpy())}")
    if wanted:
        for k, name in enumerate(wanted):
            lam = walked[:, k]
            spread = f"{lam[0]:+.2f}" if n == 1 else \
                f"mean {lam.mean():+.2f}, from {lam.min():+.2f} to {lam.max():+.2f}"
            typer.echo(f"λ walked along {name}: {spread}")
        typer.echo(f"the extractor reads the request on {int(met.sum())} of {n} face(s)" +
                   ("" if bool(met.all()) else f" (the others stopped at |λ| = {max_lambda:g})"))
    if m.extractor is not None:  # what changed, as the extractor reads it: first column -> last column
        from ..extractors import predict_labels
        before, after = (predict_labels(m.extractor, x, probabilities=True).mean(0) for x in (imgs[0], imgs[-1]))
        names = [k for k in (*edits, *wanted, *([name] if sweep else []), *lock) if k in m.extractor.label_names]
        typer.echo(f"extractor read-out, mean over {n} face(s), {labels[0]} -> {labels[-1]}: " + ", ".join(
            f"{k} {before[i]:.2f} -> {after[i]:.2f}" + (" (locked)" if k in lock else "")
            for k, i in ((k, m.extractor.label_names.index(k)) for k in dict.fromkeys(names))))


def _save_sweep_animation(g, z0, inputs, columns, labels, title, rows, out: Path) -> None:
    """The sweep's columns as frames, forth and back: each frame the faces as they are (the input image, or the
    original) beside the current column; 2 s each way."""
    import torch

    from ..data.images import grid_image, save_animation
    sweep_cols = columns[1:] if inputs is not None else columns
    sweep_labels = labels[1:] if inputs is not None else labels
    if inputs is None:
        with torch.no_grad():
            first, first_label = g.to_signed(g(z0)), "original"
    else:
        first, first_label = inputs, "input"
    order = list(range(len(sweep_cols))) + list(range(len(sweep_cols) - 2, 0, -1))
    frames = [grid_image(torch.stack([first, sweep_cols[i]], 1).flatten(0, 1), nrow=2,
                         col_labels=[first_label, sweep_labels[i]], title=title, row_labels=rows) for i in order]
    save_animation(frames, out, ms_per_frame=max(40, 2000 // len(sweep_cols)))


def name_list(items: list[str]) -> list[str]:
    """A repeatable option's values, each possibly comma-separated: ["Male,Young", "Smiling"] -> three names."""
    return [a.strip() for item in items for a in item.split(",") if a.strip()]


def read_latent(path: Path, z_dim: int):
    """Latents (N, z_dim) from a .npy file holding (z_dim,) or (N, z_dim) floats; UserError otherwise."""
    import numpy as np
    import torch
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: not a readable .npy latent file ({type(e).__name__})") from None
    z = z[None] if z.ndim == 1 else z
    if z.ndim != 2 or z.shape[1] != z_dim or not np.issubdtype(z.dtype, np.floating):
        raise UserError(f"{path}: expected float latents of shape ({z_dim},) or (N, {z_dim}) for this generator, "
                        f"got {z.dtype} {z.shape}")
    return torch.from_numpy(z.astype(np.float32))


@app.command()
def generate(want: str = typer.Option(..., help='e.g. "Smiling=1,Eyeglasses=1" (binary 0/1, continuous values)'),
             n: int = typer.Option(100, "--n", help="images to write"),
             out: Path = typer.Option(..., "--out", help="directory for the PNGs and their attributes"),
             seed: int = SEED, generator: str | None = GENERATOR, axes: Path | None = AXES,
             features: Path | None = typer.Option(None, help="extractor that accepts or rejects each sample "
                                                              "(default: the shipped model's)"),
             lock: list[str] = typer.Option([], "--lock", help="attributes to keep at their prior rates, e.g. "
                                                               "Male,Young (repeatable)"),
             confidence: float = typer.Option(WANT_CONFIDENCE, min=0.5, max=0.999, help="the extractor's probability "
                                              "a wanted yes/no attribute must reach (0.5: its plain decision; higher "
                                              "edits further, and an independent judge agrees more often)"),
             max_lambda: float = typer.Option(MAX_WALK, min=0.25, max=10.0, help="the farthest walk along an axis "
                                                                                 "(near the prior: faces stay "
                                                                                 "plausible)"),
             judge: Path | None = typer.Option(None, help="independent extractor that grades the written set "
                                                           "(default with the shipped model: its judge)")):
    """Write images whose predicted attributes meet the request (data augmentation); print the achieved rate, by the
    extractor and by an independent judge, and how the other attributes' rates moved. The folder (PNGs and the
    extractor's attributes.csv) is --data folder:OUT training data as it is."""
    from ..data.images import PREVIEW, save_grid, save_pngs
    from ..extractors import load_extractor, write_attributes
    from ..latent.edit import generate_wanted, grade_written_set, parse_assignments
    if n < 1:
        raise UserError("--n must be >= 1")
    wanted = parse_assignments([want], "--want")
    if not wanted:
        raise UserError('--want names no attribute; give e.g. --want "Smiling=1,Eyeglasses=1"')
    m = resolve_models(generator, axes, features)
    g, ax, extractor = m.generator, m.axes, m.extractor
    most = min(10_000, MAX_GENERATE_BYTES // (4 * g.channels * g.resolution ** 2))  # all kept in memory, then written
    if n > most:
        raise UserError(f"--n must be at most {most:,} for this {g.resolution}-px generator (for more, run again with "
                        "another --seed and --out)")
    if extractor is None:
        raise UserError("generate needs --features (the extractor that checks the attributes)")
    locked = name_list(lock)
    if judge is None and m.shipped:
        from ..pretrained import default_paths
        judge = default_paths()["judge"]
    grader = load_extractor(judge) if judge is not None else None
    _z, x, stats = generate_wanted(g, extractor, ax, wanted, n, seed, max_lambda=max_lambda, lock=locked,
                                   confidence=confidence, progress=True)
    ensure_dir(out)
    files = [f"{i:05d}.png" for i in range(len(x))]
    save_pngs(x, out, files, g.value_range)
    write_attributes(out / "attributes.csv", files, extractor, x)
    if len(x):
        save_grid(x[:64], out / PREVIEW, g.value_range)
    if grader is not None:
        stats |= grade_written_set(g, grader, x, wanted, seed + 1)
    write_json(out / "request.json", {"want": wanted, "lock": locked, "seed": seed, "confidence": confidence, **stats})
    short = f" (of the {n:,} requested: the search stops after {stats['tried']:,} latents)" if len(x) < n else ""
    typer.echo(f"wrote {len(x)} images{short} to {out}; {stats['accepted']}/{stats['tried']} edited samples met the "
               f"request by the extractor ({stats['rate']:.1%}) vs {stats['base_rate']:.1%} of unedited samples")
    if grader is not None:
        typer.echo(f"by the independent judge: {stats['judge_rate']:.1%} of the written set meet the request "
                   f"(unedited samples: {stats['judge_base_rate']:.1%})")
        moved = sorted(stats["other_attribute_rates"].items(),
                       key=lambda kv: -abs(kv[1]["written"] - kv[1]["unedited"]))[:5]
        typer.echo("other attributes, written set vs unedited (judge): " + ", ".join(
            f"{k} {v['written']:.0%} vs {v['unedited']:.0%}" for k, v in moved))


@evaluate_app.command("axes")
def evaluate_axes_cmd(generator: str | None = GENERATOR, axes: Path | None = AXES,
                      judge: Path | None = typer.Option(None, help="independent extractor (default: shipped)"),
                      references: list[str] = typer.Option(["Male"], "--reference", help="attributes whose "
                                                           "leakage is measured and locked, e.g. Male,Young "
                                                           "(repeatable)"),
                      n: int = typer.Option(1024, "--n", help="latents (figures come with 95% bootstrap CIs)"),
                      seed: int = SEED,
                      json_out: Path = typer.Option(Path("axes_eval.json"), "--json", help="the figures' JSON"),
                      report: Path | None = typer.Option(None, help="markdown report (default beside --json)"),
                      device: str = DEVICE):
    """Controllability, flip rate and leakage of every axis, raw and disentangled, by an independent judge."""
    from ..extractors import load_extractor
    from ..latent.evaluate import evaluate_axes, write_report
    if n < 2:
        raise UserError(f"--n must be at least 2 latents (controllability is a slope over faces), got {n}")
    m = resolve_models(generator, axes)
    g, ax = m.generator, m.axes
    if judge is None:
        from ..pretrained import default_paths
        judge = default_paths()["judge"]
    from ..device import to_device
    judge_net = load_extractor(judge)
    to_device(device, g, judge_net)
    result = {**evaluate_axes(g, judge_net, ax, name_list(references), n, seed), "generator_hash": g.content_hash,
              "axes_hash": ax.content_hash}
    write_json(json_out, result)
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


@evaluate_app.command("directions")
def evaluate_directions_cmd(sets: list[str] = typer.Option(..., "--set", help="LABEL=AXES_DIR, repeatable "
                                                                               "(supervised axes or directions)"),
                            cache: Path = typer.Option(..., help="the extractor's (z, y) cache of this generator"),
                            generator: str | None = typer.Option(None, help="default: the shipped model's"),
                            judge: Path | None = typer.Option(None, help="default: the shipped model's judge"),
                            encoder: Path | None = typer.Option(None, help="faces: real-face figures (default: "
                                                                           "the shipped model's)"),
                            n: int = typer.Option(512, "--n", help="latents per figure"),
                            n_real: int = typer.Option(1000, help="real faces for the exact-attribute figures"),
                            dci_method: str = typer.Option("lasso", help="lasso | gbt"),
                            seed: int = SEED,
                            json_out: Path = typer.Option(Path("directions_eval.json"), "--json",
                                                          help="the figures' JSON (.md and .png beside it)")):
    """Supervised axes vs unsupervised directions, side by side: matched direction per attribute, re-scoring Δ,
    attribute dependency, flip rate, correlation with the exact attribute, DCI, linear separability."""
    from ..extractors import load_extractor
    from ..generator import load_generator
    from ..io import atomic_write_text
    from ..latent.axes import Axes
    from ..latent.cache import open_cache
    from ..latent.directions_eval import evaluate_directions, plot_attribute_dependency, table
    from ..latent.encoder import encoder_hash, load_encoder
    from ..pretrained import default_paths
    if dci_method not in ("lasso", "gbt"):
        raise UserError(f"--dci-method must be lasso or gbt, got {dci_method!r}")
    parsed = {}
    for item in sets:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise UserError(f"--set must look like LABEL=AXES_DIR, got {item!r}")
        parsed[label] = Axes.load(path)
    shipped = generator is None
    paths = default_paths()
    g = load_generator(generator or paths["generator"])
    for ax in parsed.values():
        ax.check_latent(g.z_dim, g.content_hash)
    c = open_cache(cache, g.content_hash)
    judge = judge or (paths["judge"] if shipped else None)
    if judge is None:
        raise UserError("pass --judge: an extractor trained independently of the one that labelled the cache")
    encoder = encoder or (paths["encoder"] if shipped else None)
    enc = load_encoder(encoder, g) if encoder is not None else None
    result = {**evaluate_directions(g, load_extractor(judge), parsed, c, enc, n, seed, n_real, dci_method),
              "generator_hash": g.content_hash, **({"encoder_hash": encoder_hash(encoder)} if enc else {}),
              "set_hashes": {label: ax.content_hash for label, ax in parsed.items()}}
    write_json(json_out, result)
    md = table(result)
    atomic_write_text(json_out.with_suffix(".md"), md)
    plot_attribute_dependency(result, json_out.with_suffix(".png"))
    typer.echo(md)
    typer.echo(f"wrote {json_out}, its .md table and .png attribute-dependency plot in {result['seconds']:.0f} s")
