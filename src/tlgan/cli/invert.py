"""Real-image commands: ``invert IMG_OR_DIR`` (image -> latent), ``invert train-encoder``, ``evaluate inversion``."""
from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from ..errors import UserError
from ..pretrained import resolve_models
from .app import AXES, DEVICE, GENERATOR, SEED, app, evaluate_app, seed_option


class _ImagesByDefault(TyperGroup):
    """``tlgan invert PATH ...`` runs the ``images`` command; ``tlgan invert train-encoder ...`` its own."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "images", self.commands["images"], args
        return super().resolve_command(ctx, args)


invert_app = typer.Typer(cls=_ImagesByDefault, no_args_is_help=True,
                         help="Edit real images: invert them into the latent space (`tlgan invert IMG_OR_DIR`), "
                              "or train the encoder the fast methods use (`tlgan invert train-encoder`).")
app.add_typer(invert_app, name="invert")

METHOD_HELP = "opt (1,000 Adam steps) | encoder (one pass) | hybrid (encoder + 40 steps)"


def default_encoder(generator: str | None, method: str, model: str = "faces") -> Path | None:
    """The encoder to use: the shipped one with a shipped generator, else None (then opt only)."""
    from ..pretrained import default_paths
    if method == "opt":
        return None
    if generator is None:
        return default_paths(model)["encoder"]
    raise UserError(f"--method {method} needs --encoder RUN (train one with `tlgan invert train-encoder "
                    f"--generator {generator}`), or use --method opt")


def invert_path(path: Path, generator: str | None, m, method: str, encoder: Path | None, seed: int = 0,
                steps: int = 1000, model: str = "faces"):
    """Read the image(s) at ``path`` for models ``m`` (other sizes centre-cropped and resized) and invert them.

    Returns (file names, images (N, C, R, R) in [-1, 1], :class:`tlgan.latent.invert.Inversion`)."""
    from ..data.images import read_images
    from ..latent.encoder import load_encoder
    from ..latent.invert import METHODS, OptSettings, invert
    from ..latent.upload_check import threshold
    if method not in METHODS:
        raise UserError(f"unknown --method {method!r}; expected one of {', '.join(METHODS)}")
    if steps < 1:
        raise UserError("--steps must be >= 1")
    g = m.generator
    file_names, x = read_images(path, (g.channels, g.resolution, g.resolution), resize_to_fit=True)
    enc_path = encoder or default_encoder(generator, method, model)
    enc = load_encoder(enc_path, g) if enc_path is not None else None
    res = invert(g, x, method, encoder=enc, extractor=m.extractor, settings=OptSettings(steps=steps), seed=seed,
                 progress=True)
    if method == "hybrid":  # as the editor inverts uploads: warn where the encoder's threshold was measured
        _warn_unlike(threshold(enc_path), file_names, x, res.recon)
    return file_names, x, res


def _warn_unlike(threshold_db: float | None, file_names: list[str], x, recon) -> None:
    """The editor's upload warning on the command line: a line on stderr naming the images reconstructed below the
    PSNR that 95% of held-out images reach (the encoder's ``upload_check.json``; nothing if it was never measured)."""
    from ..metrics import psnr
    if threshold_db is None:
        return
    quality = psnr(x, recon)
    low = sorted((float(q), name) for name, q in zip(file_names, quality, strict=True) if q < threshold_db)
    if low:
        worst = ", ".join(f"{name} {q:.1f} dB" for q, name in low[:3]) + (", …" if len(low) > 3 else "")
        typer.echo(f"warning: {len(low)} of {len(file_names)} image(s) reconstructed below {threshold_db:.1f} dB "
                   f"PSNR, which 95% of held-out images reach: unlike what the model draws, so edits act on the "
                   f"reconstruction, not on the image ({worst})", err=True)


@invert_app.command("images")
def images(path: Path = typer.Argument(..., help="an image file or a folder of images"),
           out: Path = typer.Option(..., "--out", help="folder for the latents, reconstructions and grid.png"),
           method: str = typer.Option("hybrid", help=METHOD_HELP),
           generator: str | None = typer.Option(None, help="default: the shipped faces model"),
           encoder: Path | None = typer.Option(None, help="encoder run (default: the shipped model's)"),
           steps: int = typer.Option(1000, help="opt: optimisation steps"),
           seed: int = seed_option("opt, hybrid: seed of the search (its starting latents and noise)"),
           model: str = typer.Option("faces", help="shipped model used without --generator: faces | fashion"),
           device: str = DEVICE):
    """Invert images: writes OUT/<name>.png (reconstruction), OUT/<name>.npy (latent) and OUT/grid.png
    (input above reconstruction). Images of another size are centre-cropped and resized."""
    import numpy as np

    from ..data.images import save_grid, save_pngs
    from ..io import ensure_dir, save_npy
    from ..metrics import psnr
    inputs = path if path.is_dir() else path.parent
    if out.exists() and out.resolve() == inputs.resolve():
        raise UserError(f"--out {out} is the folder of the inputs: the reconstructions would overwrite them")
    from ..device import to_device
    m = resolve_models(generator, None, need_axes=False, model=model)
    to_device(device, m.generator, m.extractor)
    names, x, res = invert_path(path, generator, m, method, encoder, seed, steps, model)
    ensure_dir(out)
    stems = [Path(n).stem for n in names]
    save_pngs(res.recon, out, [f"{s}.png" for s in stems])
    for s, z in zip(stems, res.z.numpy(), strict=True):
        save_npy(out / f"{s}.npy", z.astype(np.float32))
    k = min(len(x), 8)
    save_grid(_inputs_over_reconstructions(x, res.recon, k), out / "grid.png", nrow=k,
              title=f"input (top) | {method} inversion")
    p = psnr(x, res.recon)
    typer.echo(f"inverted {len(x)} image(s) with {method} in {res.seconds:.2f} s; PSNR {p.mean():.2f} dB "
               f"(min {p.min():.2f}); latents, reconstructions and grid.png in {out}")


def _inputs_over_reconstructions(x, xr, k: int):
    """Rows of k inputs, each followed by a row of their reconstructions: (2·⌈N/k⌉·k, C, R, R)."""
    import torch
    rows = []
    for i in range(0, min(len(x), 8 * k), k):
        a, b = x[i:i + k], xr[i:i + k]
        pad = k - len(a)
        if pad:
            a, b = (torch.cat([t, torch.ones(pad, *t.shape[1:])]) for t in (a, b))
        rows += [a, b]
    return torch.cat(rows)


@invert_app.command("train-encoder")
def train_encoder_cmd(out: Path = typer.Option(..., "--out", help="the encoder's run directory"),
                      generator: str | None = typer.Option(None, help="default: the shipped faces model"),
                      features: Path | None = typer.Option(None, help="extractor whose features the loss compares "
                                                                      "(default: the shipped model's)"),
                      model: str = typer.Option("faces", help="shipped model used without --generator"),
                      data: str | None = typer.Option(None, help="real images (default: what G was trained on)"),
                      steps: int = typer.Option(3000, help="optimiser updates"),
                      batch_size: int = typer.Option(64, help="real images (and as many samples) per update"),
                      kappa: float = typer.Option(1.0, help="weight of the extractor-feature MSE"),
                      latent_weight: float = typer.Option(1.0, help="weight of ‖E(G(z)) − z‖²: editability"),
                      seed: int = SEED, resume: bool = typer.Option(False, help="continue the run in --out"),
                      device: str = DEVICE):
    """Train an inversion encoder E with G frozen (image MSE + κ feature MSE on real images, latent consistency
    on G's samples); the run is resumable like any other."""
    from ..device import Runtime
    from ..latent.encoder import check_uploads, train_encoder
    from ..pretrained import default_paths
    if steps < 1 or batch_size < 2 or kappa < 0 or latent_weight < 0:
        raise UserError("--steps must be >= 1, --batch-size >= 2, --kappa and --latent-weight >= 0")
    m = resolve_models(generator, None, features, need_axes=False, model=model)
    path = generator or str(default_paths(model)["generator"])
    train_encoder(m.generator, path, out, extractor=m.extractor, data=data, steps=steps, batch_size=batch_size,
                  kappa=kappa, latent_weight=latent_weight, seed=seed, resume=resume, runtime=Runtime.of(device))
    check_uploads(out, m.generator, m.extractor, log=typer.echo)
    with_generator = f" --generator {generator}" if generator else ""
    typer.echo(f"encoder written to {out}; use it with `tlgan invert IMG{with_generator} --method hybrid "
               f"--encoder {out}`")


@evaluate_app.command("inversion")
def evaluate_inversion_cmd(json_out: Path = typer.Option(..., "--json", help="write the figures here"),
                           generator: str | None = GENERATOR, axes: Path | None = AXES,
                           encoder: Path | None = typer.Option(None, help="default: the shipped model's"),
                           judge: Path | None = typer.Option(None, help="default: the shipped model's judge"),
                           n: int = typer.Option(64, "--n", help="faces per figure"),
                           opt_steps: int = typer.Option(1000, help="steps of the optimisation method"),
                           seed: int = SEED,
                           grid: Path | None = typer.Option(None, help="also write a PNG: real | reconstruction | "
                                                                       "edited | true counterfactual"),
                           device: str = DEVICE):
    """Reconstruction (PSNR, SSIM, judge agreement, time), latent recovery and counterfactual edits of real
    held-out faces against the renderer's true counterfactuals; prints Markdown tables."""
    from ..extractors import load_extractor
    from ..io import write_json
    from ..latent.encoder import encoder_hash, load_encoder
    from ..latent.inversion_eval import counterfactual_grid, evaluate_inversion, report
    from ..pretrained import default_paths
    if not 4 <= n <= 4096 or opt_steps < 1:
        raise UserError("--n must be in 4..4096 and --opt-steps >= 1")
    m = resolve_models(generator, axes)
    if m.shipped:
        paths = default_paths()
        judge, encoder = judge or paths["judge"], encoder or (paths["encoder"] if paths["encoder"].exists() else None)
    if judge is None:
        raise UserError("pass --judge: an extractor trained independently of the one that built the axes")
    if m.generator.channels != 3:
        raise UserError("evaluate inversion measures against rendered faces: it needs a 3-channel faces generator")
    enc = load_encoder(encoder, m.generator) if encoder is not None else None
    from ..device import to_device
    judge_net = load_extractor(judge)
    to_device(device, m.generator, m.extractor, judge_net)
    result = {**evaluate_inversion(m.generator, judge_net, m.axes, enc, m.extractor, n, opt_steps, seed),
              "generator_hash": m.generator.content_hash, "axes_hash": m.axes.content_hash,
              **({"encoder_hash": encoder_hash(encoder)} if enc else {})}
    write_json(json_out, result)
    typer.echo(report(result))
    typer.echo(f"wrote {json_out}")
    if grid is not None:
        counterfactual_grid(m.generator, m.axes, enc, m.extractor, grid, seed=seed)
        typer.echo(f"wrote {grid}")


@invert_app.command("export-encoder")
def export_encoder_cmd(run: Path = typer.Argument(..., help="an encoder run"),
                       out: Path = typer.Option(..., "--out", help="the directory to write")):
    """Write an encoder run's config and fp16 weights to OUT (no optimiser state, grids or logs)."""
    from ..latent.encoder import export_encoder
    typer.echo(f"encoder exported to {export_encoder(run, out)}")
