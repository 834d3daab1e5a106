"""GAN anomaly detection on scikit-learn digits (one class normal, the other nine anomalous), on CPU budgets."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image

from tlgan.anomaly.bench import PRESETS, budgets, detection_metrics
from tlgan.anomaly.detector import Detector, anomaly_config, class_of, normal_split, protocol, train_detector
from tlgan.data import load_data
from tlgan.errors import UserError

BUDGET = {"ganomaly": dict(steps=100, width=16), "egbad": dict(steps=200, width=16),
          "fanogan": dict(steps=20, encoder_steps=150, width=16), "anogan": dict(steps=200, search_steps=100)}


@pytest.fixture(scope="module")
def detectors(tmp_path_factory):
    root = tmp_path_factory.mktemp("anomaly")
    return {m: train_detector(anomaly_config(method=m, data="digits", normal_class=0, **kw), root / m,
                              progress=False, log=lambda *_: None) for m, kw in BUDGET.items()}


@pytest.fixture(scope="module")
def digits_test():
    test = load_data("digits", split="test")
    return test.batch(slice(None)), class_of(test) != 0


@pytest.mark.parametrize("method", ["ganomaly", "egbad", "fanogan"])
def test_encoder_methods_detect_anomalies(detectors, digits_test, method):
    x, is_anomaly = digits_test
    scores = Detector(detectors[method]).score(x)["score"].numpy()
    assert detection_metrics(scores, is_anomaly)["auroc"] >= 0.8


def test_anogan_search_explains_normal_images_better(detectors, digits_test):
    x, is_anomaly = digits_test
    out = Detector(detectors["anogan"]).score(x[::3])
    y = is_anomaly[::3]
    start, end = out["initial_loss"].numpy(), out["score"].numpy()
    removed = (start - end) / start  # share of its own loss the latent search removes
    assert (end < start).mean() > 0.95
    assert removed[~y].mean() > removed[y].mean() + 0.1


def test_scores_are_per_image_and_calibration_uses_held_out_normals(detectors, digits_test):
    x, _ = digits_test
    det = Detector(detectors["ganomaly"])
    batch = det.score(x[:32])["score"]
    alone = torch.cat([det.score(x[i:i + 1])["score"] for i in range(32)])
    torch.testing.assert_close(batch, alone, rtol=1e-4, atol=1e-6)  # no batch statistics leak into a score
    _, hold = normal_split(det.cfg)
    held = det.score(hold.batch(slice(None)))["score"].numpy()
    assert det.calibration["threshold"] == pytest.approx(np.quantile(held, 0.95), rel=1e-4)
    assert "class 0 is normal" in det.protocol


@pytest.mark.parametrize("method", ["ganomaly", "egbad"])
def test_planted_anomalies_stand_out_from_held_out_normals(detectors, method):
    """Held-out normal images (never trained on) against the same images with a bright square planted at a random
    place: the planted ones score higher, by a margin. (f-AnoGAN's 20-update WGAN-GP here reaches only ~0.72.)"""
    det = Detector(detectors[method])
    _, hold = normal_split(det.cfg)
    x = hold.batch(slice(None))
    planted = x.clone()
    at = np.random.default_rng(0).integers(0, 32 - 8, (len(x), 2))
    for i, (r, c) in enumerate(at):
        planted[i, :, r:r + 8, c:c + 8] = 1.0
    scores = det.score(torch.cat([x, planted]))["score"].numpy()
    assert detection_metrics(scores, np.repeat([False, True], len(x)))["auroc"] >= 0.9


def test_fanogan_with_r3gans_objective_detects_anomalies(digits_test, tmp_path):
    """f-AnoGAN's GAN trained with R3GAN's relativistic loss + R1/R2 instead of WGAN-GP (measured: AUROC 0.97 at
    this budget, 0.86 for WGAN-GP at the same)."""
    x, is_anomaly = digits_test
    run = train_detector(anomaly_config(method="fanogan", data="digits", normal_class=0, gan_objective="r3gan",
                                        **BUDGET["fanogan"]), tmp_path / "r3", progress=False, log=lambda *_: None)
    cfg = json.loads((run / "gan" / "config.json").read_text())
    assert (cfg["d_loss"], cfg["g_loss"], cfg["d_norm"]) == ("relativistic", "relativistic", "layer")
    assert detection_metrics(Detector(run).score(x)["score"].numpy(), is_anomaly)["auroc"] >= 0.8
    for values, message in [(dict(method="ganomaly", gan_objective="r3gan"), "anogan and fanogan"),
                            (dict(method="anogan", gan_objective="wgan"), "default or r3gan")]:
        with pytest.raises(UserError, match=message):
            anomaly_config(data="digits", **values)


@pytest.mark.parametrize("values", [dict(seed=-1), dict(split_seed=-3), dict(seed=2 ** 31 - 1, members=2)])
def test_anomaly_seeds_are_range_checked(values):
    """A negative split seed was numpy's traceback; an ensemble's last member's seed must be a seed too."""
    with pytest.raises(UserError, match="split_seed must be in 0"):
        anomaly_config(data="digits", **values)


def test_another_egbad_score_recalibrates_the_same_networks(detectors, digits_test, tmp_path):
    """egbad_score changes only how a trained detector scores: calibrate() rescores the held-out normals, and the
    bench does so instead of refusing a run trained with the other score."""
    import shutil

    from tlgan.anomaly.detector import calibrate
    run = Path(shutil.copytree(detectors["egbad"], tmp_path / "egbad"))
    acfg = anomaly_config(**{**json.loads((run / "anomaly.json").read_text())["config"], "egbad_score": "dxx_logit"})
    calibrate(run, acfg, log=lambda *_: None)
    det = Detector(run)
    x, is_anomaly = digits_test
    with torch.no_grad():
        expected = -det.nets["dxx"](x[:16], det.g(det.e(x[:16])))
    torch.testing.assert_close(det.score(x[:16])["score"], expected)
    held = det.score(normal_split(det.cfg)[1].batch(slice(None)))["score"].numpy()
    assert det.calibration["threshold"] == pytest.approx(np.quantile(held, 0.95), rel=1e-4)
    assert detection_metrics(det.score(x)["score"].numpy(), is_anomaly)["auroc"] >= 0.7
    with pytest.raises(UserError, match="egbad_cycle"):
        anomaly_config(method="egbad", data="digits", egbad_cycle=False, egbad_score="dxx_logit")


def test_an_ensemble_averages_its_members_z_scores_on_one_split(detectors, digits_test, tmp_path):
    """members: 2 trains two detectors of seeds 0 and 1 on the same split (the first is the single detector's twin)
    and scores with the mean of their z-scores, calibrated again on the held-out normals."""
    import shutil
    acfg = anomaly_config(method="ganomaly", data="digits", normal_class=0, members=2, **BUDGET["ganomaly"])
    shutil.copytree(detectors["ganomaly"], tmp_path / "ens" / "member0")  # reused: the same recipe and seed
    run = train_detector(acfg, tmp_path / "ens", resume=True, progress=False, log=lambda *_: None)
    det = Detector(run)
    members = [Detector(run / f"member{i}") for i in range(2)]
    assert [m.cfg.seed for m in members] == [0, 1] and {m.cfg.split_seed for m in members} == {0}
    x, is_anomaly = digits_test
    torch.testing.assert_close(det.score(x[:64])["score"],
                               (members[0].score(x[:64])["normalised"] + members[1].score(x[:64])["normalised"]) / 2)
    held = det.score(normal_split(det.cfg)[1].batch(slice(None)))["score"].numpy()
    assert det.calibration["threshold"] == pytest.approx(np.quantile(held, 0.95), rel=1e-4)
    auroc = [detection_metrics(d.score(x)["score"].numpy(), is_anomaly)["auroc"] for d in [det, *members]]
    assert auroc[0] >= 0.8 and auroc[0] >= min(auroc[1:])
    with pytest.raises(UserError, match="members"):
        anomaly_config(method="ganomaly", data="digits", members=0)


def test_detection_metrics():
    y = np.array([0, 0, 0, 1, 1, 1])
    m = detection_metrics(np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9]), y)
    assert m["auroc"] == 1.0 and m["ap"] == 1.0 and m["f1"] == 1.0
    assert detection_metrics(np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1]), y)["auroc"] == 0.0
    with pytest.raises(UserError):
        detection_metrics(np.ones(3), np.zeros(3))


