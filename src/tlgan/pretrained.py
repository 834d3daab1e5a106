"""The shipped default faces model (generator, feature extractor, independent judge, fitted axes) and
:func:`resolve_models`: the one policy for "which generator, axes and extractor", used by the CLI and the server."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

PRETRAINED = Path(__file__).parent / "pretrained"
SHIPPED = ("faces", "fashion")  # the shipped models: faces (the demo's) and Fashion-MNIST garments


def pretrained_root() -> Path:
    """The folder holding the shipped models (faces/, fashion/): ``$TLGAN_PRETRAINED`` if set (a rebuild into a
    copy, as scripts/gpu_faces.py does on a GPU machine), else the package's own."""
    return Path(os.environ.get("TLGAN_PRETRAINED") or PRETRAINED)


def default_paths(model: str = "faces") -> dict[str, Path]:
    """Paths of a shipped model's parts: generator (run dir), extractor, judge, axes, and the optional inversion
    encoder (a run dir) and unsupervised directions (SeFa, for the editor's second panel)."""
    if model not in SHIPPED:
        raise UserError(f"unknown shipped model {model!r}; expected one of {', '.join(SHIPPED)}")
    root = pretrained_root() / model
    paths = {"generator": root / "generator", "extractor": root / "extractor", "judge": root / "judge",
             "axes": root / "axes", "encoder": root / "encoder", "directions": root / "directions"}
    optional = ("encoder", "directions")  # checked on use
    missing = [k for k, p in paths.items() if not p.exists() and k not in optional]
    if missing:
        raise UserError(f"the shipped {model} model is incomplete (missing {', '.join(missing)} under {root}); "
                        "pass --generator/--axes explicitly")
    return paths


@dataclass
class Models:
    """A generator with the axes fitted on it and (optionally) an extractor; ``shipped``: the default model."""
    generator: object
    axes: object
    extractor: object | None
    shipped: bool


def resolve_models(generator=None, axes=None, features=None, need_axes: bool = True, model: str = "faces") -> Models:
    """The given generator + axes (+ extractor if ``features``), or the shipped ``model`` (with its extractor,
    unless ``features`` names another) when neither generator nor axes is given. UserError if only one is given
    (unless not ``need_axes``: then a generator alone is enough and ``axes`` is None) or the axes do not fit the
    generator."""
    from .extractors import load_extractor
    from .generator import load_generator
    from .latent.axes import Axes
    if need_axes and (generator is None) != (axes is None):
        raise UserError("pass both --generator and --axes, or neither (to use the shipped faces model)")
    shipped = generator is None
    if shipped:
        p = default_paths(model)
        generator, axes, features = p["generator"], p["axes"], features or p["extractor"]
    g = load_generator(generator)
    ax = Axes.load(axes) if axes is not None else None
    if ax is not None:
        ax.check_latent(g.z_dim, g.content_hash)
    return Models(g, ax, load_extractor(features) if features is not None else None, shipped)
