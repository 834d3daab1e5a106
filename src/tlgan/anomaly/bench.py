"""The anomaly benchmark: every class in turn under a protocol, every method, fixed budgets, one results file.

Protocols: ``one-class`` (class k normal, trained on its training images; the other nine classes are anomalies) and
``reverse`` (class k is the anomaly; trained on the other nine classes' training images). Test = the whole test set
(or a fixed random subset, the same for every method); AnoGAN's slow search scores the first ``anogan_test_n`` of it.

Budgets are fixed in advance per method (:data:`PRESETS`, a YAML file's ``per_method``): nothing is tuned on the
test set. Finished detectors are reused, so a stopped benchmark resumes where it stopped. ``jobs`` detectors train
at once in separate processes (one thread each on a 2-core machine: these small networks keep a second thread
poorly busy, a second process keeps the second core busy).
"""
from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from ..data import load_data
from ..errors import UserError
from ..io import ensure_dir, read_json, write_json
from .detector import (
    METHODS,
    SCORING_KEYS,
    AnomalyConfig,
    Detector,
    anomaly_config,
    calibrate,
    class_of,
    protocol,
    train_detector,
)

PROTOCOLS = ("one-class", "reverse")

# Budgets fixed before the benchmark was run (never chosen by test AUROC). ``common`` applies to every method,
# ``per_method`` adds to it; ``bench`` holds the test-set sizes. "full" is the documented benchmark; "quick" a check
# that takes minutes.
PRESETS: dict[str, dict] = {
    "full": {"common": dict(data="fashion", calibration_n=200, width=32, search_steps=500),
             "per_method": {"ganomaly": dict(steps=1000), "fanogan": dict(steps=400, encoder_steps=1000),
                            "egbad": dict(steps=600), "anogan": dict(steps=600)},
             "bench": dict(test_n=None, anogan_test_n=500)},
    "quick": {"common": dict(data="fashion", calibration_n=100, width=32, search_steps=500),
              "per_method": {"ganomaly": dict(steps=100), "fanogan": dict(steps=50, encoder_steps=100),
                             "egbad": dict(steps=100), "anogan": dict(steps=100)},
              "bench": dict(test_n=2000, anogan_test_n=100)},
}

# Published mean AUROC (%) under the one-class protocol (class k normal), for the table beside ours.
PUBLISHED = {
    "fashion": [("GEOM (Golan & El-Yaniv 2018, Table 1)", 93.5),
                ("ARNet (Huang et al., second-hand: not checked against the paper)", 93.9),
                ("raw OC-SVM (GEOM paper; tuned on the test set there)", 92.8),
                ("CAE-OC-SVM (GEOM paper)", 91.7), ("ADGAN (GEOM paper)", 88.4), ("DSEBM (GEOM paper)", 86.6)],
}


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


def budgets(preset: str = "full", file_values: dict | None = None, overrides: dict | None = None,
            methods=METHODS) -> tuple[dict[str, dict], dict]:
    """Per-method AnomalyConfig values and the bench settings: preset <- YAML file <- command line.

    ``file_values`` is a YAML mapping of AnomalyConfig keys plus optional ``per_method`` ({method: {key: value}})
    and ``test_n`` / ``anogan_test_n``; ``overrides`` (non-None values) apply to every method. Unknown keys and
    methods are UserErrors.
    """
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    file_values, overrides = dict(file_values or {}), dict(overrides or {})
    per_file = file_values.pop("per_method", None) or {}
    if not isinstance(per_file, dict) or set(per_file) - set(METHODS):
        raise UserError(f"per_method must map method names ({', '.join(METHODS)}) to settings")
    bench = {**p["bench"], **{k: file_values.pop(k) for k in list(file_values) if k in p["bench"]}}
    bench.update({k: overrides.pop(k) for k in list(overrides) if k in p["bench"] and overrides[k] is not None})
    cli = {k: v for k, v in overrides.items() if v is not None}
    values = {m: {**p["common"], **p["per_method"].get(m, {}), **file_values, **(per_file.get(m) or {}), **cli,
                  "method": m} for m in methods}
    for v in values.values():
        anomaly_config(**v)  # validate now, before any training
    return values, bench


def _class_config(values: dict, proto: str, k: int) -> AnomalyConfig:
    side = {"normal_class": k, "anomalous_class": None} if proto == "one-class" else \
        {"normal_class": None, "anomalous_class": k}
    return anomaly_config(**{**values, **side})


