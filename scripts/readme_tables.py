"""Write the README's generated tables from the JSON files the benchmarks write; ``--check`` only compares.

A generated table sits between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->`` in a Markdown file; its text is
``TABLES[NAME]`` applied to its JSON file. Hand edits between the markers are overwritten (and fail ``--check``,
which the test suite runs, so a figure in the README is always the one its JSON holds).

    python scripts/readme_tables.py [--check] [FILE.md ...]     (default: README.md and docs/*.md)
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def r3gan_vs_dcgan(d: dict) -> str:
    """docs/r3gan_vs_dcgan.json (benchmarks/r3gan_vs_dcgan.py) -> the 32x32 side-by-side."""
    rows = ["| model (recipe) | G parameters | images seen | FD-faces@32 | × floor | attributes outside ±25% "
            "| critic's logit gap, by quarter of training |",
            "|---|---|---|---|---|---|---|"]
    for name, m in d["models"].items():
        gaps = " → ".join(f"{v:.2f}" for v in m["logit_gap"]["quarters"])
        rows.append(f"| {name} (`{m['recipe']}`) | {m['g_parameters'] / 1e6:.2f} M | {m['images'] // 1000}k | "
                    f"{m['fd']:.2f} | {m['fd'] / m['fd_floor']:.1f} | {m['outside_25']} of {m['judged']} | {gaps} |")
    floor = next(iter(d["models"].values()))["fd_floor"]
    rows.append(f"\nFloor (FD between two real splits): {floor:.2f}. Attribute rates: the shipped independent judge "
                f"on 5,000 held-out real faces and 5,000 samples (latents of seed 0), attributes with a data rate "
                f"of at least 5%.")
    return "\n".join(rows)


def faces64_candidates(d: dict) -> str:
    """docs/faces64_candidates.json (benchmarks/faces64_candidates.py) -> the shipped 64x64 model beside candidates."""
    rows = ["| 64×64 model | FD-faces@64 | × floor | attributes outside ±25% |", "|---|---|---|---|"]
    for name, m in d["models"].items():
        rows.append(f"| {name} (`{m['generator']}`) | {m['fd']:.2f} | {m['fd'] / m['fd_floor']:.1f} | "
                    f"{m['outside_25']} of {m['judged']} |")
    floor = next(iter(d["models"].values()))["fd_floor"]
    rows.append(f"\nFloor (FD between two real splits, the default 64-px faces classifier): {floor:.2f}.")
    return "\n".join(rows)


TABLES = {"r3gan_vs_dcgan": ("docs/r3gan_vs_dcgan.json", r3gan_vs_dcgan),
          "faces64_candidates": ("docs/faces64_candidates.json", faces64_candidates)}
MARKED = re.compile(r"(<!-- table:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(^<!-- /table:(?P=name) -->)", re.S | re.M)


def regenerate(text: str, root: Path = ROOT) -> str:
    """``text`` with every marked table rewritten from its JSON."""
    def fill(m: re.Match) -> str:
        name = m["name"]
        if name not in TABLES:
            raise SystemExit(f"error: unknown generated table {name!r}; known: {', '.join(TABLES)}")
        path, render = TABLES[name]
        return m.group(1) + render(json.loads((root / path).read_text())) + "\n" + m.group(4)
    return MARKED.sub(fill, text)


def main() -> int:
    ap = argparse.ArgumentParser()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    ap.add_argument("files", nargs="*", default=[str(p) for p in pages])
    ap.add_argument("--check", action="store_true", help="exit 1 if a table differs from its JSON; write nothing")
    args = ap.parse_args()
    stale = []
    for f in map(Path, args.files):
        text = f.read_text()
        new = regenerate(text)
        if new != text:
            stale.append(str(f))
            if not args.check:
                f.write_text(new)
    if stale:
        print(f"{'differ from their JSON' if args.check else 'rewrote tables in'}: {', '.join(stale)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
