"""The MCP Apps confirmation card's side of the write path (APPROVALS.md), through the real MCP client.

A client that renders MCP Apps and cannot elicit gets no token the model could replay: the approval
travels in the result's `_meta` for the card, whose Approve and Cancel are the app-only tools
`approve_write` and `deny_write`. A client without Apps sees exactly today's flow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.types import CallToolResult
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.server import create_server
from tests.support import ENROLLED_PASSKEY_ID, Harness, Json, call_error, call_ok, passkey_harness, text_of

pytestmark = pytest.mark.anyio

UNLOCKED = 3
LOCKED = 1
_JSON = TypeAdapter(dict[str, JsonValue])


class RendersApps(ClientExtension):
    """What a host that renders MCP Apps views advertises."""

    identifier = "io.modelcontextprotocol/ui"

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": ["text/html;profile=mcp-app"]}


def _apps_client(harness: Harness) -> Client:
    server = create_server(
        harness.settings(), transport=harness.sim.transport(), clock=harness.clock, state_dir=harness.state_dir
    )
    harness.server = server
    return Client(server, extensions=[RendersApps()])


def _approval(result: CallToolResult) -> Json:
    assert result.meta is not None
    return _JSON.validate_python(result.meta["nuki/approval"])


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


async def test_with_apps_the_approval_travels_only_in_meta_and_approve_unlocks_exactly_once(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with _apps_client(harness) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        first = await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
        approval = _approval(first)
        assert first.structured_content is not None
        assert first.structured_content["status"] == "confirmation_required"
        assert first.structured_content["confirmation_token"] is None
        assert str(approval["approval_id"]) not in text_of(first)
        assert str(approval["approval_id"]) not in str(first.structured_content)
        assert "Front Door" in str(approval["summary"])
        assert harness.sim.writes() == []

        done = await call_ok(client, "approve_write", {"approval_id": approval["approval_id"]})
        again = await call_error(client, "approve_write", {"approval_id": approval["approval_id"]})
    assert {"approve_write", "deny_write"} <= tools
    assert (done["status"], done["confirmed_by"]) == ("done", "card")
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED
    assert "already used" in again
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]
    attempts = [line for line in harness.audit_lines() if line["event"] == "attempt"]
    assert [(line["tool"], line["confirmation"]) for line in attempts] == [("unlock_smartlock", "card")]


async def test_cancel_in_the_card_sends_nothing_and_can_never_be_approved(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with _apps_client(harness) as client:
        first = await client.call_tool("update_smartlock", {"smartlock": "Cellar", "name": "Wine Cellar"})
        approval_id = _approval(first)["approval_id"]
        cancelled = await call_ok(client, "deny_write", {"approval_id": approval_id})
        refused = await call_error(client, "approve_write", {"approval_id": approval_id})
    assert cancelled["status"] == "not_done"
    assert "cancelled" in refused
    assert harness.sim.writes() == []
    assert harness.sim.device(CELLAR_ID).name == "Cellar Door"


async def test_without_apps_nothing_changes_no_card_tools_and_the_token_flow(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        first = await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
    assert "approve_write" not in tools
    assert "deny_write" not in tools
    assert first.meta is None or "nuki/approval" not in first.meta
    assert first.structured_content is not None
    assert first.structured_content["confirmation_token"]


async def test_every_confirming_write_tool_links_the_confirmation_card(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with _apps_client(harness) as client:
        tools = (await client.list_tools()).tools
    linked = {t.name for t in tools if (t.meta or {}).get("ui", {}).get("resourceUri") == "ui://nuki/confirm"}
    writes = {t.name for t in tools if t.annotations is not None and t.annotations.read_only_hint is False}
    assert writes - {"sync_smartlock"} <= linked
    card_tools = {t.name: (t.meta or {})["ui"] for t in tools if t.name in ("approve_write", "deny_write")}
    assert all(ui["visibility"] == ["app"] for ui in card_tools.values())


async def test_under_passkey_mode_a_click_in_the_card_is_not_enough_to_open_a_door(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with _apps_client(harness) as client:
        first = await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
        approval = _approval(first)
        clicked = await call_error(client, "approve_write", {"approval_id": approval["approval_id"]})
        assert harness.sim.writes() == []
        assert harness.server is not None
        assert harness.server.guard.approvals is not None
        await harness.server.guard.approvals.store.grant(str(approval["approval_id"]), ENROLLED_PASSKEY_ID)
        done = await call_ok(client, "approve_write", {"approval_id": approval["approval_id"]})
    assert str(approval["approval_url"]).endswith(f"/approve/{approval['approval_id']}")
    assert "passkey" in clicked
    assert (done["status"], done["confirmed_by"]) == ("done", "passkey")
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED


async def test_cancel_in_the_card_outranks_a_passkey_yes_given_before_it(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with _apps_client(harness) as client:
        first = await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
        approval_id = str(_approval(first)["approval_id"])
        assert harness.server is not None
        assert harness.server.guard.approvals is not None
        await harness.server.guard.approvals.store.grant(approval_id, ENROLLED_PASSKEY_ID)  # the owner said yes first
        cancelled = await call_ok(client, "deny_write", {"approval_id": approval_id})  # then pressed Cancel
        # The approval id is in the link the model saw: it must not be able to use the earlier yes.
        repeated = await call_error(
            client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": approval_id}
        )
    assert cancelled["status"] == "not_done"
    assert "cancelled" in repeated
    assert "nothing was sent" in repeated
    assert harness.sim.writes() == []
    assert _state(harness, FRONT_DOOR_ID) != UNLOCKED
