"""Streamable HTTP over a real socket: uvicorn on 127.0.0.1, in a thread or as the `nuki-mcp` process.

Push elicitation on a legacy session deadlocks through httpx2.ASGITransport (it buffers the SSE
response), so these tests use real HTTP. Every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr
from starlette.types import ASGIApp

from nuki_mcp.clock import ManualClock
from nuki_mcp.config import Settings
from nuki_mcp.demo import NukiSimulator
from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.http_app import build_http_app
from nuki_mcp.server import create_server
from tests.http_server import DEADLINE_S, uvicorn_in_thread
from tests.support import Elicitations, call_ok

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class DemoServer:
    sim: NukiSimulator
    audit_path: Path
    clock: ManualClock = field(default_factory=ManualClock)

    def app(self, host: str = "127.0.0.1", allowed_hosts: tuple[str, ...] = (), auth: str | None = None) -> ASGIApp:
        settings = Settings(
            demo=True,
            confirm="auto",
            audit_log=self.audit_path,
            allowed_hosts=allowed_hosts,
            mcp_auth_token=SecretStr(auth) if auth else None,
        )
        server = create_server(settings, transport=self.sim.transport(), clock=self.clock)
        return build_http_app(server, settings, host)


@pytest.fixture
def demo(tmp_path: Path) -> DemoServer:
    clock = ManualClock()
    return DemoServer(sim=NukiSimulator(clock=clock), audit_path=tmp_path / "audit.jsonl", clock=clock)


async def test_a_legacy_client_confirms_a_lock_through_pushed_elicitation_over_http(demo: DemoServer) -> None:
    demo.sim.set_state(FRONT_DOOR_ID, state=3)  # unlocked, so locking has something to do
    human = Elicitations(action="accept", content={"confirm": True})
    with uvicorn_in_thread(demo.app()) as url, anyio.fail_after(DEADLINE_S):
        async with (
            httpx2.AsyncClient(timeout=10) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy", elicitation_callback=human) as client,
        ):
            result = await call_ok(client, "lock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "done"
    assert result["outcome"] == "confirmed"
    assert len(human.questions) == 1
    assert "Front Door" in human.questions[0]
    assert [(w.method, w.path) for w in demo.sim.writes()] == [("POST", f"/smartlock/{FRONT_DOOR_ID}/action/lock")]
    state = demo.sim.device(FRONT_DOOR_ID).state
    assert state is not None
    assert state.state == 1


async def test_a_declined_push_elicitation_over_http_sends_nothing(demo: DemoServer) -> None:
    demo.sim.set_state(FRONT_DOOR_ID, state=3)
    human = Elicitations(action="decline")
    with uvicorn_in_thread(demo.app()) as url, anyio.fail_after(DEADLINE_S):
        async with (
            httpx2.AsyncClient(timeout=10) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy", elicitation_callback=human) as client,
        ):
            result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "not_done"
    assert demo.sim.writes() == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example:8000"}, 421),
        ({"Host": "evil.example"}, 421),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "https://attacker.example:8000"}, 403),
    ],
)
async def test_a_loopback_bind_refuses_foreign_host_and_origin_headers(
    demo: DemoServer, headers: dict[str, str], status: int
) -> None:
    with uvicorn_in_thread(demo.app()) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
    assert response.status_code == status


async def test_a_loopback_bind_accepts_its_own_host_and_a_local_origin(demo: DemoServer) -> None:
    with uvicorn_in_thread(demo.app()) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "Origin": "http://localhost:6274"})
    assert response.status_code == 200


async def test_a_public_bind_accepts_only_the_allowed_host_names(demo: DemoServer) -> None:
    app = demo.app(host="0.0.0.0", allowed_hosts=("mcp.example.com",), auth="s3cret-token")
    bearer = {"Authorization": "Bearer s3cret-token"}
    with uvicorn_in_thread(app) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=10) as http:
            allowed = await http.post(
                url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer, "Host": "mcp.example.com"}
            )
            foreign = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer, "Host": "evil.example"})
            loopback = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer})
    assert allowed.status_code == 200
    assert foreign.status_code == 421
    assert loopback.status_code == 421  # 127.0.0.1 is not on the list of a public bind


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "s3cret-token", "Basic czNjcmV0LXRva2Vu"])
async def test_with_an_auth_token_a_request_without_the_right_bearer_gets_401(
    demo: DemoServer, authorization: str | None
) -> None:
    headers = dict(MCP_HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    with uvicorn_in_thread(demo.app(auth="s3cret-token")) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(url, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "s3cret-token" not in response.text


# --- the real `nuki-mcp` process ----------------------------------------------------------------


@dataclass
class ServedProcess:
    url: str
    stderr: list[str]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), NUKI_AUDIT_LOG=str(tmp_path / "audit.jsonl"), **extra)
    return env


@contextmanager
def nuki_mcp_process(args: list[str], env: dict[str, str]) -> Generator[ServedProcess]:
    """Run `nuki-mcp` and wait (bounded) for its "Serving MCP over Streamable HTTP" line on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nuki_mcp", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stderr = process.stderr

    def pump() -> None:
        for line in stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        url = _wait_until_serving(lines, seen)
        yield ServedProcess(url=url, stderr=seen)
    finally:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=DEADLINE_S)
        reader.join(timeout=DEADLINE_S)
        while not lines.empty():
            rest = lines.get_nowait()
            if rest is not None:
                seen.append(rest)


