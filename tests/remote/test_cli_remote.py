"""`nuki-mcp --transport http --public-url …` as a real process: it serves OAuth metadata, a Redis it
cannot reach is one line and exit code 2, and a replica killed with SIGKILL loses no approval or audit line."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
from nuki_mcp.shared_state.audit_stream import STREAM
from nuki_mcp.shared_state.redis_state import sync_client
from tests.remote.redis_rig import RedisServer
from tests.remote.rig import SECRET_KEY
from tests.remote.soft_authenticator import SoftAuthenticator

DEADLINE_S = 60.0
pytestmark = pytest.mark.anyio


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    # Replicas sharing Redis share this key too (it seals keypad codes and PINs of pending changes).
    return {**clean, "XDG_STATE_HOME": str(tmp_path / "state"), "NUKI_MCP_SECRET_KEY": SECRET_KEY, **extra}


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


def test_passkey_confirmation_with_replicas_needs_a_passkey_in_their_redis_and_says_so_in_one_line(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "nuki_mcp", "--demo", "--transport", "http", "--port", str(_free_port())],
        env=_env(tmp_path, NUKI_MCP_REDIS_URL=redis_server.url, NUKI_CONFIRM="passkey"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "the replicas' Redis has none" in line
    assert "nuki-mcp passkey add" in line


def test_the_public_url_flag_starts_remote_mode_with_shared_state_in_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    port = _free_port()
    public = f"http://localhost:{port}"
    process = _spawn_replica(tmp_path, port, public, NUKI_MCP_REDIS_URL=redis_server.url)
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


@dataclass
class Killable:
    process: subprocess.Popen[str]
    port: int
    audit: Path
    token: str


@pytest.fixture
def killable(tmp_path: Path, redis_server: RedisServer) -> Iterator[Killable]:
    """A replica process (confirmation off, machine token), ready when the fixture returns."""
    port = _free_port()
    audit = tmp_path / "audit.jsonl"
    token = "k" * 40
    env = _env(
        tmp_path,
        NUKI_MCP_REDIS_URL=redis_server.url,
        NUKI_MCP_AUTH_TOKEN=token,
        NUKI_CONFIRM="off",
        NUKI_AUDIT_LOG=str(audit),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nuki_mcp", "--demo", "--transport", "http", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Serving MCP over Streamable HTTP" in line:
                break
        yield Killable(process, port, audit, token)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=DEADLINE_S)


async def test_a_replica_killed_mid_write_has_its_attempt_line_in_its_file_and_in_the_shared_stream(
    killable: Killable, redis_server: RedisServer
) -> None:
    redis = sync_client(redis_server.url)
    headers = {"Authorization": f"Bearer {killable.token}"}

    async def unlock(client: Client) -> None:
        with contextlib.suppress(httpx2.HTTPError, MCPError):  # the replica dies under it
            await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})

    seen: object = None
    with contextlib.suppress(httpx2.HTTPError, MCPError, ExceptionGroup):
        async with (
            httpx2.AsyncClient(headers=headers, timeout=DEADLINE_S) as http,
            Client(streamable_http_client(f"http://127.0.0.1:{killable.port}/mcp", http_client=http)) as client,
            anyio.create_task_group() as group,
        ):
            group.start_soon(unlock, client)
            # Wait (in Redis, not on a timer) for the attempt line, then kill the replica at once.
            seen = await anyio.to_thread.run_sync(lambda: redis.xread({STREAM: "0"}, block=int(DEADLINE_S * 1000)))
            killable.process.kill()
            group.cancel_scope.cancel()
    assert seen, "no audit line reached the stream"
    assert killable.process.wait(timeout=DEADLINE_S) != 0  # killed, not finished
    local = [_LINE.validate_json(line) for line in killable.audit.read_text().splitlines() if line.strip()]
    entries = _ENTRIES.validate_python(redis.xrange(STREAM))
    streamed = [_LINE.validate_json(fields[b"line"]) for _, fields in entries]
    assert [line["event"] for line in local][:1] == ["attempt"]
    assert [(line["id"], line["event"]) for line in streamed] == [(line["id"], line["event"]) for line in local]


_LINE = TypeAdapter(dict[str, JsonValue])
_ENTRIES = TypeAdapter(list[tuple[bytes, dict[bytes, bytes]]])


def test_passkey_list_reads_the_replicas_passkeys_from_redis(
    tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from nuki_mcp.approvals.passkeys import StoredPasskey
    from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
    from nuki_mcp.cli_passkey import passkey_main

    RedisPasskeyStore(sync_client(redis_server.url)).add(
        StoredPasskey(credential_id="cred-1", public_key="pk", sign_count=0, label="phone", created=datetime.now(UTC))
    )
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("NUKI_MCP_REDIS_URL", redis_server.url)
    assert passkey_main(["list"]) == 0
    assert "cred-1" in capsys.readouterr().out
    assert passkey_main(["remove", "cred-1"]) == 0
    assert RedisPasskeyStore(sync_client(redis_server.url)).enrolled() == []
    monkeypatch.setenv("NUKI_MCP_REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")
    assert passkey_main(["list"]) == 1
    assert "Cannot reach Redis" in capsys.readouterr().err


def _spawn_replica(tmp_path: Path, port: int, public_url: str, **env: str) -> subprocess.Popen[str]:
    """`nuki-mcp --demo --transport http --public-url …` on `port`, just started; its stderr is a pipe."""
    return subprocess.Popen(
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
            public_url,
        ],
        env=_env(tmp_path, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _replica_process(tmp_path: Path, port: int, public_url: str, **env: str) -> subprocess.Popen[str]:
    """`nuki-mcp --demo --transport http --public-url …` on `port`, ready (listening) when this returns."""
    process = _spawn_replica(tmp_path, port, public_url, **env)
    assert process.stderr is not None
    for line in process.stderr:
        if "Serving MCP over Streamable HTTP" in line:
            return process
    process.wait(timeout=DEADLINE_S)
    raise AssertionError(f"the replica on port {port} did not start (exit code {process.returncode})")


@pytest.mark.parametrize("killed", ["after_answering", "while_waiting"])
async def test_an_approval_asked_for_on_a_replica_that_is_then_killed_is_approved_and_performed_once_on_another(
    tmp_path: Path, redis_server: RedisServer, killed: str
) -> None:
    redis = sync_client(redis_server.url)
    owner = SoftAuthenticator()
    RedisPasskeyStore(redis).add(owner.enrolled())  # `nuki-mcp passkey add` with NUKI_MCP_REDIS_URL did this
    a_port, b_port = _free_port(), _free_port()
    public = f"http://localhost:{a_port}"  # one public URL for both, as behind a load balancer
    token = "k" * 40
    common = {
        "NUKI_MCP_REDIS_URL": redis_server.url,
        "NUKI_MCP_AUTH_TOKEN": token,
        "NUKI_CONFIRM": "passkey",
        # while_waiting: A dies during its call, while it waits for the owner; the agent has the link from
        # the call's progress message.
        "NUKI_APPROVAL_WAIT": "0" if killed == "after_answering" else "600",
    }
    a_audit, b_audit = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    replicas: list[subprocess.Popen[str]] = []
    try:
        replicas.append(_replica_process(tmp_path, a_port, public, NUKI_AUDIT_LOG=str(a_audit), **common))
        replicas.append(_replica_process(tmp_path, b_port, public, NUKI_AUDIT_LOG=str(b_audit), **common))
        a, b = replicas
        arguments: dict[str, JsonValue] = {"smartlock": "Front Door"}
        if killed == "after_answering":
            async with _machine_client(a_port, token) as on_a:
                asked = _RESULT.validate_python(
                    (await on_a.call_tool("unlock_smartlock", arguments)).structured_content
                )
            assert asked["status"] == "confirmation_required"
            approval_url = str(asked["approval_url"])
            a.kill()  # SIGKILL: nothing of replica A runs any more, in memory or otherwise
        else:
            approval_url = await _link_then_kill(a, a_port, token, arguments)
        assert a.wait(timeout=DEADLINE_S) == -signal.SIGKILL
        approval_id = approval_url.removeprefix(f"{public}/approve/")
        assert approval_url == f"{public}/approve/{approval_id}"

        async with httpx2.AsyncClient(base_url=f"http://localhost:{b_port}", timeout=DEADLINE_S) as to_b:
            headers = {"Origin": public, "Content-Type": "application/json"}
            options = await to_b.post(f"/approve/{approval_id}/options", headers=headers, content=b"{}")
            assert options.status_code == 200, options.text
            answer = owner.sign(options.text, public)
            verified = await to_b.post(f"/approve/{approval_id}/verify", headers=headers, content=answer)
            assert verified.status_code == 200, verified.text
        repeated = {**arguments, "confirmation_token": approval_id}
        async with _machine_client(b_port, token) as on_b:
            done = await on_b.call_tool("unlock_smartlock", repeated)
            again = await on_b.call_tool("unlock_smartlock", repeated)
        b.terminate()
        b.wait(timeout=DEADLINE_S)
    finally:
        for process in replicas:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=DEADLINE_S)
    performed = _RESULT.validate_python(done.structured_content)
    assert (performed["status"], performed["confirmed_by"], performed["outcome"]) == ("done", "passkey", "confirmed")
    assert again.is_error
    assert "already used" in str(again.content)
    a_lines = _lines(a_audit)
    b_lines = _lines(b_audit)
    # B sent exactly one unlock to Nuki: one attempt, confirmed by the passkey approval A created.
    assert [(line["event"], line["confirmation"]) for line in b_lines if line["event"] == "attempt"] == [
        ("attempt", "passkey")
    ]
    assert [(line["event"], line["outcome"]) for line in a_lines] == [
        ("approval", "created"),
        *([("decision", "confirmation_required")] if killed == "after_answering" else []),
    ]
    assert sorted(str(line["outcome"]) for line in b_lines if line["event"] == "approval") == ["granted", "redeemed"]
    # Every line of both replicas, the killed one's included, is in the shared stream.
    streamed = [_LINE.validate_json(fields[b"line"]) for _, fields in _ENTRIES.validate_python(redis.xrange(STREAM))]
    assert sorted(str(line["id"]) for line in streamed) == sorted(str(line["id"]) for line in a_lines + b_lines)


async def _link_then_kill(
    replica: subprocess.Popen[str], port: int, token: str, arguments: dict[str, JsonValue]
) -> str:
    """Call unlock on `replica`, SIGKILL it as soon as the call's progress message gives the approval link."""
    links: list[str] = []
    linked = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message is not None and "/approve/" in message:
            links.append(message.split()[-1])
            linked.set()

    async def unlock(client: Client) -> None:
        with contextlib.suppress(httpx2.HTTPError, MCPError):  # the replica dies under it
            await client.call_tool("unlock_smartlock", arguments, progress_callback=on_progress)

    with contextlib.suppress(httpx2.HTTPError, MCPError, ExceptionGroup), anyio.fail_after(DEADLINE_S):
        async with _machine_client(port, token) as client, anyio.create_task_group() as group:
            group.start_soon(unlock, client)
            await linked.wait()
            replica.kill()
            group.cancel_scope.cancel()
    assert links, "the call never sent the approval link"
    return links[0]


def _lines(audit: Path) -> list[dict[str, JsonValue]]:
    return [_LINE.validate_json(line) for line in audit.read_text().splitlines() if line.strip()]


@contextlib.asynccontextmanager
async def _machine_client(port: int, token: str) -> AsyncGenerator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=DEADLINE_S) as http,
        Client(streamable_http_client(f"http://localhost:{port}/mcp", http_client=http)) as client,
    ):
        yield client


_RESULT = TypeAdapter(dict[str, JsonValue])
