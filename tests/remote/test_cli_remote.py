"""`nuki-mcp --transport http --public-url …` as a real process: it serves OAuth metadata, and a Redis it
cannot reach is one line and exit code 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx2

from tests.remote.redis_rig import RedisServer

DEADLINE_S = 60.0


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    return {**clean, "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_unreachable_redis_stops_the_server_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    run = subprocess.run(
        [sys.executable, "-m", "nuki_mcp", "--demo", "--transport", "http", "--port", str(_free_port())],
        env=_env(tmp_path, NUKI_MCP_REDIS_URL=f"redis://:hunter2@127.0.0.1:{port}/0"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "Cannot reach Redis" in line
    assert "hunter2" not in line


def test_the_public_url_flag_starts_remote_mode_with_shared_state_in_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    port = _free_port()
    public = f"http://localhost:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nuki_mcp",
            "--demo",
            "--transport",
            "http",
            "--port",
            str(port),
            "--public-url",
            public,
        ],
        env=_env(tmp_path, NUKI_MCP_REDIS_URL=redis_server.url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        # The socket is bound before this line is logged, so the server answers from here on.
        for line in process.stderr:
            if "Remote mode" in line:
                assert f"shared state: {redis_server.url}" in line
                break
        else:
            raise AssertionError("the server never said it runs in remote mode")
        metadata = httpx2.get(f"{public}/.well-known/oauth-authorization-server", timeout=DEADLINE_S).json()
        assert metadata["issuer"] == public
        unauthorized = httpx2.post(f"{public}/mcp", json={}, timeout=DEADLINE_S)
        assert unauthorized.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE_S)
