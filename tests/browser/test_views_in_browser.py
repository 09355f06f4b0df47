"""The MCP Apps views in a real headless Chromium, hosted by the official ext-apps app-bridge, on the real server.

Each test calls a tool the way the model would, hands the result to the view as a host does, then looks at
what a person sees and clicks. The view's own tool calls go through the host to the server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import FrameLocator, Locator, expect
from pydantic import JsonValue

from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.views import AUDIT_URI, CONFIRM_URI, DASHBOARD_URI
from tests.browser.view_rig import HOST_CAPABILITIES, Theme, view_host
from tests.support import Harness

pytestmark = pytest.mark.anyio

DEVICES = ("Front Door", "Cellar Door", "Building Entrance", "Back Door", "Garage")


def card(view: FrameLocator, name: str) -> Locator:
    return view.locator(f'article.device[aria-label="{name}"]')


def approval_result(approval: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """A write tool's result under Apps: confirmation required, the approval only in `_meta` (APPROVALS.md)."""
    return {
        "content": [{"type": "text", "text": '{"status": "confirmation_required"}'}],
        "structuredContent": {
            "status": "confirmation_required",
            "summary": str(approval["summary"]),
            "reason": "The user confirms in the card.",
        },
        "isError": False,
        "_meta": {"nuki/approval": approval},
    }


def cellar_approval(**extra: JsonValue) -> dict[str, JsonValue]:
    return {
        "approval_id": "apr-7Qx2",
        "summary": "Unlock 'Cellar Door' (id 186395966).",
        "changes": [{"field": "state", "before": "locked", "after": "unlocked"}],
        "expires_in_s": 120,
        **extra,
    }


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_dashboard_shows_every_device_with_its_state_batteries_and_activity(
    browser: PlaywrightBrowser, tmp_path: Path, theme: Theme
) -> None:
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.call_and_show(DASHBOARD_URI, "list_smartlocks", {}, theme=theme)
        for name in DEVICES:
            await expect(card(view, name).locator("h2")).to_have_text(name)
        front, cellar, garage = card(view, "Front Door"), card(view, "Cellar Door"), card(view, "Garage")
        await expect(front.locator("[data-role=state]")).to_have_text("locked")
        await expect(cellar.locator("[data-role=state]")).to_have_text("unlocked")
        await expect(cellar).to_contain_text("9% (critical)")
        await expect(garage.locator("[data-role=online]")).to_have_text("offline")
        await expect(front.locator("[data-role=online]")).to_have_text("online")
        # The per-device details the list lacks arrive through the host: keypad battery, last activity.
        await expect(front).to_contain_text("Keypad battery")
        await expect(front).to_contain_text("lock via automatic")
        await expect(cellar).to_contain_text("unlock via system")
        await expect(front).to_contain_text("Pending operationnone")
        # An Opener has no Lock or Unlock button.
        await expect(card(view, "Building Entrance").locator("button")).to_have_count(0)
        await host.screenshots(f"dashboard-{theme}")
        if theme == "light":
            await host.screenshot("dashboard")
    assert [name for name, _ in host.calls] == ["get_smartlock"] * len(DEVICES)
    assert host.harness.sim.writes() == []
    assert host.outside_requests() == []


