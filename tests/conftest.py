import os

import pytest


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
