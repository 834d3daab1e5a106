"""The guide's generated tables are the JSON files' figures: scripts/readme_tables.py --check fails on a hand edit."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "readme_tables.py"
PAGE = ROOT / "docs" / "training.md"  # the page holding the R3GAN tables


def _check(*files) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", *map(str, files)], capture_output=True, text=True)


def test_the_readme_tables_match_their_json():
    assert "<!-- table:" in PAGE.read_text()
    p = _check()  # README.md and every page in docs/
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_hand_edited_table_fails_the_check_and_is_rewritten(tmp_path):
    copy = tmp_path / "page.md"
    text = PAGE.read_text()
    start = text.index("<!-- table:")
    body_start = text.index("\n", start) + 1
    edited = text[:body_start] + re.sub(r"\d+\.\d\d", "99.99", text[body_start:], count=1)
    copy.write_text(edited)
    p = _check(copy)
    assert p.returncode == 1 and "differ" in p.stdout
    subprocess.run([sys.executable, str(SCRIPT), str(copy)], check=True, capture_output=True)
    assert copy.read_text() == text


def test_the_readme_python_example_runs_and_says_what_it_returns(monkeypatch, tmp_path):
    """The README's Python example, run as written from any folder: the shape its last comment states is the one
    returned."""
    import torch
    text = (ROOT / "README.md").read_text()
    block = text[text.index("```python\nimport tlgan"):]
    code = block[len("```python\n"):block.index("```", 10)]
    stated = re.search(r"# \((\d+), (\d+), (\d+), (\d+)\) in \[-1, 1\]", code)
    assert stated, "the example's last line states the images' shape"
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    x = scope["x"]
    assert tuple(x.shape) == tuple(map(int, stated.groups())) and not x.requires_grad
    assert x.min() >= -1 - 1e-5 and x.max() <= 1 + 1e-5 and isinstance(x, torch.Tensor)
