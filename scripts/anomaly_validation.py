"""Should the benchmark add an ensemble of the encoder detectors? Decided on Fashion-MNIST's *training* split, never
its test split: for each class k of a finished `tlgan anomaly bench` (one-class protocol), the held-out normal
training images of class k (never trained on) against 2,000 training images of the other classes, scored by each
encoder detector, by every ensemble of two or three of them (the mean of their z-scores against held-out
normals), and by other scores GANomaly's and EGBAD's networks could give (an ensemble detector, ``members`` > 1:
by each of its members alone instead). Writes the AUROCs to docs/anomaly_validation.json.

    python scripts/anomaly_validation.py --runs runs/anomaly-fashion [--json docs/anomaly_validation.json]
"""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import torch

from tlgan.anomaly.bench import detection_metrics
from tlgan.anomaly.detector import Detector, class_of, egbad_scores, normal_split
from tlgan.data import load_data
from tlgan.io import read_json, write_json
from tlgan.latent.invert import per_image

MEMBERS = ("ganomaly", "fanogan", "egbad")
SUBSETS = [s for n in (2, 3) for s in itertools.combinations(MEMBERS, n)]  # every ensemble of two or three


def ganomaly_alternatives(det: Detector, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Other scores a GANomaly detector could give images x (N, C, R, R): its pixel residual and its
    discriminator-feature distance (the paper's score is the latent distance)."""
    with torch.no_grad():
        xr = det.g(det.e(x))
        return {"ganomaly, pixel L2 instead": per_image((x - xr).pow(2)).numpy(),
                "ganomaly, D features instead": per_image((det.d.features(x) - det.d.features(xr)).pow(2)).numpy()}


def egbad_alternatives(det: Detector, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Other scores an EGBAD (ALAD) detector could give images x (:func:`tlgan.anomaly.detector.egbad_scores`): D_xx's
    features alone (ALAD's own score), D_xx's logit, the pixel residual alone (the default mixes 0.9 of the pixel
    term with 0.1 of the feature term)."""
    with torch.no_grad():
        z = det.e(x)
        scores = egbad_scores(det.nets, x, z, det.g(z), det.cfg.feature_weight)
    names = {"dxx_features": "egbad, D_xx features only", "dxx_logit": "egbad, D_xx logit",
             "pixel": "egbad, pixel L1 only"}
    return {label: scores[k].numpy() for k, label in names.items() if k in scores}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs/anomaly-fashion")
    ap.add_argument("--n-anomalies", type=int, default=2000)
    ap.add_argument("--members", default=",".join(MEMBERS), help="the detectors to read (comma-separated)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    members = args.members.split(",")
    done = sorted(int(p.name[5:]) for p in Path(args.runs).glob("class*")
                  if all((p / m / "anomaly.json").exists() and read_json(p / m / "anomaly.json")["complete"]
                         for m in members))
    if not done:
        raise SystemExit(f"no class under {args.runs} has all of {', '.join(members)} finished")
    train, classes, out = None, None, {"members": members, "n_anomalies": args.n_anomalies, "classes": {}}
    for k in map(str, done):
        dets = {m: Detector(Path(args.runs) / f"class{k}" / m) for m in members}
        if train is None:
            train = load_data(dets[members[0]].cfg.data, split="train")
            classes = class_of(train)
        held = normal_split(dets[members[0]].cfg)[1].batch(slice(None))
        others = np.flatnonzero(classes != int(k))
        pick = np.sort(np.random.default_rng(int(k)).choice(others, args.n_anomalies, replace=False))
        x = torch.cat([held, train.batch(torch.from_numpy(pick))])
        y = np.repeat([False, True], [len(held), len(pick)])
        z = {m: d.score(x)["normalised"].numpy() for m, d in dets.items()}
        for m, d in dets.items():  # an ensemble's members alone, beside it
            z.update({f"{m}, seed {e.cfg.seed} alone": e.score(x)["normalised"].numpy() for e in d.members})
        for subset in SUBSETS:
            if set(subset) <= set(members):
                z[" + ".join(subset)] = np.mean([z[m] for m in subset], axis=0)
        if "ganomaly" in dets and not dets["ganomaly"].members:
            z.update(ganomaly_alternatives(dets["ganomaly"], x))
        if "egbad" in dets and not dets["egbad"].members:
            z.update(egbad_alternatives(dets["egbad"], x))
        out["classes"][k] = {m: detection_metrics(v, y)["auroc"] for m, v in z.items()}
        print(k, {m: round(v, 3) for m, v in out["classes"][k].items()})
    out["mean"] = {m: float(np.mean([c[m] for c in out["classes"].values()])) for m in out["classes"][k]}
    print("mean", {m: round(v, 4) for m, v in out["mean"].items()})
    if args.json:
        write_json(args.json, out)


if __name__ == "__main__":
    main()
