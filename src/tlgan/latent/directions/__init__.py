"""Methods that find directions in latent space, each a module returning :class:`tlgan.latent.axes.Axes`.

``METHODS``: name -> fit function ``(z (N, d), y (N, K), names, binary) -> Axes``; ``tlgan axes fit --method``
reads it. A new method is one module here and one line in this table.
"""
from .supervised import fit_glm, fit_svm

METHODS = {"glm": fit_glm, "svm": fit_svm}

__all__ = ["METHODS", "fit_glm", "fit_svm"]