async def test_the_dashboard_renders_one_device_from_get_smartlock(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.call_and_show(DASHBOARD_URI, "get_smartlock", {"smartlock": "Cellar"})
        await expect(view.locator("article.device")).to_have_count(1)
        cellar = card(view, "Cellar Door")
        await expect(cellar.locator("[data-role=state]")).to_have_text("unlocked")
        await expect(cellar).to_contain_text("Smart Lock 2.0")
        await expect(cellar).to_contain_text("unlock via system")
    assert host.calls == []


async def test_lock_in_the_dashboard_calls_lock_smartlock_through_the_host_and_shows_the_locked_door(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    harness = Harness(tmp_path)
    async with view_host(browser, harness) as host:
        view = await host.call_and_show(DASHBOARD_URI, "list_smartlocks", {})
        cellar = card(view, "Cellar Door")
        await expect(cellar.locator("[data-role=state]")).to_have_text("unlocked")
        await host.wait_for_calls(len(DEVICES))
        await cellar.locator("button[data-role=lock_smartlock]").click()
        await expect(card(view, "Cellar Door").locator("[data-role=state]")).to_have_text("locked")
        await expect(card(view, "Cellar Door").locator("[data-role=status]")).to_contain_text("done")
        calls = await host.host_log("calls")
    assert {"name": "lock_smartlock", "arguments": {"smartlock": str(CELLAR_ID)}} in calls
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("POST", f"/smartlock/{CELLAR_ID}/action/lock")]
    state = harness.sim.device(CELLAR_ID).state
    assert state is not None
    assert state.state == 1


async def test_unlock_in_the_dashboard_goes_through_the_same_confirmation_as_any_call(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    # With confirmation on and no way to elicit, a click is not a confirmation: nothing is sent to Nuki.
    harness = Harness(tmp_path, confirm="auto")
    async with view_host(browser, harness) as host:
        view = await host.call_and_show(DASHBOARD_URI, "list_smartlocks", {})
        await host.wait_for_calls(len(DEVICES))
        await card(view, "Front Door").locator("button[data-role=unlock_smartlock]").click()
        calls = await host.wait_for_calls(len(DEVICES) + 1)
        await expect(card(view, "Front Door").locator("[data-role=status]")).not_to_have_text("")
        await expect(card(view, "Front Door").locator("[data-role=state]")).to_have_text("locked")
    assert calls[len(DEVICES)] == {"name": "unlock_smartlock", "arguments": {"smartlock": str(FRONT_DOOR_ID)}}
    assert harness.sim.writes() == []


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_audit_view_groups_the_findings_by_device_and_severity_with_evidence_fix_and_counts(
    browser: PlaywrightBrowser, tmp_path: Path, theme: Theme
) -> None:
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.call_and_show(AUDIT_URI, "audit_smartlocks", {}, theme=theme)
        await expect(view.locator("[data-count=critical] strong")).to_have_text("2")
        await expect(view.locator("[data-count=warning] strong")).to_have_text("13")
        await expect(view.locator("[data-count=info] strong")).to_have_text("4")
        cellar = view.locator(f'section[data-device="{CELLAR_ID}"]')
        await expect(cellar.locator("h2")).to_have_text(f"Cellar Door (id {CELLAR_ID})")
        severities = await cellar.locator("article.finding").evaluate_all("cards => cards.map(c => c.dataset.severity)")
        assert severities == sorted(severities, key=["critical", "warning", "info"].index)
        battery = cellar.locator('article[data-rule="battery-critical"]')
        await expect(battery).to_contain_text("The battery is critical (9 %)")
        await expect(battery.locator("[data-role=evidence]")).to_contain_text("battery_percent9")
        await expect(battery.locator(".fix")).to_contain_text("Fix:")
        await expect(view.locator('section[data-device] article[data-rule="device-offline"]')).to_contain_text(
            "Nuki cannot reach the device"
        )
        await expect(view.locator("article.finding")).to_have_count(19)
        await host.screenshots(f"audit-{theme}")
    assert host.calls == []
    assert host.outside_requests() == []


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_confirmation_card_shows_the_pending_change_and_approve_calls_approve_write(
    browser: PlaywrightBrowser, tmp_path: Path, theme: Theme
) -> None:
    approval = cellar_approval()
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.show(CONFIRM_URI, {"smartlock": "Cellar"}, approval_result(approval), theme=theme)
        await expect(view.locator("[data-role=summary]")).to_have_text("Unlock 'Cellar Door' (id 186395966).")
        await expect(view.locator("[data-role=changes]")).to_contain_text('state: "locked" → "unlocked"')
        await expect(view.locator(".confirm")).to_contain_text("Expires in 120 s.")
        await host.screenshots(f"confirm-{theme}")
        await view.locator("button[data-role=approve]").click()
        calls = await host.wait_for_calls(1)
        await expect(view.locator("[data-role=outcome]")).not_to_have_text("Approving…")
        await expect(view.locator("button[data-role=approve]")).to_be_disabled()
        await host.page.wait_for_function("() => window.hostLog.modelContext.length === 1")
        told = await host.host_log("modelContext")
        outcome = await view.locator("[data-role=outcome]").text_content()
    assert calls == [{"name": "approve_write", "arguments": {"approval_id": "apr-7Qx2"}}]
    assert told[0]["content"] == [
        {
            "type": "text",
            "text": f"In the confirmation card the user clicked Approve for: {approval['summary']} Outcome: {outcome}",
        }
    ]


async def test_cancel_in_the_card_calls_deny_write_and_nothing_else(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with view_host(browser, harness) as host:
        view = await host.show(CONFIRM_URI, {"smartlock": "Cellar"}, approval_result(cellar_approval()))
        await view.locator("button[data-role=cancel]").click()
        calls = await host.wait_for_calls(1)
        await expect(view.locator("button[data-role=approve]")).to_be_disabled()
        await host.page.wait_for_function("() => window.hostLog.modelContext.length === 1")
        after = await host.host_log("calls")
    assert calls == after == [{"name": "deny_write", "arguments": {"approval_id": "apr-7Qx2"}}]
    assert harness.sim.writes() == []


async def test_a_host_without_model_context_updates_is_told_the_outcome_by_a_message(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    capabilities = {k: v for k, v in HOST_CAPABILITIES.items() if k != "updateModelContext"}
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.show(
            CONFIRM_URI, {"smartlock": "Cellar"}, approval_result(cellar_approval()), capabilities=capabilities
        )
        await view.locator("button[data-role=cancel]").click()
        await host.page.wait_for_function("() => window.hostLog.messages.length === 1")
        messages = await host.host_log("messages")
        assert await host.host_log("modelContext") == []
    assert messages[0]["role"] == "user"
    assert "clicked Cancel for: Unlock 'Cellar Door'" in str(messages[0]["content"])


async def test_under_passkey_mode_approve_opens_the_approval_page_instead_of_approving(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    url = "http://localhost:8765/approve/apr-7Qx2"
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.show(CONFIRM_URI, {"smartlock": "Cellar"}, approval_result(cellar_approval(approval_url=url)))
        approve = view.locator("button[data-role=approve]")
        await expect(approve).to_have_text("Approve with passkey")
        await approve.click()
        await host.page.wait_for_function("() => window.hostLog.links.length === 1")
        await expect(view.locator("[data-role=outcome]")).to_contain_text("approve there with your passkey")
        links = await host.page.evaluate("() => window.hostLog.links")
        calls = await host.host_log("calls")
        await host.screenshot("confirm-passkey")
    assert links == [url]
    assert calls == []


async def test_a_result_without_a_pending_approval_shows_its_outcome(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.call_and_show(CONFIRM_URI, "lock_smartlock", {"smartlock": "Cellar"})
        await expect(view.locator("[data-role=outcome]")).to_contain_text("done")
        await expect(view.locator("button")).to_have_count(0)
    assert host.calls == []


async def test_the_card_says_so_when_the_host_cancels_the_tool_call(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with view_host(browser, Harness(tmp_path)) as host:
        view = await host.show(CONFIRM_URI, {"smartlock": "Cellar"}, approval_result(cellar_approval()))
        await expect(view.locator("button[data-role=approve]")).to_be_visible()
        await host.page.evaluate("() => window.cancelTool('user action')")
        await expect(view.locator("[data-role=outcome]")).to_have_text(
            "The call was cancelled (user action): nothing was done."
        )
        await expect(view.locator("button")).to_have_count(0)
    assert host.calls == []
