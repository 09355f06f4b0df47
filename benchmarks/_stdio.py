"""What the stdio benchmarks share: the commands to spawn and a bare JSON-RPC client over pipes.

The client is deliberately minimal (blocking pipes, `json`): it adds the same small cost to the product
and to the SDK floor, so the difference between them is the servers' own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, cast

from pydantic import JsonValue

BENCHMARKS = Path(__file__).resolve().parent
PROTOCOL_VERSION = "2025-11-25"  # the handshake era: what Claude Desktop, Claude Code and the Inspector speak


def nuki_mcp_command() -> list[str]:
    """The venv's `nuki-mcp` console script (what an MCP host spawns), or `python -m nuki_mcp`."""
    script = Path(sys.executable).with_name("nuki-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nuki_mcp"]


def sdk_floor_command() -> list[str]:
    """A minimal `MCPServer` with one trivial tool, on the same interpreter: the SDK's floor."""
    return [sys.executable, str(BENCHMARKS / "sdk_floor_server.py")]


class ServerDied(RuntimeError):
    """The server closed stdout before answering; the message carries the tail of its stderr."""


class StdioSession:
    """One server subprocess spoken to with newline-delimited JSON-RPC over its stdin/stdout."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._next_id = 0
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: Mapping[str, JsonValue]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        stdin.flush()

    def request(self, method: str, params: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
        """Send a request and return its `result`; notifications read meanwhile are skipped."""
        self._next_id += 1
        wanted = self._next_id
        self.send({"jsonrpc": "2.0", "id": wanted, "method": method, "params": dict(params or {})})
        while True:
            message = self._read()
            if message.get("id") != wanted:
                continue
            error = message.get("error")
            if error is not None:
                raise RuntimeError(f"{method} failed: {error}")
            result = message.get("result")
            if not isinstance(result, dict):
                raise RuntimeError(f"{method} answered without a result: {message}")
            return result

    def notify(self, method: str) -> None:
        self.send({"jsonrpc": "2.0", "method": method})

    def initialize(self) -> dict[str, JsonValue]:
        result = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "nuki-mcp-benchmarks", "version": "0"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def call_tool(self, name: str, arguments: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
        result = self.request("tools/call", {"name": name, "arguments": dict(arguments or {})})
        if result.get("isError") is True:
            raise RuntimeError(f"{name} returned a tool error: {result.get('content')}")
        return result

    def peak_rss_kib(self) -> int:
        """VmHWM (the peak resident set size) of the running server, from /proc (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc/<pid>/status")

    def close(self) -> None:
        """End the session the way a host does: close stdin, then wait (kill after 5 s)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _read(self) -> dict[str, JsonValue]:
        stdout = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            self._stderr.seek(0)
            tail = self._stderr.read().decode(errors="replace")[-2000:]
            raise ServerDied(f"the server closed stdout; its stderr ends with:\n{tail}")
        message: object = json.loads(line)
        if not isinstance(message, dict):
            raise RuntimeError(f"not a JSON-RPC message: {line[:200]!r}")
        return cast("dict[str, JsonValue]", message)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads so far (Linux /proc; 10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_initialize(argv: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[float, float]:
    """Seconds from spawning the server to its `initialize` response: (wall clock, the server's CPU time).

    The CPU time is what the server itself spent, so it does not grow when other processes compete
    for the cores (the wall clock does).
    """
    start = time.perf_counter()
    with StdioSession(argv, env) as session:
        session.initialize()
        wall = time.perf_counter() - start
        return wall, cpu_seconds(session.pid)
