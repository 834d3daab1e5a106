"""Devices: ``--device auto|cpu|cuda`` everywhere heavy work runs, CPU results unchanged by the device machinery,
a clear refusal of a GPU that is not there, and the GPU training script end to end at a tiny size.

``TLGAN_TEST_DEVICE=cuda python -m pytest tests/test_device.py`` runs the family check on a GPU (scripts/gpu_faces.py
does so on the H200); without it every test here runs on the CPU."""
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from test_families import FAMILY_CONFIGS, _state

from tlgan.data import load_data
from tlgan.device import Runtime, follow, resolve
from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.latent.encoder import load_encoder, train_encoder
from tlgan.training import family, make_config, train

DEVICE = os.environ.get("TLGAN_TEST_DEVICE", "cpu")
ROOT = Path(__file__).resolve().parents[1]
QUIET = dict(progress=False, log=lambda *_: None)


def test_resolve_names_the_device():
    assert resolve("cpu") == torch.device("cpu")
    assert resolve("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu", 0) or \
        resolve("auto").type == "cpu"
    with pytest.raises(UserError, match="expected one of auto, cpu, cuda"):
        resolve("gpu")
    if torch.cuda.is_available():
        assert resolve("cuda").type == "cuda"
    else:
        with pytest.raises(UserError, match="no CUDA GPU"):
            resolve("cuda")


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_every_family_trains_on_the_device(name, tmp_path):
    """Every family trains, checkpoints and samples on TLGAN_TEST_DEVICE; on the CPU an explicit runtime gives
    bit-identically the run that names no device."""
    values = dict(model=name, **FAMILY_CONFIGS[name], steps=3, batch_size=4, ckpt_every=3, sample_every=3, seed=5)
    rt = Runtime.of(DEVICE)
    run = train(make_config(values), tmp_path / "dev", runtime=rt, **QUIET)
    state = _state(run)
    assert state and all(torch.isfinite(v.float()).all() for v in state.values())
    assert list((run / "samples").glob("*.png"))
    if rt.device.type == "cpu":
        plain = _state(train(make_config(values), tmp_path / "plain", **QUIET))
        assert plain.keys() == state.keys() and all(torch.equal(plain[k], state[k]) for k in plain)


class _CpuBf16(Runtime):
    """The CUDA fast path's bf16 autocast and channels_last memory, on the CPU: the mixed-precision code (R1/R2's
    double backward under autocast, bf16 activations reaching losses, EMA and sample grids) runs where CI runs."""

    @property
    def amp(self) -> bool:
        return True

    def autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16)


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_every_family_trains_under_bf16_autocast(name, tmp_path):
    """Every family trains, checkpoints and samples under the fast path's autocast, to finite weights."""
    values = dict(model=name, **FAMILY_CONFIGS[name], steps=3, batch_size=4, ckpt_every=3, sample_every=3, seed=5)
    run = train(make_config(values), tmp_path / "amp", runtime=_CpuBf16(), **QUIET)
    state = _state(run)
    assert state and all(torch.isfinite(v.float()).all() for v in state.values())
    assert list((run / "samples").glob("*.png"))


@pytest.mark.parametrize("method", ["egbad", "ganomaly", "fanogan"])
def test_anomaly_detectors_train_under_bf16_autocast(method, tmp_path):
    """`anomaly train --device cuda`'s trainers (encoder stages included) under the fast path's autocast: finite
    scores (how well they separate is tests/test_anomaly.py's, at float32)."""
    from tlgan.anomaly.detector import Detector, anomaly_config, train_detector
    kw = dict(steps=4, width=4) | (dict(encoder_steps=4) if method == "fanogan" else {})
    run = train_detector(anomaly_config(method=method, data="digits", normal_class=0, **kw), tmp_path / method,
                         progress=False, log=lambda *_: None, runtime=_CpuBf16())
    scores = Detector(run).score(load_data("digits", split="test").batch(torch.arange(16)))["score"].numpy()
    assert scores.shape == (16,) and np.isfinite(scores).all()


def test_inversion_encoder_trains_under_bf16_autocast(tmp_path):
    """The inversion encoder (the GPU run trains one for its generator) under the fast path's autocast: finite
    latents."""
    values = dict(model="dcgan", data="digits", resolution=16, n_data=64, z_dim=8, width=4, steps=2, batch_size=4)
    gen = train(make_config(values), tmp_path / "g", **QUIET)
    g = load_generator(gen)
    run = train_encoder(g, str(gen), tmp_path / "enc", steps=3, batch_size=4, progress=False, log=lambda *_: None,
                        runtime=_CpuBf16())
    z = load_encoder(run, g)(torch.zeros(2, g.channels, g.resolution, g.resolution))
    assert z.shape == (2, g.z_dim) and torch.isfinite(z).all()


