"""Start `nuki-mcp --demo --transport http` on a free loopback port for a check, and always stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scripts.node_tools import CheckFailed, child_env, last_lines

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 10.0


@dataclass(frozen=True)
class RunningServer:
    url: str
    log_path: Path

    def log_tail(self, count: int = 25) -> str:
        return last_lines(self.log_path.read_text(errors="replace"), count)


def nuki_mcp_command() -> Path:
    """The `nuki-mcp` console script of the interpreter running the checks (the project's venv)."""
    command = Path(sys.executable).parent / "nuki-mcp"
    if not command.is_file():
        raise CheckFailed(f"No `nuki-mcp` beside {sys.executable}: run the checks with the venv's python.")
    return command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_http_server(log_path: Path) -> Generator[RunningServer]:
    """Serve the demo account over Streamable HTTP; yields once the port accepts connections."""
    port = free_port()
    command = [str(nuki_mcp_command()), "--demo", "--transport", "http", "--host", HOST, "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_env(),
            start_new_session=True,
        )
    server = RunningServer(url=f"http://{HOST}:{port}/mcp", log_path=log_path)
    try:
        _wait_until_listening(process, port, server)
        yield server
    finally:
        _stop(process)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CheckFailed(f"nuki-mcp exited with {process.returncode} while starting.\n{server.log_tail()}")
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise CheckFailed(f"nuki-mcp did not listen on {HOST}:{port} within {STARTUP_TIMEOUT:.0f} s.\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL; the group id is ours until we reap."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
