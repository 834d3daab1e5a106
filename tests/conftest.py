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


def run_cli(*args: str, fresh: bool = False):
    """Run the tlgan CLI; returns (exit code, stdout, stderr).

    In this process by default (a new interpreter costs ~2 s, most of a one-line-error check), with what a command
    may change put back afterwards: the environment (``--trust-code`` sets a variable), the working directory, torch's
    thread count and the random states. ``fresh=True`` runs ``python -m tlgan`` in a new interpreter instead, for
    commands that start processes of their own or where a fresh interpreter is the point."""
    import sys
    if fresh:
        import subprocess
        p = subprocess.run([sys.executable, "-m", "tlgan", *args], capture_output=True, text=True,
                           env={**os.environ, "PYTHONWARNINGS": "ignore"})
        return p.returncode, p.stdout, p.stderr
    import contextlib
    import io
    import random
    import warnings

    import numpy as np
    import torch

    from tlgan.cli import main
    env, cwd, threads = dict(os.environ), os.getcwd(), torch.get_num_threads()
    rngs = torch.get_rng_state(), np.random.get_state(), random.getstate()
    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = ["tlgan", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = argv
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        torch.set_num_threads(threads)
        torch.set_rng_state(rngs[0])
        np.random.set_state(rngs[1])
        random.setstate(rngs[2])
    return code, out.getvalue(), err.getvalue()
