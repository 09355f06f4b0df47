"""The simulator's devices and authorizations look like Nuki's: every field spec v3.9.0 requires, no invented ones.

Checked on the JSON the simulator serves, for the seeded household and for objects made with the
builders' defaults (what tests and benchmarks use to make devices of their own).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.demo.builders import (
    SMART_LOCK_2,
    SMART_LOCK_4_PRO,
    SMART_LOCK_ULTRA,
    account_user,
    app_user,
    fob,
    keypad_code,
    lock,
    opener,
    smartdoor,
)
from nuki_mcp.demo.household import ACCOUNT_ID

pytestmark = pytest.mark.anyio

JsonObject = dict[str, JsonValue]

SPEC: JsonObject = TypeAdapter(JsonObject).validate_json(
    (Path(__file__).parent / "data" / "swagger-3.9.0.json").read_bytes()
)
ADVANCED_CONFIG = {
    0: ("advancedConfig", "Smartlock.AdvancedConfig"),
    2: ("openerAdvancedConfig", "Smartlock.OpenerAdvancedConfig"),
    3: ("smartdoorAdvancedConfig", "Smartlock.SmartdoorAdvancedConfig"),
    4: ("advancedConfig", "Smartlock.AdvancedConfig"),
    5: ("advancedConfig", "Smartlock.AdvancedConfig"),
}
# The spec marks `singleLock` required for every device, but it is a lock setting: the live Opener
# response in REFERENCE.md §4 (R2) has no such field, and the simulator's Opener follows it.
NOT_SENT_BY_OPENERS = {"singleLock"}
WHEN = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def definition(name: str) -> JsonObject:
    definitions = SPEC["definitions"]
    assert isinstance(definitions, dict)
    model = definitions[name]
    assert isinstance(model, dict)
    return model


def required(name: str) -> set[str]:
    names = definition(name).get("required", [])
    assert isinstance(names, list)
    return {str(n) for n in names}


def properties(name: str) -> set[str]:
    props = definition(name)["properties"]
    assert isinstance(props, dict)
    return set(props)


def as_object(value: JsonValue) -> JsonObject:
    assert isinstance(value, dict), f"expected a JSON object, got {value!r}"
    return value


def type_of(body: JsonObject) -> int:
    code = body["type"]
    assert isinstance(code, int)
    return code


def device_parts(device: JsonObject) -> Iterator[tuple[str, JsonObject, set[str]]]:
    """Each object in a device's JSON with its spec model and the required fields it must carry."""
    device_type = type_of(device)
    yield "Smartlock", device, required("Smartlock")
    config_required = required("Smartlock.Config")
    if device_type == 2:
        config_required -= NOT_SENT_BY_OPENERS
    yield "Smartlock.Config", as_object(device["config"]), config_required
    field, model = ADVANCED_CONFIG[device_type]
    yield model, as_object(device[field]), required(model)
    yield "Smartlock.WebConfig", as_object(device["webConfig"]), required("Smartlock.WebConfig")
    yield "Smartlock.State", as_object(device["state"]), required("Smartlock.State")


def assert_like_nuki(model: str, body: JsonObject, must_have: set[str]) -> None:
    name = body.get("name", body.get("id"))
    assert must_have <= set(body), f"{name}: {model} lacks {sorted(must_have - set(body))}"
    assert set(body) <= properties(model), f"{name}: {model} has no field {sorted(set(body) - properties(model))}"


async def get(sim: NukiSimulator, path: str) -> list[JsonObject]:
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    async with httpx2.AsyncClient(transport=sim.transport(), base_url=sim.base_url, headers=headers) as http:
        response = await http.get(path)
    assert response.status_code == 200
    body = TypeAdapter(list[JsonObject]).validate_json(response.content)
    assert body, f"GET {path} returned nothing"
    return body


