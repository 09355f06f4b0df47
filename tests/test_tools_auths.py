"""Toolset `auths`: app users, fobs and keypad codes, with codes kept secret and time windows kept intact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import JsonValue

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import (
    BACK_DOOR_SPARKLE_AUTH_ID,
    CELLAR_GARDEN_HELPER_CODE_AUTH_ID,
    CELLAR_ID,
    CLEANER_CODE,
    DOG_SITTER_CODE,
    FAMILY_CODE,
    FRONT_DOOR_CLEANER_CODE_AUTH_ID,
    FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID,
    FRONT_DOOR_FOB_AUTH_ID,
    FRONT_DOOR_ID,
    FRONT_DOOR_JONAS_AUTH_ID,
    GARDEN_HELPER_CODE,
    OLD_TENANT_CODE,
    SPARKLE_ACCOUNT_USER_ID,
)
from nuki_mcp.nuki.models import SmartlockAuth
from tests.support import (
    ClientMode,
    Elicitations,
    Harness,
    Json,
    SomeoneElseRenamesTheCleaner,
    call_error,
    call_ok,
    dumps,
)

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
ALL_SEEDED_CODES = (FAMILY_CODE, CLEANER_CODE, DOG_SITTER_CODE, OLD_TENANT_CODE, GARDEN_HELPER_CODE)
NEW_CODE = 356891
KEYPAD_CODE = 13
MONDAY = 64
EIGHT_AM = 480
NOON = 720


def _rows(listing: Json) -> list[Json]:
    rows = listing["auths"]
    assert isinstance(rows, list)
    return [row for row in rows if isinstance(row, dict)]


def _by_name(listing: Json) -> dict[str, Json]:
    return {str(row["name"]): row for row in _rows(listing)}


def _column(listing: Json, key: str) -> set[str]:
    return {str(row[key]) for row in _rows(listing)}


def _no_code_in(*outputs: object, codes: tuple[int, ...] = ALL_SEEDED_CODES) -> bool:
    text = dumps(list(outputs))
    return not any(str(code) in text for code in codes)


def _new_auths(harness: Harness, known: set[str]) -> list[SmartlockAuth]:
    return [a for a in harness.sim.auths(FRONT_DOOR_ID) if a.id not in known]


def _keypad_create(code: int, **extra: JsonValue) -> Json:
    arguments: Json = {"smartlock": "Front Door", "type": "keypad_code", "name": "Gardener", "code": code}
    arguments.update(extra)
    return arguments


# --- reading ---------------------------------------------------------------------------------------


async def test_list_of_one_device_decodes_types_time_windows_and_status(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlock_auths", {"smartlock": "Front Door"})
    rows = _by_name(listing)
    assert set(rows) == {"Anna Berger", "Jonas Berger", "Blue fob", "Family", "Cleaner", "Dog sitter", "Old tenant"}
    assert listing["total"] == 7
    assert listing["truncated"] is False
    cleaner = rows["Cleaner"]
    assert cleaner["auth_id"] == FRONT_DOOR_CLEANER_CODE_AUTH_ID
    assert cleaner["type"] == "keypad_code"
    assert cleaner["device_name"] == "Front Door"
    assert cleaner["smartlock_id"] == FRONT_DOOR_ID
    assert cleaner["allowed_week_days"] == ["monday"]
    assert (cleaner["allowed_from_time"], cleaner["allowed_until_time"]) == ("08:00", "12:00")
    assert rows["Blue fob"]["type"] == "fob"
    assert rows["Anna Berger"]["type"] == "app"
    assert rows["Family"]["allowed_week_days"] is None  # every day, no time of day: unrestricted
    assert rows["Family"]["allowed_from_time"] is None
    assert rows["Dog sitter"]["expired"] is True
    assert rows["Jonas Berger"]["expired"] is False
    assert rows["Old tenant"]["enabled"] is False
    assert all(row["pending"] is False for row in rows.values())


async def test_keypad_codes_are_masked_unless_reveal_code_is_asked_for(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        masked = await call_ok(client, "list_smartlock_auths", {})
        revealed = await call_ok(client, "list_smartlock_auths", {"smartlock": "Front Door", "reveal_code": True})
        one_masked = await call_ok(
            client, "get_smartlock_auth", {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID}
        )
        one_revealed = await call_ok(
            client,
            "get_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "reveal_code": True},
        )
    assert _no_code_in(masked, one_masked)
    assert {str(row["code"]) for row in _rows(masked) if row["type"] == "keypad_code"} == {"******"}
    assert _by_name(masked)["Blue fob"]["code"] is None
    assert _by_name(revealed)["Cleaner"]["code"] == str(CLEANER_CODE)
    assert _by_name(revealed)["Family"]["code"] == str(FAMILY_CODE)
    assert one_masked["code"] == "******"
    assert one_revealed["code"] == str(CLEANER_CODE)


async def test_the_account_wide_list_covers_every_device_and_filters_by_type(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        everything = await call_ok(client, "list_smartlock_auths", {})
        keypad_codes = await call_ok(client, "list_smartlock_auths", {"type": ["keypad_code"]})
        front_people = await call_ok(
            client, "list_smartlock_auths", {"smartlock": "Front Door", "type": ["app", "fob"]}
        )
    assert everything["total"] == len(harness.sim.auths())
    assert _column(everything, "device_name") == {
        "Front Door",
        "Cellar Door",
        "Building Entrance",
        "Back Door",
        "Garage",
    }
    assert _column(keypad_codes, "name") == {
        "Family",
        "Cleaner",
        "Dog sitter",
        "Old tenant",
        "Garden helper",
    }
    assert _column(keypad_codes, "type") == {"keypad_code"}
    assert _column(front_people, "name") == {"Anna Berger", "Jonas Berger", "Blue fob"}


async def test_the_list_says_when_the_limit_cut_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlock_auths", {"limit": 3})
    assert len(_rows(listing)) == 3
    assert listing["total"] == len(harness.sim.auths())
    assert listing["truncated"] is True


async def test_the_allow_list_hides_the_authorizations_of_other_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlock_auths", {})
        by_device = await call_error(client, "list_smartlock_auths", {"smartlock": "Cellar"})
        one = await call_error(
            client, "get_smartlock_auth", {"smartlock": str(CELLAR_ID), "auth_id": CELLAR_GARDEN_HELPER_CODE_AUTH_ID}
        )
    assert _column(listing, "smartlock_id") == {str(FRONT_DOOR_ID)}
    assert listing["total"] == len(harness.sim.auths(FRONT_DOOR_ID))
    assert "Garden helper" not in dumps(listing)
    assert "No device matches" in by_device
    assert "No device matches" in one


async def test_get_smartlock_auth_shows_one_authorization_in_full(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        jonas = await call_ok(
            client, "get_smartlock_auth", {"smartlock": "Front Door", "auth_id": FRONT_DOOR_JONAS_AUTH_ID}
        )
    seeded = harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID)
    assert jonas["name"] == "Jonas Berger"
    assert jonas["type"] == "app"
    assert jonas["account_user_id"] == seeded.account_user_id
    assert jonas["device_auth_id"] == seeded.auth_id
    assert jonas["lock_count"] == seeded.lock_count
    assert seeded.allowed_until_date is not None
    assert jonas["allowed_until_date"] == seeded.allowed_until_date.isoformat().replace("+00:00", "Z")
    assert jonas["code"] is None


async def test_an_authorization_of_another_device_is_not_found(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(
            client, "get_smartlock_auth", {"smartlock": "Front Door", "auth_id": BACK_DOOR_SPARKLE_AUTH_ID}
        )
    assert "404" in error


# --- creating ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_create_a_keypad_code_confirms_without_the_digits_and_returns_the_new_id(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    known = {a.id for a in harness.sim.auths(FRONT_DOOR_ID)}
    arguments = _keypad_create(
        NEW_CODE,
        allowed_week_days=["monday", "friday"],
        allowed_from_time="08:00",
        allowed_until_time="17:30",
        allowed_from_date="2026-12-01",
        allowed_until_date="2027-01-31",
    )
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "create_smartlock_auth", arguments)
    [created] = _new_auths(harness, known)
    assert created.type == KEYPAD_CODE
    assert created.code == NEW_CODE
    assert created.allowed_week_days == 64 + 4
    assert (created.allowed_from_time, created.allowed_until_time) == (480, 1050)
    # Plain dates are whole days on the Front Door's calendar (Europe/Berlin, UTC+1 in winter).
    assert created.allowed_from_date == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert created.allowed_until_date == datetime(2027, 1, 31, 22, 59, 59, 999000, tzinfo=UTC)
    assert result["status"] == "done"
    row = result["created"]
    assert isinstance(row, dict)
    assert row["auth_id"] == created.id
    assert row["code"] == "******"
    assert row["allowed_week_days"] == ["monday", "friday"]
    [question] = human.questions
    for part in ("Front Door", str(FRONT_DOOR_ID), "keypad code", "Gardener", "2026-12-01", "2027-01-31", "08:00"):
        assert part in question
    assert _no_code_in(question, result, harness.audit_lines(), codes=(NEW_CODE,))
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("PUT", f"/smartlock/{FRONT_DOOR_ID}/auth")]


async def test_the_two_step_confirmation_of_a_create_sends_nothing_until_the_token_comes_back(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments = _keypad_create(NEW_CODE)
    async with harness.client() as client:
        first = await call_ok(client, "create_smartlock_auth", arguments)
        assert first["status"] == "confirmation_required"
        assert harness.sim.writes() == []
        second = await call_ok(
            client, "create_smartlock_auth", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert second["status"] == "done"
    assert second["confirmed_by"] == "token"
    assert len(harness.sim.writes()) == 1
    assert _no_code_in(first, second, harness.audit_lines(), codes=(NEW_CODE,))
    assert [line["outcome"] for line in harness.audit_results()] == ["confirmation_required", "done"]


async def test_create_an_app_user_and_a_fob(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    known = {a.id for a in harness.sim.auths(FRONT_DOOR_ID)}
    async with harness.client() as client:
        app = await call_ok(
            client,
            "create_smartlock_auth",
            {
                "smartlock": "Front Door",
                "type": "app",
                "name": "Sparkle Cleaning",
                "account_user_id": SPARKLE_ACCOUNT_USER_ID,
                "remote_allowed": True,
            },
        )
        fob = await call_ok(
            client, "create_smartlock_auth", {"smartlock": "Front Door", "type": "fob", "name": "Red fob"}
        )
    new = {a.name: a for a in _new_auths(harness, known)}
    assert new["Sparkle Cleaning"].type == 0
    assert new["Sparkle Cleaning"].account_user_id == SPARKLE_ACCOUNT_USER_ID
    assert new["Sparkle Cleaning"].remote_allowed is True
    assert new["Red fob"].type == 2
    assert new["Red fob"].code is None
    assert isinstance(app["created"], dict)
    assert app["created"]["type"] == "app"
    assert isinstance(fob["created"], dict)
    assert fob["created"]["auth_id"] == new["Red fob"].id


async def test_a_create_that_nuki_does_not_list_yet_is_reported_as_pending(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="PUT", path=f"/smartlock/{FRONT_DOOR_ID}/auth", status=204, applied=False))
    async with harness.client() as client:
        result = await call_ok(
            client, "create_smartlock_auth", {"smartlock": "Front Door", "type": "fob", "name": "Red fob"}
        )
    assert result["status"] == "done"
    assert result["created"] is None
    assert "does not list it yet" in str(result["reason"])


@pytest.mark.parametrize(
    ("code", "complaint"),
    [
        (123456, "must not start with 12"),
        (345067, "1-9 (no 0)"),
        (34567, "exactly 6 digits"),
        (3456789, "exactly 6 digits"),
    ],
    ids=["starts-with-12", "contains-0", "five-digits", "seven-digits"],
)
async def test_an_invalid_keypad_code_is_refused_before_anything_is_sent(
    tmp_path: Path, code: int, complaint: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        created = await call_error(client, "create_smartlock_auth", _keypad_create(code))
        updated = await call_error(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "code": code},
        )
    assert complaint in created
    assert complaint in updated
    assert str(code) not in created + updated
    assert harness.sim.writes() == []


async def test_a_keypad_code_already_used_on_the_device_is_refused_before_sending(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", _keypad_create(CLEANER_CODE))
    assert "already used" in error
    assert "'Cleaner'" in error
    assert str(CLEANER_CODE) not in error
    assert harness.sim.writes() == []


async def test_the_same_keypad_code_may_be_used_on_another_device(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "create_smartlock_auth", {**_keypad_create(CLEANER_CODE), "smartlock": "Cellar"})
    assert result["status"] == "done"
    assert [a.name for a in harness.sim.auths(CELLAR_ID) if a.code == CLEANER_CODE] == ["Gardener"]


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"type": "keypad_code", "name": "Gardener"}, "needs code"),
        ({"type": "keypad_code", "name": "A name far too long for keypads", "code": NEW_CODE}, "at most 20"),
        ({"type": "app", "name": "Somebody"}, "or account_user_id"),
        ({"type": "fob", "name": "Red fob", "code": NEW_CODE}, "Only keypad_code"),
        (
            {"type": "fob", "name": "Red fob", "allowed_from_date": "2027-02-01", "allowed_until_date": "2027-01-01"},
            "after allowed_until_date",
        ),
        (
            {"type": "fob", "name": "Red fob", "allowed_from_time": "18:00", "allowed_until_time": "08:00"},
            "allowed_from_time is after",
        ),
        ({"type": "fob", "name": "Red fob", "allowed_from_time": "08:00"}, "together"),
        ({"type": "fob", "name": "Red fob", "allowed_from_time": "25:00", "allowed_until_time": "26:00"}, "HH:MM"),
    ],
    ids=[
        "keypad-without-code",
        "keypad-name-too-long",
        "app-without-user",
        "fob-with-code",
        "dates",
        "times",
        "half-window",
        "bad-time",
    ],
)
async def test_invalid_create_arguments_are_refused_before_anything_is_sent(
    tmp_path: Path, arguments: Json, complaint: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", {"smartlock": "Front Door", **arguments})
    assert complaint in error
    assert harness.sim.writes() == []


async def test_a_conflict_reported_by_nuki_is_one_actionable_sentence(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="PUT", path=f"/smartlock/{FRONT_DOOR_ID}/auth", status=409))
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", _keypad_create(NEW_CODE))
    assert "conflicts with existing data (409)" in error
    assert [line["outcome"] for line in harness.audit_results()] == ["error"]


# --- updating ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_rename_keeps_the_time_window_code_and_everything_else(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    before = harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaning crew"},
        )
    after = harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    assert after.name == "Cleaning crew"
    assert (after.allowed_week_days, after.allowed_from_time, after.allowed_until_time) == (MONDAY, EIGHT_AM, NOON)
    assert after.code == CLEANER_CODE
    assert (after.enabled, after.remote_allowed) == (before.enabled, before.remote_allowed)
    [write] = harness.sim.writes()
    assert write.method == "POST"
    assert write.path == f"/smartlock/{FRONT_DOOR_ID}/auth/{FRONT_DOOR_CLEANER_CODE_AUTH_ID}"
    [question] = human.questions
    assert 'name: "Cleaner" -> "Cleaning crew"' in question
    assert "allowed_week_days" not in question
    assert "Front Door" in question
    assert result["status"] == "done"
    assert isinstance(result["auth"], dict)
    assert result["auth"]["allowed_week_days"] == ["monday"]
    assert _no_code_in(question, result, harness.audit_lines())


async def test_disabling_an_app_user_keeps_the_date_window(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    before = harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID)
    async with harness.client() as client:
        await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_JONAS_AUTH_ID, "enabled": False},
        )
    after = harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID)
    assert after.enabled is False
    assert after.name == before.name
    assert (after.allowed_from_date, after.allowed_until_date) == (before.allowed_from_date, before.allowed_until_date)
    assert after.account_user_id == before.account_user_id
    assert after.remote_allowed is True


async def test_changing_the_time_window_shows_the_decoded_diff(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        await call_ok(
            client,
            "update_smartlock_auth",
            {
                "smartlock": "Front Door",
                "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID,
                "allowed_week_days": ["monday", "wednesday"],
                "allowed_until_time": "13:30",
            },
        )
    after = harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    assert after.allowed_week_days == 64 + 16
    assert (after.allowed_from_time, after.allowed_until_time) == (EIGHT_AM, 810)
    assert after.name == "Cleaner"
    assert 'allowed_week_days: ["monday"] -> ["monday", "wednesday"]' in human.questions[0]
    assert 'allowed_until_time: "12:00" -> "13:30"' in human.questions[0]
    assert "allowed_from_time" not in human.questions[0]


async def test_a_new_keypad_code_is_applied_but_shown_only_as_hidden(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        result = await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "code": NEW_CODE},
        )
    assert harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID).code == NEW_CODE
    assert "code: changed (hidden)" in human.questions[0]
    assert _no_code_in(human.questions, result, harness.audit_lines(), codes=(NEW_CODE, CLEANER_CODE))


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "code": FAMILY_CODE}, "already used"),
        ({"auth_id": FRONT_DOOR_FOB_AUTH_ID, "code": NEW_CODE}, "has no code"),
        ({"auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaner"}, "nothing to change"),
        ({"auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "A name far too long for keypads"}, "at most 20"),
        ({"auth_id": FRONT_DOOR_FOB_AUTH_ID, "allowed_from_time": "09:00"}, "together"),
        ({"auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "allowed_from_time": "12:30"}, "after allowed_until_time"),
        ({"auth_id": FRONT_DOOR_JONAS_AUTH_ID, "allowed_from_date": "2030-01-01"}, "after allowed_until_date"),
    ],
    ids=["duplicate-code", "code-on-fob", "no-change", "keypad-name", "half-window", "times", "dates"],
)
async def test_invalid_updates_are_refused_before_anything_is_sent(
    tmp_path: Path, arguments: Json, complaint: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "update_smartlock_auth", {"smartlock": "Front Door", **arguments})
    assert complaint in error
    assert _no_code_in(error)
    assert harness.sim.writes() == []


async def test_an_update_of_an_authorization_still_pending_at_nuki_reports_423(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    pending = harness.sim.auth(FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID)
    pending.operation_id = harness.sim.new_object_id()
    harness.sim.add_auth(pending)
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlock_auths", {"smartlock": "Front Door"})
        error = await call_error(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID, "enabled": False},
        )
    assert _by_name(listing)["Dog sitter"]["pending"] is True
    assert "still pending at Nuki (423)" in error
    assert harness.sim.auth(FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID).enabled is True
    assert [line["outcome"] for line in harness.audit_results()] == ["not_done"]  # 423: Nuki did nothing


# --- deleting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_delete_names_the_authorization_and_device_then_removes_it(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(
            client,
            "delete_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID},
        )
    assert result["status"] == "done"
    assert FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID not in {a.id for a in harness.sim.auths()}
    [question] = human.questions
    for part in ("Dog sitter", "keypad code", "Front Door", str(FRONT_DOOR_ID)):
        assert part in question
    assert [(w.method, w.path) for w in harness.sim.writes()] == [
        ("DELETE", f"/smartlock/{FRONT_DOOR_ID}/auth/{FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID}")
    ]


async def test_a_declined_delete_keeps_the_authorization(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(elicitation=Elicitations(action="decline")) as client:
        result = await call_ok(
            client, "delete_smartlock_auth", {"smartlock": "Front Door", "auth_id": FRONT_DOOR_FOB_AUTH_ID}
        )
    assert result["status"] == "not_done"
    assert harness.sim.auth(FRONT_DOOR_FOB_AUTH_ID).name == "Blue fob"
    assert harness.sim.writes() == []


# --- catalogue ---------------------------------------------------------------------------------------


async def test_annotations_and_read_only_mode(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    hints = {
        name: (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
        for name, tool in tools.items()
        if name.endswith(("smartlock_auths", "smartlock_auth"))
        if (a := tool.annotations) is not None
    }
    assert hints == {
        "list_smartlock_auths": (True, False, True, True),
        "get_smartlock_auth": (True, False, True, True),
        "create_smartlock_auth": (False, True, False, True),
        "update_smartlock_auth": (False, True, True, True),
        "delete_smartlock_auth": (False, True, True, True),
    }
    async with Harness(tmp_path, read_only=True).client() as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_smartlock_auths", "get_smartlock_auth"} <= names
    assert not names & {"create_smartlock_auth", "update_smartlock_auth", "delete_smartlock_auth"}


# --- access windows on the device's calendar ------------------------------------------------------


def _fob(**extra: JsonValue) -> Json:
    arguments: Json = {"smartlock": "Front Door", "type": "fob", "name": "Red fob"}
    arguments.update(extra)
    return arguments


async def test_a_plain_end_date_includes_that_whole_day_at_the_door_and_a_naive_start_is_local(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    known = {a.id for a in harness.sim.auths(FRONT_DOOR_ID)}
    arguments = _fob(allowed_from_date="2026-12-24T18:00", allowed_until_date="2026-12-31")
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "create_smartlock_auth", arguments)
    [created] = _new_auths(harness, known)
    # The Front Door is in Europe/Berlin (UTC+1 in December).
    assert created.allowed_from_date == datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    assert created.allowed_until_date == datetime(2026, 12, 31, 22, 59, 59, 999000, tzinfo=UTC)
    [question] = human.questions
    assert "from 2026-12-24 18:00, until 2026-12-31 (end of day)" in question
    assert "Europe/Berlin" in question


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"allowed_until_date": "2026-01-31"}, "lies in the past"),
        ({"allowed_from_time": "22:00", "allowed_until_time": "06:00"}, "22:00-24:00 and one 00:00-06:00"),
        ({"allowed_from_date": "0001-01-01T00:00:00+01:00"}, "edge of the calendar"),
        ({"allowed_until_date": "9999-12-31T23:59:59-01:00"}, "edge of the calendar"),
        ({"allowed_until_date": "9999-12-31"}, "edge of the calendar"),
        ({"allowed_until_date": "soon"}, "not an ISO 8601"),
    ],
    ids=["past-end", "overnight", "year-1", "year-9999", "last-day", "not-a-date"],
)
async def test_windows_that_cannot_work_are_refused_on_create_with_one_sentence(
    tmp_path: Path, extra: Json, complaint: str
) -> None:
    harness = Harness(tmp_path)
    before = len(harness.sim.auths())
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", _fob(**extra))
    assert complaint in error
    assert "\n" not in error
    assert harness.sim.writes() == []
    assert len(harness.sim.auths()) == before


async def test_an_end_date_given_as_null_is_removed_at_nuki(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    before = harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID)
    assert before.allowed_until_date is not None
    async with harness.client(elicitation=human) as client:
        result = await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_JONAS_AUTH_ID, "allowed_until_date": None},
        )
    after = harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID)
    assert after.allowed_until_date is None
    assert after.allowed_from_date == before.allowed_from_date
    [write] = harness.sim.writes()
    assert isinstance(write.body, dict)
    assert "allowedUntilDate" in write.body
    assert write.body["allowedUntilDate"] is None
    assert '-> "no end date"' in human.questions[0]
    assert isinstance(result["auth"], dict)
    assert result["auth"]["allowed_until_date"] is None


async def test_null_times_and_an_empty_weekday_list_remove_the_daily_window(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        result = await call_ok(
            client,
            "update_smartlock_auth",
            {
                "smartlock": "Front Door",
                "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID,
                "allowed_from_time": None,
                "allowed_until_time": None,
                "allowed_week_days": [],
            },
        )
    after = harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    # What REFERENCE §1.1 documents as "no limit": every weekday (127), daily window 0/0.
    assert (after.allowed_week_days, after.allowed_from_time, after.allowed_until_time) == (127, 0, 0)
    assert after.code == CLEANER_CODE
    [question] = human.questions
    assert 'allowed_from_time: "08:00" -> "no time limit"' in question
    assert 'allowed_until_time: "12:00" -> "no time limit"' in question
    assert 'allowed_week_days: ["monday"] -> "every day"' in question
    assert "00:00" not in question
    auth = result["auth"]
    assert isinstance(auth, dict)
    assert (auth["allowed_from_time"], auth["allowed_until_time"], auth["allowed_week_days"]) == (None, None, None)


async def test_weekdays_given_as_null_mean_every_day(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Back Door", "auth_id": BACK_DOOR_SPARKLE_AUTH_ID, "allowed_week_days": None},
        )
    after = harness.sim.auth(BACK_DOOR_SPARKLE_AUTH_ID)
    assert after.allowed_week_days == 127
    assert (after.allowed_from_time, after.allowed_until_time) == (540, 780)


async def test_leaving_window_arguments_out_keeps_them_and_half_a_removed_window_is_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        half = await call_error(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "allowed_from_time": None},
        )
        await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "enabled": False},
        )
    assert "together" in half
    after = harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    assert (after.allowed_week_days, after.allowed_from_time, after.allowed_until_time) == (MONDAY, EIGHT_AM, NOON)
    assert after.enabled is False
    assert len(harness.sim.writes()) == 1


async def test_a_plain_date_in_an_update_is_the_devices_day(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_ok(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_JONAS_AUTH_ID, "allowed_until_date": "2027-06-30"},
        )
    # Summer time in Berlin: UTC+2.
    assert harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID).allowed_until_date == datetime(
        2027, 6, 30, 21, 59, 59, 999000, tzinfo=UTC
    )


# --- the allow-list holds for authorization ids -----------------------------------------------------


def _lenient_nuki_serves(harness: Harness, auth_id: str, *, under: int) -> None:
    """Make Nuki answer `GET /smartlock/{under}/auth/{auth_id}` with that authorization whatever its device."""
    hidden = harness.sim.auth(auth_id)
    body = dumps(hidden.model_dump(mode="json", by_alias=True, exclude_none=True))
    harness.sim.add_fault(
        Fault(
            method="GET",
            path=f"/smartlock/{under}/auth/{auth_id}",
            status=200,
            body=body,
            content_type="application/json",
            times=10,
        )
    )


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("get_smartlock_auth", {"reveal_code": True}),
        ("update_smartlock_auth", {"enabled": False}),
        ("update_smartlock_auth", {"allowed_until_date": None}),
        ("delete_smartlock_auth", {}),
    ],
    ids=["get", "disable", "clear-end", "delete"],
)
async def test_an_auth_id_of_a_device_outside_the_allow_list_is_refused_and_left_alone(
    tmp_path: Path, tool: str, extra: Json
) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    _lenient_nuki_serves(harness, BACK_DOOR_SPARKLE_AUTH_ID, under=FRONT_DOOR_ID)
    before = harness.sim.auth(BACK_DOOR_SPARKLE_AUTH_ID)
    async with harness.client() as client:
        error = await call_error(
            client, tool, {"smartlock": "Front Door", "auth_id": BACK_DOOR_SPARKLE_AUTH_ID, **extra}
        )
    assert "has no authorization with auth_id" in error
    assert "Sparkle" not in error
    assert "Back Door" not in error
    assert harness.sim.writes() == []
    assert harness.sim.auth(BACK_DOOR_SPARKLE_AUTH_ID) == before


async def test_an_auth_id_of_another_visible_device_names_that_device_and_changes_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    _lenient_nuki_serves(harness, BACK_DOOR_SPARKLE_AUTH_ID, under=FRONT_DOOR_ID)
    async with harness.client() as client:
        error = await call_error(
            client, "delete_smartlock_auth", {"smartlock": "Front Door", "auth_id": BACK_DOOR_SPARKLE_AUTH_ID}
        )
    assert "belongs to 'Back Door', not to 'Front Door'" in error
    assert harness.sim.writes() == []
    assert harness.sim.auth(BACK_DOOR_SPARKLE_AUTH_ID).name == "Sparkle Cleaning"


# --- one request for every device's authorizations --------------------------------------------------


def _add_devices(harness: Harness, count: int) -> None:
    template = harness.sim.device(CELLAR_ID)
    for n in range(count):
        harness.sim.add_device(
            template.model_copy(update={"smartlock_id": 900_000_000 + n, "name": f"Flat {n:03d}"}, deep=True)
        )


@pytest.mark.parametrize("extra_devices", [0, 40])
async def test_listing_every_devices_authorizations_takes_two_requests_whatever_the_number_of_devices(
    tmp_path: Path, extra_devices: int
) -> None:
    harness = Harness(tmp_path)
    _add_devices(harness, extra_devices)
    async with harness.client() as client:
        before = len(harness.sim.requests)
        listing = await call_ok(client, "list_smartlock_auths", {"limit": 200})
        sent = harness.sim.requests[before:]
    assert [(r.method, r.path) for r in sent] == [("GET", "/smartlock"), ("GET", "/smartlock/auth")]
    assert listing["total"] == len(harness.sim.auths())


async def test_when_nuki_refuses_the_account_wide_read_each_device_is_read_and_unreadable_ones_are_named(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        expected = await call_ok(client, "list_smartlock_auths", {"limit": 200})
        harness.sim.add_fault(Fault.json(403, "Forbidden", method="GET", path="/smartlock/auth"))
        fallback = await call_ok(client, "list_smartlock_auths", {"limit": 200})
        harness.sim.add_fault(Fault.json(403, "Forbidden", method="GET", path="/smartlock/auth"))
        harness.sim.add_fault(Fault.json(403, "Forbidden", method="GET", path=f"/smartlock/{CELLAR_ID}/auth"))
        partial = await call_ok(client, "list_smartlock_auths", {"limit": 200})
    assert _column(fallback, "auth_id") == _column(expected, "auth_id")
    assert fallback["note"] is None
    assert "Garden helper" not in _column(partial, "name")
    assert "Cellar Door" in str(partial["note"])


async def test_the_account_wide_list_keeps_to_the_allow_list(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Back Door",))
    async with harness.client() as client:
        harness.sim.add_fault(Fault.json(403, "Forbidden", method="GET", path="/smartlock/auth"))
        fallback = await call_ok(client, "list_smartlock_auths", {})
        direct = await call_ok(client, "list_smartlock_auths", {})
    assert _column(fallback, "device_name") == _column(direct, "device_name") == {"Back Door"}
    assert not [r for r in harness.sim.requests if r.path.startswith(f"/smartlock/{FRONT_DOOR_ID}")]


async def test_when_nuki_refuses_every_authorization_read_the_agent_is_told_why(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault.json(401, "Missing scope", method="GET", path="/smartlock/auth"))
    harness.sim.add_fault(Fault.json(401, "Missing scope", method="GET", path="/smartlock/*/auth", times=10))
    async with harness.client() as client:
        error = await call_error(client, "list_smartlock_auths", {})
    assert "401" in error


async def test_an_update_confirmed_after_the_authorization_changed_at_nuki_sends_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = SomeoneElseRenamesTheCleaner(harness)
    async with harness.client(mode="legacy", elicitation=human) as client:  # type: ignore[arg-type]
        error = await call_error(
            client,
            "update_smartlock_auth",
            {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaner Mondays"},
        )
    assert "changed at Nuki since the summary" in error
    assert harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID).name == "Cleaner (new)"  # theirs stands, ours not sent
    assert len(harness.sim.writes()) == 1  # only the other person's change
