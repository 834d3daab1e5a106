"""How EGBAD's ALAD-trained detector should score, decided on the development set (scikit-learn digits, class 0
normal), never on Fashion-MNIST's test set: AUROC of each candidate score on digits' test split and on held-out normal
digits with a bright 8×8 square planted at a random place. Writes docs/egbad_score_dev.json.

    python scripts/egbad_score_dev.py [--out docs/egbad_score_dev.json]
"""
from __future__ import annotations

import argparse
import tempfile

import numpy as np
import torch

from tlgan.anomaly.bench import detection_metrics
from tlgan.anomaly.detector import Detector, anomaly_config, class_of, normal_split, train_detector
from tlgan.data import load_data
from tlgan.io import write_json
from tlgan.latent.invert import per_image


def candidate_scores(det: Detector, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-image scores (N,) of each candidate for images x (N, C, R, R) in [-1, 1]."""
    with torch.no_grad():
        xr = det.g(det.e(x))
        dxx = det.nets["dxx"]
        feat = per_image((dxx.features(x, x) - dxx.features(x, xr)).abs())
        pixel = per_image((x - xr).abs())
        w = det.cfg.feature_weight
        return {"D_xx features (ALAD)": feat.numpy(), "pixel L1": pixel.numpy(),
                "D_xx logit (ALAD)": -dxx(x, xr).numpy(),
                f"{1 - w:g}·pixel L1 + {w:g}·D_xx features (EGBAD's form)": ((1 - w) * pixel + w * feat).numpy()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/egbad_score_dev.json")
    args = ap.parse_args()
    cfg = anomaly_config(method="egbad", data="digits", normal_class=0, steps=200, width=16)
    with tempfile.TemporaryDirectory() as tmp:
        det = Detector(train_detector(cfg, f"{tmp}/run", progress=False, log=lambda *_: None))
        test = load_data("digits", split="test")
        x_test, y_test = test.batch(slice(None)), class_of(test) != 0
        held = normal_split(cfg)[1].batch(slice(None))
        planted = held.clone()
        for i, (r, c) in enumerate(np.random.default_rng(0).integers(0, 32 - 8, (len(held), 2))):
            planted[i, :, r:r + 8, c:c + 8] = 1.0
        sets = {"digits test (class 0 normal)": (x_test, y_test),
                "planted squares vs held-out normals": (torch.cat([held, planted]),
                                                        np.repeat([False, True], len(held)))}
        result = {"config": {"steps": cfg.steps, "width": cfg.width, "normal_class": 0},
                  "auroc": {name: {score: detection_metrics(v, y)["auroc"]
                                   for score, v in candidate_scores(det, x).items()}
                            for name, (x, y) in sets.items()}}
    write_json(args.out, result)
    print(result["auroc"])


if __name__ == "__main__":
    main()
