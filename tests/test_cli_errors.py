"""Command-line mistakes (not only library errors) print one line and exit with status 2, under the installed typer."""
import pytest
from conftest import run_cli


@pytest.mark.parametrize("args,words", [
    (["train", "dcgan", "--bogus"], "No such option"),
    (["trian"], "No such command"),
    (["export"], "Missing argument"),
    (["sample", "run", "--seed", "seven"], "--seed"),
    (["sample", "run", "--seed", "-1"], "--seed"),  # seeds are 0..2**31-1 on every command
    (["data", "render", "faces", "--seed", "-2", "--out", "x"], "--seed"),  # was an OverflowError's traceback
    (["data", "render", "faces", "--start", "-5", "--out", "x"], "--start"),
    (["edit", "--seed", "2147483648"], "--seed"),
    (["features", "train", "--data-seed", "-1", "--out", "x"], "--data-seed"),
    (["axes", "fit"], "Missing argument"),
    (["sample", "g.pt2", "--trust-code"], "--trust-code goes before the command: tlgan --trust-code sample"),
])
def test_parse_errors_are_one_line(args, words):
    code, out, err = run_cli(*args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
    assert "Traceback" not in err + out


@pytest.mark.parametrize("args,words", [
    (["serve", "--port", "99999"], "--port must be"),
    (["serve", "--port", "-1"], "--port must be"),
    (["generate", "--want", "", "--n", "2", "--out", "OUT"], "names no attribute"),
    (["generate", "--want", "Smiling=1,Smiling=0", "--n", "2", "--out", "OUT"], "twice"),
    (["edit", "--seed", "1", "--set", "Smiling=1", "--set", "Smiling=-1", "--out", "OUT/e.png"], "twice"),
    (["edit", "--seed", "2147483647", "--n", "2", "--set", "Smiling=1", "--out", "OUT/e.png"], "past the last seed"),
    (["evaluate", "axes", "--n", "0", "--json", "OUT/ax.json"], "--n must be at least 2"),
])
def test_bad_values_are_one_line_and_write_nothing(args, words, tmp_path):
    """Issue 30's last tracebacks and contradictory or empty requests: one line, exit 2, no output written."""
    out = tmp_path / "out"
    code, _, err = run_cli(*[a.replace("OUT", str(out)) for a in args])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
    assert not out.exists()


def test_json_is_written_strict(tmp_path):
    import json

    from tlgan.io import write_json
    write_json(tmp_path / "a.json", {"x": float("nan"), "y": [1.0, float("inf")], "z": 2.5})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None, "y": [1.0, None], "z": 2.5}
    assert "NaN" not in (tmp_path / "a.json").read_text()


def test_axes_export_makes_its_folder_and_refuses_a_folder_as_the_file(tmp_path):
    """Without --axes it exports the shipped model's axis; a name without .npy gets it, and the line says so."""
    import numpy as np

    from tlgan.latent.axes import Axes
    from tlgan.pretrained import default_paths
    axes = str(default_paths()["axes"])
    out = tmp_path / "new" / "s"
    code, printed, err = run_cli("axes", "export", "--name", "Smiling", "--out", str(out))
    assert code == 0 and f"wrote {out}.npy" in printed, err
    assert np.allclose(np.load(f"{out}.npy")[0], Axes.load(axes).vector("Smiling"))
    code, _, err = run_cli("axes", "export", "--axes", axes, "--name", "Smiling", "--out", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "is a folder" in err



def test_sample_defaults_to_the_shipped_model_and_writes_the_latents_where_it_says(tmp_path):
    import numpy as np

    from tlgan.generator import load_generator
    from tlgan.pretrained import default_paths
    code, printed, err = run_cli("sample", "--n", "3", "--seed", "5", "--out", str(tmp_path / "s.png"),
                                 "--save-latents", str(tmp_path / "new" / "z"))
    assert code == 0 and f"to {tmp_path / 'new' / 'z.npy'}" in printed, err
    z = load_generator(default_paths()["generator"]).sample(3, 5)[0]
    assert np.array_equal(np.load(tmp_path / "new" / "z.npy"), z.numpy())


def test_a_file_that_cannot_be_written_is_one_line():
    """An operating-system refusal (here: /proc takes no new files) is one line naming the file, exit 2."""
    code, out, err = run_cli("sample", "--n", "2", "--out", "/proc/tlgan-test/s.png")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error:") and "/proc/tlgan-test" in lines[0], err
    assert "Traceback" not in err + out
