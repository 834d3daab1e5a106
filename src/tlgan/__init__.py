"""tlgan: controllable image generation with GANs — TL-GAN feature axes, a GAN model zoo, anomaly detection.

The Python API in six names: ``load_generator`` (a run, export, NVIDIA pickle …), ``load_extractor``, ``Axes``
(``Axes.load(DIR)``), ``edit_latents`` (move latents along axes, with locks), ``walk_until_seen`` (move each latent
just far enough for the extractor to read a request) and ``default_paths(model)`` (where the shipped faces /
fashion model's parts are)."""
from .errors import UserError
from .extractors import load_extractor
from .generator import Generator, load_generator
from .latent.axes import Axes
from .latent.edit import edit_latents, walk_until_seen
from .pretrained import default_paths

__version__ = "0.1.0"
__all__ = ["Axes", "Generator", "UserError", "default_paths", "edit_latents", "load_extractor", "load_generator",
           "walk_until_seen"]
