"""Command-line mistakes (not only library errors) print one line and exit with status 2, under the installed typer."""
import pytest
from conftest import run_cli


@pytest.mark.parametrize("args,words", [
    (["train", "dcgan", "--bogus"], "No such option"),
    (["trian"], "No such command"),
    (["sample"], "Missing argument"),
    (["sample", "run", "--seed", "seven"], "--seed"),
    (["axes", "fit"], "Missing argument"),
])
def test_parse_errors_are_one_line(args, words):
    code, out, err = run_cli(*args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
    assert "Traceback" not in err + out
