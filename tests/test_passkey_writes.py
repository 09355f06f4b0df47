"""NUKI_CONFIRM=passkey through the real MCP server: which writes need the owner's approval, and the token flow.

The approval page and the WebAuthn ceremony are proven in a real browser (tests/browser/); here the owner's
decision is given to the server's own approval store, as the page does after it verified the passkey, and
every refusal is checked against the simulator: nothing reached Nuki.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp_types import CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY

from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.guard import Guard
from nuki_mcp.http_app import build_http_app
from tests.http_server import DEADLINE_S, uvicorn_in_thread
from tests.support import (
    ENROLLED_PASSKEY_ID,
    ClientMode,
    Elicitations,
    Harness,
    Json,
    call_error,
    call_ok,
    passkey_harness,
)

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
UNLOCKED = 3
LOCKED = 1


def _guard(harness: Harness) -> Guard:
    assert harness.server is not None
    return harness.server.guard


async def _owner_approves(harness: Harness, approval_id: str) -> None:
    approvals = _guard(harness).approvals
    assert approvals is not None
    await approvals.store.grant(approval_id, ENROLLED_PASSKEY_ID)


async def _owner_denies(harness: Harness, approval_id: str) -> None:
    approvals = _guard(harness).approvals
    assert approvals is not None
    await approvals.store.deny(approval_id)


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_an_unlock_waits_for_the_owner_and_returns_the_approval_link_with_nothing_sent(
    tmp_path: Path, mode: ClientMode, caplog: pytest.LogCaptureFixture
) -> None:
    harness = passkey_harness(tmp_path)
    human = Elicitations()  # even a client that could ask the user is not enough for an opening write
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "confirmation_required"
    assert str(result["approval_url"]).startswith("http://localhost:")
    assert str(result["approval_url"]).endswith(f"/approve/{result['confirmation_token']}")
    assert result["expires_in_s"] == 300 - 60  # the approval lives 300 s; the call waited 60 s of them
    assert "passkey" in str(result["reason"])
    assert not any("Confirm within" in question for question in human.questions)  # no yes/no form
    if mode == "legacy":  # the link is also offered by URL elicitation, which only that era can push
        assert human.questions == ["Approve this change with your passkey on nuki-mcp's approval page."]
    else:  # not even tried: the server cannot push a request in the middle of a 2026-07-28 call
        assert human.questions == []
        assert "URL elicitation" not in caplog.text
    assert harness.sim.writes() == []


async def test_a_client_without_elicitation_is_not_offered_the_approval_page_by_url_elicitation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client(mode="legacy") as client:  # no elicitation callback: no elicitation capability
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "confirmation_required"
    assert str(result["approval_url"]).endswith(f"/approve/{result['confirmation_token']}")
    assert "URL elicitation" not in caplog.text
    assert harness.sim.writes() == []


async def test_a_2026_client_that_does_not_name_itself_still_gets_the_approval_page_naming_no_client(
    tmp_path: Path,
) -> None:
    harness = passkey_harness(tmp_path)
    settings = harness.settings()
    server = harness.new_server(settings)
    envelope: Json = {PROTOCOL_VERSION_META_KEY: "2026-07-28", CLIENT_CAPABILITIES_META_KEY: {}}  # no client info
    call: Json = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "unlock_smartlock", "arguments": {"smartlock": "Front Door"}, "_meta": envelope},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "unlock_smartlock",
    }
    app = build_http_app(server, settings, "127.0.0.1")
    with uvicorn_in_thread(app) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=DEADLINE_S) as http:
            response = await http.post(url, json=call, headers=headers)
    data = [line.removeprefix("data:") for line in response.text.splitlines() if line.startswith("data:")]
    result = json.loads(data[-1] if data else response.text)["result"]["structuredContent"]
    assert result["status"] == "confirmation_required"
    approvals = _guard(harness).approvals
    assert approvals is not None
    approval = await approvals.store.get(str(result["confirmation_token"]))
    assert approval is not None
    assert approval.request.client_name is None
    assert harness.sim.writes() == []


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_after_the_owner_approved_the_call_with_the_token_unlocks_once(tmp_path: Path, mode: ClientMode) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client(mode=mode) as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        token = str(first["confirmation_token"])
        early = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": token})
        assert harness.sim.writes() == []
        await _owner_approves(harness, token)
        done = await call_ok(client, "unlock_smartlock", {"smartlock": str(FRONT_DOOR_ID), "confirmation_token": token})
        again = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": token})
    assert "not approved this yet" in early
    assert done["status"] == "done"
    assert done["confirmed_by"] == "passkey"
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED
    assert "already used" in again
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]


async def test_a_denied_approval_is_final_and_sends_nothing(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        await _owner_denies(harness, str(first["confirmation_token"]))
        error = await call_error(
            client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": first["confirmation_token"]}
        )
    assert "denied" in error
    assert harness.sim.writes() == []


async def test_an_expired_approval_is_refused(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        await _owner_approves(harness, str(first["confirmation_token"]))
        harness.clock.advance(301)
        error = await call_error(
            client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": first["confirmation_token"]}
        )
    assert "expired" in error
    assert harness.sim.writes() == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("unlock_smartlock", {"smartlock": "Cellar"}),
        ("smartlock_action", {"smartlock": "Front Door", "action": "unlatch"}),
        ("unlock_smartlock", {"smartlock": "Front Door", "wait": False}),
    ],
    ids=["other-device", "other-tool", "other-arguments"],
)
async def test_an_approval_is_refused_for_any_other_call(tmp_path: Path, tool: str, arguments: Json) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        await _owner_approves(harness, str(first["confirmation_token"]))
        error = await call_error(client, tool, {**arguments, "confirmation_token": first["confirmation_token"]})
    assert "different tool, device or arguments" in error
    assert harness.sim.writes() == []


@pytest.mark.parametrize("forge", ["x" * 32, "not-an-id", ""], ids=["unknown", "garbage", "empty"])
async def test_a_forged_or_truncated_approval_id_is_refused(tmp_path: Path, forge: str) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        token = str(first["confirmation_token"])
        await _owner_approves(harness, token)
        error = await call_error(
            client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": forge or token[:-1]}
        )
    assert "not a known approval" in error
    assert harness.sim.writes() == []


async def test_a_securing_write_under_passkey_mode_follows_auto_without_a_passkey(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
        assert first["approval_url"] is None
        second = await call_ok(
            client, "lock_smartlock", {"smartlock": "Cellar", "confirmation_token": first["confirmation_token"]}
        )
    assert second["confirmed_by"] == "token"
    assert _state(harness, CELLAR_ID) == LOCKED


async def test_every_step_of_an_approval_is_in_the_audit_trail_without_what_the_passkey_signed(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        token = str(first["confirmation_token"])
        await _owner_approves(harness, token)
        await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": token})
    steps = [(line["event"], line["outcome"]) for line in harness.audit_lines()]
    assert steps == [
        ("approval", "created"),
        ("decision", "confirmation_required"),
        ("approval", "granted"),
        ("approval", "redeemed"),
        ("attempt", "sending"),
        ("outcome", "confirmed"),
    ]
    granted = harness.audit_lines()[2]
    assert (granted["approval_id"], granted["credential_id"]) == (token, ENROLLED_PASSKEY_ID)
    assert harness.audit_lines()[4]["confirmation"] == "passkey"
