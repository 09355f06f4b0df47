"""Nuki Web API numeric codes, decoded into stable snake_case names (and encoded back).

Nuki reports almost everything as small integers whose meaning depends on the device type
(`Smartlock.type`): state 1 is `locked` on a Smart Lock but `online` on an Opener, action 3 is
`unlatch` on a lock but `electric_strike_actuation` on an Opener. Every decoder whose table depends
on the device takes the device type first and picks one of three families:

- **locks** — Smart Lock 1.0/2.0 (type 0), Smart Door (3), Smart Lock 3.0/4th gen (4) and the 5th
  generation Go/Pro/Ultra (5) share one numbering for actions, states, button and fob actions;
- **the Opener** (type 2) has its own numbering;
- **the Box** (type 1) knows a single action, `unlock` (code 1, as on a lock). Its states are not
  documented; they are read with the lock table because its action codes match the lock's.

Activity logs carry their own, coarser `deviceType` (0 = lock *and* box, 2 = Opener, 3 = Smart
Door); 4 and 5 are accepted there as well and read as locks.

Decoders never raise: a code missing from a table decodes to `unknown_<code>`, so a value from newer
firmware shows up in a tool result instead of breaking it. Encoders are read-only `Mapping[str, int]`
tables with matching `Literal` types, so tool arguments take names, never magic numbers.

Sources: the Web API spec v3.9.0 (`tests/data/swagger-3.9.0.json`), and live clients where the spec
is silent (device type 5, Opener continuous-mode actions 6/7, timezone ids, firmware packing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final, Literal, TypeVar, get_args

_K = TypeVar("_K")
_V = TypeVar("_V")


def _frozen(table: dict[_K, _V]) -> Mapping[_K, _V]:
    return MappingProxyType(table)


def _decode(table: Mapping[int, str], code: int) -> str:
    return table.get(code, f"unknown_{code}")


def _inverse(table: Mapping[str, int]) -> Mapping[int, str]:
    return _frozen({code: name for name, code in table.items()})


# --- device types ------------------------------------------------------------------------------


class DeviceType(IntEnum):
    """`Smartlock.type`."""

    SMARTLOCK = 0  # Smart Lock 1.0 / 2.0 ("keyturner")
    BOX = 1
    OPENER = 2
    SMARTDOOR = 3
    SMARTLOCK_3 = 4  # Smart Lock 3.0 / 4th generation (incl. Pro)
    SMARTLOCK_5 = 5  # 5th generation: Go / Pro / Ultra (not in spec v3.9.0)


AdvancedConfigKind = Literal["lock", "opener", "smartdoor", "none"]

_DEVICE_TYPE_NAMES: Final = _frozen(
    {0: "smartlock", 1: "box", 2: "opener", 3: "smartdoor", 4: "smartlock_3_4", 5: "smartlock_5"}
)
_DEVICE_MODEL_NAMES: Final = _frozen(
    {
        0: "Smart Lock 2.0",
        1: "Box",
        2: "Opener",
        3: "Smart Door",
        4: "Smart Lock 3.0/4",
        5: "Smart Lock 5th generation",
    }
)
_LOCK_TYPES: Final = frozenset({0, 3, 4, 5})
_ADVANCED_CONFIG_KINDS: Final[Mapping[int, AdvancedConfigKind]] = _frozen(
    {0: "lock", 1: "none", 2: "opener", 3: "smartdoor", 4: "lock", 5: "lock"}
)


def device_type_name(code: int) -> str:
    """Stable name of a device type: `smartlock`, `box`, `opener`, `smartdoor`, `smartlock_3_4`, ..."""
    return _decode(_DEVICE_TYPE_NAMES, code)


def device_model_name(code: int) -> str:
    """Human label of a device type, e.g. `Smart Lock 3.0/4`."""
    return _decode(_DEVICE_MODEL_NAMES, code)


def is_lock(type_code: int) -> bool:
    """True for device types that lock and unlock a door (Smart Locks of every generation, Smart Door)."""
    return type_code in _LOCK_TYPES


def is_opener(type_code: int) -> bool:
    return type_code == DeviceType.OPENER


def is_smartdoor(type_code: int) -> bool:
    return type_code == DeviceType.SMARTDOOR


def advanced_config_kind(type_code: int) -> AdvancedConfigKind:
    """Which advanced config a device has: `advancedConfig` (lock), `openerAdvancedConfig` (opener),
    `smartdoorAdvancedConfig` (smartdoor), or none (Box, unknown types)."""
    return _ADVANCED_CONFIG_KINDS.get(type_code, "none")


# --- actions (`SmartlockAction.action`, `state.lastAction`) --------------------------------------

LockActionName = Literal["unlock", "lock", "unlatch", "lock_n_go", "lock_n_go_unlatch"]
OpenerActionName = Literal[
    "activate_rto",
    "deactivate_rto",
    "electric_strike_actuation",
    "activate_continuous_mode",
    "deactivate_continuous_mode",
]
ActionName = Literal[LockActionName, OpenerActionName]

LOCK_ACTIONS: Final = _frozen({"unlock": 1, "lock": 2, "unlatch": 3, "lock_n_go": 4, "lock_n_go_unlatch": 5})
OPENER_ACTIONS: Final = _frozen(
    {
        "activate_rto": 1,
        "deactivate_rto": 2,
        "electric_strike_actuation": 3,
        # 6/7 on the Web API; 4/5 are the Bridge HTTP API's codes for the same actions.
        "activate_continuous_mode": 6,
        "deactivate_continuous_mode": 7,
    }
)
BOX_ACTIONS: Final = _frozen({"unlock": 1})

_ACTIONS_BY_TYPE: Final[Mapping[int, Mapping[str, int]]] = _frozen(
    {0: LOCK_ACTIONS, 1: BOX_ACTIONS, 2: OPENER_ACTIONS, 3: LOCK_ACTIONS, 4: LOCK_ACTIONS, 5: LOCK_ACTIONS}
)
_NO_ACTIONS: Final[Mapping[str, int]] = _frozen({})


def _actions(type_code: int) -> Mapping[str, int]:
    return _ACTIONS_BY_TYPE.get(type_code, _NO_ACTIONS)


def action_code(type_code: int, name: str) -> int | None:
    """The action code to send for `name` on this device type, or None if the device lacks that action."""
    return _actions(type_code).get(name)


def actions_for(type_code: int) -> tuple[str, ...]:
    """Names of the actions a device type supports, in code order (empty for unknown types)."""
    return tuple(_actions(type_code))


def action_name(type_code: int, code: int) -> str:
    """Name of an action code on this device type."""
    return _decode(_inverse(_actions(type_code)), code)


def last_action_name(type_code: int, code: int) -> str:
    """Name of `state.lastAction`: the same numbering as actions (locks 1-5, box 1, Opener 1-3, 6/7)."""
    return action_name(type_code, code)


# --- device state (`state.state`, `state.mode`, `state.trigger`) ---------------------------------

_LOCK_STATES: Final = _frozen(
    {
        0: "uncalibrated",
        1: "locked",
        2: "unlocking",
        3: "unlocked",
        4: "locking",
        5: "unlatched",
        6: "unlocked_lock_n_go",
        7: "unlatching",
        224: "error_wrong_entry_code",
        225: "error_wrong_fingerprint",
        254: "motor_blocked",
        255: "undefined",
    }
)
_OPENER_STATES: Final = _frozen(
    {0: "untrained", 1: "online", 3: "rto_active", 5: "open", 7: "opening", 253: "boot_run", 255: "undefined"}
)
_STATES_BY_TYPE: Final[Mapping[int, Mapping[int, str]]] = _frozen(
    {0: _LOCK_STATES, 1: _LOCK_STATES, 2: _OPENER_STATES, 3: _LOCK_STATES, 4: _LOCK_STATES, 5: _LOCK_STATES}
)
_NO_NAMES: Final[Mapping[int, str]] = _frozen({})

_MODES: Final = _frozen(
    {
        0: "uninitialized",
        1: "pairing",
        2: "door_mode",
        3: "continuous_mode",  # Opener only
        4: "maintenance",
        5: "off_door_charging",
    }
)
_STATE_TRIGGERS: Final = _frozen(
    {
        0: "system",
        1: "manual",
        2: "button",
        3: "automatic",
        4: "web",
        5: "app",
        6: "continuous_mode",  # Opener
        7: "accessory",  # Smart Door
    }
)


def state_name(type_code: int, code: int) -> str:
    """Name of `state.state` on this device type (`locked` on a lock, `online` on an Opener for 1)."""
    return _decode(_STATES_BY_TYPE.get(type_code, _NO_NAMES), code)


def mode_name(code: int) -> str:
    """Name of `state.mode`. An Opener in continuous mode shows it here (3), not in `state.state`."""
    return _decode(_MODES, code)


def state_trigger_name(code: int) -> str:
    """Name of `state.trigger` (what caused the current state)."""
    return _decode(_STATE_TRIGGERS, code)


# --- expected outcome of an action ---------------------------------------------------------------

_LOCK_FAILURES: Final = frozenset({0, 254, 255})  # uncalibrated, motor blocked, undefined
_OPENER_FAILURES: Final = frozenset({0, 255})  # untrained, undefined


@dataclass(frozen=True, slots=True)
class ActionTarget:
    """What the device reports once an action has been carried out, for waiting on it.

    The action is done when `state.state` is in `final_states` — or, for the Opener's continuous
    mode, when `state.mode` is in `final_modes` (continuous mode leaves `state.state` at `online`).
    A state in `transient_states` means the device is still moving; one in `failure_states` means it
    will not get there.

    A final state proves nothing on its own when the device was already in it before the action
    (unlatching an unlocked lock ends in `unlocked` again): a waiter should also see the state change
    or pass through a transient state before it reports the action as confirmed.
    """

    final_states: frozenset[int] = frozenset()
    transient_states: frozenset[int] = frozenset()
    final_modes: frozenset[int] = frozenset()
    failure_states: frozenset[int] = frozenset()

    def is_reached(self, state: int, mode: int) -> bool:
        if self.final_modes:
            return mode in self.final_modes
        return state in self.final_states

    def has_failed(self, state: int) -> bool:
        return state in self.failure_states


def _lock_target(final: set[int], transient: set[int]) -> ActionTarget:
    return ActionTarget(frozenset(final), frozenset(transient), failure_states=_LOCK_FAILURES)


def _opener_target(final: set[int], transient: set[int], modes: set[int]) -> ActionTarget:
    return ActionTarget(frozenset(final), frozenset(transient), frozenset(modes), _OPENER_FAILURES)


_LOCK_TARGETS: Final[Mapping[str, ActionTarget]] = _frozen(
    {
        # unlatched (5) counts too: with autoUnlatch the lock unlatches on unlocking, then settles at 3.
        "unlock": _lock_target({3, 5}, {2, 7}),
        "lock": _lock_target({1}, {4}),
        # The latch is held for unlatchDuration (1-30 s), then the lock rests at unlocked (3).
        "unlatch": _lock_target({5, 3}, {2, 7}),
        # Unlocks (6 = unlocked, lock 'n' go timer running), then relocks after lngTimeout (5-60 s).
        "lock_n_go": _lock_target({6, 1}, {2, 4}),
        # As lock 'n' go, with an unlatch (5) before the timer starts.
        "lock_n_go_unlatch": _lock_target({5, 6, 1}, {2, 7, 4}),
    }
)
_OPENER_TARGETS: Final[Mapping[str, ActionTarget]] = _frozen(
    {
        "activate_rto": _opener_target({3}, set(), set()),
        "deactivate_rto": _opener_target({1}, set(), set()),
        # Only `open` proves it: the Opener returns to its previous state (online or RTO active)
        # after electricStrikeDuration (a few seconds), so a slow poll may miss it — that is
        # "not confirmed", not a failure.
        "electric_strike_actuation": _opener_target({5}, {7}, set()),
        "activate_continuous_mode": _opener_target(set(), set(), {3}),
        "deactivate_continuous_mode": _opener_target(set(), set(), {2}),
    }
)
_TARGETS_BY_TYPE: Final[Mapping[int, Mapping[str, ActionTarget]]] = _frozen(
    {
        0: _LOCK_TARGETS,
        1: {"unlock": _LOCK_TARGETS["unlock"]},
        2: _OPENER_TARGETS,
        3: _LOCK_TARGETS,
        4: _LOCK_TARGETS,
        5: _LOCK_TARGETS,
    }
)


def action_target(type_code: int, action_name: str) -> ActionTarget:
    """The states that mean `action_name` has been carried out on this device type.

    Raises ValueError when the device type has no such action (check `action_code` first).
    """
    target = _TARGETS_BY_TYPE.get(type_code, {}).get(action_name)
    if target is None:
        supported = ", ".join(actions_for(type_code)) or "none"
        raise ValueError(f"a {device_type_name(type_code)} has no action {action_name!r} (supported: {supported})")
    return target


# --- door sensor (`state.doorState`) -------------------------------------------------------------

_DOOR_STATES: Final = _frozen(
    {
        0: "unavailable",  # no door sensor paired
        1: "deactivated",
        2: "closed",
        3: "open",
        4: "unknown",
        5: "calibrating",
        16: "uncalibrated",
        240: "removed",
        255: "unknown",
    }
)


def door_state_name(code: int) -> str:
    return _decode(_DOOR_STATES, code)


# --- activity logs (`SmartlockLog`) --------------------------------------------------------------

_LOG_DOOR_EVENTS: Final = _frozen(
    {
        "door_ajar": 208,  # see the log's ajarTimeout
        "door_status_mismatch": 209,
        "doorbell_recognition": 224,  # Opener
        "door_opened": 240,
        "door_closed": 241,
        "door_sensor_jammed": 242,
        "firmware_update": 243,
        "door_log_enabled": 250,
        "door_log_disabled": 251,
        "initialization": 252,
        "calibration": 253,
        "activity_log_enabled": 254,
        "activity_log_disabled": 255,
    }
)

LogActionFilterName = Literal[
    LockActionName,
    OpenerActionName,
    "door_ajar",
    "door_status_mismatch",
    "doorbell_recognition",
    "door_opened",
    "door_closed",
    "door_sensor_jammed",
    "firmware_update",
    "door_log_enabled",
    "door_log_disabled",
    "initialization",
    "calibration",
    "activity_log_enabled",
    "activity_log_disabled",
]

# For the `action` query filter of the log endpoints. Lock and Opener names share codes 1-3.
LOG_ACTION_FILTERS: Final[Mapping[str, int]] = _frozen({**LOCK_ACTIONS, **OPENER_ACTIONS, **_LOG_DOOR_EVENTS})

_LOCK_LOG_ACTIONS: Final = _inverse({**LOCK_ACTIONS, **_LOG_DOOR_EVENTS})
_OPENER_LOG_ACTIONS: Final = _inverse({**OPENER_ACTIONS, **_LOG_DOOR_EVENTS})
_OTHER_LOG_ACTIONS: Final = _inverse(_LOG_DOOR_EVENTS)
_LOG_ACTIONS_BY_TYPE: Final[Mapping[int, Mapping[int, str]]] = _frozen(
    {
        0: _LOCK_LOG_ACTIONS,
        2: _OPENER_LOG_ACTIONS,
        3: _LOCK_LOG_ACTIONS,
        4: _LOCK_LOG_ACTIONS,
        5: _LOCK_LOG_ACTIONS,
    }
)

_LOG_TRIGGERS: Final = _frozen(
    {
        0: "system",  # a Bluetooth command, e.g. from a phone
        1: "manual",
        2: "button",
        3: "automatic",
        4: "web",
        5: "app",
        6: "auto_lock",
        7: "accessory",
        255: "keypad",
    }
)
_LOG_STATES: Final = _frozen(
    {
        0: "success",
        1: "motor_blocked",
        2: "canceled",
        3: "too_recent",
        4: "busy",
        5: "low_motor_voltage",
        6: "clutch_failure",
        7: "motor_power_failure",
        8: "incomplete",
        9: "rejected",
        10: "rejected_night_mode",
        254: "other_error",
        255: "unknown_error",
    }
)
_LOG_SOURCES: Final = _frozen({0: "default", 1: "keypad_code", 2: "fingerprint"})
_OPENER_LOG_SOURCES: Final = _frozen(
    {0: "doorbell", 1: "time_control", 2: "app", 3: "button", 4: "fob", 5: "bridge", 6: "keypad"}
)


def log_action_name(device_type: int, code: int) -> str:
    """Name of `SmartlockLog.action`; `device_type` is the log's own `deviceType` (0 lock/box,
    2 Opener, 3 Smart Door; 4/5 read as locks). Door and housekeeping events decode on any type."""
    return _decode(_LOG_ACTIONS_BY_TYPE.get(device_type, _OTHER_LOG_ACTIONS), code)


def log_trigger_name(code: int) -> str:
    return _decode(_LOG_TRIGGERS, code)


def log_state_name(code: int) -> str:
    """Name of `SmartlockLog.state`, the completion state of the logged action."""
    return _decode(_LOG_STATES, code)


def log_source_name(code: int) -> str:
    return _decode(_LOG_SOURCES, code)


def opener_log_source_name(code: int) -> str:
    """Name of `openerLog.source`: what activated ring-to-open or continuous mode."""
    return _decode(_OPENER_LOG_SOURCES, code)


# --- authorizations (`SmartlockAuth.type`) -------------------------------------------------------

AuthTypeName = Literal["app", "bridge", "fob", "keypad", "keypad_code", "z_key", "virtual"]
CreatableAuthType = Literal["app", "fob", "keypad_code"]

AUTH_TYPES: Final = _frozen(
    {"app": 0, "bridge": 1, "fob": 2, "keypad": 3, "keypad_code": 13, "z_key": 14, "virtual": 15}
)
_AUTH_TYPE_NAMES: Final = _inverse(AUTH_TYPES)


def auth_type_name(code: int) -> str:
    return _decode(_AUTH_TYPE_NAMES, code)


def auth_type_code(name: str) -> int:
    """The `type` code of an authorization type name. Raises ValueError for an unknown name."""
    code = AUTH_TYPES.get(name)
    if code is None:
        raise ValueError(f"unknown authorization type {name!r} (known: {', '.join(AUTH_TYPES)})")
    return code


# --- button and fob actions ----------------------------------------------------------------------

ButtonActionName = Literal["no_action", "intelligent", "unlock", "lock", "unlatch", "lock_n_go", "show_status"]
OpenerButtonActionName = Literal[
    "no_action",
    "toggle_rto",
    "activate_rto",
    "deactivate_rto",
    "toggle_continuous_mode",
    "activate_continuous_mode",
    "deactivate_continuous_mode",
    "open",
]

# `singleButtonPressAction` / `doubleButtonPressAction` of locks and the Smart Door.
BUTTON_ACTIONS: Final = _frozen(
    {
        "no_action": 0,
        "intelligent": 1,  # lock or unlock depending on the current state
        "unlock": 2,
        "lock": 3,
        "unlatch": 4,
        "lock_n_go": 5,
        "show_status": 6,
    }
)
OPENER_BUTTON_ACTIONS: Final = _frozen(
    {
        "no_action": 0,
        "toggle_rto": 1,
        "activate_rto": 2,
        "deactivate_rto": 3,
        "toggle_continuous_mode": 4,
        "activate_continuous_mode": 5,
        "deactivate_continuous_mode": 6,
        "open": 7,
    }
)
_BUTTON_ACTIONS_BY_KIND: Final[Mapping[AdvancedConfigKind, Mapping[str, int]]] = _frozen(
    {
        "lock": BUTTON_ACTIONS,
        "smartdoor": BUTTON_ACTIONS,
        "opener": OPENER_BUTTON_ACTIONS,
        "none": _NO_ACTIONS,
    }
)

# `fobAction1/2/3` (read-only through the Web API).
_LOCK_FOB_ACTIONS: Final = _frozen({0: "no_action", 1: "unlock", 2: "lock", 3: "lock_n_go", 4: "intelligent"})
_OPENER_FOB_ACTIONS: Final = _frozen(
    {0: "no_action", 1: "toggle_rto", 2: "activate_rto", 3: "deactivate_rto", 7: "open", 8: "ring"}
)


def _button_actions(type_code: int) -> Mapping[str, int]:
    return _BUTTON_ACTIONS_BY_KIND[advanced_config_kind(type_code)]


def button_action_name(type_code: int, code: int) -> str:
    """Name of a single/double button press action on this device type."""
    return _decode(_inverse(_button_actions(type_code)), code)


def button_action_code(type_code: int, name: str) -> int | None:
    """Code of a button press action on this device type, or None if that device has no such action."""
    return _button_actions(type_code).get(name)


def fob_action_name(type_code: int, code: int) -> str:
    """Name of `config.fobAction1/2/3` on this device type."""
    if is_opener(type_code):
        return _decode(_OPENER_FOB_ACTIONS, code)
    if is_lock(type_code):
        return _decode(_LOCK_FOB_ACTIONS, code)
    return f"unknown_{code}"


# --- other device-config enums -------------------------------------------------------------------

BatteryTypeName = Literal["alkali", "accumulator", "lithium", "fixed"]
AdvertisingModeName = Literal["automatic", "normal", "slow", "slowest"]
MotorSpeedName = Literal["standard", "fast", "slow"]
BuzzerVolumeName = Literal["off", "low", "normal"]
OpenerSoundName = Literal["none", "sound_1", "sound_2", "sound_3"]
DoorbellSuppressionName = Literal["idle", "rto_active", "continuous_mode_active"]
LngTimeoutSeconds = Literal[5, 10, 15, 20, 30, 45, 60]
UnlatchDurationSeconds = Literal[1, 3, 5, 7, 10, 15, 20, 30]

# Writable battery types; 3 "fixed" only on the Opener and Smart Door.
BATTERY_TYPES: Final = _frozen({"alkali": 0, "accumulator": 1, "lithium": 2, "fixed": 3})
# Read-only extras: `supportedBatteryTypes` (Smart Door) lists 254, and 255 is "not known".
_BATTERY_TYPE_NAMES: Final = _frozen({**_inverse(BATTERY_TYPES), 254: "automatic", 255: "unknown"})
ADVERTISING_MODES: Final = _frozen({"automatic": 0, "normal": 1, "slow": 2, "slowest": 3})
MOTOR_SPEEDS: Final = _frozen({"standard": 0, "fast": 1, "slow": 2})
BUZZER_VOLUMES: Final = _frozen({"off": 0, "low": 1, "normal": 2})
# `soundRing`, `soundOpen`, `soundRto`, `soundCm` of the Opener.
OPENER_SOUNDS: Final = _frozen({"none": 0, "sound_1": 1, "sound_2": 2, "sound_3": 3})
# Bits of the Opener's `doorbellSuppression`: suppress the ring while ... is the case.
DOORBELL_SUPPRESSION_BITS: Final[Mapping[DoorbellSuppressionName, int]] = _frozen(
    {"idle": 1, "rto_active": 2, "continuous_mode_active": 4}
)
LNG_TIMEOUTS: Final = (5, 10, 15, 20, 30, 45, 60)
UNLATCH_DURATIONS: Final = (1, 3, 5, 7, 10, 15, 20, 30)
LED_BRIGHTNESS_MAX: Final = 5  # `ledBrightness` is a plain number, 0 (off) .. 5

_HOMEKIT_STATES: Final = _frozen({0: "unavailable", 1: "disabled", 2: "enabled", 3: "enabled_paired"})
_MATTER_STATES: Final = _frozen(
    {0: "unavailable", 1: "disabled_no_certificate", 2: "disabled", 3: "enabled", 4: "enabled_paired"}
)
_OPENER_CAPABILITIES: Final = _frozen({0: "door_opening_only", 1: "door_opening_and_rto", 2: "rto_only"})
_PRODUCT_VARIANTS: Final = _frozen({1: "go", 2: "pro", 3: "ultra"})  # Smart Lock 5th generation
_LOCK_MECHANISMS: Final = _frozen({1: "my_evo", 2: "kfv_genius"})  # Smart Door `lmType`
_OPENER_OPERATING_MODES: Final = _frozen(
    {
        0: "generic_door_opener",
        1: "analogue_intercom",
        2: "digital_intercom",
        3: "digital_intercom_siedle",
        4: "digital_intercom_tcs",
        5: "digital_intercom_bticino",
        6: "analogue_intercom_siedle_hts",
        7: "digital_intercom_str",
        8: "digital_intercom_ritto",
        9: "digital_intercom_fermax",
        10: "digital_intercom_comelit",
        11: "digital_intercom_urmet_bibus",
        12: "digital_intercom_urmet_2voice",
        13: "digital_intercom_golmar",
        14: "digital_intercom_sks",
        15: "digital_intercom_spare",
    }
)


_ADVERTISING_MODE_NAMES: Final = _inverse(ADVERTISING_MODES)
_MOTOR_SPEED_NAMES: Final = _inverse(MOTOR_SPEEDS)
_BUZZER_VOLUME_NAMES: Final = _inverse(BUZZER_VOLUMES)
_OPENER_SOUND_NAMES: Final = _inverse(OPENER_SOUNDS)


def battery_type_name(code: int) -> str:
    return _decode(_BATTERY_TYPE_NAMES, code)


def advertising_mode_name(code: int) -> str:
    return _decode(_ADVERTISING_MODE_NAMES, code)


def motor_speed_name(code: int) -> str:
    return _decode(_MOTOR_SPEED_NAMES, code)


def buzzer_volume_name(code: int) -> str:
    return _decode(_BUZZER_VOLUME_NAMES, code)


def opener_sound_name(code: int) -> str:
    return _decode(_OPENER_SOUND_NAMES, code)


def homekit_state_name(code: int) -> str:
    return _decode(_HOMEKIT_STATES, code)


def matter_state_name(code: int) -> str:
    return _decode(_MATTER_STATES, code)


def opener_capabilities_name(code: int) -> str:
    """Name of `config.capabilities` (Opener): what it can do — open the door, ring-to-open, or both."""
    return _decode(_OPENER_CAPABILITIES, code)


def product_variant_name(code: int) -> str:
    return _decode(_PRODUCT_VARIANTS, code)


def lock_mechanism_name(code: int) -> str:
    return _decode(_LOCK_MECHANISMS, code)


def operating_mode_name(code: int) -> str:
    """Name of the Opener's read-only `config.operatingMode` (the kind of intercom it drives)."""
    return _decode(_OPENER_OPERATING_MODES, code)


