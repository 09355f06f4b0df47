"""What a passkey approval adds to an unlock: `unlock_smartlock` under NUKI_CONFIRM=passkey against NUKI_CONFIRM=off.

Both servers are `create_server` against the simulator (system clock), driven through the in-memory
`mcp.Client`; `unlock_smartlock` of the Front Door with `wait: false`, the door locked again between
calls (unmeasured).

- Baseline: NUKI_CONFIRM=off, no confirmation at all.
- Passkey: NUKI_CONFIRM=passkey. A real headless Chromium (scripts/browser.py finds it) with a CDP
  virtual authenticator enrols a passkey on the enrolment page first. While the call waits, the
  browser opens the approval URL from the call's progress notification and presses Approve with
  passkey; the call returns done.

Baseline and passkey calls alternate round by round (the machine may be busy); median of 20 each,
after one warm-up round. A person adds their own reaction time on top; this is the machine's share.

It stops with exit 1 if an unlock does not end `done` or the passkey call sends no approval URL.

    .venv/bin/python benchmarks/passkey_unlock.py
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from mcp import Client
from mcp.types import CallToolResult
from playwright.async_api import Page, async_playwright
from pydantic import JsonValue, SecretStr, TypeAdapter

from _report import Row, median_ms, report
from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyStore
from nuki_mcp.clock import SystemClock
from nuki_mcp.config import ConfirmMode, Settings
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.server import create_server

ROUNDS = 20
REPO_ROOT = Path(__file__).resolve().parent.parent
DOOR = "Front Door"
UNLOCK: dict[str, JsonValue] = {"smartlock": DOOR, "wait": False}
LOCK: dict[str, JsonValue] = {"smartlock": DOOR, "wait": False}
APPROVAL_URL = re.compile(r"http://localhost:\d+/approve/[A-Za-z0-9_-]+")
CALL_TIMEOUT_S = 90  # beyond NUKI_APPROVAL_WAIT's default 60 s
_RESULT = TypeAdapter(dict[str, JsonValue])


def settings(confirm: ConfirmMode) -> Settings:
    return Settings(api_token=SecretStr(DEMO_TOKEN), confirm=confirm, audit_log=None, demo=True)


@asynccontextmanager
async def connected(confirm: ConfirmMode, state_dir: Path) -> AsyncGenerator[Client]:
    clock = SystemClock()
    transport = NukiSimulator(clock=clock).transport()
    server = create_server(settings(confirm), transport=transport, clock=clock, state_dir=state_dir)
    async with Client(server) as client:
        yield client


def status_of(result: CallToolResult) -> str:
    if result.is_error or result.structured_content is None:
        return "error"
    return str(_RESULT.validate_python(result.structured_content).get("status"))


async def call(client: Client, tool: str, arguments: dict[str, JsonValue]) -> str:
    return status_of(await client.call_tool(tool, arguments))


async def lock_again(client: Client) -> None:
    """Lock the door, unmeasured. Under NUKI_CONFIRM=passkey a securing write follows `auto`: a token, then a call."""
    result = await client.call_tool("lock_smartlock", LOCK)
    if status_of(result) == "confirmation_required" and result.structured_content is not None:
        token = _RESULT.validate_python(result.structured_content).get("confirmation_token")
        result = await client.call_tool("lock_smartlock", {**LOCK, "confirmation_token": token})
    if status_of(result) != "done":
        raise RuntimeError(f"locking the door again ended {status_of(result)!r}")


async def unlock(client: Client) -> tuple[float, str]:
    started = time.perf_counter()
    status = await call(client, "unlock_smartlock", UNLOCK)
    return time.perf_counter() - started, status


@dataclass
class Measured:
    baseline: list[float] = field(default_factory=list[float])
    passkey: list[float] = field(default_factory=list[float])


async def open_browser_page(page: Page) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})  # pyright: ignore[reportUnknownMemberType]
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})  # pyright: ignore[reportUnknownMemberType]


async def enrol(page: Page, passkeys: PasskeyStore) -> None:
    server = LoopbackServer(0)
    enrolment = Enrolment(label="bench", passkeys=passkeys)
    app = build_approval_app(port=server.port, passkeys=passkeys, clock=SystemClock(), enrolment=enrolment)
    async with server.running(app):
        await page.goto(f"{server.base_url}/passkeys/enrol")
        await page.click("#enrol")
        await enrolment.done.wait()


async def unlock_with_passkey(client: Client, page: Page) -> tuple[float, str, bool]:
    """One unlock under NUKI_CONFIRM=passkey, approved in the browser: (seconds, status, approval URL seen)."""
    urls: list[str] = []
    url_seen = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        found = APPROVAL_URL.search(message or "")
        if found and not urls:
            urls.append(found.group(0))
            url_seen.set()

    async def approve() -> None:
        await url_seen.wait()
        await page.goto(urls[0])
        await page.click("#approve")

    results: list[CallToolResult] = []
    started = time.perf_counter()
    with anyio.fail_after(CALL_TIMEOUT_S):
        async with anyio.create_task_group() as group:
            group.start_soon(approve)
            results.append(await client.call_tool("unlock_smartlock", UNLOCK, progress_callback=on_progress))
            group.cancel_scope.cancel()
    return time.perf_counter() - started, status_of(results[0]), bool(urls)


async def measure(state_dir: Path) -> Measured:
    sys.path.insert(0, str(REPO_ROOT))
    from scripts.browser import ensure_browser

    passkeys = PasskeyStore(state_dir)
    chromium = ensure_browser()
    measured = Measured()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium.executable),
            args=["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            env={**os.environ, **chromium.env},
        )
        page = await browser.new_page()
        await open_browser_page(page)
        await enrol(page, passkeys)
        async with connected("off", state_dir) as baseline, connected("passkey", state_dir) as guarded:
            for round_ in range(ROUNDS + 1):  # the first round warms up the page, the verifier and the servers
                await lock_again(baseline)
                plain, plain_status = await unlock(baseline)
                await lock_again(guarded)
                seconds, status, url_seen = await unlock_with_passkey(guarded, page)
                if not url_seen:
                    raise RuntimeError(f"the passkey unlock sent no approval URL while it waited and ended {status!r}")
                if (plain_status, status) != ("done", "done"):
                    raise RuntimeError(f"the unlocks ended {plain_status!r} and {status!r} instead of done")
                if round_:
                    measured.baseline.append(plain)
                    measured.passkey.append(seconds)
        await browser.close()
    return measured


def rows(measured: Measured) -> list[Row]:
    base, passkey = median_ms(measured.baseline), median_ms(measured.passkey)
    return [
        Row(
            what=f"unlock_smartlock, NUKI_CONFIRM=off (median of {len(measured.baseline)})",
            figure=f"{base:.1f} ms",
            baseline="—",
            ratio="—",
            target="—",
            met=None,
        ),
        Row(
            what=f"unlock_smartlock, NUKI_CONFIRM=passkey, approved in the browser (median of {len(measured.passkey)})",
            figure=f"{passkey:.0f} ms",
            baseline=f"{base:.1f} ms (NUKI_CONFIRM=off)",
            ratio=f"{passkey / base:.0f}x",
            target="—",
            met=None,
        ),
        Row(
            what="what the passkey round trip adds to an unlock (difference of the medians)",
            figure=f"{passkey - base:.0f} ms",
            baseline=f"{base:.1f} ms",
            ratio="—",
            target="—",
            met=None,
        ),
    ]


def main() -> int:
    logging.disable(logging.INFO)  # the simulated requests and the approval page's access lines
    with tempfile.TemporaryDirectory() as state:
        measured = anyio.run(measure, Path(state))
    code = report(rows(measured))
    print(f"({ROUNDS} rounds after one warm-up, virtual authenticator, headless Chromium, in-memory mcp.Client)")
    return code


if __name__ == "__main__":
    sys.exit(main())
