"""tlgan: controllable image generation with GANs — TL-GAN feature axes, a GAN model zoo, anomaly detection."""
from .errors import UserError
from .generator import Generator, load_generator

__version__ = "0.1.0"
__all__ = ["Generator", "UserError", "load_generator"]