# --- server and admin-PIN state ------------------------------------------------------------------

_SERVER_STATES: Final = _frozen({0: "ok", 1: "unregistered", 2: "auth_uuid_invalid", 3: "auth_invalid", 4: "offline"})
_ADMIN_PIN_STATES: Final = _frozen({0: "ok", 1: "missing", 2: "invalid"})


def server_state_name(code: int) -> str:
    """Name of `serverState`: whether Nuki can reach the device (`offline` = 4)."""
    return _decode(_SERVER_STATES, code)


def admin_pin_state_name(code: int) -> str:
    return _decode(_ADMIN_PIN_STATES, code)


# --- timezones (`config.timezoneId`) -------------------------------------------------------------

# Index = timezone id (0-45), as in the Bluetooth API; live dumps of German locks show 37.
TimezoneName = Literal[
    "Africa/Cairo",
    "Africa/Lagos",
    "Africa/Maputo",
    "Africa/Nairobi",
    "America/Anchorage",
    "America/Argentina/Buenos_Aires",
    "America/Chicago",
    "America/Denver",
    "America/Halifax",
    "America/Los_Angeles",
    "America/Manaus",
    "America/Mexico_City",
    "America/New_York",
    "America/Phoenix",
    "America/Regina",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Asia/Bangkok",
    "Asia/Dubai",
    "Asia/Hong_Kong",
    "Asia/Jerusalem",
    "Asia/Karachi",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Riyadh",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Tehran",
    "Asia/Tokyo",
    "Asia/Yangon",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Darwin",
    "Australia/Hobart",
    "Australia/Perth",
    "Australia/Sydney",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/London",
    "Europe/Moscow",
    "Pacific/Auckland",
    "Pacific/Guam",
    "Pacific/Honolulu",
    "Pacific/Pago_Pago",
]
TIMEZONES: Final[tuple[TimezoneName, ...]] = get_args(TimezoneName)
_TIMEZONE_IDS: Final = _frozen({name.casefold(): tz_id for tz_id, name in enumerate(TIMEZONES)})


