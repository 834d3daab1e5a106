"""The one-class benchmark: each class in turn is normal, trained on its training images, tested on the whole test set.

Finished detectors are reused (the benchmark resumes where it stopped); nothing is tuned on the test set.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from ..data import load_data
from ..errors import UserError
from ..io import ensure_dir, read_json, write_json
from .detector import METHODS, AnomalyConfig, Detector, class_of, protocol, train_detector

# Fashion-MNIST one-class mean AUROC (%) from Golan & El-Yaniv, "Deep Anomaly Detection Using Geometric
# Transformations", NeurIPS 2018, Table 1 (raw OC-SVM's hyper-parameters were tuned on the test set there).
PUBLISHED_FASHION = {"GEOM": 93.5, "raw OC-SVM": 92.8, "CAE-OC-SVM": 91.7, "ADGAN": 88.4, "DSEBM": 86.6}


def detection_metrics(scores: np.ndarray, is_anomaly: np.ndarray) -> dict[str, float]:
    """AUROC, average precision and the best F1 over thresholds (anomaly = positive class), from scikit-learn."""
    is_anomaly = np.asarray(is_anomaly, bool)
    if not np.isfinite(scores).all():
        raise UserError(f"{int((~np.isfinite(scores)).sum())} anomaly score(s) are NaN or infinite: the detector "
                        "diverged; retrain it with a lower learning rate")
    if is_anomaly.all() or not is_anomaly.any():
        raise UserError("the test set needs both normal images and anomalies to compute AUROC")
    p, r, _ = precision_recall_curve(is_anomaly, scores)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
    return {"auroc": float(roc_auc_score(is_anomaly, scores)),
            "ap": float(average_precision_score(is_anomaly, scores)), "f1": float(f1.max())}


def run_bench(base: AnomalyConfig, methods, classes, out: str | Path, test_n: int | None = None,
              anogan_test_n: int | None = 1000, progress: bool = True, log=print) -> dict:
    """Train and test every (class, method); returns and writes ``out/results.json`` and ``out/results.md``.

    ``test_n`` caps the test images (a fixed random subset, the same for every method); AnoGAN's slow latent
    search is run on at most ``anogan_test_n`` of them. Throughput (images/s) is measured while scoring.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UserError(f"unknown method(s) {', '.join(unknown)}; expected some of {', '.join(METHODS)}")
    out = Path(out)
    test = load_data(base.data, base.resolution, split="test")
    order = np.random.default_rng(base.seed).permutation(len(test))
    results: dict = {"protocol": "one-class: class k is normal (trained on its training images only), "
                                 "all other classes are anomalies; test = the whole test set",
                     "budget": dataclasses.asdict(base), "runs": {}}
    for k in classes:
        for method in methods:
            acfg = dataclasses.replace(base, method=method, normal_class=k)
            run = out / f"class{k}" / method
            meta = read_json(run / "anomaly.json") if (run / "anomaly.json").exists() else None
            if meta is not None and meta["config"] != dataclasses.asdict(acfg):
                raise UserError(f"{run} was trained with other settings; remove it or choose another --out")
            if meta is None or not meta.get("complete"):
                t0 = time.time()
                train_detector(acfg, run, resume=run.exists(), progress=progress, log=log)
                write_json(run / "train_time.json", {"seconds": time.time() - t0})
            det = Detector(run)
            n = test_n or len(test)
            if method == "anogan" and anogan_test_n:
                n = min(n, anogan_test_n)
            idx = torch.from_numpy(np.sort(order[:n]))
            x, y = test.batch(idx), class_of(test)[idx.numpy()] != k
            t0 = time.time()
            scores = det.score(x, progress=progress)["score"].numpy()
            rate = n / (time.time() - t0)
            row = {**detection_metrics(scores, y), "images_per_s": rate, "n_test": n,
                   "train_s": read_json(run / "train_time.json")["seconds"] if (run / "train_time.json").exists()
                   else None}
            results["runs"].setdefault(str(k), {})[method] = row
            log(f"class {k} ({protocol(acfg)}) {method}: AUROC {row['auroc']:.3f}  AP {row['ap']:.3f}  "
                f"F1 {row['f1']:.3f}  {rate:,.0f} img/s")
    results["mean"] = {m: {key: float(np.mean([results["runs"][str(k)][m][key] for k in classes]))
                           for key in ("auroc", "ap", "f1", "images_per_s")} for m in methods}
    ensure_dir(out)
    write_json(out / "results.json", results)
    (out / "results.md").write_text(markdown(results, methods, classes, base.data))
    return results


def markdown(results: dict, methods, classes, data: str) -> str:
    """The results as a markdown table: per-class AUROC (%), mean AUROC/AP/F1, throughput and speed-up."""
    head = "| class | " + " | ".join(methods) + " |\n|---|" + "---:|" * len(methods) + "\n"
    rows = "".join(f"| {k} | " + " | ".join(f"{100 * results['runs'][str(k)][m]['auroc']:.1f}" for m in methods)
                   + " |\n" for k in classes)
    mean = results["mean"]
    rows += "| **mean AUROC** | " + " | ".join(f"**{100 * mean[m]['auroc']:.1f}**" for m in methods) + " |\n"
    rows += "| mean AP | " + " | ".join(f"{100 * mean[m]['ap']:.1f}" for m in methods) + " |\n"
    rows += "| mean best F1 | " + " | ".join(f"{100 * mean[m]['f1']:.1f}" for m in methods) + " |\n"
    rows += "| scoring img/s | " + " | ".join(f"{mean[m]['images_per_s']:,.0f}" for m in methods) + " |\n"
    if "anogan" in methods:
        ref = mean["anogan"]["images_per_s"]
        rows += "| speed vs AnoGAN | " + " | ".join(f"{mean[m]['images_per_s'] / ref:,.0f}×" for m in methods) + " |\n"
    text = f"Protocol: {results['protocol']} ({data}).\n\n" + head + rows
    if data == "fashion":
        text += ("\nPublished Fashion-MNIST one-class mean AUROC (Golan & El-Yaniv 2018, Table 1): "
                 + ", ".join(f"{k} {v}" for k, v in PUBLISHED_FASHION.items()) + ".\n")
    return text
