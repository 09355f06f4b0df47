"""Device settings as Nuki stores them: argument name <-> wire field <-> enum, per config section and device type.

A tool argument (`advertising_mode: "10ms"`) becomes a wire field (`advertising_mode: 1`, sent as
`advertisingMode`) through its `Setting`; the same `Setting` decodes the stored value for people. The
tables say which settings each config section has, `not_applicable` which of them a device type
lacks, and `diff_settings` compares what a caller asks for with what the device has now.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, JsonValue, TypeAdapter

from nuki_mcp.nuki import codes
from nuki_mcp.nuki.errors import NukiError

_JSON_OBJECT = TypeAdapter(dict[str, JsonValue])


class InvalidSettingError(NukiError):
    """A setting's value cannot be sent to Nuki (unknown name, wrong kind of device)."""


def _same(value: JsonValue) -> JsonValue:
    return value


@dataclass(frozen=True)
class Setting:
    """How one tool argument maps onto a wire field: encoded for Nuki, decoded (by name) for people."""

    wire: str
    encode: Callable[[JsonValue], JsonValue] = _same
    decode: Callable[[JsonValue], JsonValue] = _same


def _named(wire: str, table: Mapping[str, int]) -> Setting:
    names = {code: name for name, code in table.items()}

    def encode(value: JsonValue) -> JsonValue:
        code = table.get(value) if isinstance(value, str) else None
        if code is None:
            raise InvalidSettingError(f"{wire} must be one of: {', '.join(table)}.")
        return code

    def decode(value: JsonValue) -> JsonValue:
        return names.get(value, f"unknown_{value}") if isinstance(value, int) else value

    return Setting(wire, encode, decode)


def _timezone_setting() -> Setting:
    def encode(value: JsonValue) -> JsonValue:
        tz_id = codes.timezone_id(value) if isinstance(value, str) else None
        if tz_id is None:
            raise InvalidSettingError(f"Nuki has no timezone {value!r}; use one of: {', '.join(codes.TIMEZONES)}.")
        return tz_id

    def decode(value: JsonValue) -> JsonValue:
        return codes.timezone_name(value) if isinstance(value, int) else value

    return Setting("timezone_id", encode, decode)


def _doorbell_suppression_setting() -> Setting:
    bits: dict[str, int] = dict(codes.DOORBELL_SUPPRESSION_BITS.items())

    def encode(value: JsonValue) -> JsonValue:
        mask = 0
        for name in value if isinstance(value, list) else []:
            bit = bits.get(name) if isinstance(name, str) else None
            if bit is None:
                raise InvalidSettingError(f"doorbell_suppression takes: {', '.join(bits)}.")
            mask |= bit
        return mask

    def decode(value: JsonValue) -> JsonValue:
        return list[JsonValue](codes.mask_to_doorbell_suppression(value)) if isinstance(value, int) else value

    return Setting("doorbell_suppression", encode, decode)


def _flag_as_number(wire: str) -> Setting:
    def encode(value: JsonValue) -> JsonValue:
        return 1 if value is True else 0

    def decode(value: JsonValue) -> JsonValue:
        return value != 0 if isinstance(value, int) and not isinstance(value, bool) else value

    return Setting(wire, encode, decode)


def _plain(*wire_names: str) -> dict[str, Setting]:
    return {name: Setting(name) for name in wire_names}


