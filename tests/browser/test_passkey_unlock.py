"""End to end: enrol with `nuki-mcp passkey add`, ask a real nuki-mcp to unlock, approve in the browser.

The passkey lives in the virtual authenticator of one browser context, exactly as on a person's phone;
nuki-mcp runs as its own process (stdio, and Streamable HTTP), against its built-in simulated account.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from anyio.streams.text import TextReceiveStream
from mcp import Client, StdioServerParameters
from playwright.async_api import Browser as PlaywrightBrowser

from tests.browser.rig import TEST_DEADLINE_S, BrowserPage, browser_page
from tests.support import Json, call_ok, text_of

pytestmark = pytest.mark.anyio

URL = re.compile(r"http://localhost:\d+/approve/[A-Za-z0-9_-]+")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), BROWSER="true", PYTHONUNBUFFERED="1", **extra)
    return env


async def _enrol(tab: BrowserPage, env: dict[str, str]) -> None:
    """`nuki-mcp passkey add` as a person runs it, answered in the browser."""
    command = [sys.executable, "-m", "nuki_mcp", "passkey", "add", "--name", "Phone", "--timeout", "60"]
    async with await anyio.open_process(command, env=env, stdin=subprocess.DEVNULL) as process:
        assert process.stderr is not None
        said = ""
        stderr = TextReceiveStream(process.stderr)
        while (found := re.search(r"http://localhost:\d+/passkeys/enrol", said)) is None:
            said += await stderr.receive()
        await tab.page.goto(found.group(0))
        await tab.page.get_by_role("button", name="Add passkey").click()
        await tab.wait_for_status("Passkey added")
        assert await process.wait() == 0


async def _approve(tab: BrowserPage, url: str) -> None:
    await tab.page.goto(url)
    await tab.page.get_by_role("button", name="Approve with passkey").click()
    await tab.wait_for_status("Approved")


def _audit(path: Path) -> list[Json]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _steps(path: Path) -> list[tuple[str, str]]:
    return [(str(line["event"]), str(line["outcome"])) for line in _audit(path)]


async def test_over_stdio_the_unlock_waits_for_the_passkey_and_happens_only_after_it(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    env = _env(tmp_path, NUKI_APPROVAL_WAIT="60", NUKI_AUDIT_LOG=str(audit))
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "nuki_mcp", "--demo", "--confirm", "passkey"], env=env, cwd=tmp_path
    )
    with anyio.fail_after(TEST_DEADLINE_S):
        async with browser_page(browser, "passkey-unlock-stdio") as tab:
            await _enrol(tab, env)
            link: list[str] = []
            linked = anyio.Event()
            results: list[Json] = []
            started = time.monotonic()
            async with Client(server, mode="legacy") as client, anyio.create_task_group() as tasks:

                async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                    found = URL.search(message or "")
                    if found and not link:
                        link.append(found.group(0))
                        linked.set()

                async def unlock() -> None:
                    result = await client.call_tool(
                        "unlock_smartlock", {"smartlock": "Front Door"}, progress_callback=on_progress
                    )
                    assert not result.is_error, text_of(result)
                    assert result.structured_content is not None
                    results.append(dict(result.structured_content))

                tasks.start_soon(unlock)
                await linked.wait()
                assert _steps(audit) == [("approval", "created")]  # waiting: nothing sent yet
                await _approve(tab, link[0])
            round_trip = time.monotonic() - started
    (result,) = results
    assert (result["status"], result["confirmed_by"], result["outcome"]) == ("done", "passkey", "confirmed")
    state_after = result["state_after"]
    assert isinstance(state_after, dict)
    assert state_after["state"] == "unlocked"  # the simulated lock turned, after the passkey said yes
    assert [step for step in _steps(audit) if step[0] != "decision"][:5] == [
        ("approval", "created"),
        ("approval", "granted"),
        ("approval", "redeemed"),
        ("attempt", "sending"),
        ("outcome", "confirmed"),
    ]
    assert round_trip < TEST_DEADLINE_S
    for line in _audit(audit):
        for secret in ("challenge", "clientDataJSON", "authenticatorData", "signature"):
            assert secret not in json.dumps(line)


@asynccontextmanager
async def _served_over_http(tmp_path: Path, env: dict[str, str]) -> AsyncGenerator[str]:
    with socket.socket() as probe:  # --port takes a real port number
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command = [
        sys.executable,
        "-m",
        "nuki_mcp",
        "--demo",
        "--confirm",
        "passkey",
        "--transport",
        "http",
        "--port",
        port,
    ]
    async with await anyio.open_process(command, env=env, stdin=subprocess.DEVNULL) as process:
        assert process.stderr is not None
        said = ""
        stderr = TextReceiveStream(process.stderr)
        while (found := re.search(r"Serving MCP over Streamable HTTP at (\S+)", said)) is None:
            said += await stderr.receive()
        try:
            yield found.group(1)
        finally:
            process.terminate()


async def test_over_http_an_approval_given_after_the_wait_is_redeemed_by_the_repeated_call(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    env = _env(tmp_path, NUKI_APPROVAL_WAIT="0", NUKI_AUDIT_LOG=str(audit))
    with anyio.fail_after(TEST_DEADLINE_S):
        async with browser_page(browser, "passkey-unlock-http") as tab:
            await _enrol(tab, env)
            async with _served_over_http(tmp_path, env) as url, Client(url) as client:
                first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door", "wait": False})
                assert first["status"] == "confirmation_required"
                assert _steps(audit)[-1] == ("decision", "confirmation_required")
                sent_before = [step for step in _steps(audit) if step[0] == "attempt"]
                await _approve(tab, str(first["approval_url"]))
                done = await call_ok(
                    client,
                    "unlock_smartlock",
                    {"smartlock": "Front Door", "wait": False, "confirmation_token": first["confirmation_token"]},
                )
                replay = await client.call_tool(
                    "unlock_smartlock",
                    {"smartlock": "Front Door", "wait": False, "confirmation_token": first["confirmation_token"]},
                )
    assert sent_before == []
    assert (done["status"], done["confirmed_by"]) == ("done", "passkey")
    assert replay.is_error
    assert "already used" in text_of(replay)
    assert [step for step in _steps(audit) if step[0] == "attempt"] == [("attempt", "sending")]