def timezone_name(code: int) -> str:
    """IANA name of a Nuki timezone id, e.g. 37 -> `Europe/Berlin`."""
    return TIMEZONES[code] if 0 <= code < len(TIMEZONES) else f"unknown_{code}"


def timezone_id(name: str) -> int | None:
    """Nuki timezone id of an IANA name (case-insensitive), or None if Nuki has no id for it."""
    return _TIMEZONE_IDS.get(name.strip().casefold())


# --- bitmasks ------------------------------------------------------------------------------------

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# `allowedWeekDays`: Monday is the highest bit; 127 = every day, 124 = Monday to Friday.
WEEKDAY_BITS: Final[Mapping[Weekday, int]] = _frozen(
    {"monday": 64, "tuesday": 32, "wednesday": 16, "thursday": 8, "friday": 4, "saturday": 2, "sunday": 1}
)
EVERY_DAY: Final = 127


def weekdays_to_mask(days: Iterable[Weekday]) -> int:
    """`allowedWeekDays` for these days (duplicates are harmless). Raises ValueError for a non-day."""
    mask = 0
    for day in days:
        bit = WEEKDAY_BITS.get(day)
        if bit is None:
            raise ValueError(f"unknown weekday {day!r} (expected one of: {', '.join(WEEKDAY_BITS)})")
        mask |= bit
    return mask


