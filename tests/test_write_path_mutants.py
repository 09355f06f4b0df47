"""The one write path at its edges: the re-read before sending, the 423 retry, what the audit trail records.

Mutation testing (docs/mutation-testing.md) showed that no test of its selection pinned these down.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Literal, cast

import anyio
import anyio.lowlevel
import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    ClientCapabilities,
    ElicitationCapability,
    FormElicitationCapability,
    Implementation,
    UrlElicitationCapability,
)
from pydantic import JsonValue, TypeAdapter

from nuki_mcp import views
from nuki_mcp.approvals.store import ApprovalDevice, ApprovalRequest
from nuki_mcp.clock import ManualClock
from nuki_mcp.context import AppState
from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import FRONT_DOOR_CLEANER_CODE_AUTH_ID, FRONT_DOOR_ID
from nuki_mcp.guard import DeviceRef, WritePlan
from nuki_mcp.nuki.models import SmartlockUpdate
from nuki_mcp.tools.writes import WriteResult, client_can_elicit_form, register_writes, write_tool
from tests.support import (
    ENROLLED_PASSKEY_ID,
    Elicitations,
    Harness,
    Json,
    SomeoneElseRenamesTheCleaner,
    call_error,
    call_ok,
    passkey_harness,
)

pytestmark = pytest.mark.anyio

CHANGED_AT_NUKI = (
    "The authorization changed at Nuki since the summary was made; nothing was sent. "
    "Call update_smartlock_auth again to see the current differences."
)


async def test_a_write_refused_when_re_read_before_sending_is_recorded_with_who_confirmed_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaner Mondays"}
    async with harness.client(mode="legacy", elicitation=SomeoneElseRenamesTheCleaner(harness)) as client:  # type: ignore[arg-type]
        error = await call_error(client, "update_smartlock_auth", arguments)
    assert error.endswith(CHANGED_AT_NUKI)
    [line] = harness.audit_lines()
    assert {k: line[k] for k in ("event", "tool", "device", "arguments", "confirmation", "outcome", "detail")} == {
        "event": "decision",
        "tool": "update_smartlock_auth",
        "device": {"id": FRONT_DOOR_ID, "name": "Front Door"},
        "arguments": arguments,
        "confirmation": "elicitation",
        "outcome": "refused",
        "detail": CHANGED_AT_NUKI,
    }


async def test_a_write_re_read_unchanged_before_sending_sends_the_confirmed_change(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaner Mondays"}
    async with harness.client(mode="legacy", elicitation=Elicitations()) as client:
        result = await call_ok(client, "update_smartlock_auth", arguments)
    assert result["status"] == "done"
    assert harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID).name == "Cleaner Mondays"
    assert [(line["event"], line["outcome"]) for line in harness.audit_lines()] == [
        ("attempt", "sending"),
        ("outcome", "done"),
    ]


# --- which clients can be asked ------------------------------------------------------------------


def _client(capabilities: ClientCapabilities | None) -> Context[AppState]:
    return cast(Context[AppState], SimpleNamespace(client_capabilities=capabilities))


def test_a_client_is_asked_by_form_if_it_declares_form_or_bare_elicitation_but_not_url_only() -> None:
    assert client_can_elicit_form(_client(ClientCapabilities(elicitation=ElicitationCapability())))
    assert client_can_elicit_form(
        _client(ClientCapabilities(elicitation=ElicitationCapability(form=FormElicitationCapability())))
    )
    assert not client_can_elicit_form(
        _client(ClientCapabilities(elicitation=ElicitationCapability(url=UrlElicitationCapability())))
    )
    assert not client_can_elicit_form(_client(ClientCapabilities()))
    assert not client_can_elicit_form(_client(None))


# --- Nuki refusing or failing the write --------------------------------------------------------------

KEPT = " Nothing was changed; the same confirmation_token works again until it expires."
UNLOCK_FRONT = f"/smartlock/{FRONT_DOOR_ID}/action/unlock"


def _outcome(harness: Harness) -> tuple[JsonValue, JsonValue]:
    [line] = [line for line in harness.audit_lines() if line["event"] == "outcome"]
    assert line["device"] == {"id": FRONT_DOOR_ID, "name": "Front Door"}
    return line["outcome"], line["detail"]


async def test_a_423_under_a_token_says_the_same_token_works_again_and_records_not_done(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    harness.sim.add_fault(Fault.json(423, "The device is busy", method="POST", path=UNLOCK_FRONT))
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        token = first["confirmation_token"]
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": token})
    outcome, detail = _outcome(harness)
    assert outcome == "not_done"
    assert isinstance(detail, str)
    assert "The device is busy" in detail
    assert error.endswith(f"{detail}{KEPT}")


async def test_a_423_after_the_human_said_yes_offers_no_token_even_if_the_agent_sent_one(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    harness.sim.add_fault(Fault.json(423, "The device is busy", method="POST", path=UNLOCK_FRONT))
    async with harness.client(elicitation=Elicitations()) as client:
        arguments: Json = {"smartlock": "Front Door", "confirmation_token": "left-over"}
        error = await call_error(client, "unlock_smartlock", arguments)
    outcome, detail = _outcome(harness)
    assert outcome == "not_done"
    assert isinstance(detail, str)
    assert "The device is busy" in detail
    assert error.endswith(detail)
    assert "confirmation_token" not in error


async def test_a_write_nuki_refused_records_an_error_outcome_with_nukis_answer(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off")
    harness.sim.add_fault(Fault.json(400, "Nuki says no", method="POST", path=UNLOCK_FRONT))
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
    recorded, detail = _outcome(harness)
    assert recorded == "error"
    assert isinstance(detail, str)
    assert "Nuki says no" in detail
    assert error.endswith(detail)


# --- one decision line for every way a write ends without being sent ------------------------------

FRONT: Json = {"id": FRONT_DOOR_ID, "name": "Front Door"}
UNLOCK: Json = {"smartlock": "Front Door"}


def _decision(harness: Harness) -> dict[str, JsonValue]:
    [line] = harness.audit_lines()
    assert line["event"] == "decision"
    return {k: line[k] for k in ("tool", "device", "arguments", "confirmation", "outcome", "detail")}


@pytest.mark.parametrize(
    ("human", "reason"),
    [
        (Elicitations(action="decline"), "The user declined; nothing was sent to Nuki."),
        (Elicitations(action="cancel"), "The user cancelled; nothing was sent to Nuki."),
        (
            Elicitations(content={"confirm": False}),
            "The user did not confirm (confirm was not true); nothing was sent to Nuki.",
        ),
    ],
    ids=["decline", "cancel", "confirm-false"],
)
async def test_a_write_the_human_did_not_confirm_is_recorded_as_not_done_with_the_reason_given(
    tmp_path: Path, human: Elicitations, reason: str
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", UNLOCK)
    assert (result["status"], result["reason"]) == ("not_done", reason)
    assert "Front Door" in str(result["summary"])
    assert _decision(harness) == {
        "tool": "unlock_smartlock",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "elicitation",
        "outcome": "not_done",
        "detail": reason,
    }


async def test_a_token_handed_out_is_recorded_as_waiting_for_confirmation(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock", UNLOCK)
    assert result["status"] == "confirmation_required"
    assert result["expires_in_s"] == 120
    assert _decision(harness) == {
        "tool": "unlock_smartlock",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "token",
        "outcome": "confirmation_required",
        "detail": None,
    }


async def test_a_refused_token_is_recorded_with_the_refusal_the_agent_saw(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {**UNLOCK, "confirmation_token": "not-a-token"})
    decision = _decision(harness)
    assert isinstance(decision["detail"], str)
    assert error.endswith(decision["detail"])
    assert decision == {
        "tool": "unlock_smartlock",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "token",
        "outcome": "refused",
        "detail": decision["detail"],
    }


async def test_elicit_mode_without_a_client_that_can_ask_is_recorded_as_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", UNLOCK)
    decision = _decision(harness)
    assert isinstance(decision["detail"], str)
    assert "NUKI_CONFIRM=elicit" in decision["detail"]
    assert error.endswith(decision["detail"])
    assert (decision["confirmation"], decision["outcome"], decision["device"]) == ("elicitation", "refused", FRONT)


async def test_the_outcome_line_of_a_write_carries_the_reason_its_result_gave(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off")
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door", "wait": False})
    assert result["outcome"] == "pending"
    assert isinstance(result["reason"], str)
    assert _outcome(harness) == ("pending", result["reason"])


# --- a perform step that refuses ----------------------------------------------------------------------

REFUSED_WHILE_SENDING = "The device refused this step; nothing more was sent."


async def _refuse_while_sending(ctx: Context[AppState], plan: WritePlan, confirmed_by: str) -> WriteResult:
    raise ToolError(REFUSED_WHILE_SENDING)


async def touch_front_door(ctx: Context[AppState]) -> WritePlan:
    """A write tool of this test only: its perform step always refuses."""
    device = DeviceRef(FRONT_DOOR_ID, "Front Door", 4)
    return WritePlan(tool="touch_front_door", summary="Touch the front door.", device=device)


TOUCH = write_tool(title="Touch", destructive=False, idempotent=True, perform=_refuse_while_sending)(touch_front_door)


async def test_a_write_whose_perform_step_refuses_is_an_error_line_with_that_refusal(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off")
    server = harness.new_server()
    register_writes(server, harness.settings(), [TOUCH])
    async with Client(server) as client:
        error = await call_error(client, "touch_front_door")
    assert error.endswith(REFUSED_WHILE_SENDING)
    assert _outcome(harness) == ("error", REFUSED_WHILE_SENDING)


class _RendersApps(ClientExtension):
    """What a host that renders MCP Apps views advertises."""

    identifier = "io.modelcontextprotocol/ui"

    def settings(self) -> dict[str, JsonValue]:
        return {"mimeTypes": ["text/html;profile=mcp-app"]}


async def test_a_write_waiting_in_the_confirmation_card_shows_its_lifetime_and_is_recorded_as_waiting(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    server = harness.new_server()
    async with Client(server, extensions=[_RendersApps()]) as client:
        result = await client.call_tool("unlock_smartlock", UNLOCK)
    assert result.structured_content is not None
    assert result.structured_content["status"] == "confirmation_required"
    assert result.meta is not None
    assert result.meta["nuki/approval"]["expires_in_s"] == 300  # the card counts down the approval's lifetime
    assert _decision(harness) == {
        "tool": "unlock_smartlock",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "card",
        "outcome": "confirmation_required",
        "detail": None,
    }


async def test_a_card_approved_where_it_was_shown_makes_the_change_it_showed_even_after_a_rename_at_nuki(
    tmp_path: Path,
) -> None:
    """The card binds the device's id: approved on the server that showed it, it is not planned again."""
    harness = Harness(tmp_path, confirm="auto")
    server = harness.new_server()
    async with Client(server, extensions=[_RendersApps()]) as client:
        shown = await client.call_tool("update_config", {"smartlock": "Front Door", "pairing_enabled": True})
        harness.clock.advance(1.0)
        await client.call_tool("unlock_smartlock", UNLOCK)  # another card, shown while the first waits
        async with harness.nuki_web() as nuki:
            await nuki.update_smartlock(FRONT_DOOR_ID, SmartlockUpdate(name="Main Door"))
        assert shown.meta is not None
        approval = shown.meta["nuki/approval"]
        done = await call_ok(client, "approve_write", {"approval_id": approval["approval_id"]})
    assert approval["changes"] == ["pairing_enabled: false -> true"]
    assert (done["status"], done["confirmed_by"]) == ("done", "card")
    config = harness.sim.device(FRONT_DOOR_ID).config
    assert config is not None
    assert config.pairing_enabled is True
    assert [write.path for write in harness.sim.writes()] == [
        f"/smartlock/{FRONT_DOOR_ID}",
        f"/smartlock/{FRONT_DOOR_ID}/config",
    ]


