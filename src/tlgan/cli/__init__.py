"""The ``tlgan`` command line: Typer sub-apps by group, holding no library logic.

``app.py`` (the root app, shared sub-apps, ``main``), ``models.py`` (data, train, sample, export, evaluate fd),
``latent.py`` (features, axes, edit, generate, evaluate axes), ``invert.py`` (invert, evaluate inversion),
``translate.py``, ``anomaly.py``, ``serve.py``.
"""
# isort: off  (each module registers its commands; this order is the order of `tlgan --help`)
from . import anomaly, invert, latent, models, serve, translate  # noqa: F401

# isort: on
from .app import app, main

__all__ = ["app", "main"]
