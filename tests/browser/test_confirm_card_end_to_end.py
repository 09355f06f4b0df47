"""The confirmation card end to end: a real write, the real `approve_write` / `deny_write`, the simulator's lock.

NOT COLLECTED YET (the file name lacks the `test_` prefix): it needs the app-only tools `approve_write` and
`deny_write` and the `_meta["nuki/approval"]` write results (APPROVALS.md), which the write path adds. Once they
are in, `git mv tests/browser/confirm_card_end_to_end.py tests/browser/test_confirm_card_end_to_end.py`:
these tests must then pass, never be skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import expect
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.views import CONFIRM_URI
from tests.browser.view_rig import result_json, view_host
from tests.support import Harness

pytestmark = pytest.mark.anyio

UNLOCKED = 3
_OBJECT = TypeAdapter(dict[str, JsonValue])


def pending_approval(wire: dict[str, JsonValue]) -> str:
    """The approval id of a write result under Apps, checking the token is nowhere the model can read it."""
    structured = _OBJECT.validate_python(wire["structuredContent"])
    assert structured["status"] == "confirmation_required"
    meta = _OBJECT.validate_python(wire["_meta"])
    approval = _OBJECT.validate_python(meta["nuki/approval"])
    approval_id = approval["approval_id"]
    assert isinstance(approval_id, str)
    assert structured.get("confirmation_token") is None
    assert approval_id not in json.dumps(structured)
    assert approval_id not in json.dumps(wire["content"])
    return approval_id


async def test_approve_in_the_card_unlocks_the_simulated_lock_exactly_once(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with view_host(browser, harness) as host:
        wire = result_json(await host.client.call_tool("unlock_smartlock", {"smartlock": "Front Door"}))
        approval_id = pending_approval(wire)
        assert harness.sim.writes() == []
        view = await host.show(CONFIRM_URI, {"smartlock": "Front Door"}, wire)
        await expect(view.locator("[data-role=summary]")).to_contain_text("Front Door")
        await view.locator("button[data-role=approve]").click()
        await expect(view.locator("[data-role=outcome]")).to_contain_text("done")
        await host.screenshot("confirm-approved")
        again = await host.client.call_tool("approve_write", {"approval_id": approval_id})
        calls = await host.host_log("calls")
    assert calls == [{"name": "approve_write", "arguments": {"approval_id": approval_id}}]
    assert again.is_error, "a second approve_write of the same approval must be refused"
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("POST", f"/smartlock/{FRONT_DOOR_ID}/action/unlock")]
    state = harness.sim.device(FRONT_DOOR_ID).state
    assert state is not None
    assert state.state == UNLOCKED


async def test_cancel_in_the_card_sends_nothing_and_the_approval_can_never_be_approved(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with view_host(browser, harness) as host:
        wire = result_json(await host.client.call_tool("unlock_smartlock", {"smartlock": "Front Door"}))
        approval_id = pending_approval(wire)
        view = await host.show(CONFIRM_URI, {"smartlock": "Front Door"}, wire)
        await view.locator("button[data-role=cancel]").click()
        await expect(view.locator("[data-role=outcome]")).not_to_have_text("Cancelling…")
        later = await host.client.call_tool("approve_write", {"approval_id": approval_id})
    assert later.is_error
    assert harness.sim.writes() == []
