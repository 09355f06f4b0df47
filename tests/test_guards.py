"""The server-enforced guards, proven through the real MCP client against the simulated account.

Each guard has a test that fails when the guard is removed: confirmation by elicitation (both protocol
eras), the two-step confirmation token, NUKI_CONFIRM=elicit and off, read-only mode, the device
allow-list, and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.guard import ConfirmationTokens
from tests.support import CANARY_TOKEN, ClientMode, Elicitations, Harness, Json, call_error, call_ok, dumps, rows

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
UNLOCKED = 3
LOCKED = 1


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


# --- elicitation --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_an_accepted_confirmation_unlocks_the_door_and_names_it_in_the_question(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "front"})
    assert result["status"] == "done"
    assert result["confirmed_by"] == "elicitation"
    assert result["outcome"] == "confirmed"
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED
    assert len(human.questions) == 1
    assert "Front Door" in human.questions[0]
    assert str(FRONT_DOOR_ID) in human.questions[0]
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]


@pytest.mark.parametrize("mode", BOTH_ERAS)
@pytest.mark.parametrize(
    ("human", "reason"),
    [
        (Elicitations(action="decline"), "declined"),
        (Elicitations(action="cancel"), "cancelled"),
        (Elicitations(content={"confirm": False}), "did not confirm"),
        (Elicitations(content={}), "did not confirm"),
    ],
    ids=["decline", "cancel", "confirm-false", "empty-accept"],
)
async def test_anything_but_an_explicit_yes_sends_nothing_to_nuki(
    tmp_path: Path, mode: ClientMode, human: Elicitations, reason: str
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "not_done"
    assert reason in str(result["reason"])
    assert harness.sim.writes() == []
    assert _state(harness, FRONT_DOOR_ID) == LOCKED


async def test_the_question_for_an_update_shows_the_field_changes(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "update_smartlock", {"smartlock": "Cellar", "name": "Wine Cellar"})
    assert "name" in human.questions[0]
    assert "Cellar Door" in human.questions[0]
    assert "Wine Cellar" in human.questions[0]
    assert harness.sim.writes() == []


# --- two-step confirmation token -----------------------------------------------------------------


async def test_without_elicitation_the_first_call_sends_nothing_and_returns_a_token(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        assert first["status"] == "confirmation_required"
        assert first["expires_in_s"] == 120
        assert "Front Door" in str(first["summary"])
        assert harness.sim.writes() == []
        second = await call_ok(
            client,
            "unlock_smartlock",
            {"smartlock": "Front Door", "confirmation_token": first["confirmation_token"]},
        )
    assert second["status"] == "done"
    assert second["confirmed_by"] == "token"
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED


async def test_a_confirmation_token_works_only_once(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
        args = {"smartlock": "Cellar", "confirmation_token": first["confirmation_token"]}
        await call_ok(client, "lock_smartlock", args)
        error = await call_error(client, "lock_smartlock", args)
    assert "already used" in error
    assert len(harness.sim.writes()) == 1


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("unlock_smartlock", {"smartlock": "Cellar"}),
        ("lock_smartlock", {"smartlock": "Front Door"}),
        ("unlock_smartlock", {"smartlock": "Front Door", "wait": False}),
        ("smartlock_action", {"smartlock": "Front Door", "action": "unlatch"}),
    ],
    ids=["other-device", "other-tool", "other-arguments", "other-tool-and-action"],
)
async def test_a_confirmation_token_is_refused_for_any_other_call(tmp_path: Path, tool: str, arguments: Json) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        error = await call_error(client, tool, {**arguments, "confirmation_token": first["confirmation_token"]})
    assert "does not match" in error
    assert harness.sim.writes() == []


def _altered_mac(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def _extended_expiry(token: str) -> str:
    nonce, _expiry, mac = token.split(".")
    return f"{nonce}.99999999999.{mac}"


def _garbage(token: str) -> str:
    return "not-a-token"


@pytest.mark.parametrize("forge", [_altered_mac, _extended_expiry, _garbage], ids=["mac", "expiry", "garbage"])
async def test_a_forged_confirmation_token_is_refused(tmp_path: Path, forge: Callable[[str], str]) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        forged = forge(str(first["confirmation_token"]))
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": forged})
    assert "not valid" in error or "does not match" in error
    assert harness.sim.writes() == []


async def test_an_expired_confirmation_token_is_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        harness.clock.advance(121)
        error = await call_error(
            client, "unlock_smartlock", {"smartlock": "Front Door", "confirmation_token": first["confirmation_token"]}
        )
    assert "expired" in error
    assert harness.sim.writes() == []


# --- confirmation modes ---------------------------------------------------------------------------


async def test_elicit_mode_refuses_a_client_that_cannot_ask_and_names_the_setting(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert "NUKI_CONFIRM" in error
    assert harness.sim.writes() == []


async def test_confirm_off_performs_the_write_without_asking(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["confirmed_by"] == "off"
    assert human.questions == []
    assert _state(harness, CELLAR_ID) == LOCKED


async def test_sync_needs_no_confirmation(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with harness.client() as client:
        result = await call_ok(client, "sync_smartlock", {"smartlock": "Cellar"})
    assert result["status"] == "done"
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{CELLAR_ID}/sync"]


# --- read-only and allow-list ---------------------------------------------------------------------


async def test_read_only_mode_lists_no_write_tools_and_refuses_them(tmp_path: Path) -> None:
    harness = Harness(tmp_path, read_only=True)
    async with harness.client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert "list_smartlocks" in tools
    assert all(tool.annotations is not None and tool.annotations.read_only_hint for tool in tools.values())
    assert "unlock_smartlock" in error
    assert harness.sim.writes() == []


async def test_devices_outside_the_allow_list_are_invisible_and_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlocks")
        by_name = await call_error(client, "lock_smartlock", {"smartlock": "Cellar"})
        by_id = await call_error(client, "get_smartlock", {"smartlock": str(CELLAR_ID)})
    assert [d["name"] for d in rows(listing, "devices")] == ["Front Door"]
    assert "No device matches" in by_name
    assert "Cellar Door" not in by_name
    assert "No device matches" in by_id
    assert "Cellar Door" not in by_id
    assert harness.sim.writes() == []


# --- audit trail ----------------------------------------------------------------------------------


async def test_every_write_attempt_is_audited_with_its_confirmation_method_and_outcome(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(elicitation=Elicitations(action="decline")) as client:
        await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    async with harness.client(elicitation=Elicitations()) as client:
        await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    lines = harness.audit_lines()
    assert [(line["event"], line["tool"], line["confirmation"], line["outcome"]) for line in lines] == [
        ("decision", "unlock_smartlock", "elicitation", "not_done"),
        ("attempt", "lock_smartlock", "elicitation", "sending"),
        ("outcome", "lock_smartlock", "elicitation", "confirmed"),
    ]
    assert lines[1]["id"] == lines[2]["id"]
    assert lines[0]["id"] != lines[1]["id"]
    assert lines[1]["device"] == {"id": CELLAR_ID, "name": "Cellar Door"}
    assert lines[1]["arguments"] == {"smartlock": "Cellar"}
    assert str(lines[0]["time"]).endswith("Z")


async def test_the_token_never_appears_in_results_errors_or_the_audit_log(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    seen: list[str] = []
    async with harness.client() as client:
        for tool, arguments in [
            ("list_smartlocks", {}),
            ("get_smartlock", {"smartlock": "Front Door"}),
            ("unlock_smartlock", {"smartlock": "Front Door"}),
            ("get_smartlock", {"smartlock": "nope"}),
        ]:
            result = await client.call_tool(tool, arguments)
            seen.append(dumps(result.model_dump()))
    seen.append(harness.audit_path.read_text())
    assert all(CANARY_TOKEN not in text for text in seen)


def test_neither_the_confirmation_secret_nor_the_api_token_shows_in_a_repr(tmp_path: Path) -> None:
    tokens = ConfirmationTokens(clock=ManualClock(), secret=b"s3cr3t-hmac-key-that-must-not-print")
    assert "s3cr3t" not in repr(tokens)
    assert CANARY_TOKEN not in repr(Harness(tmp_path).settings())


# --- what a confirmation token is bound to --------------------------------------------------------


async def test_a_token_redeems_whether_the_device_is_named_by_name_or_by_id(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        second = await call_ok(
            client,
            "unlock_smartlock",
            {"smartlock": str(FRONT_DOOR_ID), "confirmation_token": first["confirmation_token"]},
        )
    assert second["status"] == "done"
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED


async def test_renaming_devices_between_the_two_calls_cannot_redirect_a_token(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Cellar"})
        harness.sim.set_device_fields(CELLAR_ID, name="Old Cellar")
        harness.sim.set_device_fields(FRONT_DOOR_ID, name="Cellar")  # "Cellar" now names the front door
        error = await call_error(
            client, "unlock_smartlock", {"smartlock": "Cellar", "confirmation_token": first["confirmation_token"]}
        )
    assert "does not match" in error
    assert harness.sim.writes() == []


async def test_a_bulk_token_is_bound_to_every_device_it_resolved(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlocks": ["Front Door", "Back Door"], "battery_warning_per_mail_enabled": False}
    async with harness.client() as client:
        first = await call_ok(client, "bulk_web_config", arguments)
        harness.sim.set_device_fields(BACK_DOOR_ID, name="Back Door (old)")
        harness.sim.set_device_fields(CELLAR_ID, name="Back Door")
        error = await call_error(
            client, "bulk_web_config", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert "does not match" in error
    assert harness.sim.writes() == []


async def test_a_423_when_performing_keeps_the_token_usable(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    unlock = f"/smartlock/{FRONT_DOOR_ID}/action/unlock"
    harness.sim.add_fault(Fault.json(423, "The device is busy with a pending operation", method="POST", path=unlock))
    async with harness.client() as client:
        first = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
        arguments: Json = {"smartlock": "Front Door", "confirmation_token": first["confirmation_token"]}
        error = await call_error(client, "unlock_smartlock", arguments)
        assert _state(harness, FRONT_DOOR_ID) == LOCKED
        again = await call_ok(client, "unlock_smartlock", arguments)
    assert "same confirmation_token works again" in error
    assert again["status"] == "done"
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED
