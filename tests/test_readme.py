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


def test_a_figure_measured_on_another_generator_says_so_under_its_table(monkeypatch, tmp_path):
    """A new shipped model cannot inherit its predecessor's figures unnoticed: a table whose JSON records another
    generator than the shipped one (or none), or another encoder or other axes, carries a warning naming it and the
    script that remakes it."""
    import json
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import readme_tables as rt
    d = json.loads((ROOT / "docs" / "edit_success.json").read_text())
    (tmp_path / "docs").mkdir()
    monkeypatch.setattr(rt, "ROOT", tmp_path)
    page = "<!-- table:edit_success -->\n<!-- /table:edit_success -->\n"

    def table(**fields) -> str:
        rest = {k: v for k, v in d.items() if not k.endswith("_hash")}
        (tmp_path / "docs" / "edit_success.json").write_text(json.dumps({**rest, **fields}))
        return rt.regenerate(page)
    shipped = rt.shipped_parts()
    assert "⚠" not in table(generator_hash=shipped["generator"]) and "works on" in table()
    other = table(generator_hash="0123456789abcdef")
    assert "Not shown to be the shipped faces model's figures" in other and "generator `0123456789abcdef`" in other
    assert "scripts/faces_quick_figures.sh" in other  # the script that remakes it, in minutes
    assert "edit_success.json` records no generator" in table()
    assert "⚠" not in table(generator_hash=shipped["generator"], encoder_hash=shipped["encoder"])
    assert "with encoder `feedfacefeedface`" in table(generator_hash=shipped["generator"],
                                                      encoder_hash="feedfacefeedface")  # a part retrained since
    assert "⚠" not in table(generator_hash=shipped["generator"], axes_hash=shipped["axes"])
    assert "with axes `feedfacefeedface`" in table(generator_hash=shipped["generator"], axes_hash="feedfacefeedface")
    g = shipped["generator"]  # several sets side by side (evaluate directions): the shipped axes must be one of them
    assert "⚠" not in table(generator_hash=g, set_hashes={"glm": shipped["axes"], "sefa": "0123456789abcdef"})
    other_sets = table(generator_hash=g, set_hashes={"sefa": "0123456789abcdef"})
    assert "compares no set of axes with the shipped ones" in other_sets


def test_the_tables_name_the_recipe_the_shipped_model_is_built_from(monkeypatch):
    """The FD table names the shipped faces model's configs: the ones scripts/build_default_model.sh trains (a new
    model shipped with new configs must change both)."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import readme_tables as rt
    build = (ROOT / "scripts" / "build_default_model.sh").read_text()
    for config in rt.SHIPPED_FACES_RECIPE:
        assert (ROOT / config).exists() and f"tlgan train dcgan --config {config}" in build, config


def test_the_readme_python_example_runs_and_says_what_it_returns(monkeypatch, tmp_path):
    """The README's Python example, run as written from any folder: the shape its comment states is the one
    returned, and the walk returns one edited latent, one λ per wanted attribute and one verdict per face."""
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
    assert scope["z1"].shape == (4, 100) and scope["lam"].shape == (4, 1) and scope["seen"].dtype == torch.bool