def test_r3gan_under_bf16_autocast_follows_float32():
    """The GPU run's R3GAN update (relativistic loss, lazy R1 + R2) in bf16 autocast stays beside float32's: the
    same losses to a few hundredths and penalties within 10% after 12 updates from the same start."""
    values = dict(model="r3gan", data="faces", resolution=32, n_data=256, steps=100, seed=0, widths=[16, 16, 8, 8],
                  cardinality=2, z_dim=16, batch_size=16, penalty_every=2)
    data = load_data("faces", 32, 256)
    runs = {}
    for name, rt in (("fp32", Runtime()), ("bf16", _CpuBf16())):
        trainer = family("r3gan")(make_config(values), data, runtime=rt)
        for _ in range(12):
            losses = {k: float(v) for k, v in trainer.update().items()}
        runs[name] = losses, {k: float(v) for k, v in trainer.penalties.items()}
    (fp32, pen32), (bf16, pen16) = runs["fp32"], runs["bf16"]
    assert all(abs(fp32[k] - bf16[k]) < 0.05 for k in ("d_loss", "g_loss")), (fp32, bf16)
    assert all(abs(pen16[k] / pen32[k] - 1) < 0.1 for k in ("r1", "r2")), (pen32, pen16)


def test_cpu_and_auto_train_alike_without_a_gpu(tmp_path):
    """`--device cpu` and `--device auto` give identical weights on a machine without CUDA (with one, auto is the
    GPU: checked by the family test above under TLGAN_TEST_DEVICE=cuda)."""
    args = ["train", "dcgan", "--data", "digits", "--resolution", "16", "--steps", "3", "--batch-size", "8",
            "--config", str(_tiny_yaml(tmp_path))]
    runs = {}
    for dev in ("cpu", "auto"):
        code, _, err = run_cli(*args, "--out", str(tmp_path / dev), "--device", dev)
        assert code == 0, err
        runs[dev] = _state(tmp_path / dev)
    if not torch.cuda.is_available():
        assert all(torch.equal(runs["cpu"][k], runs["auto"][k]) for k in runs["cpu"])


def _tiny_yaml(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text("n_data: 64\nz_dim: 8\nwidth: 4\nckpt_every: 3\nsample_every: 3\n")
    return p


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: --device cuda is not refused")
def test_cuda_without_a_gpu_is_one_line(tmp_path):
    """Every command that takes --device refuses cuda in one line with exit 2 where PyTorch sees no GPU, before
    loading data or taking a port."""
    commands = [["train", "dcgan", "--data", "digits", "--out", str(tmp_path / "r")],
                ["features", "train", "--out", str(tmp_path / "f")],
                ["axes", "sample", "--generator", "src/tlgan/pretrained/faces/generator",
                 "--features", "src/tlgan/pretrained/faces/extractor", "--n", "8", "--out", str(tmp_path / "c")],
                ["axes", "find", "--out", str(tmp_path / "d")],
                ["evaluate", "fd", "src/tlgan/pretrained/faces/generator", "--data", "faces"],
                ["evaluate", "axes", "--n", "8", "--json", str(tmp_path / "a.json")],
                ["invert", "images", "src/tlgan/pretrained/faces/generator/samples.png", "--out", str(tmp_path / "i")],
                ["invert", "train-encoder", "--out", str(tmp_path / "e")],
                ["anomaly", "train", "egbad", "--out", str(tmp_path / "an")],
                ["serve", "--port", "0"], ["demo", "--port", "0"]]
    for cmd in commands:
        code, _, err = run_cli(*cmd, "--device", "cuda")
        assert code == 2 and err.strip().count("\n") == 0 and "no CUDA GPU" in err, (cmd, err)
    assert not any((tmp_path / d).exists() for d in ("r", "f", "c", "d", "i", "e"))


def test_follow_keeps_callers_on_their_device():
    net = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3, requires_grad=True)
    y = follow(net, net, x)
    assert torch.equal(y, net(x))  # on the CPU: exactly the plain call
    y.sum().backward()
    assert x.grad is not None


def test_deadline_stops_with_a_checkpoint(tmp_path):
    """A passed deadline ends the run after the step in flight with a checkpoint, like the last step would."""
    seen = []
    values = dict(model="dcgan", data="digits", resolution=16, n_data=64, z_dim=8, width=4, steps=1000,
                  batch_size=4, ckpt_every=500, sample_every=500)
    run = train(make_config(values), tmp_path / "r", deadline=time.time() - 1,
                on_checkpoint=lambda r, s: seen.append(s), **QUIET)
    assert seen == [1] and (run / "state" / "trainer.pt").exists()
    assert load_generator(run).resolution == 16


NOT_ON_THE_GPU_MACHINE = """import sys
class _NotThere:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"fastapi", "starlette", "uvicorn", "httpx", "playwright", "pytest"}:
            raise ModuleNotFoundError(f"{name} is not on the GPU machine")
sys.meta_path.insert(0, _NotThere())
"""


