"""Commands on datasets and generative models: ``data render|inspect``, ``train``, ``sample``, ``export``,
``evaluate fd``."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UserError
from ..training import FAMILIES
from .app import DEVICE, SEED, app, data_app, evaluate_app, seed_option


@data_app.command("render")
def data_render(dataset: str = typer.Argument("faces", help="only 'faces' is rendered"),
                n: int = typer.Option(1000, "--n", help="number of images"),
                out: Path = typer.Option(..., "--out", help="output folder"),
                seed: int = seed_option("renderer seed (another seed draws other faces)"),
                resolution: int = typer.Option(64, help="image size in pixels"),
                start: int = typer.Option(0, min=0, help="index of the first face: renders faces start..start+n-1")):
    """Render procedural faces: PNGs, attributes.csv (CelebA-style columns) and contact_sheet.png."""
    from ..data.faces import write_faces
    if dataset != "faces":
        raise UserError(f"only the 'faces' dataset is rendered (got {dataset!r})")
    write_faces(out, n, seed, resolution, start)
    typer.echo(f"wrote {n} faces, attributes.csv and contact_sheet.png to {out}")


@data_app.command("inspect")
def data_inspect(spec: str = typer.Argument(..., help="faces | fashion | digits | shapes | ring8 | folder:PATH, "
                                                      "optionally filtered (fashion#Sneaker) or paired"),
                 resolution: int | None = typer.Option(None, help="image size (default: the dataset's own)"),
                 n: int | None = typer.Option(None, "--n", help="images to read (default: the dataset's own count)"),
                 split: str = typer.Option("train", help="train | test"),
                 sheet: Path | None = typer.Option(None, help="also write the first 64 images as a PNG grid")):
    """What tlgan reads from a dataset: the count, the image shape, and every label with its share (binary) or
    its mean and spread (continuous)."""
    from ..data import load_data
    if n is not None and n < 1:
        raise UserError("--n must be >= 1")
    data = load_data(spec, resolution, n, split=split)
    typer.echo(data.describe())
    if sheet is not None and data.is_image:
        import torch

        from ..data.images import save_grid
        save_grid(data.batch(torch.arange(min(64, len(data)))), sheet)
        typer.echo(f"wrote the first {min(64, len(data))} images to {sheet}")


@app.command()
def train(model: str = typer.Argument(..., help=" | ".join(FAMILIES)),
          data: list[str] = typer.Option([], help="faces | fashion | digits | shapes | ring8 | folder:PATH, "
                                                  "optionally filtered: fashion#Sneaker, faces#Blond_Hair=0; "
                                                  "combogan: repeat it, one per domain"),
          data_b: str | None = typer.Option(None, help="cyclegan, pix2pix: the second domain"),
          attributes: str | None = typer.Option(None, help="stargan: comma-separated binary labels to condition "
                                                           "on (default Black_Hair,Blond_Hair,Brown_Hair,Male,Young)"),
          resolution: int | None = typer.Option(None, help="image size (default: the family's or dataset's)"),
          steps: int | None = typer.Option(None, help="generator updates (default: the family's)"),
          batch_size: int | None = typer.Option(None, help="images per update (default: the family's)"),
          out: Path = typer.Option(Path("runs/latest"), help="the run directory"),
          config: Path | None = typer.Option(None, help="YAML file overriding defaults"),
          resume: bool = typer.Option(False, help="continue the run in --out"),
          seed: int | None = seed_option("seed of the weights and batches (default: 0, or the config's)", None),
          device: str = DEVICE,
          full_precision: bool = typer.Option(False, "--full-precision", help="CUDA: float32 throughout (no bf16 "
                                              "autocast, channels_last or TF32)"),
          compile_g: bool = typer.Option(False, "--compile", help="torch.compile G's forward (slow to start)")):
    """Train a model family through the one training loop; writes a run directory.

    With --resume the run continues with its own saved settings; only the total --steps may change."""
    import dataclasses

    from .. import distributed
    from ..config import merged_values
    from ..device import Runtime
    from ..training import load_config, run_config
    from ..training import train as run_train
    domains = list(data) if len(data) > 1 else None
    if domains and model != "combogan":
        raise UserError(f"only combogan takes several --data (one per domain); {model} takes one")
    data = data[0] if data else None
    if resume and (out / "config.json").exists():
        cfg = run_config(out)
        given = dict(data=data, domains=domains, data_b=data_b, resolution=resolution, batch_size=batch_size,
                     seed=seed, attributes=[a.strip() for a in attributes.split(",")] if attributes else None)
        changed = [k for k, v in given.items() if v is not None and v != getattr(cfg, k)]
        if changed:
            raise UserError(f"--resume continues {out} with its own settings; only --steps may change "
                            f"(drop {', '.join('--' + k.replace('_', '-') for k in changed)})")
        if cfg.model != model:
            raise UserError(f"{out} is a {cfg.model} run, not {model}")
        new_steps = merged_values(config, {"steps": steps}).get("steps", cfg.steps)
        if new_steps != cfg.steps and distributed.env_rank() == 0:
            typer.echo(f"resuming {out} with its own settings; steps {cfg.steps} -> {new_steps}")
        run_train(dataclasses.replace(cfg, steps=new_steps), out, resume=True,
                  runtime=Runtime.of(device, not full_precision, compile_g))
        return
    cfg = load_config(config, model=model, data=data, domains=domains, data_b=data_b, resolution=resolution,
                      steps=steps, batch_size=batch_size, seed=seed,
                      attributes=[a.strip() for a in attributes.split(",")] if attributes else None)
    run_train(cfg, out, resume=resume, runtime=Runtime.of(device, not full_precision, compile_g))


@app.command()
def sample(run: str | None = typer.Argument(None, help="run directory, export or NVIDIA .pkl; with --trust-code "
                                                      "also .pt2 / .pt / module:function (default: the shipped "
                                                      "faces model)"),
           n: int = typer.Option(64, "--n", help="images to draw"),
           seed: int = seed_option("seed of the latents"),
           out: Path | None = typer.Option(None, help="grid PNG"),
           out_dir: Path | None = typer.Option(None, help="one PNG per sample"),
           save_latents: Path | None = typer.Option(None, help="write the latents as .npy"),
           set_: str | None = typer.Option(None, "--set", help="conditional runs (cgan, acgan): labels to draw, "
                                                               "e.g. Smiling=1,Male=0"),
           truncation: float | None = typer.Option(None, "--truncation", help="StyleGAN-style generators: "
                                                   "truncation psi in [0, 2] (default: the model's own)")):
    """Sample images from a generator: a grid, single PNGs and/or the latents."""
    from ..data.images import save_grid, save_pngs
    from ..generator import load_generator
    from ..io import save_npy
    if not 1 <= n <= 100_000:
        raise UserError("--n must be between 1 and 100,000 (samples are held in memory)")
    if run is None:
        from ..pretrained import default_paths
        run = str(default_paths()["generator"])
    g = load_generator(run)
    if truncation is not None:
        if not hasattr(g.net, "truncation") or g.space != "z":
            raise UserError(f"--truncation applies to StyleGAN-style generators in Z; {g.name} is not one")
        if not 0 <= truncation <= 2:
            raise UserError(f"--truncation must be in [0, 2], got {truncation}")
        g.net.truncation = truncation
    if set_ is not None:
        from ..generator import set_labels
        set_labels(g.net, run, set_)
    z, x = g.sample(n, seed)
    if out is None and out_dir is None:
        out = Path("samples.png")
    if out is not None:
        save_grid(x, out, g.value_range)
        typer.echo(f"wrote a grid of {n} samples to {out}")
    if out_dir is not None:
        save_pngs(x, out_dir, [f"sample_{seed}_{i:05d}.png" for i in range(n)], g.value_range)
        typer.echo(f"wrote {n} PNGs to {out_dir}")
    if save_latents is not None:
        typer.echo(f"wrote latents {tuple(z.shape)} to {save_npy(save_latents, z.numpy())}")


@app.command()
def export(run: Path = typer.Argument(..., help="a training run directory"),
           out: Path = typer.Option(..., "--out", help="the directory to write (Hugging Face layout)"),
           fp16: bool = typer.Option(True, help="store weights as float16 (half the size)")):
    """Export a run's generator (best if kept, else last) as a small self-contained directory."""
    from ..generator import export_generator
    typer.echo(f"exported the generator to {export_generator(run, out, half=fp16)}")


