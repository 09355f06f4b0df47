"""Serve an ASGI app with uvicorn on 127.0.0.1 in a thread, for tests that need real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Generator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

DEADLINE_S = 30.0


@contextmanager
def uvicorn_in_thread(app: ASGIApp, path: str = "/mcp") -> Generator[str]:
    """Serve `app` on a socket bound before the thread starts, so no readiness wait is needed.

    Yields the URL of `path` on the server.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        server.should_exit = True
        thread.join(timeout=DEADLINE_S)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"
