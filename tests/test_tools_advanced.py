"""Toolset `advanced`: Nuki accepts with a request id and reports later by webhook; the tools say just that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import JsonValue

from nuki_mcp.config import DEFAULT_TOOLSETS
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, JONAS_ACCOUNT_USER_ID, OPENER_ID
from tests.support import ClientMode, Elicitations, Harness, Json, call_error, call_ok

pytestmark = pytest.mark.anyio

LOCKED, UNLOCKED = 1, 3
RTO_ACTIVE = 3
SETTLE_S = 10.0  # longer than the simulator's action delay plus motion time
ADVANCED_TOOLS = {
    "create_smartlock_auth_advanced",
    "action_smartlock_advanced",
    "lock_smartlock_advanced",
    "unlock_smartlock_advanced",
}


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


def _auth_arguments(**extra: JsonValue) -> Json:
    arguments: Json = {
        "smartlocks": ["Front Door", "Cellar"],
        "name": "Weekend guest",
        "account_user_id": JONAS_ACCOUNT_USER_ID,
        "remote_allowed": False,
    }
    return {**arguments, **extra}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_advanced_lock_returns_the_request_id_and_the_lock_locks_once_time_passes(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    assert _state(harness, CELLAR_ID) == UNLOCKED
    async with harness.client(mode=mode) as client:
        result = await call_ok(client, "lock_smartlock_advanced", {"smartlock": "Cellar"})
    assert result["status"] == "done"
    assert result["outcome"] == "requested"
    assert isinstance(result["request_id"], str)
    assert len(result["request_id"]) == 24
    assert "webhook" in str(result["note"])
    assert "does not mean it is done" in str(result["note"])
    assert result["device"] == {"smartlock_id": CELLAR_ID, "name": "Cellar Door", "device_type": "smartlock"}
    assert [(w.method, w.path) for w in harness.sim.writes()] == [
        ("POST", f"/smartlock/{CELLAR_ID}/action/lock/advanced")
    ]
    assert _state(harness, CELLAR_ID) == UNLOCKED  # accepted, not yet done
    harness.clock.advance(SETTLE_S)
    assert _state(harness, CELLAR_ID) == LOCKED


async def test_advanced_unlock_unlocks_the_door_once_time_passes(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock_advanced", {"smartlock": "Front Door"})
    assert result["outcome"] == "requested"
    assert "Anyone at the door" in str(result["summary"])
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock/advanced"]
    harness.clock.advance(SETTLE_S)
    assert _state(harness, FRONT_DOOR_ID) == UNLOCKED


async def test_advanced_action_sends_the_code_of_the_device_type(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client, "action_smartlock_advanced", {"smartlock": "Building Entrance", "action": "activate_rto"}
        )
    assert result["action"] == "activate_rto"
    assert result["outcome"] == "requested"
    assert [(w.path, w.body) for w in harness.sim.writes()] == [
        (f"/smartlock/{OPENER_ID}/action/advanced", {"action": 1})
    ]
    harness.clock.advance(SETTLE_S)
    assert _state(harness, OPENER_ID) == RTO_ACTIVE


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("action_smartlock_advanced", {"smartlock": "Front Door", "action": "activate_rto"}),
        ("action_smartlock_advanced", {"smartlock": "Building Entrance", "action": "unlatch"}),
        ("lock_smartlock_advanced", {"smartlock": "Building Entrance"}),
        ("unlock_smartlock_advanced", {"smartlock": "Building Entrance"}),
    ],
)
async def test_an_action_that_does_not_fit_the_device_type_is_refused_with_nothing_sent(
    tmp_path: Path, tool: str, arguments: Json
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, arguments)
    assert "which has no action" in error
    assert "it supports:" in error
    assert harness.sim.writes() == []


async def test_the_advanced_action_asks_first_and_sends_nothing_when_declined(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock_advanced", {"smartlock": "Front Door"})
    assert result["status"] == "not_done"
    assert result["request_id"] is None
    assert "Front Door" in human.questions[0]
    assert "Advanced API" in human.questions[0]
    assert harness.sim.writes() == []
    assert harness.audit_lines()[0]["tool"] == "unlock_smartlock_advanced"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_advanced_auth_creation_creates_the_app_authorization_on_every_named_device(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    before = {a.id for a in harness.sim.auths()}
    arguments = _auth_arguments(
        allowed_week_days=["saturday", "sunday"],
        allowed_from_time="08:00",
        allowed_until_time="20:00",
        smart_actions_enabled=False,
    )
    async with harness.client(mode=mode) as client:
        result = await call_ok(client, "create_smartlock_auth_advanced", arguments)
    assert result["outcome"] == "requested"
    assert isinstance(result["request_id"], str)
    devices = result["devices"]
    assert isinstance(devices, list)
    assert [d["smartlock_id"] for d in devices if isinstance(d, dict)] == [FRONT_DOOR_ID, CELLAR_ID]
    created = [a for a in harness.sim.auths() if a.id not in before]
    assert sorted(a.smartlock_id for a in created) == sorted([FRONT_DOOR_ID, CELLAR_ID])
    for auth in created:
        assert auth.name == "Weekend guest"
        assert auth.type == 0  # app
        assert auth.account_user_id == JONAS_ACCOUNT_USER_ID
        assert auth.remote_allowed is False
        assert auth.allowed_week_days == 2 + 1  # saturday, sunday
        assert (auth.allowed_from_time, auth.allowed_until_time) == (480, 1200)
    body = harness.sim.writes()[0].body
    assert isinstance(body, dict)
    assert body["smartlockIds"] == [FRONT_DOOR_ID, CELLAR_ID]
    assert body["smartActionsEnabled"] is False


async def test_advanced_auth_creation_names_each_device_once_and_the_user_in_the_summary(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments = _auth_arguments(smartlocks=["Front Door", str(FRONT_DOOR_ID), "Cellar"])
    async with harness.client() as client:
        first = await call_ok(client, "create_smartlock_auth_advanced", arguments)
        assert first["status"] == "confirmation_required"
        assert harness.sim.writes() == []
        second = await call_ok(
            client, "create_smartlock_auth_advanced", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    summary = str(first["summary"])
    assert "Jonas Berger" in summary
    assert summary.count("'Front Door'") == 1
    assert "'Cellar Door'" in summary
    assert second["status"] == "done"
    body = harness.sim.writes()[0].body
    assert isinstance(body, dict)
    assert body["smartlockIds"] == [FRONT_DOOR_ID, CELLAR_ID]
    assert [line["device"] for line in harness.audit_results()] == [None, None]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"account_user_id": 999999}, "no account user with account_user_id 999999"),
        ({"smartlocks": ["Front Door", "Attic"]}, "No device matches 'Attic'"),
        ({"allowed_from_time": "08:00"}, "together"),
        ({"allowed_from_time": "18:00", "allowed_until_time": "08:00"}, "cannot cross midnight"),
        ({"allowed_until_date": "2020-01-01T00:00:00Z"}, "in the past"),
        ({"allowed_until_date": "2026-11-01"}, "in the past"),
        ({"allowed_from_date": "0001-01-01T00:00:00+01:00"}, "edge of the calendar"),
        ({"allowed_until_date": "9999-12-31T23:59:59-01:00"}, "edge of the calendar"),
        ({"name": "   "}, "blank"),
    ],
)
async def test_invalid_advanced_auth_requests_are_refused_with_nothing_sent(
    tmp_path: Path, extra: Json, message: str
) -> None:
    harness = Harness(tmp_path)
    before = len(harness.sim.auths())
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth_advanced", _auth_arguments(**extra))
    assert message in error
    assert harness.sim.writes() == []
    assert len(harness.sim.auths()) == before


async def test_devices_outside_the_allow_list_cannot_get_advanced_authorizations(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Cellar Door",))
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth_advanced", _auth_arguments())
    assert "No device matches 'Front Door'" in error
    assert harness.sim.writes() == []


async def test_an_until_date_without_offset_is_the_devices_local_time_sent_in_utc(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    berlin = ZoneInfo("Europe/Berlin")  # both devices' timezoneId 37
    local_until = (harness.clock.now().astimezone(berlin) + timedelta(days=3)).replace(microsecond=0)
    async with harness.client() as client:
        await call_ok(
            client,
            "create_smartlock_auth_advanced",
            _auth_arguments(allowed_until_date=local_until.replace(tzinfo=None).isoformat()),
        )
    body = harness.sim.writes()[0].body
    assert isinstance(body, dict)
    sent = str(body["allowedUntilDate"])
    assert sent.endswith("Z")
    assert datetime.fromisoformat(sent) == local_until


async def test_a_plain_end_date_is_the_whole_day_where_the_doors_are(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_ok(client, "create_smartlock_auth_advanced", _auth_arguments(allowed_until_date="2026-12-31"))
    body = harness.sim.writes()[0].body
    assert isinstance(body, dict)
    assert datetime.fromisoformat(str(body["allowedUntilDate"])) == datetime(
        2026, 12, 31, 22, 59, 59, 999000, tzinfo=UTC
    )


async def test_doors_in_different_time_zones_need_dates_with_an_offset(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    cellar = harness.sim.device(CELLAR_ID)
    assert cellar.config is not None
    new_york = cellar.config.model_copy(update={"timezone_id": 12})
    harness.sim.add_device(
        cellar.model_copy(update={"smartlock_id": 900_000_001, "name": "Beach House", "config": new_york})
    )
    devices: list[JsonValue] = ["Front Door", "Beach House"]
    async with harness.client() as client:
        plain = await call_error(
            client,
            "create_smartlock_auth_advanced",
            _auth_arguments(smartlocks=devices, allowed_until_date="2026-12-31"),
        )
        with_offset = await call_ok(
            client,
            "create_smartlock_auth_advanced",
            _auth_arguments(smartlocks=devices, allowed_until_date="2026-12-31T23:59:59+01:00"),
        )
    assert "different time zones (America/New_York, Europe/Berlin)" in plain
    assert with_offset["status"] == "done"
    [write] = harness.sim.writes()
    assert isinstance(write.body, dict)
    assert datetime.fromisoformat(str(write.body["allowedUntilDate"])) == datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC)


async def test_the_advanced_toolset_is_off_by_default_and_only_writes(tmp_path: Path) -> None:
    default = Harness(tmp_path, toolsets=DEFAULT_TOOLSETS)
    async with default.client() as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert not names & ADVANCED_TOOLS
    read_only = Harness(tmp_path, read_only=True, toolsets=frozenset({"advanced"}))
    async with read_only.client() as client:
        assert (await client.list_tools()).tools == []
    only = Harness(tmp_path, toolsets=frozenset({"advanced"}))
    async with only.client() as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == ADVANCED_TOOLS
    for tool in tools:
        assert tool.annotations is not None
        assert tool.annotations.destructive_hint is True
        assert tool.annotations.idempotent_hint is False
