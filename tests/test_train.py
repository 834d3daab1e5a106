"""The training loop: GANs learn the 8-Gaussian ring, resume is exact, divergence is caught."""
import numpy as np
import pytest
import torch

from tlgan import losses
from tlgan.data import ImageData, load_data, ring8
from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.training import TrainingDiverged, family, make_config, train
from tlgan.training.gan import GANTrainer

RING = dict(data="ring8", batch_size=256, z_dim=8, mlp_hidden_g=[256, 256, 256], mlp_hidden_d=[256, 256])


def ring_quality(x: np.ndarray, std: float = 0.05, radius: float = 2.0):
    """(modes covered by high-quality samples, fraction of samples within 3σ of a mode centre)."""
    ang = np.arange(8) * 2 * np.pi / 8
    centres = radius * np.stack([np.cos(ang), np.sin(ang)], 1)
    d = np.linalg.norm(x[:, None] - centres[None], axis=2)
    hq = d.min(1) < 3 * std
    return len(np.unique(d.argmin(1)[hq])), float(hq.mean())


@pytest.mark.parametrize("model,extra,min_hq", [
    # the seeds' MLP (BatchNorm in G) with an EMA of G: 8/8 modes, ~79% high quality after 2,000 steps
    ("gan", dict(steps=2000, lr_g=1e-3, lr_d=1e-3, ema=0.995), 0.7),
    # WGAN-GP with the reference toy setting λ = 0.1 (λ = 10 over-smooths a 2-D critic) and an EMA of G:
    # 8/8 modes, ~68% high quality after 1,500 steps (about 80 s on 2 cores; ~77% after 3,000)
    ("wgan-gp", dict(steps=1500, lr_g=1e-3, lr_d=1e-3, ema=0.995, gp_lambda=0.1), 0.6),
])
def test_gan_recovers_ring_modes(model, extra, min_hq):
    cfg = make_config(dict(model=model, **RING, **extra))
    tr = family(cfg.model)(cfg, ImageData("ring8", torch.from_numpy(ring8(20_000))))
    for _ in range(cfg.steps):
        tr.step()
    tr.recalibrate_ema()
    g = tr.inference_g.eval()
    with torch.no_grad():
        x = g(torch.randn(4000, cfg.z_dim)).numpy()
    modes, hq = ring_quality(x)
    assert modes >= 7 and hq >= min_hq, (modes, hq)


def test_wgan_gp_drives_interpolate_gradient_norm_to_one():
    cfg = make_config(dict(model="wgan-gp", **RING, steps=300, lr_g=5e-4, lr_d=5e-4))
    data = ImageData("ring8", torch.from_numpy(ring8(5000)))
    tr = family(cfg.model)(cfg, data)
    real, fake = data.batch(torch.arange(512)), tr.g(torch.randn(512, cfg.z_dim)).detach()
    before = float(losses.gradient_penalty(tr.d, real, fake)[1].mean())
    norms = [float(tr.step()["grad_norm"]) for _ in range(cfg.steps)]
    after = float(np.mean(norms[-50:]))
    assert abs(after - 1) < 0.15 and abs(after - 1) < abs(before - 1), (before, after)


def test_gradient_penalty_uses_per_sample_norm_over_all_pixels():
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1, bias=False))
    with torch.no_grad():
        critic[1].weight.fill_(0.5)  # gradient wrt every pixel is 0.5: norm = 0.5 * sqrt(12)
    x = torch.randn(4, 3, 2, 2)
    gp, norms = losses.gradient_penalty(critic, x, x + 1)
    assert torch.allclose(norms, torch.full((4,), 0.5 * 12 ** 0.5))
    assert torch.isclose(gp, (norms - 1).pow(2).mean())


def _small_cfg(**kw):
    return make_config(dict(model="dcgan", data="digits", resolution=32, width=8, batch_size=16, steps=6,
                          ckpt_every=3, sample_every=3, ema=0.9, **kw))


def test_resume_after_kill_reproduces_uninterrupted_run(tmp_path, monkeypatch):
    data = load_data("digits", 32, 200)
    train(_small_cfg(), tmp_path / "full", data=data, progress=False, log=lambda *_: None)
    real_step = GANTrainer.step

    def dying(self):
        if self.step_no == 4:
            raise KeyboardInterrupt  # killed after the step-3 checkpoint
        return real_step(self)
    monkeypatch.setattr(GANTrainer, "step", dying)
    with pytest.raises(KeyboardInterrupt):
        train(_small_cfg(), tmp_path / "killed", data=data, progress=False, log=lambda *_: None)
    monkeypatch.setattr(GANTrainer, "step", real_step)
    train(_small_cfg(), tmp_path / "killed", resume=True, data=data, progress=False, log=lambda *_: None)
    from safetensors.torch import load_file
    for f in ("g", "d", "ema"):
        a = load_file(str(tmp_path / "full" / "state" / f"{f}.safetensors"))
        b = load_file(str(tmp_path / "killed" / "state" / f"{f}.safetensors"))
        assert all(torch.equal(a[k], b[k]) for k in a), f
    g = load_generator(tmp_path / "killed")
    _z, x = g.sample(5, seed=1)
    assert x.shape == (5, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert (tmp_path / "full" / "samples" / "step_000006.png").exists()


@pytest.mark.parametrize("bad", [float("nan"), 1e23])
def test_nan_or_exploding_losses_stop_the_run_and_keep_the_last_checkpoint(tmp_path, monkeypatch, bad):
    data = load_data("digits", 32, 100)
    calls = {"n": 0}

    def bad_after_four(real, fake):
        calls["n"] += 1
        out = losses.d_bce(real, fake)
        return out * 0 + bad if calls["n"] > 4 else out
    monkeypatch.setitem(losses.D_LOSSES, "bce", bad_after_four)
    with pytest.raises(TrainingDiverged, match="NaN/inf or exploded"):
        train(_small_cfg(), tmp_path / "run", data=data, progress=False)
    step = torch.load(tmp_path / "run" / "state" / "trainer.pt", weights_only=True)["step"]
    assert step == 3
    load_generator(tmp_path / "run")


def test_best_by_metric_is_kept(tmp_path):
    data = load_data("digits", 32, 300)
    cfg = _small_cfg(metric="fd", metric_samples=100, fd_extractor_steps=30)
    train(cfg, tmp_path / "run", data=data, progress=False, log=lambda *_: None)
    import json
    best = json.loads((tmp_path / "run" / "best" / "metric.json").read_text())
    assert best["metric"] == "fd" and best["step"] in (3, 6) and np.isfinite(best["value"])


def test_config_rejects_unknown_keys_and_bn_in_gp_critic():
    with pytest.raises(UserError, match="unknown config key"):
        make_config({"model": "dcgan", "learning_rate": 1})
    with pytest.raises(UserError, match="BatchNorm"):
        make_config({"model": "wgan-gp", "d_norm": "batch"})
    with pytest.raises(UserError, match="unknown model"):
        make_config({"model": "vqgan"})
    cfg = make_config({"model": "wgan"})
    assert (cfg.optimizer, cfg.lr_d, cfg.clip, cfg.n_critic) == ("rmsprop", 5e-5, 0.01, 5)


KILL_IN_FIRST_SAVE = """
import os, signal, sys
import tlgan.training.trainer as trainer
real = trainer.save_weights
calls = []
def dying(*a, **k):
    calls.append(1)
    if len(calls) == 2:  # the first checkpoint: one network written, the next one half-way
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*a, **k)
trainer.save_weights = dying
from tlgan.cli import main
sys.argv = ["tlgan", "train", "dcgan", "--data", "digits", "--resolution", "16", "--steps", "4", "--batch-size", "8",
            "--out", sys.argv[1]]
main()
"""


@pytest.mark.parametrize("then", ["resume", "restart"])
def test_a_kill_during_the_first_checkpoint_can_be_resumed_or_restarted(tmp_path, then):
    import subprocess
    import sys

    from conftest import run_cli
    run = tmp_path / "run"
    p = subprocess.run([sys.executable, "-c", KILL_IN_FIRST_SAVE, str(run)], capture_output=True, text=True)
    assert p.returncode == -9 and (run / "config.json").exists() and not (run / "state").exists()
    args = ["train", "dcgan", "--data", "digits", "--resolution", "16", "--steps", "4", "--batch-size", "8",
            "--out", str(run)]
    code, _, err = run_cli(*args, *(["--resume"] if then == "resume" else []))
    assert code == 0, err
    assert (run / "state" / "trainer.pt").exists() and not (run / "state.tmp").exists()
    assert load_generator(run).sample(2)[1].shape == (2, 1, 16, 16)


def test_resume_keeps_the_runs_settings(tmp_path):
    from conftest import run_cli
    run = tmp_path / "run"
    base = ["train", "dcgan", "--data", "digits", "--resolution", "16", "--batch-size", "8", "--out", str(run)]
    assert run_cli(*base, "--steps", "2")[0] == 0
    code, _, err = run_cli("train", "dcgan", "--out", str(run), "--resume", "--batch-size", "4")
    assert code == 2 and "only --steps may change" in err
    code, out, err = run_cli("train", "dcgan", "--out", str(run), "--resume", "--steps", "3")
    assert code == 0 and "steps 2 -> 3" in out, err
    import json
    saved = json.loads((run / "config.json").read_text())
    assert (saved["steps"], saved["batch_size"], saved["resolution"]) == (3, 8, 16)


@pytest.mark.parametrize("values,words", [
    (dict(lr_g="1e-4"), "lr_g: expected a finite number"),
    (dict(steps="abc"), "steps: expected an integer"),
    (dict(betas=0.5), "betas: expected a list"),
    (dict(z_dim=0), "z_dim"),
    (dict(width=-4), "width"),
    (dict(lr_d=float("nan")), "lr_d"),
    (dict(lr_d=-1e-4), "learning rates must be > 0"),
    (dict(ema=True), "ema"),
    (dict(seed=-1), "seed and data_seed must be in"),
    (dict(data_seed=2 ** 31), "seed and data_seed must be in"),
])
def test_config_values_are_typed_and_range_checked(values, words):
    with pytest.raises(UserError, match=words):
        make_config(dict(model="dcgan", **values))


def test_resume_takes_an_edited_learning_rate_from_config_json(tmp_path):
    import json
    cfg = make_config(dict(model="dcgan", data="digits", resolution=32, width=8, batch_size=16, steps=3))
    run = train(cfg, tmp_path / "run", progress=False, log=lambda *_: None)
    saved = json.loads((run / "config.json").read_text())
    saved["lr_g"] = 1e-5
    (run / "config.json").write_text(json.dumps(saved))
    from tlgan.training import run_config
    tr = family("dcgan")(run_config(run), load_data("digits", 32, 50))
    tr.load(run)
    assert tr.opt_g.param_groups[0]["lr"] == 1e-5


def test_ctrl_c_writes_a_checkpoint_exits_130_and_resumes_bit_identically(tmp_path):
    """SIGINT long before the first scheduled checkpoint (every 1,000 steps): the step finishes, a checkpoint is
    written, the command says how to continue and exits 130; resuming it equals a run that was never stopped."""
    import dataclasses
    import os
    import signal
    import subprocess
    import sys
    import time

    from safetensors.torch import load_file

    from tlgan.training import run_config
    run = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-m", "tlgan", "train", "dcgan", "--data", "digits", "--resolution", "16",
                          "--steps", "100000", "--batch-size", "8", "--out", str(run)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 60
    while not (run / "tb").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err[-500:]
    assert "interrupted at step" in err and "--resume" in err
    step = int(torch.load(run / "state" / "trainer.pt", weights_only=True)["step"])
    assert 0 < step < 1000
    cfg = dataclasses.replace(run_config(run), steps=step + 5)
    train(cfg, run, resume=True, progress=False, log=lambda *a: None)
    straight = train(cfg, tmp_path / "straight", progress=False, log=lambda *a: None)
    for name in ("g", "d"):
        a, b = load_file(str(run / "state" / f"{name}.safetensors")), \
            load_file(str(straight / "state" / f"{name}.safetensors"))
        assert all(torch.equal(a[k], b[k]) for k in a), name
