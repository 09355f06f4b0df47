"""Decoding Nuki's numeric codes per device type, and the helpers for masks, times, versions and ids."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nuki_mcp.nuki import codes
from nuki_mcp.nuki.codes import DeviceType, Weekday

LOCK_TYPES = (0, 3, 4, 5)
ALL_WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)


# --- device types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "name"),
    [
        (0, "smartlock"),
        (1, "box"),
        (2, "opener"),
        (3, "smartdoor"),
        (4, "smartlock_3_4"),
        (5, "smartlock_5"),
        (9, "unknown_9"),
    ],
)
def test_device_types_decode_to_stable_names(type_code: int, name: str) -> None:
    assert codes.device_type_name(type_code) == name


@pytest.mark.parametrize(
    ("type_code", "label"),
    [
        (0, "Smart Lock 2.0"),
        (2, "Opener"),
        (3, "Smart Door"),
        (4, "Smart Lock 3.0/4"),
        (5, "Smart Lock 5th generation"),
        (9, "unknown_9"),
    ],
)
def test_device_types_have_human_model_labels(type_code: int, label: str) -> None:
    assert codes.device_model_name(type_code) == label


def test_device_type_enum_carries_the_nuki_type_codes() -> None:
    assert [(t.name, int(t)) for t in DeviceType] == [
        ("SMARTLOCK", 0),
        ("BOX", 1),
        ("OPENER", 2),
        ("SMARTDOOR", 3),
        ("SMARTLOCK_3", 4),
        ("SMARTLOCK_5", 5),
    ]


def test_every_smart_lock_generation_and_the_smart_door_behave_as_locks() -> None:
    assert [t for t in range(8) if codes.is_lock(t)] == [0, 3, 4, 5]
    assert [t for t in range(8) if codes.is_opener(t)] == [2]
    assert [t for t in range(8) if codes.is_smartdoor(t)] == [3]


@pytest.mark.parametrize(
    ("type_code", "kind"),
    [(0, "lock"), (1, "none"), (2, "opener"), (3, "smartdoor"), (4, "lock"), (5, "lock"), (9, "none")],
)
def test_each_device_type_has_its_own_advanced_config(type_code: int, kind: str) -> None:
    assert codes.advanced_config_kind(type_code) == kind


# --- actions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_code", LOCK_TYPES)
def test_lock_actions_encode_to_the_same_codes_on_every_lock_type(type_code: int) -> None:
    encoded = {name: codes.action_code(type_code, name) for name in codes.actions_for(type_code)}
    assert encoded == {"unlock": 1, "lock": 2, "unlatch": 3, "lock_n_go": 4, "lock_n_go_unlatch": 5}


def test_opener_actions_use_six_and_seven_for_continuous_mode() -> None:
    encoded = {name: codes.action_code(2, name) for name in codes.actions_for(2)}
    assert encoded == {
        "activate_rto": 1,
        "deactivate_rto": 2,
        "electric_strike_actuation": 3,
        "activate_continuous_mode": 6,
        "deactivate_continuous_mode": 7,
    }


def test_the_box_can_only_be_unlocked() -> None:
    assert codes.actions_for(1) == ("unlock",)
    assert codes.action_code(1, "unlock") == 1
    assert codes.action_code(1, "lock") is None


@pytest.mark.parametrize(
    ("type_code", "name"),
    [
        (2, "lock"),
        (2, "unlatch"),
        (0, "activate_rto"),
        (4, "activate_continuous_mode"),
        (9, "unlock"),
        (0, "open"),
    ],
)
def test_an_action_the_device_type_lacks_has_no_code(type_code: int, name: str) -> None:
    assert codes.action_code(type_code, name) is None


def test_an_unknown_device_type_supports_no_actions() -> None:
    assert codes.actions_for(9) == ()


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [
        (0, 3, "unlatch"),
        (2, 3, "electric_strike_actuation"),
        (4, 1, "unlock"),
        (2, 1, "activate_rto"),
        (5, 5, "lock_n_go_unlatch"),
        (2, 7, "deactivate_continuous_mode"),
        (1, 1, "unlock"),
        (1, 2, "unknown_2"),
        (0, 6, "unknown_6"),
        (2, 4, "unknown_4"),
        (9, 1, "unknown_1"),
    ],
)
def test_action_codes_decode_per_device_type(type_code: int, code: int, name: str) -> None:
    assert codes.action_name(type_code, code) == name


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [(0, 2, "lock"), (4, 4, "lock_n_go"), (2, 2, "deactivate_rto"), (1, 1, "unlock"), (0, 0, "unknown_0")],
)
def test_last_action_uses_the_action_numbering_of_the_device(type_code: int, code: int, name: str) -> None:
    assert codes.last_action_name(type_code, code) == name


def test_action_name_literals_list_exactly_the_encodable_actions() -> None:
    assert get_args(codes.LockActionName) == tuple(codes.LOCK_ACTIONS)
    assert get_args(codes.OpenerActionName) == tuple(codes.OPENER_ACTIONS)
    assert len(get_args(codes.ActionName)) == 10
    assert set(get_args(codes.ActionName)) == set(codes.LOCK_ACTIONS) | set(codes.OPENER_ACTIONS)


# --- device state, mode, trigger -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [
        (0, 0, "uncalibrated"),
        (0, 1, "locked"),
        (4, 2, "unlocking"),
        (4, 3, "unlocked"),
        (5, 4, "locking"),
        (3, 5, "unlatched"),
        (0, 6, "unlocked_lock_n_go"),
        (4, 7, "unlatching"),
        (4, 224, "error_wrong_entry_code"),
        (5, 225, "error_wrong_fingerprint"),
        (0, 254, "motor_blocked"),
        (0, 255, "undefined"),
        (2, 0, "untrained"),
        (2, 1, "online"),
        (2, 3, "rto_active"),
        (2, 5, "open"),
        (2, 7, "opening"),
        (2, 253, "boot_run"),
        (2, 255, "undefined"),
    ],
)
def test_device_states_decode_per_device_type(type_code: int, code: int, name: str) -> None:
    assert codes.state_name(type_code, code) == name


def test_the_same_state_code_means_locked_on_a_lock_and_online_on_an_opener() -> None:
    assert (codes.state_name(4, 1), codes.state_name(2, 1)) == ("locked", "online")
    assert (codes.state_name(0, 5), codes.state_name(2, 5)) == ("unlatched", "open")


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [
        (2, 2, "unknown_2"),
        (2, 254, "unknown_254"),
        (0, 253, "unknown_253"),
        (0, 99, "unknown_99"),
        (9, 1, "unknown_1"),
    ],
)
def test_unknown_states_decode_to_unknown_names(type_code: int, code: int, name: str) -> None:
    assert codes.state_name(type_code, code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "uninitialized"),
        (1, "pairing"),
        (2, "door_mode"),
        (3, "continuous_mode"),
        (4, "maintenance"),
        (5, "off_door_charging"),
        (6, "unknown_6"),
    ],
)
def test_modes_decode_to_names(code: int, name: str) -> None:
    assert codes.mode_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "system"),
        (1, "manual"),
        (2, "button"),
        (3, "automatic"),
        (4, "web"),
        (5, "app"),
        (6, "continuous_mode"),
        (7, "accessory"),
        (255, "unknown_255"),
    ],
)
def test_state_triggers_decode_to_names(code: int, name: str) -> None:
    assert codes.state_trigger_name(code) == name


# --- expected outcome of an action ---------------------------------------------------------------


@pytest.mark.parametrize("type_code", LOCK_TYPES)
def test_locking_passes_through_locking_and_ends_locked(type_code: int) -> None:
    target = codes.action_target(type_code, "lock")
    assert target.transient_states == {4}
    assert target.is_reached(state=1, mode=2)
    assert not target.is_reached(state=4, mode=2)
    assert not target.is_reached(state=3, mode=2)


def test_unlocking_ends_unlocked_or_unlatched_when_the_lock_unlatches_on_unlocking() -> None:
    target = codes.action_target(0, "unlock")
    assert target.final_states == {3, 5}
    assert not target.is_reached(state=1, mode=2)
    assert not target.is_reached(state=2, mode=2)


def test_unlatching_is_done_once_unlatched_or_back_at_unlocked() -> None:
    target = codes.action_target(4, "unlatch")
    assert target.final_states == {5, 3}
    assert target.transient_states == {2, 7}


def test_lock_n_go_is_done_while_its_timer_runs_and_after_relocking() -> None:
    target = codes.action_target(4, "lock_n_go")
    assert target.is_reached(state=6, mode=2)
    assert target.is_reached(state=1, mode=2)
    assert not target.is_reached(state=3, mode=2)
    assert codes.action_target(4, "lock_n_go_unlatch").final_states == {5, 6, 1}


@pytest.mark.parametrize("state", [0, 254, 255])
def test_a_blocked_motor_an_uncalibrated_or_undefined_lock_means_the_action_failed(state: int) -> None:
    for name in codes.actions_for(4):
        assert codes.action_target(4, name).has_failed(state)


def test_a_lock_that_is_merely_moving_has_not_failed() -> None:
    assert not codes.action_target(0, "lock").has_failed(4)


def test_opener_continuous_mode_is_confirmed_by_the_mode_not_the_state() -> None:
    activate = codes.action_target(2, "activate_continuous_mode")
    deactivate = codes.action_target(2, "deactivate_continuous_mode")
    assert activate.is_reached(state=1, mode=3)
    assert not activate.is_reached(state=1, mode=2)
    assert deactivate.is_reached(state=1, mode=2)
    assert not deactivate.is_reached(state=1, mode=3)


def test_opener_ring_to_open_is_confirmed_by_the_rto_state() -> None:
    assert codes.action_target(2, "activate_rto").is_reached(state=3, mode=2)
    assert not codes.action_target(2, "activate_rto").is_reached(state=1, mode=2)
    assert codes.action_target(2, "deactivate_rto").is_reached(state=1, mode=2)


def test_the_opener_door_opening_is_confirmed_only_by_the_open_state() -> None:
    target = codes.action_target(2, "electric_strike_actuation")
    assert target.is_reached(state=5, mode=2)
    assert target.transient_states == {7}
    assert not target.is_reached(state=1, mode=2)
    assert target.has_failed(0)


def test_every_supported_action_has_a_reachable_target_that_is_not_a_failure() -> None:
    for type_code in range(6):
        for name in codes.actions_for(type_code):
            target = codes.action_target(type_code, name)
            assert target.final_states or target.final_modes
            assert not target.final_states & target.failure_states
            assert not target.transient_states & target.final_states


@pytest.mark.parametrize(("type_code", "name"), [(2, "lock"), (0, "activate_rto"), (1, "lock"), (9, "unlock")])
def test_asking_for_the_outcome_of_an_unsupported_action_is_an_error(type_code: int, name: str) -> None:
    with pytest.raises(ValueError, match=f"no action '{name}'"):
        codes.action_target(type_code, name)


# --- door sensor ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "unavailable"),
        (1, "deactivated"),
        (2, "closed"),
        (3, "open"),
        (4, "unknown"),
        (5, "calibrating"),
        (16, "uncalibrated"),
        (240, "removed"),
        (255, "unknown"),
        (6, "unknown_6"),
    ],
)
def test_door_sensor_states_decode_to_names(code: int, name: str) -> None:
    assert codes.door_state_name(code) == name


# --- activity logs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("device_type", "code", "name"),
    [
        (0, 1, "unlock"),
        (0, 2, "lock"),
        (0, 3, "unlatch"),
        (4, 4, "lock_n_go"),
        (5, 5, "lock_n_go_unlatch"),
        (3, 3, "unlatch"),
        (2, 1, "activate_rto"),
        (2, 2, "deactivate_rto"),
        (2, 3, "electric_strike_actuation"),
        (2, 6, "activate_continuous_mode"),
        (2, 7, "deactivate_continuous_mode"),
        (0, 208, "door_ajar"),
        (0, 209, "door_status_mismatch"),
        (2, 224, "doorbell_recognition"),
        (3, 240, "door_opened"),
        (0, 241, "door_closed"),
        (0, 242, "door_sensor_jammed"),
        (2, 243, "firmware_update"),
        (0, 250, "door_log_enabled"),
        (0, 251, "door_log_disabled"),
        (0, 252, "initialization"),
        (0, 253, "calibration"),
        (2, 254, "activity_log_enabled"),
        (0, 255, "activity_log_disabled"),
    ],
)
def test_log_actions_decode_per_log_device_type(device_type: int, code: int, name: str) -> None:
    assert codes.log_action_name(device_type, code) == name


@pytest.mark.parametrize(
    ("device_type", "code", "name"),
    [
        (0, 6, "unknown_6"),
        (2, 4, "unknown_4"),
        (0, 100, "unknown_100"),
        (9, 1, "unknown_1"),
        (9, 241, "door_closed"),
    ],
)
def test_unknown_log_actions_decode_to_unknown_names(device_type: int, code: int, name: str) -> None:
    assert codes.log_action_name(device_type, code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "system"),
        (1, "manual"),
        (2, "button"),
        (3, "automatic"),
        (4, "web"),
        (5, "app"),
        (6, "auto_lock"),
        (7, "accessory"),
        (255, "keypad"),
        (8, "unknown_8"),
    ],
)
def test_log_triggers_decode_to_names(code: int, name: str) -> None:
    assert codes.log_trigger_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "success"),
        (1, "motor_blocked"),
        (2, "canceled"),
        (3, "too_recent"),
        (4, "busy"),
        (5, "low_motor_voltage"),
        (6, "clutch_failure"),
        (7, "motor_power_failure"),
        (8, "incomplete"),
        (9, "rejected"),
        (10, "rejected_night_mode"),
        (254, "other_error"),
        (255, "unknown_error"),
        (11, "unknown_11"),
    ],
)
def test_log_completion_states_decode_to_names(code: int, name: str) -> None:
    assert codes.log_state_name(code) == name


@pytest.mark.parametrize(("code", "name"), [(0, "default"), (1, "keypad_code"), (2, "fingerprint"), (3, "unknown_3")])
def test_log_sources_decode_to_names(code: int, name: str) -> None:
    assert codes.log_source_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "doorbell"),
        (1, "time_control"),
        (2, "app"),
        (3, "button"),
        (4, "fob"),
        (5, "bridge"),
        (6, "keypad"),
        (7, "unknown_7"),
    ],
)
def test_opener_log_sources_decode_to_names(code: int, name: str) -> None:
    assert codes.opener_log_source_name(code) == name


def test_log_action_filters_map_action_and_door_event_names_to_query_codes() -> None:
    filters = codes.LOG_ACTION_FILTERS
    assert (filters["unlock"], filters["lock_n_go_unlatch"]) == (1, 5)
    assert (filters["activate_rto"], filters["electric_strike_actuation"]) == (1, 3)
    assert (filters["activate_continuous_mode"], filters["deactivate_continuous_mode"]) == (6, 7)
    assert (filters["door_ajar"], filters["door_opened"], filters["door_closed"]) == (208, 240, 241)
    assert filters["activity_log_disabled"] == 255
    assert set(get_args(codes.LogActionFilterName)) == set(filters)


@pytest.mark.parametrize("name", list(codes.LOG_ACTION_FILTERS))
def test_every_log_filter_name_decodes_back_to_itself_on_its_device_family(name: str) -> None:
    device_type = 2 if name in codes.OPENER_ACTIONS else 0
    assert codes.log_action_name(device_type, codes.LOG_ACTION_FILTERS[name]) == name


# --- authorizations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "app"),
        (1, "bridge"),
        (2, "fob"),
        (3, "keypad"),
        (13, "keypad_code"),
        (14, "z_key"),
        (15, "virtual"),
        (4, "unknown_4"),
    ],
)
def test_authorization_types_decode_to_names(code: int, name: str) -> None:
    assert codes.auth_type_name(code) == name


def test_creatable_authorization_types_encode_to_their_codes() -> None:
    creatable = get_args(codes.CreatableAuthType)
    assert {name: codes.auth_type_code(name) for name in creatable} == {"app": 0, "fob": 2, "keypad_code": 13}
    assert set(get_args(codes.AuthTypeName)) == set(codes.AUTH_TYPES)


def test_an_unknown_authorization_type_name_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="keypad_code"):
        codes.auth_type_code("pin")


# --- button and fob actions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [
        (0, 0, "no_action"),
        (0, 1, "intelligent"),
        (4, 4, "unlatch"),
        (3, 6, "show_status"),
        (2, 1, "toggle_rto"),
        (2, 4, "toggle_continuous_mode"),
        (2, 7, "open"),
        (0, 7, "unknown_7"),
        (1, 1, "unknown_1"),
    ],
)
def test_button_actions_decode_per_device_type(type_code: int, code: int, name: str) -> None:
    assert codes.button_action_name(type_code, code) == name


@pytest.mark.parametrize(
    ("type_code", "name", "code"),
    [
        (4, "lock", 3),
        (3, "lock_n_go", 5),
        (2, "open", 7),
        (2, "activate_continuous_mode", 5),
        (0, "open", None),
        (2, "lock_n_go", None),
        (1, "unlock", None),
    ],
)
def test_button_actions_encode_per_device_type(type_code: int, name: str, code: int | None) -> None:
    assert codes.button_action_code(type_code, name) == code


@pytest.mark.parametrize(
    ("type_code", "code", "name"),
    [
        (0, 0, "no_action"),
        (0, 4, "intelligent"),
        (4, 3, "lock_n_go"),
        (2, 1, "toggle_rto"),
        (2, 7, "open"),
        (2, 8, "ring"),
        (0, 7, "unknown_7"),
        (1, 1, "unknown_1"),
    ],
)
def test_fob_actions_decode_per_device_type(type_code: int, code: int, name: str) -> None:
    assert codes.fob_action_name(type_code, code) == name


# --- other config enums --------------------------------------------------------------------------

ENCODABLE_ENUMS: list[tuple[object, Mapping[str, int], Callable[[int], str]]] = [
    (codes.ButtonActionName, codes.BUTTON_ACTIONS, lambda c: codes.button_action_name(0, c)),
    (codes.OpenerButtonActionName, codes.OPENER_BUTTON_ACTIONS, lambda c: codes.button_action_name(2, c)),
    (codes.BatteryTypeName, codes.BATTERY_TYPES, codes.battery_type_name),
    (codes.AdvertisingModeName, codes.ADVERTISING_MODES, codes.advertising_mode_name),
    (codes.MotorSpeedName, codes.MOTOR_SPEEDS, codes.motor_speed_name),
    (codes.BuzzerVolumeName, codes.BUZZER_VOLUMES, codes.buzzer_volume_name),
    (codes.OpenerSoundName, codes.OPENER_SOUNDS, codes.opener_sound_name),
    (codes.AuthTypeName, codes.AUTH_TYPES, codes.auth_type_name),
]


@pytest.mark.parametrize(("literal", "table", "decode"), ENCODABLE_ENUMS)
def test_every_writable_enum_name_encodes_and_decodes_back(
    literal: object, table: Mapping[str, int], decode: Callable[[int], str]
) -> None:
    assert get_args(literal) == tuple(table)
    assert {name: decode(code) for name, code in table.items()} == {name: name for name in table}


@pytest.mark.parametrize(
    ("decode", "code", "name"),
    [
        (codes.battery_type_name, 0, "alkali"),
        (codes.battery_type_name, 1, "accumulator"),
        (codes.battery_type_name, 2, "lithium"),
        (codes.battery_type_name, 3, "fixed"),
        (codes.battery_type_name, 254, "automatic"),
        (codes.battery_type_name, 255, "unknown"),
        (codes.battery_type_name, 4, "unknown_4"),
        (codes.advertising_mode_name, 0, "automatic"),
        (codes.advertising_mode_name, 3, "slowest"),
        (codes.motor_speed_name, 0, "standard"),
        (codes.motor_speed_name, 2, "slow"),
        (codes.buzzer_volume_name, 0, "off"),
        (codes.buzzer_volume_name, 2, "normal"),
        (codes.opener_sound_name, 0, "none"),
        (codes.opener_sound_name, 3, "sound_3"),
        (codes.homekit_state_name, 0, "unavailable"),
        (codes.homekit_state_name, 3, "enabled_paired"),
        (codes.matter_state_name, 1, "disabled_no_certificate"),
        (codes.matter_state_name, 4, "enabled_paired"),
        (codes.opener_capabilities_name, 0, "door_opening_only"),
        (codes.opener_capabilities_name, 1, "door_opening_and_rto"),
        (codes.opener_capabilities_name, 2, "rto_only"),
        (codes.product_variant_name, 1, "go"),
        (codes.product_variant_name, 3, "ultra"),
        (codes.lock_mechanism_name, 2, "kfv_genius"),
        (codes.operating_mode_name, 1, "analogue_intercom"),
        (codes.operating_mode_name, 15, "digital_intercom_spare"),
        (codes.server_state_name, 0, "ok"),
        (codes.server_state_name, 1, "unregistered"),
        (codes.server_state_name, 2, "auth_uuid_invalid"),
        (codes.server_state_name, 3, "auth_invalid"),
        (codes.server_state_name, 4, "offline"),
        (codes.admin_pin_state_name, 0, "ok"),
        (codes.admin_pin_state_name, 1, "missing"),
        (codes.admin_pin_state_name, 2, "invalid"),
    ],
)
def test_device_config_codes_decode_to_names(decode: Callable[[int], str], code: int, name: str) -> None:
    assert decode(code) == name


@pytest.mark.parametrize(
    "decode",
    [
        codes.advertising_mode_name,
        codes.motor_speed_name,
        codes.buzzer_volume_name,
        codes.opener_sound_name,
        codes.homekit_state_name,
        codes.matter_state_name,
        codes.opener_capabilities_name,
        codes.product_variant_name,
        codes.lock_mechanism_name,
        codes.operating_mode_name,
        codes.server_state_name,
        codes.admin_pin_state_name,
    ],
)
def test_unknown_config_codes_decode_to_unknown_names(decode: Callable[[int], str]) -> None:
    assert decode(77) == "unknown_77"


def test_the_allowed_timing_values_are_the_documented_ones() -> None:
    assert codes.LNG_TIMEOUTS == get_args(codes.LngTimeoutSeconds) == (5, 10, 15, 20, 30, 45, 60)
    assert codes.UNLATCH_DURATIONS == get_args(codes.UnlatchDurationSeconds) == (1, 3, 5, 7, 10, 15, 20, 30)


# --- timezones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "Africa/Cairo"),
        (5, "America/Argentina/Buenos_Aires"),
        (12, "America/New_York"),
        (37, "Europe/Berlin"),
        (40, "Europe/London"),
        (45, "Pacific/Pago_Pago"),
        (46, "unknown_46"),
        (-1, "unknown_-1"),
        (65535, "unknown_65535"),
    ],
)
def test_timezone_ids_decode_to_iana_names(code: int, name: str) -> None:
    assert codes.timezone_name(code) == name


def test_every_timezone_name_encodes_back_to_its_id() -> None:
    assert len(codes.TIMEZONES) == 46
    assert [codes.timezone_id(codes.timezone_name(i)) for i in range(46)] == list(range(46))


def test_timezone_names_are_matched_case_insensitively() -> None:
    assert codes.timezone_id("europe/berlin") == 37


def test_a_timezone_nuki_does_not_know_has_no_id() -> None:
    assert codes.timezone_id("Europe/Vienna") is None


# --- bitmasks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "days"),
    [
        (127, list(ALL_WEEKDAYS)),
        (124, ["monday", "tuesday", "wednesday", "thursday", "friday"]),
        (3, ["saturday", "sunday"]),
        (64, ["monday"]),
        (1, ["sunday"]),
        (0, []),
    ],
)
def test_weekday_masks_decode_monday_first(mask: int, days: list[Weekday]) -> None:
    assert codes.mask_to_weekdays(mask) == days
    assert codes.weekdays_to_mask(days) == mask


def test_repeated_weekdays_count_once() -> None:
    assert codes.weekdays_to_mask(["friday", "friday", "monday"]) == 68


def test_a_name_that_is_not_a_weekday_is_an_error() -> None:
    days: list[str] = ["monday", "someday"]
    with pytest.raises(ValueError, match="someday"):
        codes.weekdays_to_mask(days)  # pyright: ignore[reportArgumentType]


def test_bits_above_monday_are_ignored_when_decoding() -> None:
    assert codes.mask_to_weekdays(128 + 64) == ["monday"]


@given(st.lists(st.sampled_from(ALL_WEEKDAYS)))
def test_weekdays_survive_a_round_trip_through_the_mask(days: list[Weekday]) -> None:
    expected = sorted(set(days), key=ALL_WEEKDAYS.index)
    assert codes.mask_to_weekdays(codes.weekdays_to_mask(days)) == expected


@given(st.integers(min_value=0, max_value=127))
def test_every_weekday_mask_survives_a_round_trip_through_the_days(mask: int) -> None:
    assert codes.weekdays_to_mask(codes.mask_to_weekdays(mask)) == mask


def test_doorbell_suppression_situations_round_trip_through_the_mask() -> None:
    assert codes.doorbell_suppression_to_mask(["idle", "continuous_mode_active"]) == 5
    assert codes.mask_to_doorbell_suppression(2) == ["rto_active"]
    assert codes.mask_to_doorbell_suppression(7) == ["idle", "rto_active", "continuous_mode_active"]


# --- times of day --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "00:00"), (510, "08:30"), (725, "12:05"), (1439, "23:59"), (1440, "24:00")]
)
def test_minutes_since_midnight_format_as_hh_mm(minutes: int, text: str) -> None:
    assert codes.minutes_to_hhmm(minutes) == text
    assert codes.hhmm_to_minutes(text) == minutes


@pytest.mark.parametrize("minutes", [-1, 1441])
def test_minutes_outside_a_day_decode_to_unknown(minutes: int) -> None:
    assert codes.minutes_to_hhmm(minutes) == f"unknown_{minutes}"


def test_single_digit_hours_and_surrounding_spaces_are_accepted() -> None:
    assert codes.hhmm_to_minutes("8:30") == 510
    assert codes.hhmm_to_minutes(" 17:45 ") == 1065


@pytest.mark.parametrize("text", ["24:01", "25:00", "12:60", "noon", "08-30", "", "-1:00", "123:00", "08:5", "8:30pm"])
def test_a_time_outside_00_00_to_24_00_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM between 00:00 and 24:00"):
        codes.hhmm_to_minutes(text)


@given(st.integers(min_value=0, max_value=1440))
def test_every_minute_of_the_day_survives_a_round_trip_through_hh_mm(minutes: int) -> None:
    assert codes.hhmm_to_minutes(codes.minutes_to_hhmm(minutes)) == minutes


# --- firmware versions and ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("packed", "text"),
    [(199175, "3.10.7"), (134148, "2.12.4"), (67585, "1.8.1"), (0, "0.0.0"), (-5, "unknown_-5")],
)
def test_packed_firmware_versions_decode_one_byte_per_part(packed: int, text: str) -> None:
    assert codes.firmware_version_str(packed) == text


def test_a_type_0_smartlock_id_is_its_nuki_id() -> None:
    assert codes.nuki_id_hex(0x1A2B3C4D) == "1A2B3C4D"


@pytest.mark.parametrize("type_code", [2, 3, 4, 5])
def test_the_nuki_id_drops_the_device_type_digit_of_the_smartlock_id(type_code: int) -> None:
    smartlock_id = int(f"{type_code}1A2B3C4D", 16)
    assert codes.nuki_id_hex(smartlock_id) == "1A2B3C4D"
    assert codes.smartlock_id_for(type_code, 0x1A2B3C4D) == smartlock_id


def test_a_short_nuki_id_is_padded_to_eight_hex_digits() -> None:
    assert codes.nuki_id_hex(0xAB) == "000000AB"
    assert codes.smartlock_id_for(0, 0xAB) == 0xAB


def test_a_negative_smartlock_id_is_an_error() -> None:
    with pytest.raises(ValueError, match="never negative"):
        codes.nuki_id_hex(-1)


def test_a_nuki_id_longer_than_eight_hex_digits_is_an_error() -> None:
    with pytest.raises(ValueError, match="8 hex digits"):
        codes.smartlock_id_for(2, 0x1_0000_0000)


# --- layering ------------------------------------------------------------------------------------


def test_the_decoding_tables_load_without_the_mcp_sdk() -> None:
    probe = "import sys, nuki_mcp.nuki.codes; print(any(m == 'mcp' or m.startswith('mcp.') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
