"""The web editor: ``demo`` (the shipped faces model) and ``serve`` (any generator + axes)."""
from __future__ import annotations

from pathlib import Path

import typer

from .app import app


def _serve(app, host: str, port: int, open_browser: bool) -> None:
    import threading
    import webbrowser

    import uvicorn
    url = f"http://{host}:{port}"
    typer.echo(f"tlgan editor running at {url}  (Ctrl+C to stop)")
    if open_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


@app.command()
def demo(port: int = typer.Option(8000), open_browser: bool = typer.Option(False, "--open", help="open a browser")):
    """Start the web editor on the shipped faces model at http://127.0.0.1:PORT (offline)."""
    from ..serve.app import load_app
    _serve(load_app(), "127.0.0.1", port, open_browser)


@app.command()
def serve(generator: str | None = typer.Option(None), axes: Path | None = typer.Option(None),
          features: Path | None = typer.Option(None, help="extractor for the attribute read-out"),
          host: str = typer.Option("127.0.0.1", help="bind address (127.0.0.1: this machine only)"),
          port: int = typer.Option(8000), open_browser: bool = typer.Option(False, "--open")):
    """Serve the web editor for any generator + axes (default: the shipped faces model)."""
    from ..serve.app import load_app
    _serve(load_app(generator, axes, features), host, port, open_browser)
