"""What `--help` shows a newcomer: every option and argument says what it is, and flags do not look like they take
a value."""
import typer
from conftest import run_cli


def _commands(command, path=("tlgan",)):
    """(path, click command) of every leaf command under ``command``."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, command


def test_every_option_and_argument_has_help():
    from tlgan.cli import app
    leaves = list(_commands(typer.main.get_command(app)))
    missing = [f"{' '.join(path)} {param.name}" for path, command in leaves for param in command.params
               if param.name != "help" and not getattr(param, "help", None)]
    assert len(leaves) >= 25 and not missing, "no help text: " + ", ".join(missing)


def test_help_shows_flags_without_a_value():
    """A flag (``--trust-code``, ``--help``) is listed without a value placeholder; options that take one show it.
    Typer 0.29 printed ``--help <bool>``: the pin in pyproject.toml keeps it out, this test keeps the pin honest."""
    code, out, _ = run_cli("--help")
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ --")}
    assert code == 0 and {"--threads", "--trust-code", "--version", "--help"} <= set(lines), out
    assert "<int>" in lines["--threads"] or "INTEGER" in lines["--threads"]
    assert not any(word in lines[flag] for flag in ("--trust-code", "--version", "--help") for word in ("<bool>", "BOOLEAN"))


def test_version():
    import tlgan
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith(f"tlgan {tlgan.__version__} (PyTorch ") and out.count("\n") == 1