def _tree_hash(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        h.update(str(p.relative_to(path)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_score_cli_writes_scores_and_heatmaps_without_touching_the_run(detectors, digits_test, tmp_path):
    x, _ = digits_test
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(4):
        Image.fromarray(((x[i, 0] + 1) * 127.5).round().byte().numpy(), "L").save(inp / f"{i}.png")
    run = detectors["fanogan"]
    before = _tree_hash(run)
    code, out, err = run_cli("anomaly", "score", str(run), "--input", str(inp), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert _tree_hash(run) == before
    rows = (tmp_path / "o" / "scores.csv").read_text().splitlines()
    assert rows[0] == "filename,score,normalised,anomaly" and len(rows) == 5
    assert len(list((tmp_path / "o" / "heatmaps").glob("*.png"))) == 4
    assert "class 0 is normal" in out


def test_score_cli_bad_input(detectors, tmp_path):
    run = str(detectors["ganomaly"])
    (tmp_path / "empty").mkdir()
    big, rgb = tmp_path / "big", tmp_path / "rgb"
    big.mkdir()
    rgb.mkdir()
    Image.new("L", (64, 64)).save(big / "a.png")
    Image.new("RGB", (32, 32)).save(rgb / "a.png")
    cases = [(["--input", str(tmp_path / "empty")], "holds no images"),
             (["--input", str(big)], "32x32 images with 1 channel"),
             (["--input", str(rgb)], "with 3"),
             (["--input", str(big), "--method", "anogan"], "is a ganomaly detector"),
             (["--input", str(big), "--out", str(Path(run) / "x")], "must not lie inside")]
    for args, msg in cases:
        code, _, err = run_cli("anomaly", "score", run, *args)
        assert code == 2 and msg in err and err.count("\n") == 1, (args, err)
    code, _, err = run_cli("anomaly", "score", str(tmp_path), "--input", str(big))
    assert code == 2 and "not an anomaly-detector run" in err
    code, _, err = run_cli("anomaly", "train", "vae", "--data", "digits", "--out", str(tmp_path / "r"))
    assert code == 2 and "unknown anomaly method" in err and not (tmp_path / "r").exists()


def test_bench_cli_prints_the_table_and_reuses_finished_detectors(tmp_path):
    args = ["anomaly", "bench", "--data", "digits", "--methods", "ganomaly", "--classes", "3,5", "--steps", "10",
            "--jobs", "2", "--out", str(tmp_path / "b")]
    code, out, err = run_cli(*args, fresh=True)  # --jobs 2 starts worker processes
    assert code == 0, err
    assert "mean AUROC" in out and "one-class" in out
    res = json.loads((tmp_path / "b" / "results.json").read_text())
    assert set(res["runs"]) == {"3", "5"} and 0 <= res["mean"]["ganomaly"]["auroc"] <= 1 and res["jobs"] == 2
    assert res["runs"]["5"]["ganomaly"]["protocol"].endswith("class 5 is normal, every other class is an anomaly")
    stamp = (tmp_path / "b" / "class3" / "ganomaly" / "anomaly.json").stat().st_mtime_ns
    assert run_cli(*args)[0] == 0
    assert (tmp_path / "b" / "class3" / "ganomaly" / "anomaly.json").stat().st_mtime_ns == stamp


def test_bench_rescores_a_finished_detector_when_only_its_score_changes(tmp_path):
    args = ["anomaly", "bench", "--data", "digits", "--methods", "egbad", "--classes", "3",
            "--out", str(tmp_path / "b")]
    assert run_cli(*args, "--steps", "10")[0] == 0
    (tmp_path / "logit.yaml").write_text("per_method:\n  egbad: {steps: 10, egbad_score: dxx_logit}\n")
    code, _, err = run_cli(*args, "--config", str(tmp_path / "logit.yaml"))
    assert code == 0, err
    meta = json.loads((tmp_path / "b" / "class3" / "egbad" / "anomaly.json").read_text())
    assert meta["config"]["egbad_score"] == "dxx_logit" and meta["complete"]
    code, _, err = run_cli(*args, "--steps", "20")  # another training budget: refused, nothing retrained
    assert code == 2 and "trained with other settings (egbad_score, steps)" in err


def test_reverse_protocol_flips_which_class_is_normal(tmp_path):
    one = anomaly_config(method="ganomaly", data="digits", normal_class=3)
    rev = anomaly_config(method="ganomaly", data="digits", anomalous_class=3)
    assert one.anomalous_class is None and rev.normal_class is None
    (train1, hold1), (train2, hold2) = normal_split(one), normal_split(rev)
    assert set(class_of(train1)) | set(class_of(hold1)) == {3}
    assert set(class_of(train2)) | set(class_of(hold2)) == set(range(10)) - {3}
    assert protocol(one).startswith("one-class") and protocol(rev).startswith("reverse: digits class 3 is the anomaly")
    with pytest.raises(UserError, match="not both"):
        anomaly_config(method="ganomaly", data="digits", normal_class=1, anomalous_class=3)
    (tmp_path / "b.yaml").write_text("per_method:\n  ganomaly: {steps: 6, width: 8}\n")
    code, _, err = run_cli("anomaly", "bench", "--data", "digits", "--methods", "ganomaly", "--classes", "3",
                           "--protocol", "reverse", "--config", str(tmp_path / "b.yaml"), "--out", str(tmp_path / "r"))
    assert code == 0, err
    res = json.loads((tmp_path / "r" / "results.json").read_text())
    test = load_data("digits", split="test")
    row = res["runs"]["3"]["ganomaly"]
    assert res["protocol"] == "reverse" and row["protocol"].startswith("reverse")
    assert row["n_anomalies"] == int((class_of(test) == 3).sum())  # class 3 is now the anomaly, not the normal class
    run = tmp_path / "r" / "anomalous-class3" / "ganomaly"
    cfg = json.loads((run / "anomaly.json").read_text())["config"]
    assert cfg["steps"] == 6 and cfg["width"] == 8 == res["budgets"]["ganomaly"]["width"]  # the budget is the file's


def test_bench_bad_input_is_one_line_before_anything_trains(tmp_path):
    base = ["anomaly", "bench", "--data", "digits", "--out", str(tmp_path / "b")]
    for args, msg in [(["--protocol", "both"], "unknown protocol"), (["--jobs", "0"], "--jobs must be >= 1"),
                      (["--methods", "ganomaly,vae"], "unknown anomaly method"), (["--classes", "0-x"], "--classes"),
                      (["--steps", "0"], "steps")]:
        code, _, err = run_cli(*base, *args)
        assert code == 2 and msg in err and err.count("\n") == 1, (args, err)
    assert not (tmp_path / "b").exists()


def test_budgets_are_fixed_by_preset_then_file_then_command_line():
    full, bench = budgets("full")
    assert {m: v["steps"] for m, v in full.items()} == {m: v["steps"] for m, v in PRESETS["full"]["per_method"].items()}
    assert bench == PRESETS["full"]["bench"] and anomaly_config(**full["egbad"]).egbad_cycle
    values, bench = budgets("quick", {"steps": 7, "per_method": {"fanogan": {"steps": 9}}, "test_n": 100},
                            {"search_steps": 11, "anogan_test_n": 20})
    assert values["ganomaly"]["steps"] == 7 and values["fanogan"]["steps"] == 9
    assert values["fanogan"]["encoder_steps"] == PRESETS["quick"]["per_method"]["fanogan"]["encoder_steps"]
    assert {v["search_steps"] for v in values.values()} == {11} and bench == {"test_n": 100, "anogan_test_n": 20}
    for bad, msg in [({"per_method": {"vae": {}}}, "per_method"), ({"stepz": 1}, "unknown config key"),
                     ({"per_method": {"egbad": {"steps": 0}}}, "steps")]:
        with pytest.raises(UserError, match=msg):
            budgets("full", bad)


def test_greyscale_folder_of_normal_images_trains_and_scores_natively(digits_test, tmp_path):
    from tlgan.data.images import read_images
    x, _ = digits_test
    folder = tmp_path / "normal"
    folder.mkdir()
    for i in range(80):
        Image.fromarray(((x[i, 0] + 1) * 127.5).round().byte().numpy(), "L").save(folder / f"{i}.png")
    cfg = anomaly_config(method="ganomaly", data=f"folder:{folder}", resolution=32, steps=3, width=8, batch_size=16)
    run = train_detector(cfg, tmp_path / "run", progress=False, log=lambda *_: None)
    det = Detector(run)
    assert det.shape == (1, 32, 32) and "are normal" in det.protocol
    names, imgs = read_images(folder, det.shape)
    assert len(names) == 80 and det.score(imgs)["score"].shape == (80,)


def test_resuming_onto_a_pickled_checkpoint_is_one_line(tmp_path):
    """A trainer.pt holding pickled objects (torch.load(weights_only=True) refuses them) is named, not run."""
    import pathlib
    state = tmp_path / "det" / "gan" / "state"
    state.mkdir(parents=True)
    torch.save({"step": pathlib.PurePosixPath("not/a/number")}, state / "trainer.pt")
    with pytest.raises(UserError, match="corrupt or not a tlgan checkpoint"):
        train_detector(anomaly_config(method="ganomaly", data="digits", normal_class=0, steps=2, width=4),
                       tmp_path / "det", resume=True, progress=False, log=lambda *_: None)


def test_an_interrupted_detector_names_itself_and_the_command_that_resumes_it(tmp_path, monkeypatch):
    """Ctrl-C in `tlgan anomaly train` points to `tlgan anomaly train … --resume` (not to `tlgan train dcgan`, the
    family its GAN stage reads settings from); that command finishes the run; the log names the method."""
    import os
    import signal

    from tlgan.anomaly.trainers import GANomalyTrainer
    from tlgan.errors import Interrupted
    update, calls = GANomalyTrainer.update, []

    def update_then_ctrl_c(self):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)   # handled by the loop's Ctrl-C handler, installed by now
        return update(self)
    monkeypatch.setattr(GANomalyTrainer, "update", update_then_ctrl_c)
    cfg, logs = anomaly_config(method="ganomaly", data="digits", normal_class=0, steps=6, width=4), []
    with pytest.raises(Interrupted, match="the same `tlgan anomaly train` command with --resume"):
        train_detector(cfg, tmp_path / "det", progress=False, log=logs.append)
    run = train_detector(cfg, tmp_path / "det", resume=True, progress=False, log=logs.append)
    assert Detector(run).calibration["n"] > 0
    assert any(line.startswith("trained ganomaly to step 6") for line in logs), logs
