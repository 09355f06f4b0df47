"""What a passkey approval adds to a write: the round trip from "approval created" to "granted".

A real headless Chromium (scripts/browser.py finds it) with a CDP virtual authenticator opens the approval
page, presses Approve with passkey, and the waiting call (`PasskeyApprovals.wait`) returns. Median of 20,
after one warm-up. A person adds their own reaction time on top; this is the machine's share.

    .venv/bin/python benchmarks/passkey_roundtrip.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from playwright.async_api import async_playwright

from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
from nuki_mcp.approvals.service import PasskeyApprovals
from nuki_mcp.approvals.store import ApprovalDevice, ApprovalRequest, approval_binding
from nuki_mcp.clock import SystemClock
from nuki_mcp.config import CliOverrides, load_settings

ROUNDS = 20
REPO_ROOT = Path(__file__).resolve().parent.parent


async def measure(state_dir: Path) -> tuple[list[float], list[float]]:
    sys.path.insert(0, str(REPO_ROOT))
    from scripts.browser import ensure_browser

    chromium = ensure_browser()
    approvals = PasskeyApprovals.from_settings(
        load_settings({}, CliOverrides(demo=True)), SystemClock(), state_dir=state_dir
    )
    binding = approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001})
    request = ApprovalRequest(
        tool="unlock_smartlock",
        devices=(ApprovalDevice(17001, "Front Door"),),
        binding=binding,
        summary="Unlock 'Front Door' (id 17001).",
    )
    whole: list[float] = []
    ceremony: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium.executable),
            args=["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            env={**os.environ, **chromium.env},
        )
        page = await browser.new_page()
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
        enrol_server = LoopbackServer(0)
        enrolment = Enrolment(label="bench", passkeys=approvals.passkeys)
        enrol_app = build_approval_app(
            port=enrol_server.port, passkeys=approvals.passkeys, clock=approvals.clock, enrolment=enrolment
        )
        async with enrol_server.running(enrol_app):
            await page.goto(f"{enrol_server.base_url}/passkeys/enrol")
            await page.click("#enrol")
            await enrolment.done.wait()
        async with approvals.running():
            for round_ in range(ROUNDS + 1):
                started = time.perf_counter()
                approval = await approvals.request(request)
                await page.goto(approvals.url(approval.id))
                clicked = time.perf_counter()
                decided = None
                async with anyio.create_task_group() as group:
                    group.start_soon(page.click, "#approve")
                    decided = await approvals.wait(approval.id, 30)
                done = time.perf_counter()
                assert decided is not None
                assert decided.state == "granted"
                if round_:  # the first round warms up the page and the verifier
                    whole.append(done - started)
                    ceremony.append(done - clicked)
        await browser.close()
    return whole, ceremony


def main() -> int:
    with tempfile.TemporaryDirectory() as state:
        whole, ceremony = anyio.run(measure, Path(state))
    print(
        f"passkey approval, created -> granted (page load + ceremony): median {statistics.median(whole) * 1000:.0f} ms"
    )
    print(
        f"passkey ceremony, click -> granted (options, get, verify): median {statistics.median(ceremony) * 1000:.0f} ms"
    )
    print(f"({ROUNDS} rounds, virtual authenticator, headless Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
