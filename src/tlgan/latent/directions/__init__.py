"""Methods that find directions in latent space, each a module returning :class:`tlgan.latent.axes.Axes`.

``METHODS``: supervised, name -> ``(z (N, d), y (N, K), names, binary) -> Axes`` on a (z, y) cache
(``tlgan axes fit --method``). ``UNSUPERVISED``: name -> ``(generator, k, ...) -> Axes`` from the generator alone
(``tlgan axes find --method``). A new method is one module here and one line in a table.
"""
from .supervised import fit_glm, fit_svm
from .unsupervised import annotate, fit_ganspace, fit_sefa

METHODS = {"glm": fit_glm, "svm": fit_svm}
UNSUPERVISED = {"ganspace": fit_ganspace, "sefa": fit_sefa}

__all__ = ["METHODS", "UNSUPERVISED", "annotate", "fit_ganspace", "fit_glm", "fit_sefa", "fit_svm"]
