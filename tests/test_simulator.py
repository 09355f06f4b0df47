"""The simulated Nuki account behaves like Nuki: asynchronous devices, validation, paging, faults."""

from __future__ import annotations

from datetime import timedelta

import httpx2
import pytest

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import DEMO_TOKEN, Fault, NukiSimulator
from nuki_mcp.demo.household import (
    ANNA_ACCOUNT_USER_ID,
    API_KEY_ID,
    BACK_DOOR_ID,
    CELLAR_ID,
    FAMILY_CODE,
    FRONT_DOOR_CLEANER_CODE_AUTH_ID,
    FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID,
    FRONT_DOOR_FAMILY_CODE_AUTH_ID,
    FRONT_DOOR_ID,
    FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID,
    GARAGE_ID,
    JONAS_ACCOUNT_USER_ID,
    OPENER_ID,
    SPARKLE_ACCOUNT_USER_ID,
    THIS_TOKEN_ID,
    WEBHOOK_ID,
)
from nuki_mcp.nuki.client import NukiClient, RetryPolicy
from nuki_mcp.nuki.errors import (
    NukiBadRequestError,
    NukiConflictError,
    NukiLockedError,
    NukiNotAllowedError,
    NukiNotFoundError,
    NukiServerError,
    NukiTimeoutError,
)
from nuki_mcp.nuki.models import (
    AdvancedConfigWrite,
    BulkWebConfigRequest,
    DecentralWebhookCreate,
    OpenerAdvancedConfigWrite,
    SmartdoorAdvancedConfigWrite,
    SmartlockAction,
    SmartlockAdminPinUpdate,
    SmartlockAuthCreate,
    SmartlockAuthUpdate,
    SmartlockConfigWrite,
    SmartlocksAuthAdvancedCreate,
    SmartlockState,
    SmartlockUpdate,
    WebConfigRequest,
    WebConfigWrite,
)

pytestmark = pytest.mark.anyio