def test_gpu_script_end_to_end_tiny(tmp_path):
    """scripts/gpu_faces.py at its tiny size (32 px) on the CPU: probe, two variants, readers, scores, encoder, the
    rebuild, the files to bring back; then scripts/install_gpu_model.py on them."""
    out, site = tmp_path / "out", tmp_path / "site"
    site.mkdir()  # the GPU machine has no web stack: the script and its rebuild need neither it nor pytest
    (site / "sitecustomize.py").write_text(NOT_ON_THE_GPU_MACHINE)
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_faces.py"), "--out", str(out), "--work",
                        str(tmp_path / "work"), "--tiny", "--device", "cpu", "--minutes", "0.05",
                        "--probe-seconds", "0.5", "--rebuild"], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                                                     os.environ.get("PYTHONPATH")]))})
    assert p.returncode == 0 and "not on the GPU machine" not in p.stdout + p.stderr, p.stderr[-2000:]
    r = json.loads((out / "results.json").read_text())
    assert set(r["probe_img_per_s"]) == {"32"} and r["probe_img_per_s"]["32"] > 0
    assert r["chosen"] in r["variants"]
    chosen = r["variants"][r["chosen"]]
    assert chosen["images"] > 0 and chosen["fd"] >= 0 and len(chosen["rates"]) == 18
    assert len([f for f in out.iterdir() if not f.name.startswith(".")]) <= 8  # what a device run brings back
    for name in (f"{r['chosen']}.tar", "encoder.tar"):
        with tarfile.open(out / name) as tar:
            tar.extractall(tmp_path / "back", filter="data")
    g = load_generator(tmp_path / "back" / "generator")
    assert g.resolution == 32 and (tmp_path / "back" / "generator" / "samples.png").stat().st_size > 0
    assert r["encoder"]["steps"] > 0  # trained for the chosen generator, packed beside it
    assert load_encoder(tmp_path / "back" / "encoder", g)(torch.zeros(2, 3, 32, 32)).shape == (2, g.z_dim)
    with tarfile.open(out / "readers.tar") as tar:
        assert {"readers/fd/extractor.json", "readers/judge/extractor.json"} <= set(tar.getnames())
    # what the rebuild on the CPU starts from: the chosen model, its encoder and readers, the FD network cached
    dest, cache = tmp_path / "installed", tmp_path / "cache"
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "install_gpu_model.py"), str(out), "--dest", str(dest),
                        "--json", str(tmp_path / "run.json")], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "TLGAN_CACHE": str(cache)})
    assert p.returncode == 0, p.stderr[-2000:]
    assert r["rebuild"]["status"] == "done"  # axes, directions, upload check and figures made on the device
    assert {d.name for d in dest.iterdir()} == {"generator", "encoder", "extractor", "judge", "fd", "axes",
                                                "directions", "docs"}
    assert (dest / "encoder" / "upload_check.json").exists() and (dest / "docs" / "inversion_eval.json").exists()
    (tmp_path / "pretrained").mkdir()  # finishing a rebuild on the CPU redoes nothing the GPU made
    (tmp_path / "pretrained" / "faces").symlink_to(dest)
    p = subprocess.run(["bash", "scripts/rebuild_on_generator.sh", "--keep-encoder"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60, env={**os.environ, "ONLY_MISSING": "1", "DOCS": str(dest / "docs"),
                                                   "TLGAN_PRETRAINED": str(tmp_path / "pretrained")})
    steps = sum(line.startswith("step ") for f in ("rebuild_on_generator.sh", "faces_figures.sh")
                for line in (ROOT / "scripts" / f).read_text().splitlines())
    assert p.returncode == 0 and p.stdout.count("kept ") == steps >= 10, p.stdout + p.stderr[-2000:]
    assert (cache / "fd-faces-32px-10000-1500steps" / "extractor.json").exists()
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["chosen"] == r["chosen"]
    sys.path.insert(0, str(ROOT / "scripts"))
    from readme_tables import gpu_run  # the docs' table of the run
    table = gpu_run(run)
    assert f"{r['chosen']} (chosen)" in table and all(f"| {row['attribute']} |" in table for row in chosen["rates"])
    assert f"{r['n_data']:,} distinct training faces" in table
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "install_gpu_model.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "results.json not found" in p.stderr


def test_gpu_script_fits_its_faces_to_the_device_memory():
    """scripts/gpu_faces.py: on a smaller GPU the two variants hold fewer faces, then one variant trains alone; what
    it chooses fits (the probe's peak per process plus its faces, the readers' reserve, 8% for the allocator)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from gpu_faces import fit_to_memory
    both, face = ["a", "b"], 3 * 128 ** 2 / 2 ** 30
    assert fit_to_memory(139, 20, 200_000, 128, both) == (both, 200_000)  # an H200: as asked
    variants, n = fit_to_memory(79, 25, 200_000, 128, both)  # an H100
    assert variants == both and 50_000 <= n < 200_000 and 2 * (25 + n * face) + 8 <= 0.92 * 79
    assert fit_to_memory(79, 45, 200_000, 128, both) == (["a"], 200_000)  # two would not fit with 50,000 each
    assert fit_to_memory(79, 70, 200_000, 128, both) == (["a"], 50_000)  # the least a run trains on
