"""What the simulated API accepts: body parsing and the value rules of the spec (REFERENCE §3.3, §5)."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from nuki_mcp.demo.routing import ApiError

M = TypeVar("M", bound=BaseModel)

LNG_TIMEOUTS = frozenset({5, 10, 15, 20, 30, 45, 60})
UNLATCH_DURATIONS = frozenset({1, 3, 5, 7, 10, 15, 20, 30})
LOCK_BUTTON_ACTIONS = range(7)  # 0 none ... 6 show status
OPENER_BUTTON_ACTIONS = range(8)  # 0 none ... 7 open
ANY_DURATION = range(2**31)

CONFIG_RULES: Mapping[str, Container[int]] = {
    "advertisingMode": range(4),
    "timezoneId": range(46),
    "ledBrightness": range(6),
    "daylightSavingMode": range(2),
}
ADVANCED_CONFIG_RULES: Mapping[str, Container[int]] = {
    "lngTimeout": LNG_TIMEOUTS,
    "unlatchDuration": UNLATCH_DURATIONS,
    "singleButtonPressAction": LOCK_BUTTON_ACTIONS,
    "doubleButtonPressAction": LOCK_BUTTON_ACTIONS,
    "batteryType": range(3),  # alkali, accumulator, lithium
    "motorSpeed": range(3),  # standard, fast, slow
    "autoLockTimeout": ANY_DURATION,
}
OPENER_CONFIG_RULES: Mapping[str, Container[int]] = {
    "soundRing": range(4),
    "soundOpen": range(4),
    "soundRto": range(4),
    "soundCm": range(4),
    "soundConfirmation": range(2),
    "soundLevel": range(256),
    "singleButtonPressAction": OPENER_BUTTON_ACTIONS,
    "doubleButtonPressAction": OPENER_BUTTON_ACTIONS,
    "batteryType": range(4),  # alkali, accumulator, lithium, fixed
    "doorbellSuppression": range(8),  # bitmask of three flags
    "rtoTimeout": range(1, 2**31),
    "shortCircuitDuration": ANY_DURATION,
    "electricStrikeDelay": ANY_DURATION,
    "electricStrikeDuration": ANY_DURATION,
    "doorbellSuppressionDuration": ANY_DURATION,
}
SMARTDOOR_CONFIG_RULES: Mapping[str, Container[int]] = {
    "lngTimeout": LNG_TIMEOUTS,
    "unlatchDuration": UNLATCH_DURATIONS,
    "singleButtonPressAction": LOCK_BUTTON_ACTIONS,
    "doubleButtonPressAction": LOCK_BUTTON_ACTIONS,
    "buzzerVolume": range(3),  # off, low, normal
    "batteryType": frozenset({0, 1, 2, 3, 255}),
    "autoLockTimeout": ANY_DURATION,
}

KEYPAD_CODE = re.compile(r"^(?!12)[1-9]{6}$")
KEYPAD_NAME_MAX = 20
WEBHOOK_FEATURES = (
    "DEVICE_STATUS",
    "DEVICE_MASTERDATA",
    "DEVICE_CONFIG",
    "DEVICE_LOGS",
    "DEVICE_AUTHS",
    "ACCOUNT_USER",
)


def parse_body(model: type[M], body: JsonValue) -> M:
    """The body as `model`; fields the model does not know (read-only ones too) are ignored."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    wire_names = {info.alias or name for name, info in model.model_fields.items()}
    known = {key: value for key, value in body.items() if key in wire_names}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise ApiError(400, f"Invalid parameter {where}: {error['msg']}") from None


def check_values(values: Mapping[str, object], rules: Mapping[str, Container[int]]) -> None:
    """400 for the first value (by wire name) outside its allowed set."""
    for name, allowed in rules.items():
        value = values.get(name)
        if isinstance(value, int) and value not in allowed:
            raise ApiError(400, f"Invalid parameter {name}: {value} is not an allowed value")


def check_keypad_code(code: int | None) -> int:
    if code is None or not KEYPAD_CODE.match(str(code)):
        raise ApiError(400, "Invalid parameter code: a keypad code has 6 digits 1-9 and does not start with 12")
    return code


def as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def query_int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid parameter {name}: {raw!r} is not an integer") from None


def query_date(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise ApiError(400, f"Invalid parameter {name}: {raw!r} is not an RFC 3339 date") from None


def query_types(query: Mapping[str, str]) -> set[int] | None:
    raw = query.get("types")
    if raw is None or raw.strip() == "":
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise ApiError(400, f"Invalid parameter types: {raw!r}") from None


def page_limit(query: Mapping[str, str], default: int, maximum: int) -> int:
    limit = query_int(query, "limit")
    return default if limit is None else max(1, min(limit, maximum))
