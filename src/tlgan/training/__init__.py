"""Training: the ``Trainer`` contract, the one loop, and the registry of families (``FAMILIES``)."""
from .loop import TrainingDiverged, run_config, train
from .registry import FAMILIES, family, load_config, make_config
from .trainer import Built, Trainer

__all__ = ["FAMILIES", "Built", "Trainer", "TrainingDiverged", "family", "load_config", "make_config",
           "run_config", "train"]
