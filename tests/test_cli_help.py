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
    flags = ("--trust-code", "--version", "--help")
    assert not any(word in lines[flag] for flag in flags for word in ("<bool>", "BOOLEAN"))


def test_version():
    import tlgan
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith(f"tlgan {tlgan.__version__} (PyTorch ") and out.count("\n") == 1


def _written_commands():
    """(file, command after `tlgan `) for every tlgan command the guides and scripts write: lines of code blocks and
    inline code in README.md, CONTRIBUTING.md and docs/*.md, and command lines of scripts/*.sh."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    for page in [root / "README.md", root / "CONTRIBUTING.md", *sorted((root / "docs").glob("*.md"))]:
        block = False
        for line in page.read_text().splitlines():
            if line.strip().startswith("```"):
                block = not block
            elif block:
                m = re.search(r"(?:^|\s)tlgan (.*)", line)
                if m and not line.lstrip().startswith(("import ", "from ", "#")):
                    yield page.name, m.group(1)
            else:
                for span in re.findall(r"`([^`]*)`", line):
                    m = re.match(r"(?:python3? -m |torchrun .*?-m )?tlgan (.*)", span)
                    if m:
                        yield page.name, m.group(1)
    for script in sorted((root / "scripts").glob("*.sh")):
        for line in script.read_text().replace("\\\n", " ").splitlines():
            code = line.split("#")[0]
            for m in re.finditer(r"(?:^|[\s(])tlgan ([a-z][^;&|)]*)", code):
                yield script.name, re.sub(r"\$\{?\w+\}?", "X", m.group(1))


def _unknown(root, command: str) -> str | None:
    """What in ``command`` (the words after `tlgan `) names no command or option of the CLI, or None. Values and
    placeholders (RUN, [--opt X], a|b) are not checked, only command and option names."""
    import re
    import shlex
    text = re.split(r"\s(?:#|&&|;|\|\|)\s?|\s\|\s", command)[0]
    text = text.replace("\\|", "|").replace("[", " ").replace("]", " ").replace("…", " ")
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote or a trailing backslash in prose
        words = text.split()
    node, path, i = root, ["tlgan"], 0
    while hasattr(node, "commands") and i < len(words):
        word = words[i]
        if word in {o for p in node.params for o in p.opts + p.secondary_opts}:
            i += 2 if word == "--threads" else 1
        elif all(part in node.commands for part in word.split("/")):   # `tlgan axes export/import`
            node, i = node.commands[word.split("/")[0]], i + 1
            path.append(word)
        elif path[-1] == "invert" and not word.startswith("-"):           # `tlgan invert IMG` = `invert images`
            node = node.commands["images"]
        elif word.startswith("{") or word.isupper():                     # placeholders: COMMAND, {a,b}
            return None
        else:
            return f"{' '.join(path)}: no command {word!r}"
    options = {o for p in node.params for o in p.opts + p.secondary_opts} | {"--help"}
    unknown = [w.split("=")[0] for w in words[i:] if w.startswith("--") and w.split("=")[0] not in options]
    return f"{' '.join(path)}: no option {unknown[0]}" if unknown else None


def test_every_command_the_guides_and_scripts_write_exists():
    """A renamed command or option fails here, not in a reader's shell (or in a rebuild script on the day a GPU is
    lent)."""
    from tlgan.cli import app
    root = typer.main.get_command(app)
    written = list(_written_commands())
    wrong = [f"{name}: `tlgan {cmd}` ({why})" for name, cmd in written if (why := _unknown(root, cmd))]
    assert len(written) > 100 and not wrong, "\n".join(wrong)
    assert _unknown(root, "edit --set Smiling=1 --bogus") == "tlgan edit: no option --bogus"
    assert _unknown(root, "axes fitt CACHE") == "tlgan axes: no command 'fitt'"
