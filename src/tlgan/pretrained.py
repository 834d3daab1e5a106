"""The shipped default faces model: generator, feature extractor, independent judge and fitted axes."""
from __future__ import annotations

from pathlib import Path

from .errors import UserError

ROOT = Path(__file__).parent / "pretrained" / "faces"


def default_paths() -> dict[str, Path]:
    """Paths of the shipped model's parts: generator (run dir), extractor, judge, axes."""
    paths = {"generator": ROOT / "generator", "extractor": ROOT / "extractor", "judge": ROOT / "judge",
             "axes": ROOT / "axes"}
    missing = [k for k, p in paths.items() if not p.exists()]
    if missing:
        raise UserError(f"the shipped faces model is incomplete (missing {', '.join(missing)} under {ROOT}); "
                        "pass --generator/--axes explicitly")
    return paths
