"""Toolset `logs`: the activity log, decoded by name, paged with a cursor, filtered and allow-listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import JsonValue

from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, OPENER_ID
from tests.support import ClientMode, Harness, Json, call_error, call_ok

pytestmark = pytest.mark.anyio

LOCK_UNLOCK = 1  # log action code of unlock (lock) and activate_rto (Opener)
BERLIN = ZoneInfo("Europe/Berlin")  # every demo device's timezoneId 37


def _entries(page: Json) -> list[Json]:
    entries = page["entries"]
    assert isinstance(entries, list)
    return [e for e in entries if isinstance(e, dict)]


def _ids(page: Json) -> list[JsonValue]:
    return [e["log_id"] for e in _entries(page)]


def _column(entries: list[Json], key: str) -> set[str]:
    """The distinct values of one field, as text (JSON values are not hashable)."""
    return {str(e[key]) for e in entries}


def _sent(query: dict[str, str], name: str) -> datetime:
    value = query[name]
    assert value.endswith("Z")
    return datetime.fromisoformat(value)


def _log_requests(harness: Harness) -> list[str]:
    return [r.path for r in harness.sim.requests if r.path.endswith("/log")]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_account_wide_logs_are_the_newest_entries_of_every_device_decoded_by_name(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        page = await call_ok(client, "list_smartlock_logs", {"limit": 50})
    newest = harness.sim.logs()[:50]
    assert _ids(page) == [log.id for log in newest]
    entries = _entries(page)
    assert _column(entries, "smartlock_id") >= {str(FRONT_DOOR_ID), str(OPENER_ID)}
    first = entries[0]
    assert first["device_name"] == "Front Door"
    assert first["action"] in {"lock", "unlock", "door_opened", "door_closed"}
    assert first["result"] == "success"
    assert isinstance(first["trigger"], str)
    assert not first["trigger"].isdigit()
    assert page["device"] is None
    assert page["next_cursor"] == newest[-1].id


async def test_a_device_log_shows_only_that_device_with_opener_details(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        page = await call_ok(client, "list_smartlock_logs", {"smartlock": "Building Entrance", "limit": 50})
    entries = _entries(page)
    assert _ids(page) == [log.id for log in harness.sim.logs(OPENER_ID)[:50]]
    assert _column(entries, "smartlock_id") == {str(OPENER_ID)}
    assert page["device"] == {"smartlock_id": OPENER_ID, "name": "Building Entrance", "device_type": "opener"}
    actions = _column(entries, "action")
    assert "doorbell_recognition" in actions
    assert "electric_strike_actuation" in actions
    assert "unlock" not in actions
    opened = next(e for e in entries if e["action"] == "electric_strike_actuation")
    assert isinstance(opened["opener"], dict)
    assert opened["opener"]["source"] in {"doorbell", "time_control", "app", "button", "fob", "bridge", "keypad"}


async def test_failed_entries_name_how_they_failed(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    blocked = [log for log in harness.sim.logs(FRONT_DOOR_ID) if log.state == 1]
    assert blocked, "the demo household has a motor-blocked entry"
    async with harness.client() as client:
        page = await call_ok(
            client,
            "list_smartlock_logs",
            {"smartlock": "Front Door", "limit": 1, "cursor": _cursor_before(harness, blocked[0].id)},
        )
    assert _entries(page)[0]["log_id"] == blocked[0].id
    assert _entries(page)[0]["result"] == "motor_blocked"


def _cursor_before(harness: Harness, log_id: str) -> str:
    """The id of the entry just newer than `log_id` on the same device (the cursor that returns it)."""
    device_logs = harness.sim.logs(FRONT_DOOR_ID)
    index = [log.id for log in device_logs].index(log_id)
    assert index > 0
    return device_logs[index - 1].id


async def test_paging_with_the_cursor_returns_older_entries_and_no_duplicates(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    pages: list[Json] = []
    async with harness.client() as client:
        arguments: Json = {"smartlock": "Front Door", "limit": 7}
        for _ in range(4):
            page = await call_ok(client, "list_smartlock_logs", arguments)
            pages.append(page)
            arguments = {**arguments, "cursor": page["next_cursor"]}
    seen = [log_id for page in pages for log_id in _ids(page)]
    assert len(seen) == 28
    assert len(set(seen)) == 28
    assert seen == [log.id for log in harness.sim.logs(FRONT_DOOR_ID)[:28]]
    dates = [datetime.fromisoformat(str(e["date"])) for page in pages for e in _entries(page)]
    assert dates == sorted(dates, reverse=True)


async def test_paging_ends_without_a_cursor_after_the_oldest_entry(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    collected: list[JsonValue] = []
    page: Json = {}
    async with harness.client() as client:
        arguments: Json = {"smartlock": "Cellar", "limit": 10}
        for _ in range(10):
            page = await call_ok(client, "list_smartlock_logs", arguments)
            collected.extend(_ids(page))
            if page["next_cursor"] is None:
                break
            arguments = {**arguments, "cursor": page["next_cursor"]}
    assert page["next_cursor"] is None
    assert collected == [log.id for log in harness.sim.logs(CELLAR_ID)]


async def test_the_action_filter_is_sent_by_code_and_returns_only_that_action(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        page = await call_ok(client, "list_smartlock_logs", {"smartlock": "Front Door", "action": "unlock"})
    assert harness.sim.requests[-1].query["action"] == "1"
    entries = _entries(page)
    assert len(entries) == 20
    assert _column(entries, "action") == {"unlock"}


async def test_account_wide_action_filter_keeps_opener_and_lock_actions_with_the_same_code_apart(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        page = await call_ok(client, "list_smartlock_logs", {"action": "activate_rto", "limit": 50})
    same_code = [log for log in harness.sim.logs() if log.action == LOCK_UNLOCK][:50]
    expected = [log.id for log in same_code if log.smartlock_id == OPENER_ID]
    assert expected, "the newest entries with code 1 include the Opener's ring-to-open"
    assert len(expected) < len(same_code)
    assert _ids(page) == expected
    assert _column(_entries(page), "action") == {"activate_rto"}
    assert page["next_cursor"] == same_code[-1].id


async def test_an_action_the_device_cannot_log_is_refused_before_asking_nuki(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "list_smartlock_logs", {"smartlock": "Building Entrance", "action": "lock"})
    assert "Opener" in error
    assert "activate_rto" in error
    assert _log_requests(harness) == []


async def test_an_unknown_action_name_is_refused_by_the_schema(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "list_smartlock_logs", {"action": "open_sesame"})
    assert "action" in error
    assert harness.sim.requests == []


async def test_the_allow_list_drops_log_entries_of_other_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Cellar Door",))
    async with harness.client() as client:
        page = await call_ok(client, "list_smartlock_logs", {"limit": 50})
        refused = await call_error(client, "list_smartlock_logs", {"smartlock": "Front Door"})
    newest = harness.sim.logs()[:50]
    assert {log.smartlock_id for log in newest} != {CELLAR_ID}
    assert _ids(page) == [log.id for log in newest if log.smartlock_id == CELLAR_ID]
    assert _column(_entries(page), "device_name") <= {"Cellar Door"}
    assert page["next_cursor"] == newest[-1].id
    assert "No device matches" in refused


async def test_a_date_range_returns_only_entries_inside_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    now = harness.clock.now().astimezone(BERLIN)
    start = (now - timedelta(days=6)).date()
    end = (now - timedelta(days=4)).date()
    async with harness.client() as client:
        page = await call_ok(
            client,
            "list_smartlock_logs",
            {"smartlock": "Front Door", "from_date": start.isoformat(), "to_date": end.isoformat(), "limit": 50},
        )
    entries = _entries(page)
    days = {datetime.fromisoformat(str(e["date"])).astimezone(BERLIN).date() for e in entries}
    assert entries
    assert days <= {start, start + timedelta(days=1), end}
    expected = [log.id for log in harness.sim.logs(FRONT_DOOR_ID) if start <= log.date.astimezone(BERLIN).date() <= end]
    assert _ids(page) == expected[:50]
    assert "fromDate" in harness.sim.requests[-1].query


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"from_date": "last tuesday"}, "not an ISO 8601"),
        ({"from_date": "2026-11-20", "to_date": "2026-11-10"}, "after to_date"),
    ],
)
async def test_a_bad_date_range_is_refused_before_asking_nuki(tmp_path: Path, arguments: Json, message: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "list_smartlock_logs", arguments)
    assert message in error
    assert _log_requests(harness) == []


async def test_plain_dates_are_whole_days_on_the_devices_calendar(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_ok(
            client,
            "list_smartlock_logs",
            {"smartlock": "Front Door", "from_date": "2026-11-20", "to_date": "2026-11-20"},
        )
        await call_ok(client, "list_smartlock_logs", {"from_date": "2026-07-01T08:00"})
    device_query, account_query = (r.query for r in harness.sim.requests if r.path.endswith("/log"))
    # Berlin is UTC+1 in November, UTC+2 in July; the account's devices all share Berlin.
    assert _sent(device_query, "fromDate") == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert _sent(device_query, "toDate") == datetime(2026, 11, 20, 22, 59, 59, 999000, tzinfo=UTC)
    assert _sent(account_query, "fromDate") == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


async def test_account_wide_logs_read_dates_in_utc_when_the_devices_are_in_different_zones(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    cellar = harness.sim.device(CELLAR_ID)
    assert cellar.config is not None
    new_york = cellar.config.model_copy(update={"timezone_id": 12})
    harness.sim.add_device(
        cellar.model_copy(update={"smartlock_id": 900_000_001, "name": "Beach House", "config": new_york})
    )
    async with harness.client() as client:
        await call_ok(client, "list_smartlock_logs", {"from_date": "2026-11-20"})
    [query] = [r.query for r in harness.sim.requests if r.path.endswith("/log")]
    assert _sent(query, "fromDate") == datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "arguments",
    [
        {"from_date": "0001-01-01T00:00:00+01:00"},
        {"to_date": "9999-12-31T23:59:59-01:00"},
        {"to_date": "9999-12-31"},
    ],
)
async def test_dates_at_the_calendar_edges_are_refused_in_one_sentence(tmp_path: Path, arguments: Json) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "list_smartlock_logs", {"smartlock": "Front Door", **arguments})
    assert "edge of the calendar" in error
    assert _log_requests(harness) == []