HEX24 = set("0123456789abcdef")
NUKI_401: dict[str, object] = {
    "detailMessage": "Your access token is not authorized",
    "stackTrace": [],
    "suppressedExceptions": [],
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> NukiSimulator:
    return NukiSimulator(clock=clock)


def nuki(sim: NukiSimulator, clock: ManualClock, retries: int = 3) -> NukiClient:
    return NukiClient(
        DEMO_TOKEN, transport=sim.transport(), clock=clock, retry=RetryPolicy(max_retries=retries), jitter=lambda: 0.0
    )


def raw(sim: NukiSimulator, token: str | None = DEMO_TOKEN) -> httpx2.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx2.AsyncClient(transport=sim.transport(), base_url=sim.base_url, headers=headers)


def state_of(sim: NukiSimulator, smartlock_id: int) -> SmartlockState:
    state = sim.device(smartlock_id).state
    assert state is not None
    return state


def is_object_id(value: str | None) -> bool:
    return value is not None and len(value) == 24 and set(value) <= HEX24


# --- the seeded household ----------------------------------------------------------------------


async def test_the_household_has_five_devices_in_their_documented_states(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        devices = {d.smartlock_id: d for d in await client.list_smartlocks()}

    assert {d.name: d.type for d in devices.values()} == {
        "Front Door": 4,
        "Cellar Door": 0,
        "Building Entrance": 2,
        "Back Door": 3,
        "Garage": 5,
    }
    front, cellar, opener = devices[FRONT_DOOR_ID], devices[CELLAR_ID], devices[OPENER_ID]
    assert front.state is not None
    assert front.state.state == 1
    assert front.state.door_state == 2
    assert front.state.battery_charge == 82
    assert front.advanced_config is not None
    assert front.advanced_config.auto_lock_timeout == 300
    assert front.config is not None
    assert front.config.timezone_id == 37
    assert front.config.keypad_paired
    assert cellar.state is not None
    assert cellar.state.state == 3
    assert cellar.state.battery_critical
    assert cellar.admin_pin_state == 1
    assert opener.opener_advanced_config is not None
    assert opener.opener_advanced_config.rto_timeout == 20
    assert devices[BACK_DOOR_ID].smartdoor_advanced_config is not None
    assert devices[GARAGE_ID].server_state == 4


def test_smartlock_ids_are_the_device_type_digit_followed_by_the_nuki_id() -> None:
    assert FRONT_DOOR_ID == 0x41A2B3C4D
    assert CELLAR_ID == 0x0B1C2D3E
    assert OPENER_ID == 0x23C4D5E6F


async def test_the_front_door_has_restricted_expired_and_disabled_keypad_codes(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        codes = {a.id: a for a in await client.list_auths(FRONT_DOOR_ID, types=[13])}

    cleaner = codes[FRONT_DOOR_CLEANER_CODE_AUTH_ID]
    assert (cleaner.allowed_week_days, cleaner.allowed_from_time, cleaner.allowed_until_time) == (64, 480, 720)
    dog_sitter = codes[FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID]
    assert dog_sitter.allowed_until_date is not None
    assert dog_sitter.allowed_until_date < clock.now()
    assert codes[FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID].enabled is False
    assert {a.type for a in codes.values()} == {13}
    garden_helper = next(a for a in sim.auths(CELLAR_ID) if a.name == "Garden helper")
    assert garden_helper.last_active_date is None


async def test_the_seeded_log_covers_three_weeks_newest_first_with_ids_in_time_order(sim: NukiSimulator) -> None:
    logs = sim.logs()
    now = sim.clock.now()

    assert [log.date for log in logs] == sorted((log.date for log in logs), reverse=True)
    assert [log.id for log in logs] == sorted((log.id for log in logs), reverse=True)
    assert now - timedelta(days=22) < logs[-1].date
    assert logs[0].date <= now
    assert {log.smartlock_id for log in logs} == {FRONT_DOOR_ID, CELLAR_ID, OPENER_ID, BACK_DOOR_ID, GARAGE_ID}
    keypad = [log for log in logs if log.trigger == 255]
    assert keypad
    assert all(log.source == 1 and log.name in {"Family", "Cleaner"} for log in keypad)
    door_events = {log.smartlock_id for log in logs if log.action in (240, 241)}
    assert door_events == {FRONT_DOOR_ID, BACK_DOOR_ID}
    assert any(log.state == 1 for log in logs)  # one motor-blocked failure
    assert any(log.action == 224 for log in sim.logs(OPENER_ID))  # doorbell rings


def test_the_seeded_household_is_the_same_on_every_start() -> None:
    first, second = NukiSimulator(clock=ManualClock()), NukiSimulator(clock=ManualClock())
    assert first.logs() == second.logs()
    assert first.auths() == second.auths()


# --- actions -----------------------------------------------------------------------------------


async def test_a_lock_action_is_accepted_at_once_and_the_lock_moves_afterwards(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.lock(CELLAR_ID)
        right_after = await client.get_smartlock(CELLAR_ID)

    assert right_after.state is not None
    assert right_after.state.state == 3
    assert right_after.operation_id is not None
    clock.advance(1.0)
    assert state_of(sim, CELLAR_ID).state == 4  # locking
    clock.advance(2.0)
    state = state_of(sim, CELLAR_ID)
    assert (state.state, state.last_action, state.trigger) == (1, 2, 4)  # locked, lock, web
    assert sim.device(CELLAR_ID).operation_id is None
    newest = sim.logs(CELLAR_ID)[0]
    assert (newest.action, newest.trigger, newest.state, newest.name) == (2, 4, 0, "Anna Berger")
    assert newest.date == clock.now()


async def test_unlatch_passes_through_unlatching_and_unlatched_back_to_unlocked(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.action(FRONT_DOOR_ID, SmartlockAction(action=3))
    seen = [state_of(sim, FRONT_DOOR_ID).state]
    for seconds in (1.0, 2.0, 2.0):  # action_delay, then motion_time twice
        clock.advance(seconds)
        seen.append(state_of(sim, FRONT_DOOR_ID).state)
    assert seen == [1, 7, 5, 3]  # locked, unlatching, unlatched, unlocked


async def test_lock_n_go_relocks_after_the_lng_timeout(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.action(FRONT_DOOR_ID, SmartlockAction(action=4))
    clock.advance(1.0)
    assert state_of(sim, FRONT_DOOR_ID).state == 2  # unlocking
    clock.advance(2.0)
    assert state_of(sim, FRONT_DOOR_ID).state == 6  # unlocked, lock 'n' go running
    clock.advance(19.0)
    assert state_of(sim, FRONT_DOOR_ID).state == 6
    clock.advance(1.0)  # lngTimeout of the front door is 20 s
    assert state_of(sim, FRONT_DOOR_ID).state == 1


async def test_actions_on_one_device_run_one_after_another(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.lock(CELLAR_ID)
        await client.unlock(CELLAR_ID)
    clock.advance(3.0)
    assert state_of(sim, CELLAR_ID).state == 1
    clock.advance(3.0)
    assert state_of(sim, CELLAR_ID).state == 3
    assert [log.action for log in sim.logs(CELLAR_ID)[:2]] == [1, 2]


async def test_opener_ring_to_open_and_electric_strike_follow_the_opener_states(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.action(OPENER_ID, SmartlockAction(action=1))  # activate ring to open
        clock.advance(1.0)
        assert state_of(sim, OPENER_ID).state == 3
        assert state_of(sim, OPENER_ID).ring_to_open_end == clock.now() + timedelta(minutes=20)
        await client.action(OPENER_ID, SmartlockAction(action=2))  # deactivate
        clock.advance(1.0)
        assert state_of(sim, OPENER_ID).state == 1
        await client.action(OPENER_ID, SmartlockAction(action=3))  # electric strike
    states: list[int] = []
    for _ in range(3):
        clock.advance(1.0 if not states else 2.0)
        states.append(state_of(sim, OPENER_ID).state)
    assert states == [7, 5, 1]  # opening, open, online
    newest = sim.logs(OPENER_ID)[0]
    assert newest.action == 3
    assert newest.opener_log is not None


async def test_opener_continuous_mode_changes_the_mode_not_the_state(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.action(OPENER_ID, SmartlockAction(action=6))
        clock.advance(1.0)
        assert (state_of(sim, OPENER_ID).mode, state_of(sim, OPENER_ID).state) == (3, 1)
        await client.action(OPENER_ID, SmartlockAction(action=7))
        clock.advance(1.0)
    assert state_of(sim, OPENER_ID).mode == 2


@pytest.mark.parametrize(("smartlock_id", "action"), [(FRONT_DOOR_ID, 6), (OPENER_ID, 4), (CELLAR_ID, 0)])
async def test_an_action_code_the_device_type_lacks_is_a_bad_request(
    sim: NukiSimulator, clock: ManualClock, smartlock_id: int, action: int
) -> None:
    before = sim.device(smartlock_id)
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiBadRequestError):
            await client.action(smartlock_id, SmartlockAction(action=action))
    clock.advance(10.0)
    assert sim.device(smartlock_id) == before


async def test_lock_and_unlock_shortcuts_are_not_allowed_on_an_opener(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiNotAllowedError):
            await client.lock(OPENER_ID)
        with pytest.raises(NukiNotAllowedError):
            await client.unlock(OPENER_ID)
    clock.advance(10.0)
    assert state_of(sim, OPENER_ID).state == 1


async def test_an_offline_device_accepts_an_action_but_never_moves(sim: NukiSimulator, clock: ManualClock) -> None:
    logs_before = sim.logs(GARAGE_ID)
    async with nuki(sim, clock) as client:
        await client.unlock(GARAGE_ID)
    clock.advance(3600.0)
    assert state_of(sim, GARAGE_ID).state == 1
    assert sim.device(GARAGE_ID).operation_id is not None  # still pending
    assert sim.logs(GARAGE_ID) == logs_before


async def test_advanced_actions_answer_with_a_request_id_and_still_move_the_lock(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        confirmation = await client.lock_advanced(CELLAR_ID)
        assert is_object_id(confirmation.request_id)
        clock.advance(3.0)
        assert state_of(sim, CELLAR_ID).state == 1
        await client.unlock_advanced(CELLAR_ID)
        clock.advance(3.0)
        assert state_of(sim, CELLAR_ID).state == 3
        await client.action_advanced(OPENER_ID, SmartlockAction(action=1))
        clock.advance(1.0)
    assert state_of(sim, OPENER_ID).state == 3


# --- configuration -----------------------------------------------------------------------------


async def test_a_config_write_is_visible_in_the_next_read_and_read_only_fields_are_ignored(
    sim: NukiSimulator,
) -> None:
    current = sim.device(FRONT_DOOR_ID).advanced_config
    assert current is not None
    body = current.model_dump(mode="json", by_alias=True, exclude_none=True)
    body.update({"lngTimeout": 30, "totalDegrees": 1, "autoLock": False})  # totalDegrees is read-only
    async with raw(sim) as http:
        response = await http.post(f"/smartlock/{FRONT_DOOR_ID}/advanced/config", json=body)
        device = (await http.get(f"/smartlock/{FRONT_DOOR_ID}")).json()
    assert response.status_code == 204
    assert response.content == b""
    assert device["advancedConfig"]["lngTimeout"] == 30
    assert device["advancedConfig"]["autoLock"] is False
    assert device["advancedConfig"]["totalDegrees"] == 1170


async def test_a_config_value_outside_the_spec_enum_is_rejected_with_a_detail_message(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        response = await http.post(f"/smartlock/{FRONT_DOOR_ID}/advanced/config", json={"lngTimeout": 7})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert "lngTimeout" in response.json()["detailMessage"]
    advanced = sim.device(FRONT_DOOR_ID).advanced_config
    assert advanced is not None
    assert advanced.lng_timeout == 20


async def test_an_advanced_config_of_another_device_type_is_rejected(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiBadRequestError):
            await client.update_advanced_config(OPENER_ID, AdvancedConfigWrite(lng_timeout=30))
        with pytest.raises(NukiBadRequestError):
            await client.update_smartdoor_advanced_config(FRONT_DOOR_ID, SmartdoorAdvancedConfigWrite(buzzer_volume=1))


async def test_opener_and_smart_door_configs_are_written_read_modify_write(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    opener_config = sim.device(OPENER_ID).opener_advanced_config
    door_config = sim.device(BACK_DOOR_ID).smartdoor_advanced_config
    assert opener_config is not None
    assert door_config is not None
    async with nuki(sim, clock) as client:
        await client.update_opener_advanced_config(
            OPENER_ID, OpenerAdvancedConfigWrite.from_current(opener_config, {"rto_timeout": 45, "sound_level": 200})
        )
        await client.update_smartdoor_advanced_config(
            BACK_DOOR_ID, SmartdoorAdvancedConfigWrite.from_current(door_config, {"buzzer_volume": 0})
        )
        with pytest.raises(NukiBadRequestError):
            await client.update_opener_advanced_config(OPENER_ID, OpenerAdvancedConfigWrite(sound_ring=4))
    opener_after = sim.device(OPENER_ID).opener_advanced_config
    door_after = sim.device(BACK_DOOR_ID).smartdoor_advanced_config
    assert opener_after is not None
    assert (opener_after.rto_timeout, opener_after.sound_level, opener_after.sound_ring) == (45, 200, 1)
    assert opener_after.intercom_id == 1115  # read-only, untouched
    assert door_after is not None
    assert (door_after.buzzer_volume, door_after.supported_battery_types) == (0, [3])


async def test_config_name_and_device_rename_are_stored(sim: NukiSimulator, clock: ManualClock) -> None:
    config = sim.device(FRONT_DOOR_ID).config
    assert config is not None
    async with nuki(sim, clock) as client:
        await client.update_config(FRONT_DOOR_ID, SmartlockConfigWrite.from_current(config, {"led_brightness": 5}))
        await client.update_smartlock(CELLAR_ID, SmartlockUpdate(name="Wine Cellar", favorite=True))
        front = await client.get_smartlock(FRONT_DOOR_ID)
        cellar = await client.get_smartlock(CELLAR_ID)
    assert front.config is not None
    assert front.config.led_brightness == 5
    assert front.config.keypad_paired is True  # untouched read-only field
    assert (cellar.name, cellar.favorite) == ("Wine Cellar", True)
    assert cellar.config is not None
    assert cellar.config.name == "Wine Cellar"


async def test_web_config_and_bulk_web_config_are_stored(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.update_web_config(CELLAR_ID, WebConfigWrite(battery_warning_per_mail_enabled=True))
        await client.bulk_web_config(
            BulkWebConfigRequest(
                web_config_requests=[
                    WebConfigRequest(
                        smartlock_id=GARAGE_ID, web_config=WebConfigWrite(dismissed_lift_up_handle_warning=[1])
                    )
                ]
            )
        )
    cellar_web, garage_web = sim.device(CELLAR_ID).web_config, sim.device(GARAGE_ID).web_config
    assert cellar_web is not None
    assert cellar_web.battery_warning_per_mail_enabled is True
    assert garage_web is not None
    assert garage_web.dismissed_lift_up_handle_warning == [1]
    assert garage_web.battery_warning_per_mail_enabled is True  # not sent, so kept


async def test_setting_the_admin_pin_fixes_a_missing_pin_and_out_of_range_pins_are_rejected(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with raw(sim) as http:
        rejected = await http.post(f"/smartlock/{CELLAR_ID}/admin/pin", json={"adminPin": 10000})
    assert rejected.status_code == 400
    assert sim.device(CELLAR_ID).admin_pin_state == 1
    async with nuki(sim, clock) as client:
        await client.update_admin_pin(CELLAR_ID, SmartlockAdminPinUpdate(admin_pin=4711))
    assert sim.device(CELLAR_ID).admin_pin_state == 0


async def test_deleting_a_device_removes_it_and_its_authorizations(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.delete_smartlock(BACK_DOOR_ID)
        remaining = await client.list_smartlocks()
        auths = await client.list_account_auths()
        with pytest.raises(NukiNotFoundError):
            await client.get_smartlock(BACK_DOOR_ID)
    assert BACK_DOOR_ID not in {d.smartlock_id for d in remaining}
    assert BACK_DOOR_ID not in {a.smartlock_id for a in auths}


async def test_sync_is_accepted(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.sync_smartlock(FRONT_DOOR_ID)
    assert [(w.method, w.path) for w in sim.writes()] == [("POST", f"/smartlock/{FRONT_DOOR_ID}/sync")]


# --- authorizations ----------------------------------------------------------------------------


async def test_a_new_authorization_is_accepted_without_an_id_and_is_pending_for_a_while(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    create = SmartlockAuthCreate(name="Plumber", type=13, code=246813, remote_allowed=False, allowed_week_days=8)
    async with raw(sim) as http:
        response = await http.put(f"/smartlock/{FRONT_DOOR_ID}/auth", json=create.to_wire())
    assert response.status_code == 204
    assert response.content == b""

    async with nuki(sim, clock) as client:
        created = next(a for a in await client.list_auths(FRONT_DOOR_ID) if a.name == "Plumber")
        assert is_object_id(created.id)
        assert created.id not in {FRONT_DOOR_FAMILY_CODE_AUTH_ID}
        assert (created.code, created.allowed_week_days, created.enabled) == (246813, 8, True)
        assert created.operation_id is not None
        clock.advance(3.0)
        confirmed = await client.get_auth(FRONT_DOOR_ID, created.id)
    assert confirmed.operation_id is None


async def test_a_keypad_code_used_on_the_device_is_a_conflict_but_is_fine_on_another_device(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    create = SmartlockAuthCreate(name="Copy", type=13, code=FAMILY_CODE, remote_allowed=False)
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiConflictError):
            await client.create_auth(FRONT_DOOR_ID, create)
        await client.create_auth(CELLAR_ID, create)
    assert [a.name for a in sim.auths(FRONT_DOOR_ID)].count("Copy") == 0
    assert [a.name for a in sim.auths(CELLAR_ID)].count("Copy") == 1


@pytest.mark.parametrize("code", [123456, 385920, 12345, 1234567, None])
async def test_a_keypad_code_must_be_six_digits_from_1_to_9_not_starting_with_12(
    sim: NukiSimulator, clock: ManualClock, code: int | None
) -> None:
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiBadRequestError):
            await client.create_auth(
                FRONT_DOOR_ID, SmartlockAuthCreate(name="Bad", type=13, code=code, remote_allowed=False)
            )
    assert "Bad" not in [a.name for a in sim.auths(FRONT_DOOR_ID)]


@pytest.mark.parametrize("account_user_id", [None, 9999])
async def test_an_app_authorization_needs_an_existing_account_user(
    sim: NukiSimulator, clock: ManualClock, account_user_id: int | None
) -> None:
    create = SmartlockAuthCreate(name="Guest", type=0, account_user_id=account_user_id, remote_allowed=True)
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiBadRequestError):
            await client.create_auth(FRONT_DOOR_ID, create)


async def test_a_pending_authorization_cannot_be_changed_or_deleted_until_confirmed(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.create_auth(CELLAR_ID, SmartlockAuthCreate(name="Neighbour", type=2, remote_allowed=False))
        new_id = next(a.id for a in sim.auths(CELLAR_ID) if a.name == "Neighbour")
        with pytest.raises(NukiLockedError):
            await client.update_auth(CELLAR_ID, new_id, SmartlockAuthUpdate(name="Neighbor"))
        with pytest.raises(NukiLockedError):
            await client.delete_auth(CELLAR_ID, new_id)
        clock.advance(3.0)
        await client.delete_auth(CELLAR_ID, new_id)
    assert "Neighbour" not in [a.name for a in sim.auths(CELLAR_ID)]


async def test_an_update_that_omits_the_time_window_clears_it_like_the_real_api(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.update_auth(FRONT_DOOR_ID, FRONT_DOOR_CLEANER_CODE_AUTH_ID, SmartlockAuthUpdate(name="Cleaning"))
    cleared = sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    assert cleared.name == "Cleaning"
    assert (cleared.allowed_week_days, cleared.allowed_from_time, cleared.allowed_until_time) == (None, None, None)
    assert cleared.code == 472913
    assert cleared.enabled is True


async def test_a_read_modify_write_update_keeps_the_time_window(sim: NukiSimulator, clock: ManualClock) -> None:
    current = sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    async with nuki(sim, clock) as client:
        update = SmartlockAuthUpdate.from_current(current, {"name": "Cleaning", "enabled": False})
        await client.update_auth(FRONT_DOOR_ID, current.id, update)
    updated = sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
    assert (updated.name, updated.enabled) == ("Cleaning", False)
    assert (updated.allowed_week_days, updated.allowed_from_time, updated.allowed_until_time) == (64, 480, 720)


async def test_an_authorization_update_without_a_name_is_rejected(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        response = await http.post(
            f"/smartlock/{FRONT_DOOR_ID}/auth/{FRONT_DOOR_CLEANER_CODE_AUTH_ID}", json={"enabled": False}
        )
    assert response.status_code == 400
    assert sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID).enabled is True


async def test_a_deleted_authorization_disappears(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        await client.delete_auth(FRONT_DOOR_ID, FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID)
        with pytest.raises(NukiNotFoundError):
            await client.get_auth(FRONT_DOOR_ID, FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID)
    assert FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID not in {a.id for a in sim.auths()}


async def test_advanced_auth_creation_adds_an_app_authorization_on_every_listed_device(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    create = SmartlocksAuthAdvancedCreate(
        name="Jonas Berger",
        account_user_id=JONAS_ACCOUNT_USER_ID,
        smartlock_ids=[BACK_DOOR_ID, GARAGE_ID],
        remote_allowed=True,
    )
    async with nuki(sim, clock) as client:
        confirmation = await client.create_auth_advanced(create)
    assert is_object_id(confirmation.request_id)
    for device in (BACK_DOOR_ID, GARAGE_ID):
        assert JONAS_ACCOUNT_USER_ID in {a.account_user_id for a in sim.auths(device) if a.type == 0}


async def test_account_wide_authorizations_filter_by_account_user_and_type(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        sparkle = await client.list_account_auths(account_user_id=SPARKLE_ACCOUNT_USER_ID)
        keypad_and_fob = await client.list_account_auths(types=[2, 13])
    assert [(a.name, a.smartlock_id) for a in sparkle] == [("Sparkle Cleaning", BACK_DOOR_ID)]
    assert {a.type for a in keypad_and_fob} == {2, 13}
    assert len(keypad_and_fob) == 6


# --- logs --------------------------------------------------------------------------------------


async def test_log_pages_follow_the_id_cursor_without_gaps_or_overlaps(sim: NukiSimulator, clock: ManualClock) -> None:
    pages: list[list[str]] = []
    async with nuki(sim, clock) as client:
        before: str | None = None
        while True:
            page = await client.list_smartlock_logs(FRONT_DOOR_ID, before_id=before, limit=50)
            if not page:
                break
            pages.append([log.id for log in page])
            before = page[-1].id
    assert [len(page) for page in pages[:-1]] == [50] * (len(pages) - 1)
    assert [log_id for page in pages for log_id in page] == [log.id for log in sim.logs(FRONT_DOOR_ID)]


async def test_the_log_limit_defaults_to_20_and_is_clamped_to_50(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        default = (await http.get("/smartlock/log")).json()
        clamped = (await http.get("/smartlock/log", params={"limit": 500})).json()
    assert len(default) == 20
    assert len(clamped) == 50
    assert [entry["id"] for entry in clamped] == [log.id for log in sim.logs()[:50]]


async def test_logs_filter_by_date_action_account_user_and_authorization(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    now = clock.now()
    async with nuki(sim, clock) as client:
        recent = await client.list_account_logs(from_date=now - timedelta(days=2), limit=50)
        old = await client.list_account_logs(to_date=now - timedelta(days=20), limit=50)
        door_opened = await client.list_smartlock_logs(FRONT_DOOR_ID, action=240, limit=50)
        by_anna = await client.list_account_logs(account_user_id=ANNA_ACCOUNT_USER_ID, limit=50)
        family = await client.list_smartlock_logs(FRONT_DOOR_ID, auth_id=FRONT_DOOR_FAMILY_CODE_AUTH_ID, limit=50)
    assert recent
    assert all(log.date >= now - timedelta(days=2) for log in recent)
    assert old
    assert all(log.date <= now - timedelta(days=20) for log in old)
    assert door_opened
    assert {log.action for log in door_opened} == {240}
    assert by_anna
    assert {log.account_user_id for log in by_anna} == {ANNA_ACCOUNT_USER_ID}
    assert family
    assert {log.name for log in family} == {"Family"}


# --- account and webhooks ----------------------------------------------------------------------


async def test_the_account_and_its_users(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        account = await client.get_account()
        users = await client.list_account_users()
        jonas = await client.list_account_users(email="jonas@")
    async with raw(sim) as http:
        anna_json = (await http.get("/account/user", params={"limit": 1})).json()[0]
    assert (account.account_id, account.name, account.email) == (1001, "Anna Berger", "anna@example.com")
    assert {u.name: u.type for u in users} == {
        "Anna Berger": 0,
        "Jonas Berger": 0,
        "Sparkle Cleaning": 1,
        "Lena Huber": 0,
    }
    assert [u.account_user_id for u in jonas] == [JONAS_ACCOUNT_USER_ID]
    assert "type" not in anna_json  # Nuki leaves out the default user type


async def test_account_users_are_created_and_changed_with_200_and_deleted_asynchronously_with_423_meanwhile(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with raw(sim) as http:
        created = await http.put("/account/user", json={"email": "max@example.com", "name": "Max", "language": "it"})
        user_id = created.json()["accountUserId"]
        duplicate = await http.put("/account/user", json={"email": "MAX@example.com", "name": "Max"})
        bad_language = await http.put(
            "/account/user", json={"email": "eva@example.com", "name": "Eva", "language": "pl"}
        )
        changed = await http.post(f"/account/user/{user_id}", json={"name": "Max M"})
        taken = await http.post(f"/account/user/{user_id}", json={"email": "jonas@example.com"})
        deleted = await http.delete(f"/account/user/{JONAS_ACCOUNT_USER_ID}")
        locked = await http.delete(f"/account/user/{JONAS_ACCOUNT_USER_ID}")
        still_there = await http.get(f"/account/user/{JONAS_ACCOUNT_USER_ID}")
        clock.advance(10)
        gone = await http.get(f"/account/user/{JONAS_ACCOUNT_USER_ID}")
    assert created.status_code == 200
    assert created.json()["language"] == "it"
    assert (duplicate.status_code, bad_language.status_code) == (400, 400)
    assert (changed.status_code, changed.json()["name"], changed.json()["email"]) == (200, "Max M", "max@example.com")
    assert taken.status_code == 409
    assert (deleted.status_code, locked.status_code) == (204, 423)
    assert "operationId" in still_there.json()
    assert gone.status_code == 404
    assert [a for a in sim.auths() if a.account_user_id == JONAS_ACCOUNT_USER_ID] == []


async def test_integrations_include_this_token_and_revoking_it_locks_the_token_out(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        listed = (await http.get("/account/integration")).json()
        nothing = await http.delete("/account/integration")
        unknown = await http.delete("/account/integration", params={"tokenId": 999})
        revoked = await http.delete("/account/integration", params={"tokenId": THIS_TOKEN_ID})
        after = await http.get("/smartlock")
    assert THIS_TOKEN_ID in [i.get("tokenId") for i in listed]
    assert (nothing.status_code, unknown.status_code, revoked.status_code) == (400, 404, 204)
    assert after.status_code == 401


async def test_sub_accounts_api_keys_and_the_intercom_database(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        subs = (await http.get("/account/sub", params={"email": "jonas"})).json()
        keys = (await http.get("/api/key")).json()
        brands = (await http.get("/opener/brand")).json()
        models = (await http.get("/opener/intercom", params={"brandId": 1})).json()
        no_brand = await http.get("/opener/intercom")
    assert [s["name"] for s in subs] == ["Jonas Berger"]
    assert [k["apiKeyId"] for k in keys] == [API_KEY_ID]
    assert "Siedle" in [b["brand"] for b in brands]
    assert {m["brandId"] for m in models} == {1}
    assert no_brand.status_code == 400


async def test_decentral_webhooks_can_be_listed_registered_and_deleted(sim: NukiSimulator, clock: ManualClock) -> None:
    async with nuki(sim, clock) as client:
        assert [w.id for w in await client.list_decentral_webhooks()] == [WEBHOOK_ID]
        created = await client.create_decentral_webhook(
            DecentralWebhookCreate(webhook_url="https://hooks.example.com/nuki", webhook_features=["DEVICE_AUTHS"])
        )
        assert created.id == 2
        assert created.secret
        assert created.webhook_features == ["DEVICE_AUTHS"]
        await client.delete_decentral_webhook(WEBHOOK_ID)
        with pytest.raises(NukiNotFoundError):
            await client.delete_decentral_webhook(WEBHOOK_ID)
    assert [w.webhook_url for w in sim.webhooks()] == ["https://hooks.example.com/nuki"]


@pytest.mark.parametrize(
    "body",
    [
        {"webhookUrl": "http://hooks.example.com/nuki", "webhookFeatures": ["DEVICE_STATUS"]},
        {"webhookUrl": "https://hooks.example.com/nuki", "webhookFeatures": ["DOOR_BELL"]},
        {"webhookUrl": "https://hooks.example.com/nuki", "webhookFeatures": []},
    ],
)
async def test_a_webhook_needs_an_https_url_and_known_features(sim: NukiSimulator, body: dict[str, object]) -> None:
    async with raw(sim) as http:
        response = await http.put("/api/decentralWebhook", json=body)
    assert response.status_code == 400
    assert len(sim.webhooks()) == 1


async def test_webhook_logs_page_newest_first_and_unknown_api_keys_are_not_found(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        first = await client.get_webhook_logs(API_KEY_ID, limit=2)
        rest = await client.get_webhook_logs(API_KEY_ID, before_id=first[-1].id)
        with pytest.raises(NukiNotFoundError):
            await client.get_webhook_logs(1234)
    assert [w.id for w in first + rest] == [w.id for w in sim.webhook_logs()]
    assert len(first) == 2
    assert any(w.succeeded is False for w in first + rest)


# --- protocol ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["not-the-demo-token", None])
async def test_a_wrong_or_missing_token_gets_nukis_401_body(sim: NukiSimulator, token: str | None) -> None:
    async with raw(sim, token=token) as http:
        response = await http.get("/smartlock")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == NUKI_401


async def test_unknown_ids_and_routes_are_404_and_a_wrong_method_is_405(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        unknown_device = await http.get("/smartlock/42")
        unknown_auth = await http.get(f"/smartlock/{FRONT_DOOR_ID}/auth/000000000000000000000000")
        unknown_route = await http.get("/no/such/thing")
        wrong_method = await http.patch(f"/smartlock/{FRONT_DOOR_ID}")
    assert [r.status_code for r in (unknown_device, unknown_auth, unknown_route, wrong_method)] == [404, 404, 404, 405]
    assert "42" in unknown_device.json()["detailMessage"]


async def test_a_malformed_json_body_is_a_bad_request(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        response = await http.post(
            f"/smartlock/{CELLAR_ID}/action", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert sim.requests[-1].body == "{not json"


async def test_dates_are_rfc3339_in_utc_with_z(sim: NukiSimulator) -> None:
    async with raw(sim) as http:
        auth = (await http.get(f"/smartlock/{FRONT_DOOR_ID}/auth/{FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID}")).json()
    assert auth["allowedUntilDate"].endswith("Z")
    assert auth["creationDate"].endswith("Z")


async def test_every_request_is_recorded_and_writes_are_the_non_get_ones(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    async with nuki(sim, clock) as client:
        await client.list_smartlock_logs(CELLAR_ID, limit=5)
        await client.action(CELLAR_ID, SmartlockAction(action=2, option=2))
    assert [(r.method, r.path) for r in sim.requests] == [
        ("GET", f"/smartlock/{CELLAR_ID}/log"),
        ("POST", f"/smartlock/{CELLAR_ID}/action"),
    ]
    assert sim.requests[0].query == {"limit": "5"}
    assert [r.body for r in sim.writes()] == [{"action": 2, "option": 2}]


async def test_latency_is_awaited_on_the_simulators_clock(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.latency = 0.25
    async with nuki(sim, clock) as client:
        await client.get_account()
    assert clock.slept == [0.25]
    assert clock.monotonic() == 0.25


# --- faults ------------------------------------------------------------------------------------


async def test_an_html_status_fault_answers_once_with_a_gateway_page(sim: NukiSimulator) -> None:
    sim.add_fault(Fault.html(502, path="/smartlock/*"))
    async with raw(sim) as http:
        failed = await http.get(f"/smartlock/{FRONT_DOOR_ID}")
        recovered = await http.get(f"/smartlock/{FRONT_DOOR_ID}")
    assert failed.status_code == 502
    assert failed.headers["content-type"] == "text/html"
    assert "<h1>502 Bad Gateway</h1>" in failed.text
    assert recovered.status_code == 200


async def test_a_status_fault_on_a_write_leaves_the_device_unchanged(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.add_fault(Fault.json(500, "Internal error", method="POST"))
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiServerError) as raised:
            await client.lock(CELLAR_ID)
    clock.advance(10.0)
    assert raised.value.detail == "Internal error"
    assert state_of(sim, CELLAR_ID).state == 3
    assert len(sim.writes()) == 1  # it reached the server, which answered 500 without acting


async def test_a_status_fault_marked_applied_changes_the_device_despite_the_error(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    sim.add_fault(Fault(method="POST", path=f"/smartlock/{CELLAR_ID}/action/lock", status=504, applied=True))
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiServerError):
            await client.lock(CELLAR_ID)
    clock.advance(3.0)
    assert state_of(sim, CELLAR_ID).state == 1


async def test_a_timeout_fault_applies_the_write_but_loses_the_answer(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.add_fault(Fault(method="POST", path=f"/smartlock/{CELLAR_ID}/action/lock", kind="timeout"))
    async with nuki(sim, clock) as client:
        with pytest.raises(NukiTimeoutError) as raised:
            await client.lock(CELLAR_ID)
    assert raised.value.outcome_unknown
    clock.advance(3.0)
    assert state_of(sim, CELLAR_ID).state == 1
    assert len(sim.writes()) == 1  # not re-sent


async def test_a_drop_fault_raises_a_protocol_error_after_the_server_acted(
    sim: NukiSimulator, clock: ManualClock
) -> None:
    sim.add_fault(Fault(kind="drop"))
    async with raw(sim) as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.post(f"/smartlock/{CELLAR_ID}/action/lock")
    clock.advance(3.0)
    assert state_of(sim, CELLAR_ID).state == 1


async def test_a_connect_fault_never_reaches_the_server(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.add_fault(Fault(kind="connect"))
    async with raw(sim) as http:
        with pytest.raises(httpx2.ConnectError):
            await http.post(f"/smartlock/{CELLAR_ID}/action/lock")
    clock.advance(10.0)
    assert sim.requests == []
    assert state_of(sim, CELLAR_ID).state == 3


async def test_a_fault_hits_only_matching_requests_and_only_times_times(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.add_fault(Fault(method="GET", path="/smartlock/*", status=503, times=2))
    async with nuki(sim, clock) as client:
        await client.list_smartlocks()  # "/smartlock" is not "/smartlock/*"
        device = await client.get_smartlock(FRONT_DOOR_ID)  # two 503s, then the retry succeeds
        await client.get_smartlock(FRONT_DOOR_ID)
    assert device.name == "Front Door"
    assert [r.path for r in sim.requests] == ["/smartlock"] + [f"/smartlock/{FRONT_DOOR_ID}"] * 4


# --- inspection helpers ------------------------------------------------------------------------


async def test_seeding_helpers_change_what_the_api_returns(sim: NukiSimulator, clock: ManualClock) -> None:
    sim.set_state(FRONT_DOOR_ID, state=3, door_state=3, battery_critical=True)
    sim.set_device_fields(CELLAR_ID, server_state=4)
    spare = sim.device(FRONT_DOOR_ID).model_copy(update={"smartlock_id": 0x41A2B3C4E, "name": "Shed"})
    sim.add_device(spare)
    async with nuki(sim, clock) as client:
        front = await client.get_smartlock(FRONT_DOOR_ID)
        cellar = await client.get_smartlock(CELLAR_ID)
        names = [d.name for d in await client.list_smartlocks()]
    assert front.state is not None
    assert (front.state.state, front.state.door_state) == (3, 3)
    assert front.state.battery_critical
    assert front.state.battery_charge == 82
    assert cellar.server_state == 4
    assert "Shed" in names


def test_inspection_returns_copies_that_do_not_change_the_simulator(sim: NukiSimulator) -> None:
    device = sim.device(FRONT_DOOR_ID)
    device.name = "Changed"
    assert sim.device(FRONT_DOOR_ID).name == "Front Door"
    with pytest.raises(KeyError):
        sim.device(42)


def test_without_seed_the_account_exists_but_has_no_devices() -> None:
    empty = NukiSimulator(clock=ManualClock(), seed=False)
    assert empty.devices() == []
    assert empty.logs() == []
    assert empty.webhooks() == []
    assert empty.account().name == "Anna Berger"
