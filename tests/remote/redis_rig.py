"""A real `redis-server` on a free loopback port for the tests of shared state; never skipped.

`scripts/redis.py` (run by `make test`) installs Debian's redis-server when it is missing; here the
server is only found. Without one the tests FAIL: a skipped shared-state suite proves nothing.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import redis

from scripts.redis import RedisUnavailable, find_redis_server

START_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True)
class RedisServer:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            client.flushall()  # pyright: ignore[reportUnknownMemberType]
        finally:
            client.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_redis() -> Generator[RedisServer]:
    """redis-server without persistence on 127.0.0.1 and a free port, stopped at the end."""
    try:
        executable = find_redis_server()
    except RedisUnavailable as exc:
        raise RuntimeError(str(exc)) from None
    if executable is None:
        raise RuntimeError("no redis-server: run `make redis` (or `python -m scripts.redis`), or set REDIS_SERVER")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="nuki-mcp-redis-") as workdir:
        process = subprocess.Popen(
            [
                str(executable),
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir,
                "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=Path(workdir),
        )  # fmt: skip
        try:
            _wait_until_ready(port, process)
            yield RedisServer(port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited at start with code {process.returncode}")
            try:
                if client.ping():  # pyright: ignore[reportUnknownMemberType]
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_S:g} s")
            time.sleep(0.02)  # polling a child process at start-up, not a test's time
    finally:
        client.close()
