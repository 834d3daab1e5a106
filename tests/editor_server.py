"""Start the editor app on a free loopback port in a background thread (for API, load and browser tests)."""
import socket
import threading
import time

import httpx
import uvicorn


def serve_in_thread(app):
    """Run ``app`` with uvicorn on 127.0.0.1:<free port>; returns (base url, server) once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(url + "/api/info", timeout=1)
            return url, server
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("editor server did not start")