def _wait_until_serving(lines: queue.Queue[str | None], seen: list[str]) -> str:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("nuki-mcp did not start serving in time:\n" + "".join(seen))
        line = lines.get(timeout=remaining)
        if line is None:
            raise AssertionError("nuki-mcp exited before serving:\n" + "".join(seen))
        seen.append(line)
        # Logged once the port is bound and listening: connections from here on are accepted.
        if "Serving MCP over Streamable HTTP at " in line:
            return line.split("Serving MCP over Streamable HTTP at ", 1)[1].split()[0]


def test_the_http_transport_binds_127_0_0_1_by_default(tmp_path: Path) -> None:
    port = _free_port()
    with nuki_mcp_process(["--demo", "--transport", "http", "--port", str(port)], _cli_env(tmp_path)) as served:
        assert served.url == f"http://127.0.0.1:{port}/mcp"
        response = httpx2.post(served.url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    assert response.status_code == 200
    banner = "".join(served.stderr)
    assert f"claude mcp add --transport http nuki http://127.0.0.1:{port}/mcp" in banner
    assert "npx" in banner
    assert "@modelcontextprotocol/inspector" in banner


async def test_the_served_process_requires_the_auth_token_and_never_logs_it(tmp_path: Path) -> None:
    token = "process-auth-token-4c1d"
    port = _free_port()
    env = _cli_env(tmp_path, NUKI_MCP_AUTH_TOKEN=token)
    with nuki_mcp_process(["--demo", "--transport", "http", "--port", str(port)], env) as served:
        with anyio.fail_after(DEADLINE_S):
            async with httpx2.AsyncClient(timeout=10) as anonymous:
                refused = await anonymous.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
            async with (
                httpx2.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http,
                Client(streamable_http_client(served.url, http_client=http)) as client,
            ):
                listing = await call_ok(client, "list_smartlocks")
    assert refused.status_code == 401
    assert listing["total"] == 5
    assert token not in "".join(served.stderr)


def test_a_port_in_use_is_one_line_and_exit_code_2_before_any_banner(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "nuki_mcp", "--demo", "--transport", "http", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=_cli_env(tmp_path),
            timeout=DEADLINE_S,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"nuki-mcp: error: Cannot listen on http://127.0.0.1:{port}: the port is already in use (another "
        "nuki-mcp, or another server); choose another with --port."
    ]
    assert done.stdout == ""


def test_the_http_server_warns_at_start_up_about_a_nuki_devices_entry_that_names_no_device(tmp_path: Path) -> None:
    port = _free_port()
    env = _cli_env(tmp_path, NUKI_DEVICES="Front Door,Frnt Door")
    with nuki_mcp_process(["--demo", "--transport", "http", "--port", str(port)], env) as served:
        response = httpx2.post(served.url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    warnings = [line for line in served.stderr if "WARNING" in line]
    assert response.status_code == 200
    assert len(warnings) == 1
    assert "NUKI_DEVICES entry 'Frnt Door' names no device" in warnings[0]


def test_make_demo_serves_on_the_port_given_as_port(tmp_path: Path) -> None:
    port = _free_port()
    repo = Path(__file__).resolve().parent.parent
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", f"PORT={port}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=True,
    )
    command = dry_run.stdout.strip().splitlines()[-1].split()
    assert Path(command[0]).name == "nuki-mcp"
    with nuki_mcp_process(command[1:], _cli_env(tmp_path)) as served:
        response = httpx2.post(served.url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    assert served.url == f"http://127.0.0.1:{port}/mcp"
    assert response.status_code == 200
