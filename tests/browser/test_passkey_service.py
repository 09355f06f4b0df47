"""`PasskeyApprovals` as the write path will use it: a call waits while the owner approves in a real browser."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest
from playwright.async_api import Browser as PlaywrightBrowser

from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
from nuki_mcp.approvals.service import PasskeyApprovals
from nuki_mcp.approvals.store import (
    Approval,
    ApprovalDevice,
    ApprovalEvent,
    ApprovalRefused,
    ApprovalRequest,
    approval_binding,
)
from nuki_mcp.clock import SystemClock
from nuki_mcp.config import CliOverrides, load_settings
from tests.browser.rig import TEST_DEADLINE_S, BrowserPage, browser_page

pytestmark = pytest.mark.anyio

BINDING = approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001})
REQUEST = ApprovalRequest(
    tool="unlock_smartlock",
    devices=(ApprovalDevice(17001, "Front Door"),),
    binding=BINDING,
    summary="Unlock 'Front Door' (id 17001).",
    client_name="claude-code",
)


async def enrol(approvals: PasskeyApprovals, tab: BrowserPage) -> str:
    """Enrol as `nuki-mcp passkey add` does: its own loopback server, separate from the approval page."""
    server = LoopbackServer(0)
    enrolment = Enrolment(label="laptop", passkeys=approvals.passkeys)
    app = build_approval_app(port=server.port, passkeys=approvals.passkeys, clock=approvals.clock, enrolment=enrolment)
    async with server.running(app):
        await tab.page.goto(f"{server.base_url}/passkeys/enrol")
        await tab.page.get_by_role("button", name="Add passkey").click()
        await tab.wait_for_status("Passkey added")
    assert enrolment.enrolled is not None
    return enrolment.enrolled.credential_id


async def test_a_waiting_call_goes_on_as_soon_as_the_owner_approves_in_the_browser(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    events: list[ApprovalEvent] = []
    settings = load_settings({"NUKI_APPROVAL_WAIT": "45"}, CliOverrides(demo=True))
    approvals = PasskeyApprovals.from_settings(settings, SystemClock(), events=events.append, state_dir=tmp_path)
    with anyio.fail_after(TEST_DEADLINE_S):
        async with browser_page(browser, "service-wait") as tab, approvals.running():
            credential_id = await enrol(approvals, tab)
            approval = await approvals.request(REQUEST)
            assert approvals.url(approval.id) == f"{approvals.base_url}/approve/{approval.id}"
            decided: list[tuple[Approval | None, float]] = []

            async def the_call() -> None:
                started = time.monotonic()
                decided.append((await approvals.wait(approval.id), time.monotonic() - started))

            async with anyio.create_task_group() as group:
                group.start_soon(the_call)
                await tab.page.goto(approvals.url(approval.id))
                assert decided == []
                await tab.page.get_by_role("button", name="Approve with passkey").click()
            ((after, waited),) = decided
            assert after is not None
            assert (after.state, after.credential_id) == ("granted", credential_id)
            assert waited < 45
            assert (await approvals.redeem(approval.id, BINDING)).state == "redeemed"
    assert [e.describe() for e in events] == [
        f"passkey approval {approval.id} created",
        f"passkey approval {approval.id} granted with passkey {credential_id}",
        f"passkey approval {approval.id} redeemed",
    ]


async def test_an_approval_given_after_the_wait_ran_out_is_redeemed_by_the_repeated_call(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    settings = load_settings({"NUKI_APPROVAL_WAIT": "0"}, CliOverrides(demo=True))
    approvals = PasskeyApprovals.from_settings(settings, SystemClock(), state_dir=tmp_path)
    with anyio.fail_after(TEST_DEADLINE_S):
        async with browser_page(browser, "service-later") as tab, approvals.running():
            await enrol(approvals, tab)
            approval = await approvals.request(REQUEST)
            still = await approvals.wait(approval.id)
            assert still is not None
            assert still.state == "pending"
            with pytest.raises(ApprovalRefused, match="not approved this yet"):
                await approvals.redeem(approval.id, BINDING)
            await tab.page.goto(approvals.url(approval.id))
            await tab.page.get_by_role("button", name="Approve with passkey").click()
            await tab.wait_for_status("Approved")
            other = approval_binding("unlatch_smartlock", [17001], {"smartlock_id": 17001})
            with pytest.raises(ApprovalRefused, match="different tool, device or arguments"):
                await approvals.redeem(approval.id, other)
            assert (await approvals.redeem(approval.id, BINDING)).state == "redeemed"
            with pytest.raises(ApprovalRefused, match="already used"):
                await approvals.redeem(approval.id, BINDING)
