"""R3GAN vs DCGAN on 32x32 faces at one image budget fixed before the runs (issue 28): 4,000 updates of 64
images (256k images) each — the shipped DCGAN recipe (configs/faces32.yaml) at half its 8,000 updates, and
configs/r3gan_faces32.yaml. Trains whichever run is missing or unfinished (resuming it), then measures both:

- FD-faces at 32x32 over the default faces classifier (2,000 samples, latents of seed 0) beside its floor;
- attribute rates by the shipped independent judge (5,000 held-out real faces vs 5,000 samples): how many of the
  attributes with a data rate >= 5% fall outside ±25% of it;
- the critic's logit gap, mean D(real) − D(fake), over each quarter of training (from the runs' TensorBoard logs);
- images/s of training, from the runs' logs.

A third recipe, configs/r3gan_faces32_gamma005.yaml, is R3GAN with a 10x smaller gamma (is its blur an
over-regularised critic?). A fourth, r3gan-gamma0.05-border, is that recipe trained again after the resampling
border fix (models/r3gan.py: replicated borders), the fix alone changed. ``--recipes`` picks which to train and
measure; the JSON keeps the others' entries.

    python benchmarks/r3gan_vs_dcgan.py [--runs runs/bench/r3gan_vs_dcgan] [--json docs/r3gan_vs_dcgan.json]
                                        [--grid docs/r3gan_vs_dcgan.png] [--recipes dcgan,r3gan,r3gan-gamma0.05]
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from tlgan.data import load_data
from tlgan.data.images import save_grid
from tlgan.extractors import load_extractor
from tlgan.generator import load_generator
from tlgan.metrics import FD_FACES_IMAGES, FrechetScorer, generator_quality
from tlgan.pretrained import default_paths
from tlgan.training import load_config, train

ROOT = Path(__file__).resolve().parent.parent
BUDGET_STEPS = 4000  # updates of 64 images, decided before the runs
RECIPES = {"dcgan": ROOT / "configs/faces32.yaml", "r3gan": ROOT / "configs/r3gan_faces32.yaml",
           "r3gan-gamma0.05": ROOT / "configs/r3gan_faces32_gamma005.yaml",
           "r3gan-gamma0.05-border": ROOT / "configs/r3gan_faces32_gamma005.yaml"}


def ensure_trained(name: str, run: Path) -> None:
    """Train (or resume) ``run`` to the budget with its recipe."""
    state = run / "state" / "trainer.pt"
    if state.exists() and int(torch.load(state, weights_only=True)["step"]) >= BUDGET_STEPS:
        return
    train(load_config(RECIPES[name], steps=BUDGET_STEPS), run, resume=state.exists())


def logit_gap(run: Path) -> dict:
    """The mean logit gap over each quarter of training and at the end (last 5% of steps), from TensorBoard."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
    acc.Reload()
    events = {e.step: e.value for e in acc.Scalars("gap")}  # a resumed run logs some steps twice: keep the last
    steps, values = np.array(sorted(events)), np.array([events[s] for s in sorted(events)])
    quarters = [float(values[(steps > q * BUDGET_STEPS / 4) & (steps <= (q + 1) * BUDGET_STEPS / 4)].mean())
                for q in range(4)]
    return {"quarters": quarters, "end": float(values[steps > 0.95 * BUDGET_STEPS].mean())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs/bench/r3gan_vs_dcgan")
    ap.add_argument("--json", default=None)
    ap.add_argument("--grid", default=None, help="a PNG: 12 samples of each model (same latents), one row each")
    ap.add_argument("--recipes", default=",".join(RECIPES), help="which to train and measure (comma-separated); "
                    "the --json file keeps the entries of the others")
    args = ap.parse_args()
    unknown = set(args.recipes.split(",")) - set(RECIPES)
    if unknown:
        raise SystemExit(f"unknown recipe(s) {sorted(unknown)}; known: {', '.join(RECIPES)}")
    runs = {name: Path(args.runs) / name for name in args.recipes.split(",")}
    for name, run in runs.items():
        ensure_trained(name, run)
    data = load_data("faces", 32, FD_FACES_IMAGES)  # as `tlgan evaluate fd`: its FD network's images
    scorer = FrechetScorer.for_dataset("faces", data, n=2000)
    floor = scorer.floor(data, 2000)
    judge = load_extractor(default_paths("faces")["judge"])
    results = {}
    for name, run in runs.items():
        g = load_generator(run, best=False)  # the last weights of both (R3GAN also keeps a best-by-FD copy)
        params = sum(p.numel() for p in g.net.parameters())
        results[name] = {"run": str(run), "recipe": str(RECIPES[name].relative_to(ROOT)), "updates": BUDGET_STEPS,
                         "images": BUDGET_STEPS * 64, "g_parameters": params,
                         **generator_quality(g, scorer, floor, judge), "logit_gap": logit_gap(run)}
    for name, r in results.items():
        print(f"{name}: FD-faces@32 {r['fd']:.2f} (floor {floor:.2f}), {r['outside_25']} of {r['judged']} attributes "
              f"outside ±25%, logit gap by quarter {[round(v, 2) for v in r['logit_gap']['quarters']]}")
    if args.json:
        old = json.loads(Path(args.json).read_text())["models"] if Path(args.json).exists() else {}
        models = {k: v for k, v in {**old, **results}.items() if k in RECIPES}
        Path(args.json).write_text(json.dumps({"budget_updates": BUDGET_STEPS, "batch": 64, "models": models},
                                              indent=2))
        print(f"wrote {args.json}; the README's table: python scripts/readme_tables.py")
    if args.grid:
        gens = [load_generator(run, best=False) for run in runs.values()]
        save_grid(torch.cat([g.to_signed(g.sample(12, seed=1)[1]) for g in gens]), args.grid, nrow=12)
        print(f"wrote {args.grid} (rows: {', '.join(runs)})")


if __name__ == "__main__":
    main()
