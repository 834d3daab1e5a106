"""GAN anomaly detection commands: ``anomaly train|score|bench``."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UserError
from .app import DEVICE, app, seed_option

anomaly_app = typer.Typer(no_args_is_help=True, help="GAN anomaly detection: AnoGAN, EGBAD, GANomaly, f-AnoGAN.")
app.add_typer(anomaly_app, name="anomaly")


def _anomaly_config(config: Path | None, **overrides):
    """AnomalyConfig from code defaults <- YAML file <- the command line's non-None options."""
    from ..anomaly.detector import anomaly_config
    from ..config import merged_values
    return anomaly_config(**merged_values(config, overrides))


@anomaly_app.command("train")
def anomaly_train(method: str = typer.Argument(..., help="anogan | egbad | ganomaly | fanogan"),
                  data: str = typer.Option("fashion", help="fashion | digits | folder:PATH (normal images only)"),
                  normal_class: int | None = typer.Option(None, help="one-class protocol: the normal class "
                                                                     "(fashion/digits; default 0)"),
                  anomalous_class: int | None = typer.Option(None, help="reverse protocol: the anomalous class; "
                                                                        "the other nine are normal"),
                  steps: int | None = typer.Option(None, help="adversarial updates (default 3000)"),
                  encoder_steps: int | None = typer.Option(None, help="f-AnoGAN encoder updates (default 2000)"),
                  resolution: int | None = typer.Option(None, help="image size (default: the dataset's own)"),
                  seed: int | None = seed_option("seed of the weights and batches (default 0)", None),
                  config: Path | None = typer.Option(None, help="YAML file overriding AnomalyConfig defaults"),
                  out: Path = typer.Option(..., "--out", help="the detector's run directory"),
                  resume: bool = typer.Option(False, help="continue the run in --out"), device: str = DEVICE):
    """Train a detector on normal images, then calibrate its threshold on held-out normal training images."""
    from ..anomaly.detector import train_detector
    from ..device import Runtime
    acfg = _anomaly_config(config, method=method, data=data, normal_class=normal_class,
                           anomalous_class=anomalous_class, steps=steps,
                           encoder_steps=encoder_steps, resolution=resolution, seed=seed)
    train_detector(acfg, out, resume=resume, runtime=Runtime.of(device))


@anomaly_app.command("score")
def anomaly_score(run: Path = typer.Argument(..., help="a run of `tlgan anomaly train`"),
                  input: Path = typer.Option(..., "--input", help="folder of images (the detector's size)"),
                  out: Path = typer.Option(Path("anomaly_scores"), help="scores.csv and heatmaps/ go here"),
                  method: str | None = typer.Option(None, help="fail unless the run is this method")):
    """Score images: per-image score, z-score vs held-out normals, flag above the threshold, residual heat maps."""
    from ..anomaly.detector import Detector
    from ..anomaly.files import write_scores
    from ..data.images import read_images
    det = Detector(run, method)
    if out.resolve().is_relative_to(run.resolve()):
        raise UserError("--out must not lie inside the detector's run directory (scoring never modifies a run)")
    names, x = read_images(input, det.shape)
    result = det.score(x, progress=True)
    write_scores(out, names, result, x)
    c = det.calibration
    typer.echo(f"{det.protocol}\n{det.method}: {int(result['flag'].sum())} of {len(names)} images above the "
               f"threshold {c['threshold']:.4g} (the {c['quantile']:.0%} quantile of held-out normal scores); "
               f"wrote {out / 'scores.csv'} and {out / 'heatmaps'}/")


@anomaly_app.command("bench")
def anomaly_bench(data: str | None = typer.Option(None, help="fashion | digits (default: the preset's, fashion)"),
                  methods: str = typer.Option("ganomaly,fanogan,egbad,anogan", help="comma-separated"),
                  classes: str = typer.Option("0-9", help="e.g. 0-9 or 0,3,7"),
                  protocol: str = typer.Option("one-class", help="one-class (class k normal) | reverse (class k "
                                                                  "anomalous, the other nine normal)"),
                  quick: bool = typer.Option(False, "--quick", help="the small preset: a check in minutes"),
                  jobs: int = typer.Option(1, help="detectors trained at once, each in its own process"),
                  steps: int | None = typer.Option(None, help="adversarial updates, every method (default: preset)"),
                  encoder_steps: int | None = typer.Option(None, help="f-AnoGAN encoder updates (default: preset)"),
                  search_steps: int | None = typer.Option(None, help="AnoGAN latent-search steps per image "
                                                                     "(default: preset)"),
                  test_n: int | None = typer.Option(None, help="test images (default: the preset's)"),
                  anogan_test_n: int | None = typer.Option(None, help="AnoGAN scores this many of the test images"),
                  config: Path | None = typer.Option(None, help="YAML overriding the preset: AnomalyConfig keys, "
                                                                "per_method: {method: {key: value}}, test_n"),
                  out: Path = typer.Option(Path("runs/anomaly-bench"), help="folder for the runs and results")):
    """Every class in turn, every method, budgets fixed in advance; per-class and mean AUROC, AP, F1, speed."""
    from ..anomaly.bench import budgets, run_bench
    from ..config import merged_values
    try:
        ks = [int(k) for part in classes.split(",") for k in
              (range(int(part.split("-")[0]), int(part.split("-")[1]) + 1) if "-" in part else [part])]
    except ValueError:
        raise UserError(f"--classes must look like 0-9 or 0,3,7 (got {classes!r})") from None
    if not ks:
        raise UserError("--classes names no class")
    names = [m.strip() for m in methods.split(",") if m.strip()]
    preset = "quick" if quick else "full"
    values, bench = budgets(preset, merged_values(config, {}),
                            dict(data=data, steps=steps, encoder_steps=encoder_steps, search_steps=search_steps,
                                 test_n=test_n, anogan_test_n=anogan_test_n), names)
    res = run_bench(values, ks, out, protocol, bench["test_n"], bench["anogan_test_n"], jobs, preset=preset)
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wrote {out / 'results.json'} ({len(res['runs'])} classes, {res['wall_s'] / 60:.1f} min)")