SMARTLOCK_SETTINGS: Final[Mapping[str, Setting]] = _plain("name", "favorite")
CONFIG_SETTINGS: Final[Mapping[str, Setting]] = {
    **_plain(
        "name",
        "latitude",
        "longitude",
        "auto_unlatch",
        "lift_up_handle",
        "pairing_enabled",
        "button_enabled",
        "led_enabled",
        "led_brightness",
        "single_lock",
    ),
    "advertising_mode": _named("advertising_mode", codes.ADVERTISING_MODES),
    "timezone": _timezone_setting(),
}
LOCK_ADVANCED_SETTINGS: Final[Mapping[str, Setting]] = {
    **_plain(
        "auto_lock",
        "auto_lock_timeout",
        "lng_timeout",
        "unlatch_duration",
        "automatic_battery_type_detection",
        "detached_cylinder",
        "auto_update_enabled",
        "enable_slow_speed_during_nightmode",
    ),
    "single_button_press_action": _named("single_button_press_action", codes.BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
    "motor_speed": _named("motor_speed", codes.MOTOR_SPEEDS),
}
OPENER_ADVANCED_SETTINGS: Final[Mapping[str, Setting]] = {
    **_plain(
        "rto_timeout",
        "electric_strike_duration",
        "electric_strike_delay",
        "random_electric_strike_delay",
        "disable_rto_after_ring",
        "doorbell_suppression_duration",
        "short_circuit_duration",
        "sound_level",
        "automatic_battery_type_detection",
        "auto_update_enabled",
    ),
    "doorbell_suppression": _doorbell_suppression_setting(),
    "sound_ring": _named("sound_ring", codes.OPENER_SOUNDS),
    "sound_open": _named("sound_open", codes.OPENER_SOUNDS),
    "sound_rto": _named("sound_rto", codes.OPENER_SOUNDS),
    "sound_cm": _named("sound_cm", codes.OPENER_SOUNDS),
    "sound_confirmation": _flag_as_number("sound_confirmation"),
    "single_button_press_action": _named("single_button_press_action", codes.OPENER_BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.OPENER_BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
}
SMARTDOOR_ADVANCED_SETTINGS: Final[Mapping[str, Setting]] = {
    **_plain("auto_lock", "auto_lock_timeout", "lng_timeout", "unlatch_duration", "automatic_battery_type_detection"),
    "buzzer_volume": _named("buzzer_volume", codes.BUZZER_VOLUMES),
    "single_button_press_action": _named("single_button_press_action", codes.BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
}
WEB_SETTINGS: Final[Mapping[str, Setting]] = _plain("battery_warning_per_mail_enabled")

# Basic config settings that only door locks have (REFERENCE §4: "door-lock types", "lock types").
_LOCK_ONLY_CONFIG: Final = frozenset({"auto_unlatch", "lift_up_handle", "single_lock"})


def not_applicable(type_code: int, settings: Mapping[str, Setting], given: Mapping[str, JsonValue]) -> list[str]:
    """The given settings of the basic config that a device of this type does not have."""
    if settings is not CONFIG_SETTINGS or codes.advanced_config_kind(type_code) in ("lock", "smartdoor"):
        return []
    return [name for name in given if name in _LOCK_ONLY_CONFIG]


def timezone_offset_minutes(tz_id: int, at: datetime) -> int | None:
    """The UTC offset (minutes) of a Nuki timezone at `at`, for the deprecated but required `timezoneOffset`."""
    name = codes.timezone_name(tz_id)
    try:
        offset = ZoneInfo(name).utcoffset(at)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return None if offset is None else int(offset.total_seconds() // 60)


@dataclass(frozen=True)
class Change:
    """One setting a write changes, as people read it (argument name, enums by name)."""

    field: str
    before: JsonValue
    after: JsonValue


@dataclass(frozen=True)
class Diff:
    """What an update asks for: the wire fields to write (snake_case, encoded), the requested values as
    people read them (argument names, enums by name) and the changes among them."""

    wire: dict[str, JsonValue]
    wanted: dict[str, JsonValue]
    changes: tuple[Change, ...]

    def wanted_text(self) -> str:
        return ", ".join(f"{arg}={json.dumps(value)}" for arg, value in self.wanted.items())


def diff_settings(
    settings: Mapping[str, Setting], given: Mapping[str, JsonValue], current: BaseModel, at: datetime
) -> Diff:
    """Compare the given arguments (None = leave unchanged) with the current wire object.

    A new timezone carries its UTC offset at `at` along (Nuki still requires `timezoneOffset`).
    """
    now = _JSON_OBJECT.validate_python(current.model_dump(mode="json"))
    wire: dict[str, JsonValue] = {}
    wanted: dict[str, JsonValue] = {}
    changes: list[Change] = []
    for arg, value in given.items():
        if value is None:
            continue
        setting = settings[arg]
        after = setting.encode(value)
        wire[setting.wire] = after
        wanted[arg] = setting.decode(after)
        before = now.get(setting.wire)
        if before != after:
            changes.append(Change(arg, None if before is None else setting.decode(before), wanted[arg]))
    tz_id = wire.get("timezone_id")
    if isinstance(tz_id, int) and not isinstance(tz_id, bool):
        offset = timezone_offset_minutes(tz_id, at)
        if offset is not None:
            wire["timezone_offset"] = offset
    return Diff(wire, wanted, tuple(changes))
