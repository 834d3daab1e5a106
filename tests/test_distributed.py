"""torchrun scale-out on CPU (gloo): two ranks train like one process, the (z, y) cache is the same bit for bit,
a killed two-rank run resumes under one process, and launch mistakes print one line.

Each torchrun launch costs a few seconds of process start-up, so one launch of tests/dist_worker.py serves the
consistency tests."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tlgan import distributed
from tlgan.errors import UserError

sys.path.insert(0, str(Path(__file__).parent))
import dist_worker

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def torchrun(*args: str, timeout: float = 240, **kw) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node 2 ARGS`` (one CPU thread per rank); returns the finished process."""
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           *args], capture_output=True, text=True, timeout=timeout, env=ENV, **kw)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """tests/dist_worker.py run once under torchrun with 2 processes: its output directory."""
    out = tmp_path_factory.mktemp("two_ranks")
    p = torchrun(str(Path(__file__).parent / "dist_worker.py"), str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def one_rank():
    """The same jobs in this process (world size 1), one thread as each torchrun rank has."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {name: dist_worker.train_job(name) for name in dist_worker.JOBS}
    finally:
        torch.set_num_threads(threads)


def _max_delta(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


@pytest.mark.parametrize("job", list(dist_worker.JOBS))
def test_every_rank_holds_the_same_networks(two_ranks, job):
    r0, r1 = (torch.load(two_ranks / f"rank{r}.pt")[job] for r in (0, 1))
    assert _max_delta(r0["state"], r1["state"]) <= 1e-6  # parameters, BatchNorm statistics, EMA
    assert r0["trace"] == r1["trace"]  # the logged losses are the global batch's, alike on every rank
    assert r0["trace"][0] != r0["trace"][-1]  # and it trained


@pytest.mark.parametrize("job", ["wgan-gp", "r3gan"])
def test_two_ranks_follow_the_one_process_loss_trace(two_ranks, one_rank, job):
    """Without BatchNorm, two ranks of a global batch are one process of it: WGAN-GP with its penalty, R3GAN with
    R1 + R2 and augmentation."""
    two = torch.load(two_ranks / "rank0.pt")[job]
    one = one_rank[job]
    diffs = [abs(a[k] - b[k]) for a, b in zip(one["trace"], two["trace"], strict=True) for k in a]
    assert max(diffs) <= 1e-5
    assert _max_delta(one["state"], two["state"]) <= 1e-5


def test_two_rank_cache_equals_the_one_rank_cache_and_resumes_under_one(two_ranks, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dist_worker.build_small_cache(tmp_path / "one")
        for f in ("z.npy", "y.npy"):
            assert np.array_equal(np.load(tmp_path / "one" / f), np.load(two_ranks / "cache" / f)), f
        # a two-rank cache killed with batches 1 and 3 unfinished, resumed by one process
        part = tmp_path / "part"
        shutil.copytree(two_ranks / "cache", part)
        flags = np.load(part / "batches.npy", mmap_mode="r+")
        flags[[1, 3]] = 0
        flags.flush()
        y = np.load(part / "y.npy", mmap_mode="r+")
        y[128:256] = 0
        y.flush()
        meta = json.loads((part / "meta.json").read_text())
        meta["done"] = 128
        (part / "meta.json").write_text(json.dumps(meta))
        del flags, y
        dist_worker.build_small_cache(part)
    finally:
        torch.set_num_threads(threads)
    for f in ("z.npy", "y.npy"):
        assert np.array_equal(np.load(tmp_path / "one" / f), np.load(part / f)), f
    assert json.loads((part / "meta.json").read_text())["done"] == 640


def test_a_killed_two_rank_run_resumes_under_one_process(tmp_path):
    """torchrun (2 ranks) killed mid-run, then `tlgan train --resume` alone: it continues from the checkpoint and
    ends where an uninterrupted one-process run ends (no BatchNorm: the ranks are one global batch)."""
    from tlgan.training import load_config, train
    job = {k: v for k, v in dist_worker.JOBS["wgan-gp"].items() if k != "model"}
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in {**job, "ckpt_every": 10}.items()))
    run, log = tmp_path / "run", tmp_path / "torchrun.log"
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             "-m", "tlgan", "train", "wgan-gp", "--config", str(cfg_file), "--steps", "1000000",
                             "--out", str(run)], env=ENV, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        deadline = time.time() + 120
        while not (run / "state" / "trainer.pt").exists() or _step(run) < 30:
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
    finally:  # SIGKILL torchrun and both ranks (each has the run directory on its command line)
        subprocess.run(["pkill", "-KILL", "-f", str(run)])
        proc.wait()
    step = _step(run)
    assert step >= 30 and step % 10 == 0
    env = {**ENV, "WORLD_SIZE": "1"}
    p = subprocess.run([sys.executable, "-m", "tlgan", "train", "wgan-gp", "--resume", "--out", str(run),
                        "--steps", str(step + 20)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert _step(run) == step + 20
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config(cfg_file, model="wgan-gp", steps=step + 20)
        train(cfg, tmp_path / "straight", progress=False, log=lambda *a: None)
    finally:
        torch.set_num_threads(threads)
    from safetensors.torch import load_file
    a, b = (load_file(r / "state" / "g.safetensors") for r in (run, tmp_path / "straight"))
    assert _max_delta(a, b) <= 1e-4


def _step(run: Path) -> int:
    try:
        return int(torch.load(run / "state" / "trainer.pt", weights_only=True)["step"])
    except Exception:
        return -1


def test_a_batch_the_ranks_cannot_split_is_one_line(tmp_path):
    p = torchrun("-m", "tlgan", "train", "dcgan", "--data", "shapes", "--resolution", "16", "--batch-size", "15",
                 "--steps", "2", "--out", str(tmp_path / "r"))
    assert p.returncode != 0
    errors = [line for line in p.stderr.splitlines() if line.startswith("error")]
    assert errors == ["error: batch_size 15 does not split over 2 processes: use a multiple of 2 (the batch is "
                      "global; each process takes batch / 2 rows)"]
    assert not (tmp_path / "r").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_missing_or_unreachable_rendezvous_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    with pytest.raises(UserError, match="MASTER_ADDR, MASTER_PORT unset: launch with torchrun"):
        distributed.setup()
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))  # nobody listens: rank 0 never started
    monkeypatch.setenv("TLGAN_DIST_TIMEOUT", "3")
    t0 = time.time()
    with pytest.raises(UserError, match=r"could not join the process group at 127\.0\.0\.1"):
        distributed.setup()
    assert time.time() - t0 < 60
    assert distributed.world() == 1
