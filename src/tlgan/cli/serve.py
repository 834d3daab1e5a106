"""The web editor: ``demo`` (the shipped faces model) and ``serve`` (any generator + axes)."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import UserError
from .app import AXES, DEVICE, GENERATOR, app


def _check_port(host: str, port: int) -> None:
    """UserError (one line, exit 2) if ``host:port`` cannot be bound, before any banner claims it runs."""
    import socket
    if not 0 < port < 65536:
        raise UserError(f"--port must be a port number from 1 to 65535, got {port}")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.bind((host, port))
    except OSError as e:
        raise UserError(f"cannot serve on {host}:{port} ({e.strerror or e}); choose another with --port") from None


def _is_loopback(host: str) -> bool:
    import ipaddress
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _allowed_hosts(host: str):
    """Host headers the editor accepts: localhost names and the bound address on loopback; any beyond it."""
    from ..serve.app import LOCAL_HOSTS
    if _is_loopback(host):
        return (*LOCAL_HOSTS, host)
    typer.echo(f"warning: serving on {host}, beyond this machine: anyone who can reach it can use the editor "
               "(no authentication); bind 127.0.0.1 unless you mean it", err=True)
    return None


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
def demo(port: int = typer.Option(8000, help="TCP port"),
         open_browser: bool = typer.Option(False, "--open", help="open a browser"),
         model: str = typer.Option("faces", help="shipped model: faces | fashion (Fashion-MNIST garments)"),
         device: str = DEVICE):
    """Start the web editor on a shipped model (default: faces) at http://127.0.0.1:PORT (offline)."""
    from ..device import resolve
    from ..pretrained import default_paths
    from ..serve.app import load_app
    default_paths(model)  # an unknown or incomplete model: one line, before the port is taken
    resolve(device)  # so is a GPU asked for where there is none
    _check_port("127.0.0.1", port)
    _serve(load_app(allowed_hosts=_allowed_hosts("127.0.0.1"), model=model, device=device), "127.0.0.1", port,
           open_browser)


@app.command()
def serve(generator: str | None = GENERATOR, axes: Path | None = AXES,
          features: Path | None = typer.Option(None, help="extractor for the attribute read-out"),
          host: str = typer.Option("127.0.0.1", help="bind address (127.0.0.1: this machine only)"),
          port: int = typer.Option(8000, help="TCP port"),
          open_browser: bool = typer.Option(False, "--open", help="open the page in a browser"),
          directions: Path | None = typer.Option(None, help="unsupervised directions (tlgan axes find) for a "
                                                             "second slider panel"),
          encoder: Path | None = typer.Option(None, help="encoder uploads are inverted with (tlgan invert "
                                                          "train-encoder; default: the shipped model's, else none: "
                                                          "300 optimisation steps) and its upload warning"),
          device: str = DEVICE):
    """Serve the web editor for any generator + axes (default: the shipped faces model)."""
    from ..device import resolve
    from ..serve.app import load_app
    resolve(device)  # a GPU asked for where there is none: one line, before the port is taken
    _check_port(host, port)
    _serve(load_app(generator, axes, features, _allowed_hosts(host), directions_path=directions, device=device,
                    encoder_path=encoder), host, port, open_browser)
