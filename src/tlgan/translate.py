"""Loading trained image-to-image translators and applying them: CycleGAN (a2b / b2a), pix2pix, UNIT and
ComboGAN (between named domains) and StarGAN (set labels)."""
from __future__ import annotations

from pathlib import Path

import torch

from .errors import UserError
from .generator import load_network, load_networks
from .io import read_json
from .models.translation import set_attributes


def _run_config(run: str | Path) -> dict:
    path = Path(run) / "config.json"
    return read_json(path) if path.exists() else {}


def run_model(run: str | Path) -> str | None:
    """The family a training run was trained as ('cyclegan', 'stargan', ...), None for anything else."""
    return _run_config(run).get("model")


def _translator(run: Path, model: str | tuple[str, ...]) -> dict:
    """The ``translator`` entry of a run's config.json; UserError unless the run is a ``model`` run."""
    if not Path(run).exists():
        raise UserError(f"{run} does not exist")
    cfg = _run_config(run)
    models = (model,) if isinstance(model, str) else model
    if cfg.get("model") not in models:
        raise UserError(f"{run} is not a {' or '.join(models)} run (train one with `tlgan train {models[0]}`)")
    return cfg["translator"]


def load_translator(run: str | Path, direction: str = "a2b", source: str | None = None,
                    target: str | None = None) -> tuple[torch.nn.Module, tuple[int, int, int]]:
    """(generator in eval mode, image shape (C, R, R)) of a CycleGAN (a2b or b2a), pix2pix (a2b) or shared-latent
    run (unit, combogan: ``source`` -> ``target`` domain by name; ``direction`` a2b / b2a for two domains)."""
    run = Path(run)
    info = _translator(run, ("cyclegan", "pix2pix", "unit", "combogan"))
    if "domains" in info:
        return _between(run, info, direction, source, target)
    if target is not None or source is not None:
        raise UserError("--from/--to name domains of a unit or combogan run; this run translates by --direction")
    if direction not in info["directions"]:
        raise UserError(f"--direction must be {' or '.join(info['directions'])} for this run, got {direction!r}")
    net = load_network(run, info["directions"][direction])
    return net, (net.channels, info["resolution"], info["resolution"])


class _Between(torch.nn.Module):
    """A shared-latent translator fixed to one pair of domains: images of domain i -> domain j."""

    def __init__(self, net: torch.nn.Module, i: int, j: int):
        super().__init__()
        self.net, self.i, self.j, self.channels = net, i, j, net.channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.i, self.j)


def _between(run: Path, info: dict, direction: str, source: str | None, target: str | None):
    names = info["domains"]
    if source is None and target is None:
        pairs = {"a2b": (0, 1), "b2a": (1, 0)} if len(names) == 2 else {}
        if direction not in pairs:
            raise UserError(f"give --to DOMAIN (one of {', '.join(names)}) for this {len(names)}-domain run"
                            if not pairs else f"--direction must be a2b or b2a for this run, got {direction!r}")
        i, j = pairs[direction]
    else:
        for name in (source, target):
            if name is not None and name not in names:
                raise UserError(f"{run} has no domain {name!r}; its domains: {', '.join(names)}")
        i = names.index(source) if source is not None else 0
        j = names.index(target) if target is not None else (1 if i == 0 else 0)
        if i == j:
            raise UserError(f"--from and --to are both {names[i]!r}: give two different domains")
    net = _Between(load_network(run, "g"), i, j).eval()
    return net, (net.channels, info["resolution"], info["resolution"])


@torch.no_grad()
def translate(net: torch.nn.Module, x: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Images (N, C, R, R) in [-1, 1] → their translations, same shape and range."""
    return torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)])


def parse_settings(items: list[str]) -> dict[str, float]:
    """['Blond_Hair=1', 'Male=0'] → {'Blond_Hair': 1.0, 'Male': 0.0}; UserError on a malformed item."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise UserError(f"--set takes NAME=VALUE (e.g. Blond_Hair=1), got {item!r}") from None
    return out


class StarGAN:
    """A trained StarGAN run: its generator G(x, c) and its critic's attribute classifier.

    ``attributes`` are the K label names in the order of c; ``shape`` is (C, R, R).
    """

    def __init__(self, run: str | Path):
        run = Path(run)
        info = _translator(run, "stargan")
        self.attributes: list[str] = info["attributes"]
        self.exclusive: dict[str, list[str]] = info["exclusive"]
        self.g, self.d = load_networks(run, ["g", "d"]).values()
        self.shape = (self.g.channels, info["resolution"], info["resolution"])

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, R, R) in [-1, 1] → the critic's attribute probabilities (N, K) in [0, 1]."""
        return torch.sigmoid(self.d(x)[1])

    def targets(self, x: torch.Tensor, settings: dict[str, float]) -> torch.Tensor:
        """Target labels (N, K): each image's own attributes as the critic sees them (rounded to 0/1), with
        ``settings`` (name → value in [0, 1]) applied; setting a hair colour to 1 clears the others."""
        for name, value in settings.items():
            if name not in self.attributes:
                raise UserError(f"unknown attribute {name!r}; this StarGAN run knows: {', '.join(self.attributes)}")
            if not 0.0 <= value <= 1.0:
                raise UserError(f"{name}={value:g}: attribute values lie in [0, 1]")
        return set_attributes(self.classify(x).round(), settings, self.attributes, self.exclusive)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, labels: torch.Tensor, batch: int = 64) -> torch.Tensor:
        """Images (N, C, R, R) in [-1, 1] and target labels (N, K) in [0, 1] → translated images, same shape."""
        k = len(self.attributes)
        if labels.dim() != 2 or labels.shape != (len(x), k):
            raise UserError(f"target labels must have shape ({len(x)}, {k}) — one column per attribute "
                            f"({', '.join(self.attributes)}) — got {tuple(labels.shape)}")
        return torch.cat([self.g(x[i:i + batch], labels[i:i + batch].float()) for i in range(0, len(x), batch)])