def mask_to_weekdays(mask: int) -> list[Weekday]:
    """The days set in `allowedWeekDays`, Monday first. Bits above Sunday..Monday are ignored."""
    return [day for day, bit in WEEKDAY_BITS.items() if mask & bit]


def doorbell_suppression_to_mask(when: Iterable[DoorbellSuppressionName]) -> int:
    """The Opener's `doorbellSuppression` for the situations in which the ring is suppressed."""
    mask = 0
    for name in when:
        bit = DOORBELL_SUPPRESSION_BITS.get(name)
        if bit is None:
            known = ", ".join(DOORBELL_SUPPRESSION_BITS)
            raise ValueError(f"unknown doorbell suppression {name!r} (expected one of: {known})")
        mask |= bit
    return mask


def mask_to_doorbell_suppression(mask: int) -> list[DoorbellSuppressionName]:
    """The situations set in the Opener's `doorbellSuppression` bitmask."""
    return [name for name, bit in DOORBELL_SUPPRESSION_BITS.items() if mask & bit]


# --- times of day, versions, ids -----------------------------------------------------------------

_MINUTES_PER_DAY: Final = 24 * 60
_HHMM: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def minutes_to_hhmm(minutes: int) -> str:
    """`allowedFromTime`-style minutes since midnight as `HH:MM` (0..1440; else `unknown_<n>`)."""
    if not 0 <= minutes <= _MINUTES_PER_DAY:
        return f"unknown_{minutes}"
    hours, mins = divmod(minutes, 60)
    return f"{hours:02d}:{mins:02d}"


