"""Print the README's per-attribute table of the shipped faces model (markdown) from its files and the two axis
evaluations (``tlgan evaluate axes --json docs/axes_eval.json`` and ``--judge .../judge_mlp --json
docs/axes_eval_mlp_judge.json``).

    python scripts/axes_table.py [--eval docs/axes_eval.json] [--mlp docs/axes_eval_mlp_judge.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

P = Path("src/tlgan/pretrained/faces")
STRONG_AUC, STRONG_R2 = 0.95, 0.9  # the second judge is quoted only where it reads the attribute well


def _read(path) -> dict:
    return json.loads(Path(path).read_text())


def _quality(metrics: dict, name: str) -> tuple[str, float, bool]:
    m = metrics[name]
    if "auc" in m:
        return f"{m['auc']:.3f}", m["auc"], m["auc"] >= STRONG_AUC
    return f"R² {m['r2']:.3f}", m["r2"], m["r2"] >= STRONG_R2


def _ci(entry: dict, key: str, fmt: str, ref: str | None = None) -> str:
    value = entry[key] if ref is None else entry[key][ref]
    lo, hi = entry["ci"][key] if ref is None else entry["ci"][key][ref]
    return f"{value:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def table(eval_path, mlp_path) -> str:
    ev, mlp = _read(eval_path), _read(mlp_path)
    ref = ev["references"][0]
    ext = _read(P / "extractor" / "extractor.json")["metrics"]
    judge = _read(P / "judge" / "extractor.json")["metrics"]
    judge_mlp = _read(P / "judge_mlp" / "extractor.json")["metrics"]
    axes = _read(P / "axes" / "axes.json")
    rows = ["| attribute | extractor AUC / R² | judge AUC / R² | axis held-out AUC / R² | controllability raw → dis. "
            f"| flip @±2 raw → dis. | leakage ratio → {ref} raw → dis. | 2nd judge (MLP): AUC, leakage → {ref} "
            "raw → dis. |", "|---|---|---|---|---|---|---|---|"]
    for name in axes["names"]:
        q = axes["quality"][name]
        fit = f"{q['auc']:.3f}" if "auc" in q else f"R² {q['r2']:.3f}"
        raw, dis = ev["raw"][name], ev["disentangled"].get(name)
        mlp_text, _, strong = _quality(judge_mlp, name)
        if name == ref:
            cells = [f"{_ci(raw, 'controllability', '+.3f')} (reference)", _ci(raw, "flip_rate", ".2f"), "–",
                     mlp_text]
        else:
            leak = f"{_ci(raw, 'leakage_ratio', '.2f', ref)} → {_ci(dis, 'leakage_ratio', '.2f', ref)}"
            if strong:
                m_raw, m_dis = mlp["raw"][name]["leakage_ratio"][ref], mlp["disentangled"][name]["leakage_ratio"][ref]
                mlp_cell = f"{mlp_text}: {m_raw:.2f} → {m_dis:.2f}"
            else:
                mlp_cell = f"{mlp_text}: weak, not used"
            cells = [f"{raw['controllability']:+.3f} → {dis['controllability']:+.3f}",
                     f"{_ci(raw, 'flip_rate', '.2f')} → {_ci(dis, 'flip_rate', '.2f')}", leak, mlp_cell]
        rows.append("| " + " | ".join([name, _quality(ext, name)[0], _quality(judge, name)[0], fit, *cells]) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", default="docs/axes_eval.json")
    ap.add_argument("--mlp", default="docs/axes_eval_mlp_judge.json")
    args = ap.parse_args()
    print(table(args.eval, args.mlp))


if __name__ == "__main__":
    main()
