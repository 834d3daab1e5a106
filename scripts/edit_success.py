"""How often the documented edits work, on seeds nobody chose: the success rate over 200 seeds (0..199) by the
independent judge, and a picture of the first 8 seeds (0..7) before and after each edit. Each fixed edit
(``tlgan edit --set``) is followed by its ``tlgan edit --want`` twin, which walks each face along the same axes
until the extractor reads the request (tlgan edit --want's defaults: probability 0.9, at most 4 along an axis).

    python scripts/edit_success.py [--n 200] [--json docs/edit_success.json] [--png docs/edit_success.png]

An edit succeeds on a face when, after it, the judge reads every requested binary attribute on the requested
side (probability > 0.5 for a positive λ, < 0.5 for a negative one) and every locked attribute on the side it
was before. The rate of faces that already had the requested attributes is reported beside it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
FIXED = {  # name: (edits, locks) as the README and docs/ show them
    "Smiling +1.5, Male locked": ({"Smiling": 1.5}, ["Male"]),
    "Smiling +1.5, No_Beard +2, Male locked": ({"Smiling": 1.5, "No_Beard": 2.0}, ["Male"]),
    "No_Beard +2, Male locked": ({"No_Beard": 2.0}, ["Male"]),
    "Eyeglasses +2, Male and Young locked": ({"Eyeglasses": 2.0}, ["Male", "Young"]),
}


def edits_and_twins() -> dict:
    """{row name: (edits {axis: λ} or None for a --want row, wanted {axis: 0/1}, locks)}: each fixed edit, then
    its --want twin (the same axes and locks)."""
    rows = {}
    for name, (edits, locks) in FIXED.items():
        want = {a: float(lam > 0) for a, lam in edits.items()}
        rows[name] = (edits, want, locks)
        request = ",".join(f"{a}={v:g}" for a, v in want.items())
        rows[f"`--want {request}`, {name.rsplit(', ', 1)[1]}"] = (None, want, locks)
    return rows


EDITS = edits_and_twins()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "edit_success.json")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "edit_success.png")
    args = ap.parse_args()
    from tlgan.data.images import save_grid
    from tlgan.extractors import load_extractor, predict_labels
    from tlgan.io import write_json
    from tlgan.latent.edit import MAX_WALK, WANT_CONFIDENCE, edit_latents, walk_until_seen
    from tlgan.pretrained import default_paths, resolve_models
    m = resolve_models()
    g, axes, judge = m.generator, m.axes, load_extractor(default_paths()["judge"])
    z = torch.cat([g.latents(1, seed=s) for s in range(args.n)])  # seed s -> the editor's and `tlgan edit`'s face s
    col = {name: judge.label_names.index(name) for name in judge.label_names}
    with torch.no_grad():
        before = predict_labels(judge, g.to_signed(g(z)), probabilities=True)
    results, rows = {}, [g.to_signed(g(z[:8]))]
    for name, (edits, want, locks) in EDITS.items():
        if edits is None:
            zz, walked, _ = walk_until_seen(g, m.extractor, axes, z, want, locks)
        else:
            zz = edit_latents(z, axes, edits, lock=locks)
        with torch.no_grad():
            x = g.to_signed(g(zz))
        after = predict_labels(judge, x, probabilities=True)
        wanted = torch.stack([(after[:, col[a]] > 0.5) == (v == 1) for a, v in want.items()], 1).all(1)
        had = torch.stack([(before[:, col[a]] > 0.5) == (v == 1) for a, v in want.items()], 1).all(1)
        kept = torch.stack([(after[:, col[a]] > 0.5) == (before[:, col[a]] > 0.5) for a in locks], 1).all(1)
        ok = wanted & kept
        r = results[name] = {"edits": edits, "want": want, "lock": locks, "seeds": f"0..{args.n - 1}",
                             "success_rate": float(ok.float().mean()),
                             "requested_reached": float(wanted.float().mean()),
                             "locks_kept": float(kept.float().mean()), "already_had": float(had.float().mean()),
                             "first_8": [bool(v) for v in ok[:8]]}
        if edits is None:
            r["mean_abs_lambda"] = {a: float(walked[:, k].abs().mean()) for k, a in enumerate(want)}
        rows.append(x[:8])
        print(f"{name:50s} success {r['success_rate']:.0%} (reached {r['requested_reached']:.0%}, locks kept "
              f"{r['locks_kept']:.0%}; already had it {r['already_had']:.0%})")
    write_json(args.json, {"judge": "the shipped independent judge (CNN, another renderer seed)", "n": args.n,
                           "generator_hash": g.content_hash, "axes_hash": axes.content_hash,
                           "walk": {"confidence": WANT_CONFIDENCE, "max_lambda": MAX_WALK},
                           "rows_of_picture": ["unedited", *EDITS], "edits": results})
    save_grid(torch.cat(rows), args.png, nrow=8, title="seeds 0-7, each edit on its row",
              row_labels=["unedited", *(name.replace("`", "") for name in EDITS)])
    print(f"wrote {args.json} and {args.png}")


if __name__ == "__main__":
    main()
