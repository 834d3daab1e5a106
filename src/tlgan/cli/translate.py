"""``tlgan translate``: apply a CycleGAN or pix2pix (direction) or StarGAN (target attributes) run to images."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UserError
from .app import app


@app.command("translate")
def translate_cmd(run: Path = typer.Argument(..., help="a run of `tlgan train cyclegan|pix2pix|unit|combogan|stargan`"),
                  input: Path = typer.Option(..., "--input", help="an image or a folder of images (the run's size)"),
                  direction: str = typer.Option("a2b", help="CycleGAN: a2b | b2a; pix2pix: a2b"),
                  set_: list[str] = typer.Option([], "--set", help="StarGAN: NAME=VALUE, repeatable "
                                                                    "(e.g. --set Blond_Hair=1 --set Young=0)"),
                  source: str | None = typer.Option(None, "--from", help="unit, combogan: the input's domain "
                                                                          "(default: the first)"),
                  target: str | None = typer.Option(None, "--to", help="unit, combogan: the domain to translate to"),
                  out: Path = typer.Option(Path("translated"), help="output folder")):
    """Translate images with a CycleGAN, pix2pix or UNIT (--direction), ComboGAN (--to) or StarGAN (--set) run: one
    PNG each plus a before/after grid.

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
        net, shape = load_translator(run, direction, source, target)
        names, x = read_images(input, shape)
        y, tag = translate(net, x), (f"to_{target}" if target else direction)
    save_pngs(y, out, [Path(name).stem + f"_{tag}.png" for name in names])
    save_grid(torch.stack([x, y], 1).flatten(0, 1), out / "grid.png", nrow=2)  # each input beside its output
    typer.echo(f"translated {len(names)} image(s) ({tag}); wrote them and grid.png to {out}")


@app.command("style-transfer")
def style_transfer_cmd(content: Path = typer.Option(..., help="the image whose layout is kept"),
                       style: Path = typer.Option(..., help="the image whose texture is copied"),
                       out: Path = typer.Option(Path("styled.png"), help="the result (PNG)"),
                       net: str = typer.Option("random", help="feature network: random | faces | fashion | an "
                                                              "extractor directory"),
                       size: int = typer.Option(128, help="both images are centre-cropped and resized to this"),
                       steps: int = typer.Option(300, help="optimiser steps on the pixels"),
                       optimizer: str = typer.Option("adam", help="adam | lbfgs"),
                       lr: float = typer.Option(0.02, help="Adam's step on pixels in [-1, 1]"),
                       content_weight: float = typer.Option(1.0, help="weight of the content (feature) loss"),
                       style_weight: float = typer.Option(10.0, help="weight of the style (Gram matrix) loss"),
                       tv_weight: float = typer.Option(0.0, help="total variation (smoothness) weight"),
                       content_layer: str = typer.Option("relu3_2", help="the layer whose features are kept"),
                       style_layers: str = typer.Option("relu1_1,relu2_1,relu3_1,relu4_1",
                                                        help="comma-separated layers whose Gram matrices are matched"),
                       grid: Path | None = typer.Option(None, help="also write content | style | result here")):
    """Neural style transfer: optimise the pixels for the content image's deep features and the style image's
    Gram matrices (+ total variation); prints the loss terms before and after."""
    import torch

    from ..data.images import save_grid, save_pngs
    from ..neural_style import StyleLoss, feature_net, load_pair, transfer
    c, s = load_pair(content, style, size)
    loss = StyleLoss(feature_net(net, c.shape[1]), c, s, content_layer,
                     tuple(x.strip() for x in style_layers.split(",")), content_weight, style_weight, tv_weight)
    x, trace = transfer(loss, steps, optimizer, lr)
    save_pngs(x, out.parent, [out.name])
    if grid is not None:
        save_grid(torch.cat([c, s, x]), grid, nrow=3, col_labels=["content", "style", f"result ({net})"])
    first, last = trace[0], trace[-1]
    typer.echo(f"wrote {out}: style loss {first['style']:.4g} -> {last['style']:.4g} "
               f"({first['style'] / max(last['style'], 1e-12):.1f}x lower), content loss {first['content']:.4g} -> "
               f"{last['content']:.4g}, TV {first['tv']:.3f} -> {last['tv']:.3f}")