def _seconds_per_image(det: Detector, x: torch.Tensor, repeats: int = 3) -> float:
    """The best of ``repeats`` timings of ``det`` scoring images ``x`` (N, C, R, R), per image."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        det.score(x)
        best = min(best, (time.perf_counter() - t0) / len(x))
    return best


@functools.lru_cache(maxsize=2)
def _test_set(data: str, resolution: int | None):
    """The test split, loaded once per process (every job of a worker reads the same one)."""
    return load_data(data, resolution, split="test")


def _job(acfg: AnomalyConfig, run: Path, proto: str, k: int, test_idx: np.ndarray, speed_n: int, threads: int,
         progress: bool) -> dict:
    """Train (or reuse) one detector and test it; returns its results row. Runs in a worker process."""
    if threads:
        torch.set_num_threads(threads)
    log = print if progress else lambda *_: None
    meta = read_json(run / "anomaly.json") if (run / "anomaly.json").exists() else None
    if meta is not None:
        wanted = dataclasses.asdict(acfg)
        trained_with = dataclasses.asdict(anomaly_config(**meta["config"]))  # older runs: missing keys at defaults
        differ = {k for k, v in wanted.items() if trained_with[k] != v}
        if differ and (not meta.get("complete") or not differ <= set(SCORING_KEYS)):
            raise UserError(f"{run} was trained with other settings ({', '.join(sorted(differ))}); remove it or "
                            "choose another --out")
        if differ:
            calibrate(run, acfg, log=log)  # the same networks, scored otherwise
    if meta is None or not meta.get("complete"):
        t0 = time.time()
        train_detector(acfg, run, resume=run.exists(), progress=progress, log=log)
        write_json(run / "train_time.json", {"seconds": time.time() - t0, "threads": torch.get_num_threads()})
    test = _test_set(acfg.data, acfg.resolution)
    classes = class_of(test)
    det = Detector(run)
    n = len(test_idx) if acfg.method != "anogan" else min(len(test_idx), speed_n)
    idx = torch.from_numpy(np.sort(test_idx[:n]))
    x = test.batch(idx)
    y = classes[idx.numpy()] == k if proto == "reverse" else classes[idx.numpy()] != k
    t0 = time.time()
    scores = det.score(x)["score"].numpy()
    score_s = time.time() - t0
    # speed on the images AnoGAN scores (the first speed_n of the test order): AnoGAN's own pass, others best of 3
    speed_idx = torch.from_numpy(np.sort(test_idx[:speed_n]))
    s_per_image = score_s / n if acfg.method == "anogan" else _seconds_per_image(det, test.batch(speed_idx))
    train = read_json(run / "train_time.json") if (run / "train_time.json").exists() else {}
    return {**detection_metrics(scores, y), "n_test": n, "n_anomalies": int(y.sum()), "s_per_image": s_per_image,
            "speed_n": len(speed_idx), "train_s": train.get("seconds"), "score_s": score_s,
            "threads": torch.get_num_threads(), "protocol": protocol(acfg)}


def run_bench(values: dict[str, dict], classes, out: str | Path, proto: str = "one-class", test_n: int | None = None,
              anogan_test_n: int = 500, jobs: int = 1, progress: bool = True, log=print, preset: str = "") -> dict:
    """Train and test every (class, method) of ``values`` (from :func:`budgets`); writes ``out/results.json`` and
    ``out/results.md`` and returns the results."""
    if proto not in PROTOCOLS:
        raise UserError(f"unknown protocol {proto!r}; expected one of {', '.join(PROTOCOLS)}")
    if jobs < 1:
        raise UserError(f"--jobs must be >= 1, got {jobs}")
    methods = list(values)
    out = Path(out)
    data = next(iter(values.values()))["data"]
    n_test = len(_test_set(data, next(iter(values.values())).get("resolution")))
    order = np.random.default_rng(next(iter(values.values())).get("seed", 0)).permutation(n_test)
    test_idx = order[:test_n or n_test]
    speed_n = min(anogan_test_n, len(test_idx))
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else 0
    tag = "class" if proto == "one-class" else "anomalous-class"
    tasks = [(k, m, _class_config(values[m], proto, k)) for k in classes for m in methods]
    t0 = time.time()
    results: dict = {"protocol": proto, "protocol_text": _protocol_text(proto), "data": data, "preset": preset,
                     "budgets": {m: dataclasses.asdict(_class_config(values[m], proto, classes[0])) for m in methods},
                     "test_n": len(test_idx), "anogan_test_n": speed_n, "jobs": jobs,
                     "machine": {"cpus": os.cpu_count(), "torch": torch.__version__,
                                 "python": platform.python_version()},
                     "runs": {}}
    args = [(acfg, out / f"{tag}{k}" / m, proto, k, test_idx, speed_n, threads, progress and jobs == 1)
            for k, m, acfg in tasks]
    if jobs == 1:
        rows = map(lambda a: _job(*a), args)
    else:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        rows = pool.map(_job, *zip(*args, strict=True))
    try:
        for (k, m, acfg), row in zip(tasks, rows, strict=True):
            results["runs"].setdefault(str(k), {})[m] = row
            log(f"{protocol(acfg)} · {m}: AUROC {row['auroc']:.3f}  AP {row['ap']:.3f}  F1 {row['f1']:.3f}  "
                f"{1e3 * row['s_per_image']:.2f} ms/image")
    finally:
        if jobs > 1:
            pool.shutdown(cancel_futures=True)
    results["wall_s"] = time.time() - t0
    results["mean"] = {m: _means(results["runs"], m, classes) for m in methods}
    ensure_dir(out)
    write_json(out / "results.json", results)
    (out / "results.md").write_text(markdown(results))
    return results


def _protocol_text(proto: str) -> str:
    if proto == "reverse":
        return ("reverse: class k is the anomaly, the other nine classes are normal (trained on their training "
                "images); test = the test set")
    return ("one-class: class k is normal (trained on its training images only), all other classes are anomalies; "
            "test = the test set")


def _means(runs: dict, m: str, classes) -> dict:
    rows = [runs[str(k)][m] for k in classes]
    mean = {key: float(np.mean([r[key] for r in rows])) for key in ("auroc", "ap", "f1", "s_per_image")}
    mean["min_auroc"] = float(min(r["auroc"] for r in rows))
    if "anogan" in runs[str(classes[0])]:
        mean["speed_vs_anogan"] = float(np.mean([runs[str(k)]["anogan"]["s_per_image"] / runs[str(k)][m]["s_per_image"]
                                                 for k in classes]))
    return mean


def markdown(results: dict) -> str:
    """The results as Markdown: per-class AUROC (%), means, seconds per image and speed-up over AnoGAN, the budgets,
    and the published figures beside them (one-class protocol)."""
    methods = list(results["mean"])
    classes = list(results["runs"])
    head = "| class | " + " | ".join(methods) + " |\n|---|" + "---:|" * len(methods) + "\n"
    rows = "".join(f"| {k} | " + " | ".join(f"{100 * results['runs'][k][m]['auroc']:.1f}" for m in methods)
                   + " |\n" for k in classes)
    mean = results["mean"]
    rows += "| **mean AUROC** | " + " | ".join(f"**{100 * mean[m]['auroc']:.1f}**" for m in methods) + " |\n"
    rows += "| lowest class | " + " | ".join(f"{100 * mean[m]['min_auroc']:.1f}" for m in methods) + " |\n"
    rows += "| mean AP | " + " | ".join(f"{100 * mean[m]['ap']:.1f}" for m in methods) + " |\n"
    rows += "| mean best F1 | " + " | ".join(f"{100 * mean[m]['f1']:.1f}" for m in methods) + " |\n"
    rows += "| ms per image | " + " | ".join(f"{1e3 * mean[m]['s_per_image']:.3g}" for m in methods) + " |\n"
    if "speed_vs_anogan" in mean[methods[0]]:
        rows += "| speed vs AnoGAN | " + " | ".join(f"{mean[m]['speed_vs_anogan']:,.0f}×" for m in methods) + " |\n"
    budget = "; ".join(f"{m} {budget_text(results['budgets'][m])}" for m in methods)
    text = (f"Protocol: {results['protocol_text']} ({results['data']}, {results['test_n']:,} test images; AnoGAN "
            f"scores the first {results['anogan_test_n']:,} of them and every method's time per image is measured on "
            f"those same images). Budgets: {budget}. Wall time {results['wall_s'] / 60:.0f} min on "
            f"{results['machine']['cpus']} CPU cores, {results['jobs']} detector(s) at a time.\n\n" + head + rows)
    if results["protocol"] == "one-class" and results["data"] in PUBLISHED:
        text += ("\nPublished one-class mean AUROC on the same data: "
                 + "; ".join(f"{name} {v}" for name, v in PUBLISHED[results["data"]]) + ".\n")
    return text


def budget_text(b: dict) -> str:
    """A detector's budget (an AnomalyConfig as a dict) in words, e.g. "400 updates + 1000 encoder updates"."""
    text = f"{b['steps']} updates"
    if b["method"] == "fanogan":
        text += f" + {b['encoder_steps']} encoder updates"
    if b["method"] == "anogan":
        text += f", {b['search_steps']} search steps per image"
    if b["method"] == "egbad":
        text += " (ALAD recipe)" if b.get("egbad_cycle") else " (plain BiGAN)"  # files from before ALAD lack the key
        if b.get("egbad_score", "mixed") != "mixed":
            text += f", score {b['egbad_score']}"
    if b.get("gan_objective", "default") == "r3gan":
        text += ", R3GAN objective"
    if b.get("members", 1) > 1:
        text += f", mean of {b['members']} seeds' z-scores"
    return text
