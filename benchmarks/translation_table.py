"""Faces, black <-> blond hair: UNIT, UNIT + semantic consistency, ComboGAN and CycleGAN side by side.

One budget for all: 32x32, width 16, 3 residual blocks, 1,500 updates of 16 (configs/*_faces32.yaml; train each
with `tlgan train MODEL --config configs/X_faces32.yaml --out runs/bench/translation/X`). ComboGAN trains on three
hair colours (black, blond, brown; it is built for many domains) and is read on its black <-> blond pair.
On --n held-out test faces of each domain:
- accepted: the shipped independent judge reads the target hair colour on the translation (p > 0.5);
- kept: the judge's decision on every other binary attribute is the same before and after (mean over attributes);
- cycle error: mean |x - back(forth(x))| on the [-1, 1] scale.

    python benchmarks/translation_table.py [--runs runs/bench/translation] [--n 500]
        [--json docs/translation_faces.json] [--grid docs/translation_faces.png]
"""
import argparse
import json
from pathlib import Path

import torch

from tlgan.data import load_data
from tlgan.data.images import save_grid, to_model_range
from tlgan.errors import UserError
from tlgan.extractors import load_extractor, predict_labels
from tlgan.pretrained import default_paths
from tlgan.translate import load_translator, run_model, translate

MODELS = {"cyclegan": "CycleGAN", "unit": "UNIT", "unit_sc": "UNIT + semantic consistency", "combogan": "ComboGAN"}
SHORT = {"cyclegan": "CycleGAN", "unit": "UNIT", "unit_sc": "UNIT+SC", "combogan": "ComboGAN"}
HAIR = {"a2b": ("Black_Hair", "Blond_Hair"), "b2a": ("Blond_Hair", "Black_Hair")}

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=Path, default=Path("runs/bench/translation"))
ap.add_argument("--n", type=int, default=500)
ap.add_argument("--json", type=Path)
ap.add_argument("--grid", type=Path, help="PNG: a block of 4 faces per model; rows: black-haired inputs, their "
                "translations and cycles, then the same for blond")
args = ap.parse_args()
judge = load_extractor(default_paths()["judge"])
HAIRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")
others = [k for k, b in enumerate(judge.binary) if b and judge.label_names[k] not in HAIRS]
# the same held-out faces for every model: images in [-1, 1] and the judge's decisions on them
inputs = {d: to_model_range(load_data(f"faces#{src}", 32, args.n, split="test").x) for d, (src, _) in HAIR.items()}
judged = {d: predict_labels(judge, x, probabilities=True).numpy() > 0.5 for d, x in inputs.items()}


def translator(run: Path, direction: str):
    if run_model(run) == "combogan":
        return load_translator(run, source=HAIR[direction][0], target=HAIR[direction][1])[0]
    return load_translator(run, direction)[0]


rows, blocks = [], {}
for name, title in MODELS.items():
    run = args.runs / name
    if not (run / "config.json").exists():
        print(f"{title}: no run in {run}; train it with `tlgan train {name.split('_')[0]} --config "
              f"configs/{name}_faces32.yaml --out {run}`")
        continue
    row = {"model": title, "run": str(run)}
    try:
        nets = {d: translator(run, d) for d in HAIR}
    except UserError as e:
        print(f"{title}: {e} (not trained yet?)")
        continue
    for direction, (_, dst) in HAIR.items():
        x, before = inputs[direction], judged[direction]
        y = translate(nets[direction], x)
        cyc = translate(nets["b2a" if direction == "a2b" else "a2b"], y)
        after = predict_labels(judge, y, probabilities=True).numpy() > 0.5
        t = judge.label_names.index(dst)
        row[direction] = {"accepted": float(after[:, t].mean()),
                          "kept": float((before[:, others] == after[:, others]).mean()),
                          "cycle_error": float((cyc - x).abs().mean())}
        blocks.setdefault(name, []).extend([x[:4], y[:4], cyc[:4]])
    rows.append(row)

print(f"{args.n} held-out test faces per direction; judge = the shipped independent judge")
print("| model | black→blond accepted | blond→black accepted | kept (other attributes) | cycle error |")
print("|---|---|---|---|---|")
for r in rows:
    a, b = r["a2b"], r["b2a"]
    print(f"| {r['model']} | {a['accepted']:.1%} | {b['accepted']:.1%} | {a['kept']:.1%} / {b['kept']:.1%} "
          f"| {a['cycle_error']:.3f} / {b['cycle_error']:.3f} |")
if args.json:
    args.json.write_text(json.dumps({"n": args.n, "rows": rows}, indent=2) + "\n")
if args.grid and blocks:
    save_grid(torch.cat([b[r] for r in range(6) for b in blocks.values()]), args.grid, nrow=4 * len(blocks),
              col_labels=[SHORT[m] for m in blocks], title="rows: black | to blond | cycle | blond | to black | cycle")
