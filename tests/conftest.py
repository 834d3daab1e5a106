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


def cli_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """Run the tlgan CLI in this process (no interpreter start-up: for the many one-line-error checks); returns
    (exit code, stdout, stderr) like :func:`run_cli`."""
    import sys

    from tlgan.cli import main
    old = sys.argv
    sys.argv = ["tlgan", *args]
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err