@app.command("import")
def import_cmd(pkl: Path = typer.Argument(..., help="an NVIDIA StyleGAN2 / StyleGAN2-ADA network-snapshot-*.pkl, "
                                                    "or a StyleGAN2 / pg-GAN TensorFlow pickle"),
               out: Path = typer.Option(..., "--out", help="the run directory to write"),
               truncation: float = typer.Option(1.0, "--truncation", help="truncation psi in [0, 2] (1: none)"),
               cutoff: int | None = typer.Option(None, "--truncation-cutoff", help="truncate only the first K layers"),
               class_index: int | None = typer.Option(None, "--class", help="conditional models: the class to draw"),
               noise: str = typer.Option("const", help="per-pixel noise: const | random | none")):
    """Import an NVIDIA generator as a tlgan run directory. The pickle is read by an allow-list unpickler: its
    weights are read WITHOUT executing anything stored in the file (no NVIDIA code needed or run); a file that
    names anything else is refused. The weights keep the licence they were published under."""
    from ..importers import import_checkpoint
    if not 0 <= truncation <= 2:
        raise UserError(f"--truncation must be in [0, 2], got {truncation}")
    run = import_checkpoint(pkl, out, truncation, cutoff, class_index, noise)
    typer.echo(f"imported {pkl} into {run}: use it as --generator {run} (or {run}@w / {run}@w+)")


