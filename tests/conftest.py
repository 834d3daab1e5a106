import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest -n N: one thread per worker (torch in-process; the CLI and torchrun subprocesses inherit the variable),
    # so N workers share the cores instead of N x (all cores) threads contending for them
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep each test session's trained-extractor cache out of the user's home."""
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


def run_cli(*args: str):
    """Run the tlgan CLI in-process; returns (exit code, stdout, stderr)."""
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "tlgan", *args], capture_output=True, text=True,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return p.returncode, p.stdout, p.stderr