def built_account() -> NukiSimulator:
    """An account holding one device of every kind and one authorization of every kind, all builder defaults."""
    sim = NukiSimulator(clock=ManualClock(WHEN), seed=False)
    for device in (
        lock(0x41A2B3C4D, "Flat 1", account_id=ACCOUNT_ID, created=WHEN),
        lock(0x0B1C2D3E, "Cellar", model=SMART_LOCK_2, account_id=ACCOUNT_ID, created=WHEN),
        lock(0x51A2B3C4D, "Flat 2", model=SMART_LOCK_ULTRA, account_id=ACCOUNT_ID, created=WHEN),
        lock(0x41A2B3C4E, "Flat 3", model=SMART_LOCK_4_PRO, account_id=ACCOUNT_ID, created=WHEN, door_state=2),
        opener(0x23C4D5E6F, "Entrance", account_id=ACCOUNT_ID, created=WHEN),
        smartdoor(0x34D5E6F70, "Back Door", account_id=ACCOUNT_ID, created=WHEN),
    ):
        sim.add_device(device)
    sim.add_account_user(account_user(2002, "Guest", "guest@example.com", account_id=ACCOUNT_ID, created=WHEN))
    sim.add_auth(app_user(sim.new_object_id(), 0x41A2B3C4D, "Guest", 2002, auth_id=2, created=WHEN))
    sim.add_auth(fob(sim.new_object_id(), 0x41A2B3C4D, "Red fob", auth_id=3, created=WHEN))
    sim.add_auth(keypad_code(sim.new_object_id(), 0x41A2B3C4D, "Cleaner", 385924, auth_id=4, created=WHEN))
    return sim


@pytest.mark.parametrize("seeded", [True, False], ids=["demo household", "builder defaults"])
async def test_every_device_carries_every_field_nukis_spec_requires_and_no_other(seeded: bool) -> None:
    sim = NukiSimulator(clock=ManualClock(WHEN)) if seeded else built_account()
    devices = await get(sim, "/smartlock")
    for device in devices:
        for model, body, must_have in device_parts(device):
            assert_like_nuki(model, body, must_have)
    assert {type_of(d) for d in devices} == {0, 2, 3, 4, 5}


@pytest.mark.parametrize("seeded", [True, False], ids=["demo household", "builder defaults"])
async def test_every_authorization_and_account_user_carries_every_field_nukis_spec_requires(seeded: bool) -> None:
    sim = NukiSimulator(clock=ManualClock(WHEN)) if seeded else built_account()
    auths = await get(sim, "/smartlock/auth")
    for auth in auths:
        assert_like_nuki("SmartlockAuth", auth, required("SmartlockAuth"))
    assert {type_of(a) for a in auths} == {0, 2, 13}  # app, fob, keypad code
    for user in await get(sim, "/account/user"):
        assert_like_nuki("AccountUser", user, required("AccountUser"))


async def test_the_demo_webhook_carries_every_field_nukis_spec_requires() -> None:
    sim = NukiSimulator(clock=ManualClock(WHEN))
    for hook in await get(sim, "/api/decentralWebhook"):
        assert_like_nuki("DecentralWebhook", hook, required("DecentralWebhook"))


async def test_only_fourth_generation_locks_report_wifi_matter_and_motor_speed() -> None:
    devices = {d["name"]: d for d in await get(built_account(), "/smartlock")}
    modern, old = devices["Flat 1"], devices["Cellar"]
    assert {"wifiEnabled", "matterState", "keypad2Paired"} <= set(as_object(modern["config"]))
    assert "motorSpeed" in as_object(modern["advancedConfig"])
    assert not {"wifiEnabled", "matterState", "keypad2Paired", "productVariant"} & set(as_object(old["config"]))
    assert "motorSpeed" not in as_object(old["advancedConfig"])


async def test_a_door_sensor_battery_is_reported_only_where_a_door_sensor_is_paired() -> None:
    devices = {d["name"]: d for d in await get(built_account(), "/smartlock")}
    with_sensor, without = as_object(devices["Flat 3"]["state"]), as_object(devices["Flat 1"]["state"])
    assert with_sensor["doorState"] == 2
    assert with_sensor["doorsensorBatteryCritical"] is False
    assert without["doorState"] == 0
    assert "doorsensorBatteryCritical" not in without


def test_a_lock_built_unlocked_reports_unlock_as_its_last_action() -> None:
    state = lock(1, "Door", state=3).state
    assert state is not None
    assert (state.state, state.last_action) == (3, 1)
    locked = lock(1, "Door").state
    assert locked is not None
    assert (locked.state, locked.last_action) == (1, 2)
