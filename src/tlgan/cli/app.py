"""The root ``tlgan`` app, the sub-apps shared by several command modules, and the console entry point.

User errors print one line (``error: ...``) and exit with status 2.
"""
from __future__ import annotations

import sys

import click
import typer

from ..config import MAX_SEED
from ..errors import Interrupted, UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tlgan: controllable image generation with GANs (TL-GAN).")
data_app = typer.Typer(no_args_is_help=True, help="Render or inspect datasets.")
evaluate_app = typer.Typer(no_args_is_help=True, help="Measure generators and feature axes.")
app.add_typer(data_app, name="data")
app.add_typer(evaluate_app, name="evaluate")
# Options several commands share, with one help text each.
DEVICE = typer.Option("auto", "--device", help="auto | cpu | cuda (auto: the GPU when PyTorch sees one)")
GENERATOR = typer.Option(None, "--generator", help="run directory, export or NVIDIA .pkl (RUN@w: its W space); "
                         "with --trust-code also .pt2 / .pt / module:function (default: the shipped model)")
AXES = typer.Option(None, "--axes", help="axes directory (default: the shipped model's)")


def seed_option(help: str, default: int | None = 0):
    """A seed option: 0..MAX_SEED, checked by the parser (a one-line error, exit 2)."""
    return typer.Option(default, min=0, max=MAX_SEED, help=help)


SEED = seed_option("random seed: the same seed gives the same result")


def _version(asked: bool) -> None:
    """``--version``: tlgan's version with PyTorch's and whether it sees a GPU; then exit."""
    if asked:
        import platform

        import torch

        from .. import __version__
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA GPU"
        typer.echo(f"tlgan {__version__} (PyTorch {torch.__version__}, Python {platform.python_version()}, {gpu})")
        raise typer.Exit()


@app.callback()
def _root(threads: int | None = typer.Option(None, "--threads", help="CPU threads for PyTorch (default: torch's "
                                                                        "choice, or OMP_NUM_THREADS)"),
          trust_code: bool = typer.Option(False, "--trust-code", help="allow models that run code when loaded: "
                                          "torch.export / TorchScript files and module:function factories "
                                          "(e.g. tlgan --trust-code sample g.pt2)"),
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version (with PyTorch's and the GPU it sees) and exit")):
    """tlgan: controllable image generation with GANs (TL-GAN)."""
    if trust_code:
        import os

        from ..generator import TRUST_ENV
        os.environ[TRUST_ENV] = "1"  # read where such a model is loaded; torchrun workers inherit it
    if threads is not None:
        if threads < 1:
            raise UserError("--threads must be >= 1")
        import torch
        torch.set_num_threads(threads)


def _click_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(usage-error classes, abort classes) of click and of the copy of click that newer typer releases vendor."""
    import importlib
    usage, abort = [click.ClickException], [click.exceptions.Abort]
    try:
        usage.append(importlib.import_module("typer._click.exceptions").ClickException)
    except (ImportError, AttributeError):
        pass
    if isinstance(getattr(typer, "Abort", None), type):
        abort.append(typer.Abort)
    return tuple(usage), tuple(abort)


def main() -> None:
    """Console entry point: run the app; a user error, a command-line mistake or a file that cannot be read or
    written prints one line (``error: ...``) and exits with status 2."""
    from .. import distributed
    usage_errors, aborts = _click_errors()
    try:
        app(standalone_mode=False)
    except distributed.SetupError as e:  # every rank saw the same launch mistake: rank 0 says it once
        if distributed.env_rank() == 0:
            typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except Interrupted as e:
        typer.echo(str(e), err=True)
        sys.exit(130)
    except UserError as e:
        rank = f" (rank {distributed.rank()} of {distributed.world()})" if distributed.world() > 1 else ""
        typer.echo(f"error{rank}: {e}", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as e:
        sys.exit(getattr(e, "exit_code", getattr(e, "code", 0)))
    except usage_errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # `tlgan axes` alone: the group's help, as click shows it
            e.show()
            sys.exit(0)
        ctx = getattr(e, "ctx", None)
        sub = ctx.command_path.split()[len(ctx.find_root().command_path.split()):] if ctx else []
        hint = f"see `{' '.join(['tlgan', *sub, '--help'])}`"
        for root_option in ("--trust-code", "--threads"):  # options of tlgan itself, given after a command
            if root_option in e.format_message() and sub:
                hint = f"{root_option} goes before the command: tlgan {root_option} {' '.join(sub)} ..."
        typer.echo(f"error: {e.format_message()} ({hint})", err=True)
        sys.exit(2)
    except aborts:
        sys.exit(130)
    except OSError as e:  # a file the command could not read or write: a missing folder, no permission, a full disk
        where = f": {e.filename}" if e.filename else ""
        typer.echo(f"error: {e.strerror or e}{where}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    finally:
        distributed.teardown()