def hhmm_to_minutes(text: str) -> int:
    """Minutes since midnight of a `HH:MM` time between 00:00 and 24:00. Raises ValueError otherwise."""
    match = _HHMM.fullmatch(text.strip())
    if match is not None:
        hours, mins = int(match[1]), int(match[2])
        minutes = hours * 60 + mins
        if mins < 60 and minutes <= _MINUTES_PER_DAY:
            return minutes
    raise ValueError(f"time of day must be HH:MM between 00:00 and 24:00, got {text!r}")


def firmware_version_str(packed: int) -> str:
    """`firmwareVersion`/`hardwareVersion` as text: one byte per part, 199175 = 0x030A07 -> `3.10.7`."""
    if packed < 0:
        return f"unknown_{packed}"
    return f"{packed >> 16}.{(packed >> 8) & 0xFF}.{packed & 0xFF}"


def nuki_id_hex(smartlock_id: int) -> str:
    """The device's own (Bridge/Bluetooth) nukiId as 8 upper-case hex digits.

    A `smartlockId` is the hex string `<device type digit><nukiId>` read as an integer (for type 0
    the leading 0 vanishes, so there the two are equal); the nukiId is its last 8 hex digits.
    """
    if smartlock_id < 0:
        raise ValueError(f"a smartlockId is never negative, got {smartlock_id}")
    return f"{smartlock_id & 0xFFFFFFFF:08X}"


def smartlock_id_for(type_code: int, nuki_id: int) -> int:
    """The Web API `smartlockId` of a device with this type and nukiId (the inverse of `nuki_id_hex`)."""
    if not 0 <= nuki_id <= 0xFFFFFFFF:
        raise ValueError(f"a nukiId has 8 hex digits, got {nuki_id:#x}")
    return int(f"{type_code:X}{nuki_id:08X}", 16)
