"""Toolset `devices` through the in-memory MCP client against the simulated account."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID, GARAGE_ID, OPENER_ID
from tests.support import ClientMode, Harness, call_error, call_ok, obj, rows

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_smartlocks_shows_every_device_decoded_by_name(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        listing = await call_ok(client, "list_smartlocks")
    devices = {d["smartlock_id"]: d for d in rows(listing, "devices")}
    assert set(devices) == {FRONT_DOOR_ID, CELLAR_ID, OPENER_ID, BACK_DOOR_ID, GARAGE_ID}
    assert devices[FRONT_DOOR_ID]["state"] == "locked"
    assert devices[FRONT_DOOR_ID]["door"] == "closed"
    assert devices[CELLAR_ID]["state"] == "unlocked"
    assert devices[CELLAR_ID]["battery_critical"] is True
    assert devices[OPENER_ID]["device_type"] == "opener"
    assert devices[OPENER_ID]["state"] == "online"
    assert devices[GARAGE_ID]["online"] is False
    assert listing["total"] == 5
    assert listing["truncated"] is False


async def test_list_smartlocks_says_when_the_limit_cut_the_list(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlocks", {"limit": 2})
    assert len(rows(listing, "devices")) == 2
    assert listing["truncated"] is True


@pytest.mark.parametrize("name", ["Front Door", "front door", "front", str(FRONT_DOOR_ID)])
async def test_a_device_is_found_by_id_exact_name_or_unique_part_of_it(tmp_path: Path, name: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        details = await call_ok(client, "get_smartlock", {"smartlock": name})
    assert details["smartlock_id"] == FRONT_DOOR_ID


async def test_an_ambiguous_name_lists_the_candidates(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "get_smartlock", {"smartlock": "door"})
    assert "several devices" in error
    assert "Front Door" in error
    assert "Back Door" in error


async def test_get_smartlock_decodes_state_settings_and_supported_actions(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        cellar = await call_ok(client, "get_smartlock", {"smartlock": "Cellar"})
        opener = await call_ok(client, "get_smartlock", {"smartlock": "Building Entrance"})
    assert cellar["admin_pin_state"] == "missing"
    assert obj(cellar, "settings")["auto_lock"] is False
    assert cellar["nuki_id"] == "0B1C2D3E"
    assert "unlatch" in str(cellar["actions"])
    assert opener["actions"] == [
        "activate_rto",
        "deactivate_rto",
        "electric_strike_actuation",
        "activate_continuous_mode",
        "deactivate_continuous_mode",
    ]
    assert obj(opener, "settings")["ring_to_open_timeout_min"] == 20


@pytest.mark.parametrize(
    ("name", "battery_type"),
    [("Cellar", "alkali"), ("Building Entrance", "alkali"), ("Front Door", "accumulator"), ("Back Door", "fixed")],
)
async def test_get_smartlock_names_the_battery_type_even_for_code_zero_alkali(
    tmp_path: Path, name: str, battery_type: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        details = await call_ok(client, "get_smartlock", {"smartlock": name})
    assert obj(details, "settings")["battery_type"] == battery_type


async def test_sync_smartlock_asks_nuki_to_reread_the_device(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "sync_smartlock", {"smartlock": "Back Door"})
    assert result["status"] == "done"
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("POST", f"/smartlock/{BACK_DOOR_ID}/sync")]


async def test_resources_list_devices_and_read_one(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listing = await client.read_resource("nuki://smartlocks")
        one = await client.read_resource(f"nuki://smartlock/{CELLAR_ID}")
    assert "Front Door" in str(listing.contents[0])
    assert "Cellar Door" in str(one.contents[0])
