"""Toolset `properties`: addresses, units, reservations, tokens and partner services of a holiday flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.config import DEFAULT_TOOLSETS
from nuki_mcp.demo.hosting import (
    CURRENT_RESERVATION_ID,
    ENDED_RESERVATION_ID,
    HOLIDAY_FLAT_ADDRESS_ID,
    HOLIDAY_FLAT_NAME,
    HOLIDAY_FLAT_TOKEN_ID,
    HOLIDAY_FLAT_UNIT_ID,
    HOME_NAME,
    IMPORTED_RESERVATION_ID,
    UPCOMING_RESERVATION_ID,
)
from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID
from tests.support import Harness, Json, call_error, call_ok, dumps, obj, rows

pytestmark = pytest.mark.anyio

FLAT: Json = {"address": "garden"}


def reservations_by_id(result: Json) -> dict[str, Json]:
    return {str(r["reservation_id"]): r for r in rows(result, "reservations")}


async def test_the_properties_toolset_is_opt_in(tmp_path: Path) -> None:
    async with Harness(tmp_path, toolsets=DEFAULT_TOOLSETS).client() as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "list_addresses" not in names
    assert "list_notifications" not in names


async def test_addresses_are_listed_with_device_names_and_check_in_times(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        result = await call_ok(client, "list_addresses")
    flat = next(a for a in rows(result, "addresses") if a["address_id"] == HOLIDAY_FLAT_ADDRESS_ID)
    assert flat["name"] == HOLIDAY_FLAT_NAME
    assert [d["name"] for d in rows(flat, "devices")] == ["Back Door"]
    assert (flat["service"], flat["time_zone"], flat["check_in"], flat["check_out"]) == (
        "airbnb",
        "Europe/Vienna",
        "15:00",
        "10:00",
    )
    assert result["total"] == 2


async def test_reservations_say_whether_they_are_upcoming_current_or_past_and_whether_access_is_issued(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path).client() as client:
        every = reservations_by_id(await call_ok(client, "list_reservations", FLAT))
        past = await call_ok(client, "list_reservations", {**FLAT, "period": "past"})
    current, ended, upcoming = (
        every[i] for i in (CURRENT_RESERVATION_ID, ENDED_RESERVATION_ID, UPCOMING_RESERVATION_ID)
    )
    assert (current["period"], current["access_issued"], current["guests_issued"]) == ("current", True, 2)
    assert (ended["period"], ended["access_issued"]) == ("past", True)
    assert (upcoming["period"], upcoming["access_issued"], upcoming["keypad_issued"]) == ("upcoming", False, False)
    assert (current["check_in"], current["check_out"], current["guest_name"]) == ("15:00", "10:00", "Lena Hofmann")
    assert [r["reservation_id"] for r in rows(past, "reservations")] == [ENDED_RESERVATION_ID]


async def test_revoking_the_ended_reservation_sends_the_revoke_and_shows_the_access_gone(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "revoke_reservation_access", {**FLAT, "reservation": "Marco"})
    assert result["status"] == "done"
    assert "'Back Door'" in str(result["summary"])
    assert obj(result, "reservation")["access_issued"] is False
    assert [(w.method, w.path) for w in harness.sim.writes()] == [
        ("POST", f"/address/{HOLIDAY_FLAT_ADDRESS_ID}/reservation/{ENDED_RESERVATION_ID}/revoke")
    ]
    assert harness.audit_results()[-1]["tool"] == "revoke_reservation_access"


async def test_the_confirmation_names_the_devices_a_guest_access_reaches(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(mode="legacy") as client:
        first = await call_ok(client, "issue_reservation_access", {**FLAT, "reservation": "Sophie"})
    assert first["status"] == "confirmation_required"
    assert f"'Back Door' (id {BACK_DOOR_ID})" in str(first["summary"])
    assert harness.sim.writes() == []


async def test_an_ended_reservation_cannot_get_access_and_nothing_is_sent(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "issue_reservation_access", {**FLAT, "reservation": ENDED_RESERVATION_ID})
    assert "has ended" in error
    assert harness.sim.writes() == []


async def test_issuing_an_upcoming_reservation_gives_its_guests_access(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        result = await call_ok(client, "issue_reservation_access", {**FLAT, "reservation": "Sophie"})
    issued = obj(result, "reservation")
    assert (issued["access_issued"], issued["guests_issued"], issued["keypad_issued"]) == (True, 3, True)


async def test_access_times_are_sent_as_minutes_and_the_time_left_out_is_kept(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client, "update_reservation_access_times", {**FLAT, "reservation": "Lena", "check_in": "16:30"}
        )
    (write,) = harness.sim.writes()
    assert write.path.endswith(f"/reservation/{CURRENT_RESERVATION_ID}/update/accesstimes")
    assert write.body == {"checkInTime": 16 * 60 + 30, "checkOutTime": 10 * 60}
    changed = obj(result, "reservation")
    assert (changed["check_in"], changed["check_out"], changed["custom_access_times"]) == ("16:30", "10:00", True)
    assert "Europe/Vienna" in str(result["summary"])


async def test_a_time_that_is_not_hh_mm_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_error(
            client, "update_reservation_access_times", {**FLAT, "reservation": "Lena", "check_in": "25:00"}
        )
        nothing = await call_error(client, "update_reservation_access_times", {**FLAT, "reservation": "Lena"})
    assert "nothing to change" in nothing
    assert harness.sim.writes() == []


async def test_syncing_the_linked_service_imports_its_new_reservation(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        before = reservations_by_id(await call_ok(client, "list_reservations", FLAT))
        synced = await call_ok(client, "sync_service", {"service": "Airbnb"})
        after = reservations_by_id(await call_ok(client, "list_reservations", FLAT))
        unlinked = await call_error(client, "sync_service", {"service": "bookingsync"})
    assert synced["status"] == "done"
    assert IMPORTED_RESERVATION_ID not in before
    assert after[IMPORTED_RESERVATION_ID]["guest_name"] == "Tom Becker"
    assert "not linked" in unlinked


async def test_services_are_listed_with_their_link_state(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        result = await call_ok(client, "list_services")
    assert {s["service_id"]: s["linked"] for s in rows(result, "services")} == {"airbnb": True, "bookingsync": False}


async def test_units_are_deleted_asynchronously_and_a_second_delete_meanwhile_is_locked(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        deleted = await call_ok(client, "delete_address_units", {**FLAT, "units": ["Flat 1"]})
        pending = await call_ok(client, "list_address_units", FLAT)
        locked = await call_error(client, "delete_address_units", {**FLAT, "units": [HOLIDAY_FLAT_UNIT_ID]})
        harness.clock.advance(5)
        gone = await call_ok(client, "list_address_units", FLAT)
    assert deleted["request_id"]
    assert deleted["unit_ids"] == [HOLIDAY_FLAT_UNIT_ID]
    assert rows(pending, "units")[0]["pending_deletion"] is True
    assert "(423)" in locked
    assert gone["units"] == []


async def test_a_new_unit_is_added_to_the_address(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        created = await call_ok(client, "create_address_unit", {**FLAT, "name": "Flat 2"})
        listing = await call_ok(client, "list_address_units", FLAT)
    assert obj(created, "unit")["name"] == "Flat 2"
    assert [u["name"] for u in rows(listing, "units")] == ["Flat 1", "Flat 2"]


async def test_address_tokens_are_listed_without_their_full_id(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        result = await call_ok(client, "list_address_tokens", FLAT)
    (token,) = rows(result, "tokens")
    assert token["token_hint"] == "..." + HOLIDAY_FLAT_TOKEN_ID[-4:]
    assert token["redeem_result"] == "ok"
    assert HOLIDAY_FLAT_TOKEN_ID not in dumps(result)


async def test_an_address_is_created_changed_and_deleted(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        created = await call_ok(client, "create_address", {"name": "Lake House", "smartlocks": ["Cellar"]})
        address_id = obj(created, "address")["address_id"]
        moved = await call_ok(client, "update_address", {"address": "Lake", "smartlocks": ["Cellar", "Front Door"]})
        await call_ok(client, "delete_address", {"address": str(address_id)})
        listing = await call_ok(client, "list_addresses")
    update = next(w for w in harness.sim.writes() if w.method == "POST")
    assert update.body == {"name": "Lake House", "smartlockIds": [CELLAR_ID, FRONT_DOOR_ID]}  # the name is kept
    assert [d["name"] for d in rows(obj(moved, "address"), "devices")] == ["Cellar Door", "Front Door"]
    assert "Lake House" not in [a["name"] for a in rows(listing, "addresses")]


async def test_an_ambiguous_or_unknown_address_is_refused_with_the_choices(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        unknown = await call_error(client, "list_reservations", {"address": "Attic"})
        ambiguous = await call_error(client, "list_reservations", {"address": "e"})
    assert HOLIDAY_FLAT_NAME in unknown
    assert HOME_NAME in unknown
    assert "matches several addresses" in ambiguous


async def test_the_allow_list_hides_addresses_with_other_devices_and_refuses_writes_to_them(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        listing = await call_ok(client, "list_addresses")
        hidden = await call_error(client, "revoke_reservation_access", {**FLAT, "reservation": "Marco"})
        foreign = await call_error(client, "create_address", {"name": "Both", "smartlocks": ["Front Door", "Cellar"]})
        sync = await call_error(client, "sync_service", {"service": "airbnb"})
    assert listing["addresses"] == []
    assert "No address matches" in hidden
    assert "No device matches 'Cellar'" in foreign
    assert "allow-list" in sync
    assert harness.sim.writes() == []