# --- passkey approvals ----------------------------------------------------------------------------


async def test_a_write_waiting_for_the_owners_passkey_is_recorded_then_performed_as_passkey(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        waiting = await call_ok(client, "unlock_smartlock", UNLOCK)
        assert harness.server is not None
        approvals = harness.server.guard.approvals
        assert approvals is not None
        await approvals.store.grant(str(waiting["confirmation_token"]), ENROLLED_PASSKEY_ID)
        done = await call_ok(
            client, "unlock_smartlock", {**UNLOCK, "confirmation_token": waiting["confirmation_token"]}
        )
    assert (waiting["status"], done["status"], done["confirmed_by"]) == ("confirmation_required", "done", "passkey")
    decision, attempt, outcome = [line for line in harness.audit_lines() if line["event"] != "approval"]
    assert {k: decision[k] for k in ("event", "device", "arguments", "confirmation", "outcome", "detail")} == {
        "event": "decision",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "passkey",
        "outcome": "confirmation_required",
        "detail": waiting["reason"],
    }
    assert [(line["event"], line["confirmation"]) for line in (attempt, outcome)] == [
        ("attempt", "passkey"),
        ("outcome", "passkey"),
    ]


async def test_an_unknown_passkey_approval_is_refused_and_recorded_as_refused(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {**UNLOCK, "confirmation_token": "no-such-approval"})
    [line] = [line for line in harness.audit_lines() if line["event"] != "approval"]
    decision = {k: line[k] for k in ("tool", "device", "arguments", "confirmation", "outcome", "detail")}
    assert isinstance(decision["detail"], str)
    assert error.endswith(decision["detail"])
    assert (decision["confirmation"], decision["outcome"], decision["device"]) == ("passkey", "refused", FRONT)
    assert harness.sim.writes() == []


async def test_a_passkey_write_waiting_in_the_card_says_why_and_when_and_its_cancel_is_recorded(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    server = harness.new_server()
    async with Client(server, extensions=[_RendersApps()]) as client:
        waiting = await client.call_tool("unlock_smartlock", UNLOCK)
        assert waiting.meta is not None
        assert waiting.structured_content is not None
        assert "passkey" in str(waiting.structured_content["reason"])  # what the agent tells the user
        assert waiting.meta["nuki/approval"]["expires_in_s"] == 300 - 60  # the call waited 60 s of its 300
        approval_id = waiting.meta["nuki/approval"]["approval_id"]
        await call_ok(client, "deny_write", {"approval_id": approval_id})
    cancelled = [line for line in harness.audit_lines() if line["confirmation"] == "card"]
    assert [(line["tool"], line["outcome"], line["device"]) for line in cancelled] == [
        ("unlock_smartlock", "not_done", FRONT)
    ]
    assert harness.sim.writes() == []


class _OwnerAtThePage(ManualClock):
    """The test's clock, while the owner decides on the approval page during the call's wait.

    The wait for the owner is a sleep on this clock; before it passes, `decide` grants or denies every
    approval the audit trail says was created, as the page would after the passkey ceremony.
    """

    def __init__(self, decision: Literal["grant", "deny"]) -> None:
        super().__init__()
        self.decision = decision
        self.harness: Harness | None = None
        self.requests: list[ApprovalRequest] = []
        self._decided: set[str] = set()

    async def sleep(self, seconds: float) -> None:
        await self._decide()
        await anyio.lowlevel.checkpoint()  # the waiting call sees the decision here and stops sleeping
        await super().sleep(seconds)

    async def _decide(self) -> None:
        if self.harness is None or self.harness.server is None or self.harness.server.guard.approvals is None:
            return
        store = self.harness.server.guard.approvals.store
        created = [line["approval_id"] for line in self.harness.audit_lines() if line["outcome"] == "created"]
        for approval_id in created:
            if isinstance(approval_id, str) and approval_id not in self._decided:
                self._decided.add(approval_id)
                approval = await store.get(approval_id)
                assert approval is not None
                self.requests.append(approval.request)
                if self.decision == "grant":
                    await store.grant(approval_id, ENROLLED_PASSKEY_ID)
                else:
                    await store.deny(approval_id)


def _owner_deciding(tmp_path: Path, decision: Literal["grant", "deny"]) -> tuple[Harness, _OwnerAtThePage]:
    clock = _OwnerAtThePage(decision)
    harness = passkey_harness(tmp_path, clock)
    clock.harness = harness
    return harness, clock


async def test_an_approval_granted_while_the_call_waits_performs_the_change_in_that_call(tmp_path: Path) -> None:
    harness, owner = _owner_deciding(tmp_path, "grant")
    arguments: Json = {"smartlock": "Front Door", "pairing_enabled": True}
    server = harness.new_server()
    async with Client(server, client_info=Implementation(name="Claude Desktop", version="1.0")) as client:
        done = await call_ok(client, "update_config", arguments)
    assert (done["status"], done["confirmed_by"]) == ("done", "passkey")
    assert [write.path for write in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/config"]
    [request] = owner.requests  # what the approval page showed the owner
    assert request.tool == "update_config"
    assert request.devices == (ApprovalDevice(FRONT_DOOR_ID, "Front Door"),)
    assert request.changes == ("pairing_enabled: false -> true",)
    assert request.client_name == "Claude Desktop"


async def test_an_unlock_granted_while_the_call_waits_unlocks_once_and_its_approval_cannot_be_reused(
    tmp_path: Path,
) -> None:
    harness, owner = _owner_deciding(tmp_path, "grant")
    async with harness.client() as client:
        done = await call_ok(client, "unlock_smartlock", UNLOCK)
        [request] = owner.requests
        assert request.devices == (ApprovalDevice(FRONT_DOOR_ID, "Front Door"),)
        created = [line["approval_id"] for line in harness.audit_lines() if line["outcome"] == "created"]
        again = await call_error(client, "unlock_smartlock", {**UNLOCK, "confirmation_token": str(created[0])})
    assert (done["status"], done["confirmed_by"]) == ("done", "passkey")
    assert "already used" in again
    assert [write.path for write in harness.sim.writes()] == [UNLOCK_FRONT]


async def test_an_approval_denied_while_the_call_waits_sends_nothing_and_says_the_owner_denied_it(
    tmp_path: Path,
) -> None:
    harness, _ = _owner_deciding(tmp_path, "deny")
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock", UNLOCK)
    assert (result["status"], result["reason"]) == (
        "not_done",
        "The owner denied this with their passkey; nothing was sent to Nuki.",
    )
    assert harness.sim.writes() == []


async def test_a_wait_longer_than_the_approval_lives_ends_with_it_expired_and_nothing_sent(tmp_path: Path) -> None:
    harness = passkey_harness(tmp_path)
    settings = harness.settings().model_copy(update={"approval_wait": 600.0})  # the approval lives 300 s
    server = harness.new_server(settings)
    async with Client(server) as client:
        result = await call_ok(client, "unlock_smartlock", UNLOCK)
    assert (result["status"], result["reason"]) == (
        "not_done",
        "The approval expired before the owner answered; nothing was sent to Nuki. Call again to ask.",
    )
    assert harness.sim.writes() == []


class _LateHuman(Elicitations):
    """Answers yes, but only after the question's 120 s on the test's clock."""

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.harness = harness

    async def __call__(self, context: object, params: object) -> object:  # type: ignore[override]
        self.harness.clock.advance(121)
        return await super().__call__(context, params)  # type: ignore[arg-type]


async def test_a_yes_after_the_question_expired_is_recorded_as_an_elicitation_not_done(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(elicitation=_LateHuman(harness)) as client:  # type: ignore[arg-type]
        result = await call_ok(client, "unlock_smartlock", UNLOCK)
    assert _decision(harness) == {
        "tool": "unlock_smartlock",
        "device": FRONT,
        "arguments": UNLOCK,
        "confirmation": "elicitation",
        "outcome": "not_done",
        "detail": result["reason"],
    }


# --- refusals before the tool's body runs ----------------------------------------------------------


async def test_a_write_refused_while_planning_is_recorded_without_its_token_and_with_the_reason_the_agent_got(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto", devices=("Front Door",))
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Cellar", "confirmation_token": "a.1.b"})
    [line] = harness.audit_lines()
    assert {k: line[k] for k in ("event", "tool", "device", "arguments", "confirmation", "outcome")} == {
        "event": "decision",
        "tool": "unlock_smartlock",
        "device": None,
        "arguments": {"smartlock": "Cellar"},
        "confirmation": "none",
        "outcome": "refused",
    }
    assert line["detail"] == f"No device matches 'Cellar'; the devices are: Front Door ({FRONT_DOOR_ID})."
    assert error.endswith(f": {line['detail']}")
    assert harness.sim.writes() == []


async def test_a_write_with_invalid_arguments_is_recorded_naming_each_bad_field_but_never_its_value(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {
        "smartlock": "Front Door",
        "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID,
        "allowed_week_days": ["Funday"],
        "enabled": "maybe",
    }
    async with harness.client() as client:
        await call_error(client, "update_smartlock_auth", arguments)
    [line] = harness.audit_lines()
    assert (line["outcome"], line["confirmation"], line["arguments"]) == ("refused", "none", arguments)
    assert line["detail"] == "Invalid arguments: allowed_week_days.0, enabled."
    assert harness.sim.writes() == []


async def test_a_refused_read_leaves_the_audit_trail_empty_since_it_records_only_writes(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto", devices=("Front Door",))
    async with harness.client() as client:
        error = await call_error(client, "get_smartlock", {"smartlock": "Cellar"})
        await call_error(client, "list_smartlock_logs", {"smartlock": "Cellar", "limit": "many"})
    assert "No device matches 'Cellar'" in error
    assert harness.audit_lines() == []


async def test_a_write_whose_planning_read_nuki_refuses_says_what_nuki_said_and_records_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    rename: Json = {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaner Mondays"}
    async with harness.client() as client:
        harness.sim.add_fault(Fault.json(403, "Forbidden", method="GET", times=9))
        error = await call_error(client, "update_smartlock_auth", rename)
    said = (
        "Nuki refused access (403) (Nuki said: Forbidden); make sure the object belongs to the token's account "
        "and the token has the needed scope."
    )
    assert error.endswith(f": {said}")
    [line] = harness.audit_lines()
    assert (line["outcome"], line["arguments"], line["detail"]) == ("refused", rename, said)
    assert harness.sim.writes() == []


# --- how the declared write tools are listed ---------------------------------------------------------

CATALOG = Path(__file__).parent / "snapshots" / "tools.json"
_CATALOG = TypeAdapter(dict[str, dict[str, JsonValue]])


async def test_every_write_tool_is_listed_as_pinned_described_by_its_plan_and_linked_to_the_card_if_it_confirms(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    pinned = _CATALOG.validate_json(CATALOG.read_text(encoding="utf-8"))
    writes = {name: tool for name, tool in listed.items() if tool.annotations and not tool.annotations.read_only_hint}
    assert len(writes) > 20
    for name, tool in writes.items():
        assert tool.annotations is not None
        assert {
            "title": tool.title,
            "annotations": tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True),
            "inputSchema": tool.input_schema,
        } == {key: pinned[name][key] for key in ("title", "annotations", "inputSchema")}, name
        assert tool.description is not None, name
        assert len(tool.description) > 40, name
        confirms = "confirmation_token" in cast(dict[str, JsonValue], tool.input_schema["properties"])
        assert ((tool.meta or {}).get("ui") == {"resourceUri": views.CONFIRM_URI}) is confirms, name
    assert [name for name, tool in writes.items() if "confirmation_token" not in tool.input_schema["properties"]] == [
        "sync_smartlock"
    ]