@evaluate_app.command("fd")
def evaluate_fd(run: str = typer.Argument(..., help="the generator: run directory, export or NVIDIA .pkl"),
                data: str = typer.Option(..., help="dataset the generator models"),
                n: int = typer.Option(2000, "--n", help="samples (and as many real images) compared"),
                seed: int = SEED,
                features: Path | None = typer.Option(None, help="extractor directory used as the feature network "
                                                        "(default: a classifier trained on --data, cached)"),
                resolution: int | None = typer.Option(None, help="score at this size (samples resized, e.g. a "
                                                                 "32x32 model at 64); default: the generator's"),
                device: str = DEVICE):
    """FD-<dataset> of a generator beside the floor (FD between two real splits)."""
    from ..data import load_data
    from ..generator import load_generator
    from ..metrics import FD_FACES_IMAGES, FrechetScorer
    if not 2 <= n <= 100_000:
        raise UserError("--n must be between 2 and 100,000 (FD fits a covariance to the samples)")
    g = load_generator(run)
    net = None
    if features is not None:
        from ..extractors import load_extractor
        net = load_extractor(features)
    from ..device import to_device
    to_device(device, g, net)
    if net is not None and resolution is not None and resolution != net.resolution:
        raise UserError(f"--resolution {resolution} differs from the --features network's {net.resolution}")
    res = net.resolution if net is not None else resolution or g.resolution
    train_data = load_data(data, res, FD_FACES_IMAGES if data == "faces" else None)
    scorer = FrechetScorer.for_dataset(data, train_data, n=n, feature_net=net, log=typer.echo)
    _, x = g.sample(n, seed)
    fd = scorer.score(g.to_signed(x))  # resized to the feature network's size first
    typer.echo(f"{scorer.name}: {fd:.3f}   floor (real vs real): {scorer.floor(train_data, n):.3f}"
               f"   ({n} samples, feature network: {features or 'default classifier'})")
