"""``tlgan translate``: apply a CycleGAN or pix2pix (direction) or StarGAN (target attributes) run to images."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UserError
from .app import app


@app.command("translate")
def translate_cmd(run: Path = typer.Argument(..., help="a run of `tlgan train cyclegan|pix2pix|stargan`"),
                  input: Path = typer.Option(..., "--input", help="an image or a folder of images (the run's size)"),
                  direction: str = typer.Option("a2b", help="CycleGAN: a2b | b2a; pix2pix: a2b"),
                  set_: list[str] = typer.Option([], "--set", help="StarGAN: NAME=VALUE, repeatable "
                                                                    "(e.g. --set Blond_Hair=1 --set Young=0)"),
                  out: Path = typer.Option(Path("translated"), help="output folder")):
    """Translate images with a CycleGAN (--direction) or StarGAN (--set) run: one PNG each plus a before/after grid.

    StarGAN keeps every attribute not named in --set as its critic reads it off the input image.
    """
    import torch

    from ..data.images import read_images, save_grid, save_pngs
    from ..translate import StarGAN, load_translator, parse_settings, run_model, translate
    if run_model(run) == "stargan":
        if not set_:
            raise UserError("a StarGAN run translates to target attributes: give --set NAME=VALUE")
        settings = parse_settings(set_)
        model = StarGAN(run)
        names, x = read_images(input, model.shape)
        y = model.translate(x, model.targets(x, settings))
        tag = "_".join(f"{k}={v:g}" for k, v in settings.items())
    else:
        if set_:
            raise UserError("--set applies to StarGAN runs; CycleGAN and pix2pix runs translate by --direction")
        net, shape = load_translator(run, direction)
        names, x = read_images(input, shape)
        y, tag = translate(net, x), direction
    save_pngs(y, out, [Path(name).stem + f"_{tag}.png" for name in names])
    save_grid(torch.stack([x, y], 1).flatten(0, 1), out / "grid.png", nrow=2)  # each input beside its output
    typer.echo(f"translated {len(names)} image(s) ({tag}); wrote them and grid.png to {out}")
