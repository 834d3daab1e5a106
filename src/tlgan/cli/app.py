"""The root ``tlgan`` app, the sub-apps shared by several command modules, and the console entry point.

User errors print one line (``error: ...``) and exit with status 2.
"""
from __future__ import annotations

import sys

import click
import typer

from ..errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tlgan: controllable image generation with GANs (TL-GAN).")
data_app = typer.Typer(no_args_is_help=True, help="Render or inspect datasets.")
evaluate_app = typer.Typer(no_args_is_help=True, help="Measure generators and feature axes.")
app.add_typer(data_app, name="data")
app.add_typer(evaluate_app, name="evaluate")


def main() -> None:
    """Console entry point: run the app, turning UserError into a one-line message and exit status 2."""
    try:
        app(standalone_mode=False)
    except UserError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as e:
        sys.exit(getattr(e, "exit_code", getattr(e, "code", 0)))
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
