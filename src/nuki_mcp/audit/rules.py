"""The configuration audit's rules: pure functions from Nuki wire models to findings.

No I/O here: `collect.py` fetches what the rules need, `tools/audit.py` and the `nuki-mcp
audit` command present the result. Every rule is one entry of `RULES` (a stable kebab-case id, a
severity, what it checks and the function that checks it); `docs/audit-rules.md` lists the same
table and a test keeps the two equal.

Decisions the rules encode:

- **Owner.** Keypad codes without a time restriction are fine for the owner and a finding for
  anyone else. The owner is the account the API token belongs to: an authorization is the owner's
  when its `accountUserId` is an account user with the account's e-mail address, or when its name
  equals the account's name (case-insensitive). Keypad codes are rarely linked to an account user,
  so in practice the name decides. When the account cannot be read, no code counts as the owner's.
- **Time restriction.** An authorization is time-limited when it has an until date, a from date
  still to come, weekdays other than "every day" (127), or a time-of-day window other than the
  whole day (0-0 or 0-1440). A from date that has passed limits nothing any more.
- **Thresholds.** Battery low below 20 %; auto-lock timeout over 30 minutes; Ring to Open timeout
  over 30 minutes (while Ring to Open is active, anyone who rings is let in; Nuki's default is 20);
  unused after 90 days; "never used" only for authorizations usable for more than 14 days (counted
  from the later of their creation and their from date; one that has not started yet is never
  reported). Nuki's minimum auto-lock timeout is 2 s (smaller values become 2 s; on old firmware, and
  on a Smart Door, 0 means "never"), so turning auto-lock on from a timeout below it also sets 5 min.
- **One finding per problem.** An expired authorization is not also reported as disabled, unused or
  unrestricted; usage rules look only at enabled, unexpired authorizations held by people (app,
  fob, keypad code, Z-key), not at bridges or the keypad device itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final, Literal

from pydantic import BaseModel, Field, JsonValue

from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import AccountIntegration, DecentralWebhook, MyAccount, Smartlock, SmartlockAuth
from nuki_mcp.nuki.models_properties import NOTIFICATION_FAILED, Address, AddressReservation, Notification

Severity = Literal["critical", "warning", "info"]
RuleScope = Literal["device", "authorization", "account", "reservation", "notification"]

SEVERITIES: Final[tuple[Severity, ...]] = ("critical", "warning", "info")
SEVERITY_RANK: Final[Mapping[Severity, int]] = MappingProxyType({s: i for i, s in enumerate(SEVERITIES)})

BATTERY_LOW_PERCENT: Final = 20
AUTO_LOCK_TIMEOUT_MAX_S: Final = 30 * 60
RING_TO_OPEN_TIMEOUT_MAX_MIN: Final = 30
RESERVATION_ACCESS_LEAD: Final = timedelta(hours=24)
UNUSED_AFTER: Final = timedelta(days=90)
INTEGRATION_UNUSED_AFTER: Final = timedelta(days=90)
BROAD_TOKEN_SCOPES: Final = ("smartlock.action", "smartlock.auth")
NEVER_USED_GRACE: Final = timedelta(days=14)
SUGGESTED_AUTO_LOCK_TIMEOUT_S: Final = 300
AUTO_LOCK_TIMEOUT_MIN_S: Final = 2  # Nuki: "has to be >= 2" (firmware >= 2.7.8 / 1.9.1)
SUGGESTED_RING_TO_OPEN_TIMEOUT_MIN: Final = 20

_EVERY_DAY: Final = codes.EVERY_DAY
_WHOLE_DAY_WINDOWS: Final = frozenset({(0, 0), (0, 24 * 60)})
_PERSONAL_AUTH_TYPES: Final = frozenset({codes.AUTH_TYPES[t] for t in ("app", "fob", "keypad_code", "z_key")})
_KEYPAD_CODE: Final = codes.AUTH_TYPES["keypad_code"]
_UNCALIBRATED, _MOTOR_BLOCKED = 0, 254  # lock states
_CONTINUOUS_MODE = 3  # state.mode of an Opener
_DOOR_UNAVAILABLE, _DOOR_DEACTIVATED, _DOOR_OPEN, _DOOR_UNCALIBRATED, _DOOR_REMOVED = 0, 1, 3, 16, 240
_ADMIN_PIN_MISSING, _ADMIN_PIN_INVALID = 1, 2


# --- findings ----------------------------------------------------------------------------------


class AuditDevice(BaseModel):
    """The device a finding is about."""

    name: str
    id: int = Field(description="The smartlockId")


class Finding(BaseModel):
    """One problem the audit found, with what it saw and how to fix it."""

    rule_id: str = Field(description="Stable kebab-case id of the rule, e.g. battery-critical")
    severity: Severity
    device: AuditDevice | None = Field(description="The device concerned; null for account-wide findings")
    title: str = Field(description="What is wrong, in one sentence")
    evidence: dict[str, JsonValue] = Field(description="The observed values that triggered the rule")
    fix: str = Field(description="The tool call that fixes it, or what to do on the device")


class SeverityCounts(BaseModel):
    critical: int = 0
    warning: int = 0
    info: int = 0


def count_by_severity(findings: Sequence[Finding]) -> SeverityCounts:
    return SeverityCounts(**{s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES})


def at_least(findings: Sequence[Finding], min_severity: Severity) -> list[Finding]:
    """The findings of `min_severity` or worse, order kept."""
    limit = SEVERITY_RANK[min_severity]
    return [f for f in findings if SEVERITY_RANK[f.severity] <= limit]


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first, then by device (name, id; account-wide last), then in rule-table order."""
    order = {rule_id: index for index, rule_id in enumerate(RULES)}

    def key(f: Finding) -> tuple[int, bool, str, int, int, str]:
        name, device_id = (f.device.name.casefold(), f.device.id) if f.device else ("", 0)
        return (SEVERITY_RANK[f.severity], f.device is None, name, device_id, order.get(f.rule_id, len(order)), f.title)

    return sorted(findings, key=key)


# --- what the rules look at --------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """The account the token belongs to; see the module docstring for how it is matched."""

    name: str | None = None
    account_user_ids: frozenset[int] = frozenset()

    def holds(self, auth: SmartlockAuth) -> bool:
        if auth.account_user_id is not None and auth.account_user_id in self.account_user_ids:
            return True
        return bool(self.name and self.name.strip() and auth.name.strip().casefold() == self.name.strip().casefold())


@dataclass(frozen=True)
class AuditContext:
    """What the rules need besides the objects they judge: the time and who the owner is."""

    now: datetime
    owner: Owner = field(default_factory=Owner)


@dataclass(frozen=True)
class AccountFacts:
    """Account-wide observations. `webhooks` None and `devices_without_auths` mean "the token may
    not read them"; `include_webhooks` is False when the audit is narrowed to some devices, which
    leaves out every account-wide rule about the login (integrations, 2FA) as well."""

    webhooks: Sequence[DecentralWebhook] | None
    devices_without_auths: Sequence[Smartlock] = ()
    include_webhooks: bool = True
    addresses: Sequence[AddressFacts] = ()
    notifications: Sequence[Notification] = ()

    # The apps, devices and API tokens with access, and the account itself; None = not read.
    integrations: Sequence[AccountIntegration] | None = None
    account: MyAccount | None = None


@dataclass(frozen=True)
class AddressFacts:
    """One address (a rental object) and its reservations, as fetched."""

    address: Address
    reservations: Sequence[AddressReservation] = ()


@dataclass(frozen=True)
class DeviceAudit:
    """One device and its authorizations, as fetched."""

    device: Smartlock
    auths: Sequence[SmartlockAuth] = ()


@dataclass(frozen=True)
class Hit:
    """A rule's verdict when it fires; the rule adds its id and severity to make a `Finding`."""

    title: str
    evidence: dict[str, JsonValue]
    fix: str


DeviceCheck = Callable[[Smartlock, AuditContext], Hit | None]
AuthCheck = Callable[[Smartlock, SmartlockAuth, AuditContext], Hit | None]
AccountCheck = Callable[[AccountFacts, AuditContext], Hit | None]
ReservationCheck = Callable[[Address, AddressReservation, AuditContext], Hit | None]
NotificationCheck = Callable[[Notification, AuditContext], Hit | None]


@dataclass(frozen=True)
class DeviceRule:
    id: str
    severity: Severity
    description: str
    check: DeviceCheck
    scope: RuleScope = "device"


@dataclass(frozen=True)
class AuthRule:
    id: str
    severity: Severity
    description: str
    check: AuthCheck
    scope: RuleScope = "authorization"


@dataclass(frozen=True)
class AccountRule:
    id: str
    severity: Severity
    description: str
    check: AccountCheck
    scope: RuleScope = "account"


@dataclass(frozen=True)
class ReservationRule:
    id: str
    severity: Severity
    description: str
    check: ReservationCheck
    scope: RuleScope = "reservation"


@dataclass(frozen=True)
class NotificationRule:
    id: str
    severity: Severity
    description: str
    check: NotificationCheck
    scope: RuleScope = "notification"


Rule = DeviceRule | AuthRule | AccountRule | ReservationRule | NotificationRule


# --- helpers -----------------------------------------------------------------------------------


class Placeholder(str):
    """An argument the person has to supply, shown as is: `admin_pin=<the new PIN>`."""

    __slots__ = ()


def tool_call(tool: str, **arguments: JsonValue | Placeholder) -> str:
    """A tool call as the fix text shows it: `update_config(smartlock="Cellar Door", pairing_enabled=false)`."""
    rendered = ", ".join(
        f"{name}={value if isinstance(value, Placeholder) else json.dumps(value, ensure_ascii=False)}"
        for name, value in arguments.items()
    )
    return f"{tool}({rendered})"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return _utc(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _days_between(earlier: datetime, later: datetime) -> int:
    return (_utc(later) - _utc(earlier)).days


def is_time_restricted(auth: SmartlockAuth, now: datetime) -> bool:
    """True when dates, weekdays or a time-of-day window limit when the authorization works from `now` on."""
    if auth.allowed_until_date is not None or has_not_started(auth, now):
        return True
    if auth.allowed_week_days is not None and auth.allowed_week_days != _EVERY_DAY:
        return True
    if auth.allowed_from_time is None and auth.allowed_until_time is None:
        return False
    return (auth.allowed_from_time or 0, auth.allowed_until_time or 0) not in _WHOLE_DAY_WINDOWS


def has_not_started(auth: SmartlockAuth, now: datetime) -> bool:
    return auth.allowed_from_date is not None and _utc(auth.allowed_from_date) > _utc(now)


def is_expired(auth: SmartlockAuth, now: datetime) -> bool:
    return auth.allowed_until_date is not None and _utc(auth.allowed_until_date) < _utc(now)


def _is_active(auth: SmartlockAuth, now: datetime) -> bool:
    return auth.enabled and not is_expired(auth, now)


def _auth_label(auth: SmartlockAuth) -> str:
    kind = {"app": "App user", "fob": "Fob", "keypad_code": "Keypad code", "z_key": "Z-key"}.get(
        codes.auth_type_name(auth.type), "Authorization"
    )
    return f"{kind} \u201c{auth.name}\u201d"


def _auth_evidence(auth: SmartlockAuth, **extra: JsonValue) -> dict[str, JsonValue]:
    return {"auth_id": auth.id, "name": auth.name, "type": codes.auth_type_name(auth.type), **extra}


def _delete_auth(device: Smartlock, auth: SmartlockAuth) -> str:
    return tool_call("delete_smartlock_auth", smartlock=device.name, auth_id=auth.id)


def _lock_advanced_tool(device: Smartlock) -> str | None:
    kind = codes.advanced_config_kind(device.type)
    return {"lock": "update_advanced_config", "smartdoor": "update_smartdoor_advanced_config"}.get(kind)


def _auto_lock(device: Smartlock) -> tuple[bool | None, int | None]:
    """(autoLock, autoLockTimeout) of a lock or Smart Door; (None, None) when not reported."""
    if codes.is_smartdoor(device.type) and device.smartdoor_advanced_config is not None:
        return device.smartdoor_advanced_config.auto_lock, device.smartdoor_advanced_config.auto_lock_timeout
    if codes.advanced_config_kind(device.type) == "lock" and device.advanced_config is not None:
        return device.advanced_config.auto_lock, device.advanced_config.auto_lock_timeout
    return None, None


def _door_state(device: Smartlock) -> int | None:
    if not codes.is_lock(device.type) or device.state is None:
        return None
    return device.state.door_state


# --- device rules ------------------------------------------------------------------------------


def _battery_critical(device: Smartlock, _: AuditContext) -> Hit | None:
    state = device.state
    if state is None or not state.battery_critical:
        return None
    percent = f" ({state.battery_charge} %)" if state.battery_charge is not None else ""
    return Hit(
        f"The battery is critical{percent}: the device may stop locking at any moment.",
        {"battery_critical": True, "battery_percent": state.battery_charge},
        f"Replace or recharge the batteries of {device.name} now.",
    )


def _battery_low(device: Smartlock, _: AuditContext) -> Hit | None:
    state = device.state
    if state is None or state.battery_critical or state.battery_charging or state.battery_charge is None:
        return None
    if state.battery_charge >= BATTERY_LOW_PERCENT:
        return None
    return Hit(
        f"The battery is low ({state.battery_charge} %).",
        {"battery_percent": state.battery_charge, "threshold_percent": BATTERY_LOW_PERCENT},
        f"Replace or recharge the batteries of {device.name} soon.",
    )


def _keypad_battery_critical(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.state is None or not device.state.keypad_battery_critical:
        return None
    return Hit(
        "The keypad battery is critical: keypad codes will stop working.",
        {"keypad_battery_critical": True},
        f"Replace the batteries of the keypad paired with {device.name}.",
    )


def _door_sensor_battery_critical(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.state is None or not device.state.doorsensor_battery_critical:
        return None
    return Hit(
        "The door sensor battery is critical: the door state will soon be unknown.",
        {"door_sensor_battery_critical": True},
        f"Replace the battery of the door sensor of {device.name}.",
    )


def _device_offline(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.server_state == 0:
        return None
    name = codes.server_state_name(device.server_state)
    return Hit(
        f"Nuki cannot reach the device (server state {name}): it cannot be locked remotely and "
        "access changes do not reach it.",
        {"server_state": name},
        f"Check the power and the bridge or Wi-Fi connection of {device.name}, then "
        f"{tool_call('sync_smartlock', smartlock=device.name)}.",
    )


def _admin_pin_missing(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.admin_pin_state != _ADMIN_PIN_MISSING:
        return None
    return Hit(
        "No admin PIN is set: the device's settings are not protected by a PIN.",
        {"admin_pin_state": codes.admin_pin_state_name(device.admin_pin_state)},
        "Ask the owner for a new PIN (up to 4 digits), then "
        + tool_call("update_admin_pin", smartlock=device.name, admin_pin=Placeholder("<the new PIN>")),
    )


def _admin_pin_invalid(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.admin_pin_state != _ADMIN_PIN_INVALID:
        return None
    return Hit(
        "The admin PIN stored at Nuki does not match the device.",
        {"admin_pin_state": codes.admin_pin_state_name(device.admin_pin_state)},
        "Ask the owner for the device's admin PIN, then "
        + tool_call("update_admin_pin", smartlock=device.name, admin_pin=Placeholder("<the PIN>")),
    )


def _lock_uncalibrated(device: Smartlock, _: AuditContext) -> Hit | None:
    if not codes.is_lock(device.type) or device.state is None or device.state.state != _UNCALIBRATED:
        return None
    return Hit(
        "The lock is not calibrated: it does not know its locked and unlocked positions.",
        {"state": codes.state_name(device.type, _UNCALIBRATED)},
        f"Calibrate {device.name} in the Nuki app (device settings, Calibrate).",
    )


def _motor_blocked(device: Smartlock, _: AuditContext) -> Hit | None:
    if not codes.is_lock(device.type) or device.state is None or device.state.state != _MOTOR_BLOCKED:
        return None
    return Hit(
        "The motor is blocked: the last lock or unlock did not complete.",
        {"state": codes.state_name(device.type, _MOTOR_BLOCKED)},
        f"Check that the door of {device.name} is closed and the key turns freely, then recalibrate it "
        "in the Nuki app and lock it again.",
    )


def _door_sensor_missing(device: Smartlock, _: AuditContext) -> Hit | None:
    door = _door_state(device)
    if door not in (_DOOR_UNAVAILABLE, _DOOR_REMOVED):
        return None
    return Hit(
        "No door sensor is installed: nobody can tell whether the door is open, and an open door can be 'locked'.",
        {"door": codes.door_state_name(door)},
        f"Install a Nuki door sensor on {device.name} and calibrate it in the Nuki app.",
    )


def _door_sensor_deactivated(device: Smartlock, _: AuditContext) -> Hit | None:
    door = _door_state(device)
    if door != _DOOR_DEACTIVATED:
        return None
    return Hit(
        "The door sensor is deactivated.",
        {"door": codes.door_state_name(door)},
        f"Activate the door sensor of {device.name} in the Nuki app (device settings, Door sensor).",
    )


def _door_sensor_uncalibrated(device: Smartlock, _: AuditContext) -> Hit | None:
    door = _door_state(device)
    if door != _DOOR_UNCALIBRATED:
        return None
    return Hit(
        "The door sensor is not calibrated, so its open/closed reports cannot be trusted.",
        {"door": codes.door_state_name(door)},
        f"Calibrate the door sensor of {device.name} in the Nuki app (device settings, Door sensor).",
    )


def _door_open(device: Smartlock, _: AuditContext) -> Hit | None:
    door = _door_state(device)
    if door != _DOOR_OPEN or device.state is None:
        return None
    return Hit(
        "The door is open right now.",
        {"door": codes.door_state_name(door), "state": codes.state_name(device.type, device.state.state)},
        f"Close the door of {device.name}, then {tool_call('lock_smartlock', smartlock=device.name)}.",
    )


def _auto_lock_off(device: Smartlock, _: AuditContext) -> Hit | None:
    auto_lock, timeout = _auto_lock(device)
    tool = _lock_advanced_tool(device)
    if auto_lock is not False or tool is None:
        return None
    if timeout is not None and timeout >= AUTO_LOCK_TIMEOUT_MIN_S:
        return Hit(
            "Auto-lock is off: the door stays unlocked until someone locks it.",
            {"auto_lock": False, "auto_lock_timeout_s": timeout},
            tool_call(tool, smartlock=device.name, auto_lock=True),
        )
    # Below the minimum, turning auto-lock on alone would relock 2 s after every unlock (or never).
    return Hit(
        "Auto-lock is off: the door stays unlocked until someone locks it.",
        {"auto_lock": False, "auto_lock_timeout_s": timeout, "minimum_timeout_s": AUTO_LOCK_TIMEOUT_MIN_S},
        tool_call(tool, smartlock=device.name, auto_lock=True, auto_lock_timeout=SUGGESTED_AUTO_LOCK_TIMEOUT_S),
    )


def _auto_lock_timeout_long(device: Smartlock, _: AuditContext) -> Hit | None:
    auto_lock, timeout = _auto_lock(device)
    tool = _lock_advanced_tool(device)
    if auto_lock is not True or timeout is None or timeout <= AUTO_LOCK_TIMEOUT_MAX_S or tool is None:
        return None
    return Hit(
        f"Auto-lock waits {timeout // 60} minutes before locking.",
        {"auto_lock_timeout_s": timeout, "threshold_s": AUTO_LOCK_TIMEOUT_MAX_S},
        tool_call(tool, smartlock=device.name, auto_lock_timeout=SUGGESTED_AUTO_LOCK_TIMEOUT_S),
    )


def _pairing_enabled(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.config is None or device.config.pairing_enabled is not True:
        return None
    return Hit(
        "Pairing is enabled: new phones or accessories can pair with the device.",
        {"pairing_enabled": True},
        tool_call("update_config", smartlock=device.name, pairing_enabled=False),
    )


def _auto_update_off(device: Smartlock, _: AuditContext) -> Hit | None:
    if device.advanced_config is not None and codes.advanced_config_kind(device.type) == "lock":
        enabled, tool = device.advanced_config.auto_update_enabled, "update_advanced_config"
    elif device.opener_advanced_config is not None and codes.is_opener(device.type):
        enabled, tool = device.opener_advanced_config.auto_update_enabled, "update_opener_advanced_config"
    else:
        return None
    if enabled is not False:
        return None
    return Hit(
        "Automatic firmware updates are off: security fixes are not installed.",
        {"auto_update_enabled": False},
        tool_call(tool, smartlock=device.name, auto_update_enabled=True),
    )


def _opener_continuous_mode(device: Smartlock, _: AuditContext) -> Hit | None:
    if not codes.is_opener(device.type) or device.state is None or device.state.mode != _CONTINUOUS_MODE:
        return None
    return Hit(
        "Continuous mode is on: anyone who rings is let in.",
        {"mode": codes.mode_name(device.state.mode)},
        tool_call("smartlock_action", smartlock=device.name, action="deactivate_continuous_mode"),
    )


def _ring_to_open_timeout_long(device: Smartlock, _: AuditContext) -> Hit | None:
    config = device.opener_advanced_config
    if not codes.is_opener(device.type) or config is None or config.rto_timeout is None:
        return None
    if config.rto_timeout <= RING_TO_OPEN_TIMEOUT_MAX_MIN:
        return None
    return Hit(
        f"Ring to Open stays active for {config.rto_timeout} minutes: anyone who rings in that time is let in.",
        {"ring_to_open_timeout_min": config.rto_timeout, "threshold_min": RING_TO_OPEN_TIMEOUT_MAX_MIN},
        tool_call(
            "update_opener_advanced_config", smartlock=device.name, rto_timeout=SUGGESTED_RING_TO_OPEN_TIMEOUT_MIN
        ),
    )


# --- authorization rules -----------------------------------------------------------------------


def _auth_expired(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if auth.allowed_until_date is None or not is_expired(auth, context.now):
        return None
    days = _days_between(auth.allowed_until_date, context.now)
    return Hit(
        f"{_auth_label(auth)} expired {days} days ago but still exists.",
        _auth_evidence(auth, allowed_until_date=_iso(auth.allowed_until_date), expired_days_ago=days),
        _delete_auth(device, auth),
    )


def _auth_disabled(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if auth.enabled or is_expired(auth, context.now):
        return None
    return Hit(
        f"{_auth_label(auth)} is disabled but still exists: enabling it again restores the access.",
        _auth_evidence(auth, enabled=False),
        _delete_auth(device, auth),
    )


def _keypad_code_unrestricted(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if auth.type != _KEYPAD_CODE or not _is_active(auth, context.now) or is_time_restricted(auth, context.now):
        return None
    if context.owner.holds(auth):
        return None
    return Hit(
        f"{_auth_label(auth)} works at any time and is not the owner's.",
        _auth_evidence(auth, time_restricted=False, owner=context.owner.name),
        "Limit it to when it is needed, e.g. "
        + tool_call(
            "update_smartlock_auth",
            smartlock=device.name,
            auth_id=auth.id,
            allowed_week_days=["monday", "tuesday", "wednesday", "thursday", "friday"],
            allowed_from_time="08:00",
            allowed_until_time="18:00",
        )
        + ", or give it an end date (allowed_until_date); delete it if nobody needs it any more.",
    )


def _remote_access_time_limited(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if not auth.remote_allowed or not _is_active(auth, context.now) or not is_time_restricted(auth, context.now):
        return None
    return Hit(
        f"{_auth_label(auth)} is time-limited but may open the door remotely, from anywhere.",
        _auth_evidence(auth, remote_allowed=True, time_restricted=True),
        tool_call("update_smartlock_auth", smartlock=device.name, auth_id=auth.id, remote_allowed=False),
    )


def _auth_unused(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if auth.type not in _PERSONAL_AUTH_TYPES or not _is_active(auth, context.now) or auth.last_active_date is None:
        return None
    if _utc(context.now) - _utc(auth.last_active_date) <= UNUSED_AFTER:
        return None
    days = _days_between(auth.last_active_date, context.now)
    return Hit(
        f"{_auth_label(auth)} has not been used for {days} days.",
        _auth_evidence(auth, last_active_date=_iso(auth.last_active_date), unused_days=days),
        "Ask whether it is still needed; if not, " + _delete_auth(device, auth) + ".",
    )


def _auth_never_used(device: Smartlock, auth: SmartlockAuth, context: AuditContext) -> Hit | None:
    if auth.type not in _PERSONAL_AUTH_TYPES or not _is_active(auth, context.now):
        return None
    if auth.last_active_date is not None or auth.lock_count > 0 or has_not_started(auth, context.now):
        return None
    usable_since = max((_utc(d) for d in (auth.creation_date, auth.allowed_from_date) if d is not None), default=None)
    if usable_since is not None and _utc(context.now) - usable_since <= NEVER_USED_GRACE:
        return None
    created = None if auth.creation_date is None else _iso(auth.creation_date)
    starts = None if auth.allowed_from_date is None else _iso(auth.allowed_from_date)
    return Hit(
        f"{_auth_label(auth)} has never been used.",
        _auth_evidence(auth, creation_date=created, allowed_from_date=starts, lock_count=auth.lock_count),
        "Ask whether it is still needed; if not, " + _delete_auth(device, auth) + ".",
    )


# --- account rules -----------------------------------------------------------------------------

_EXAMPLE_WEBHOOK_URL: Final = "https://<your server>/nuki-webhook"


def _no_webhook(account: AccountFacts, _: AuditContext) -> Hit | None:
    if not account.include_webhooks or account.webhooks is None or len(account.webhooks) > 0:
        return None
    return Hit(
        "No webhook is registered: nothing outside Nuki hears about lock events, door openings or access changes.",
        {"webhooks": 0},
        "If you run a service that should receive the events: "
        + tool_call(
            "create_decentral_webhook",
            webhook_url=_EXAMPLE_WEBHOOK_URL,
            webhook_features=["DEVICE_STATUS", "DEVICE_LOGS", "DEVICE_AUTHS"],
        ),
    )


def _webhooks_not_checked(account: AccountFacts, _: AuditContext) -> Hit | None:
    if not account.include_webhooks or account.webhooks is not None:
        return None
    return Hit(
        "The webhooks could not be checked: the API token may not read them.",
        {"webhooks": None},
        "To include them, use an API token with the webhook scope (Nuki Web, menu API).",
    )


def _auths_not_checked(account: AccountFacts, _: AuditContext) -> Hit | None:
    if not account.devices_without_auths:
        return None
    names: list[JsonValue] = [d.name for d in account.devices_without_auths]
    ids: list[JsonValue] = [d.smartlock_id for d in account.devices_without_auths]
    return Hit(
        f"The authorizations of {len(names)} device(s) could not be checked: the API token may not read them.",
        {"devices": names, "device_ids": ids},
        "To include them, use an API token with the authorization scope (Nuki Web, menu API).",
    )


# --- reservation and notification rules --------------------------------------------------------


def _reservation_evidence(
    address: Address, reservation: AddressReservation, **extra: JsonValue
) -> dict[str, JsonValue]:
    return {
        "address": address.name,
        "address_id": address.address_id,
        "reservation_id": reservation.id,
        "guest": reservation.name,
        "state": reservation.state,
        "start_date": _iso(reservation.start_date),
        "end_date": _iso(reservation.end_date),
        "guests_issued": reservation.guests_issued,
        "keypad_issued": reservation.keypad_issued,
        **extra,
    }


def _reservation_access_not_revoked(
    address: Address, reservation: AddressReservation, context: AuditContext
) -> Hit | None:
    if not reservation.access_issued or reservation.is_currently_revoking_auth:
        return None
    canceled = reservation.state == "canceled"
    if not canceled and _utc(reservation.end_date) > _utc(context.now):
        return None
    why = "was canceled" if canceled else f"ended {_days_between(reservation.end_date, context.now)} day(s) ago"
    return Hit(
        f"The reservation of \u201c{reservation.name}\u201d at {address.name} {why}, "
        "but its guest access is still issued.",
        _reservation_evidence(address, reservation),
        tool_call("revoke_reservation_access", address=address.name, reservation=reservation.id)
        + " (toolset properties).",
    )


def _reservation_starts_without_access(
    address: Address, reservation: AddressReservation, context: AuditContext
) -> Hit | None:
    if reservation.state == "canceled" or reservation.access_issued or reservation.is_currently_issuing_auth:
        return None
    starts, now = _utc(reservation.start_date), _utc(context.now)
    if not now < starts <= now + RESERVATION_ACCESS_LEAD:
        return None
    hours = int((starts - now).total_seconds() // 3600)
    return Hit(
        f"The reservation of \u201c{reservation.name}\u201d at {address.name} starts within {hours + 1} h, "
        "but no guest access is issued yet.",
        _reservation_evidence(address, reservation),
        tool_call("issue_reservation_access", address=address.name, reservation=reservation.id)
        + " (toolset properties), or check the address's automation in Nuki Web.",
    )


def _notification_failed(notification: Notification, context: AuditContext) -> Hit | None:
    if notification.status != NOTIFICATION_FAILED:
        return None
    webhook = notification.os == 2
    target = notification.push_id if webhook else "a phone"
    last: JsonValue = None if notification.last_active_date is None else _iso(notification.last_active_date)
    evidence: dict[str, JsonValue] = {
        "notification_id": notification.notification_id,
        "delivery": "webhook" if webhook else "push",
        "url": notification.push_id if webhook else None,
        "status": "failed",
        "last_active_date": last,
    }
    fix = (
        f"Make sure {notification.push_id} answers 2xx; if the receiver moved, "
        + tool_call(
            "update_notification", notification_id=notification.notification_id, url=Placeholder("<the new URL>")
        )
        + "; if nobody needs it any more, "
        + tool_call("delete_notification", notification_id=notification.notification_id)
        + " (toolset notifications)."
        if webhook
        else "Open the Nuki app on that phone to renew its push registration, or "
        + tool_call("delete_notification", notification_id=notification.notification_id)
        + " (toolset notifications)."
    )
    return Hit(f"A notification to {target} fails: Nuki could not deliver its events.", evidence, fix)


def _integration_label(integration: AccountIntegration) -> str:
    return f"{integration.name} ({integration.vendor_key})" if integration.vendor_key else integration.name


def _integration_id(integration: AccountIntegration) -> str:
    return f"{integration.client_id}/{integration.token_id}" if integration.token_id else integration.client_id


def _integration_unused(account: AccountFacts, context: AuditContext) -> Hit | None:
    if not account.include_webhooks or account.integrations is None:
        return None
    stale: list[tuple[AccountIntegration, datetime]] = []
    for integration in account.integrations:
        seen = integration.last_active_at or integration.created_at
        if seen is not None and _utc(context.now) - _utc(seen) > INTEGRATION_UNUSED_AFTER:
            stale.append((integration, seen))
    if not stale:
        return None
    names = ", ".join(_integration_label(i) for i, _ in stale)
    evidence: dict[str, JsonValue] = {
        "integrations": [
            {
                "name": i.name,
                "vendor": i.vendor_key,
                "integration_id": _integration_id(i),
                "last_active": _iso(seen),
                "inactive_days": _days_between(seen, context.now),
            }
            for i, seen in stale
        ]
    }
    fixes = "; ".join(tool_call("revoke_account_integration", integration=_integration_id(i)) for i, _ in stale)
    return Hit(
        f"{len(stale)} integration(s) with access to the account have not been active for more than "
        f"{INTEGRATION_UNUSED_AFTER.days} days: {names}.",
        evidence,
        f"If they are no longer used, revoke their access: {fixes}.",
    )


def _api_token_broad(account: AccountFacts, _: AuditContext) -> Hit | None:
    if not account.include_webhooks or account.integrations is None:
        return None
    broad = [
        i
        for i in account.integrations
        if i.token_id is not None and any(scope in BROAD_TOKEN_SCOPES for scope in i.scopes or ())
    ]
    if not broad:
        return None
    evidence: dict[str, JsonValue] = {
        "tokens": [
            {
                "name": i.name,
                "integration_id": _integration_id(i),
                "scopes": [s for s in i.scopes or () if s in BROAD_TOKEN_SCOPES],
            }
            for i in broad
        ]
    }
    return Hit(
        f"{len(broad)} manual API token(s) may operate doors or grant access (scope smartlock.action or "
        f"smartlock.auth): {', '.join(i.name for i in broad)}.",
        evidence,
        "Keep these scopes only on tokens that need them (nuki-mcp needs them to lock, unlock and manage "
        "access); for the others create a narrower token in Nuki Web (menu API), then "
        + tool_call("revoke_account_integration", integration=Placeholder("<the old token's integration_id>")),
    )


def _two_factor_off(account: AccountFacts, _: AuditContext) -> Hit | None:
    if not account.include_webhooks or account.account is None:
        return None
    config = account.account.config
    if config is not None and config.otp_enabled_date is not None:
        return None
    return Hit(
        "Two-factor authentication is off for the Nuki Web login: the password alone opens every door of the account.",
        {"otp_enabled_date": None},
        "Turn on two-factor authentication in Nuki Web (account settings); nuki-mcp never changes 2FA.",
    )


# --- the rule table ----------------------------------------------------------------------------

_RULE_TABLE: Final[tuple[Rule, ...]] = (
    DeviceRule("battery-critical", "critical", "The device battery is critical.", _battery_critical),
    DeviceRule(
        "battery-low",
        "warning",
        f"The device battery is below {BATTERY_LOW_PERCENT} % (not yet critical, not charging).",
        _battery_low,
    ),
    DeviceRule(
        "keypad-battery-critical", "warning", "The paired keypad's battery is critical.", _keypad_battery_critical
    ),
    DeviceRule(
        "door-sensor-battery-critical",
        "warning",
        "The door sensor's battery is critical.",
        _door_sensor_battery_critical,
    ),
    DeviceRule("device-offline", "critical", "Nuki cannot reach the device (serverState is not ok).", _device_offline),
    DeviceRule(
        "admin-pin-missing", "warning", "The device has no admin PIN (adminPinState missing).", _admin_pin_missing
    ),
    DeviceRule(
        "admin-pin-invalid",
        "warning",
        "The admin PIN known to Nuki does not match the device (adminPinState invalid).",
        _admin_pin_invalid,
    ),
    DeviceRule("lock-uncalibrated", "critical", "A lock reports the state uncalibrated.", _lock_uncalibrated),
    DeviceRule("motor-blocked", "critical", "A lock reports the state motor blocked.", _motor_blocked),
    DeviceRule(
        "door-sensor-missing",
        "info",
        "A lock or Smart Door has no door sensor (doorState unavailable or removed).",
        _door_sensor_missing,
    ),
    DeviceRule("door-sensor-deactivated", "warning", "The door sensor is deactivated.", _door_sensor_deactivated),
    DeviceRule("door-sensor-uncalibrated", "warning", "The door sensor is not calibrated.", _door_sensor_uncalibrated),
    DeviceRule("door-open", "warning", "The door sensor reports the door open right now.", _door_open),
    DeviceRule("auto-lock-off", "warning", "Auto-lock is off on a lock or Smart Door.", _auto_lock_off),
    DeviceRule(
        "auto-lock-timeout-long",
        "warning",
        f"Auto-lock is on but waits more than {AUTO_LOCK_TIMEOUT_MAX_S // 60} minutes.",
        _auto_lock_timeout_long,
    ),
    DeviceRule("pairing-enabled", "warning", "Bluetooth pairing is enabled on the device.", _pairing_enabled),
    DeviceRule(
        "auto-update-off", "warning", "Automatic firmware updates are off (locks and Openers).", _auto_update_off
    ),
    DeviceRule(
        "opener-continuous-mode",
        "critical",
        "An Opener is in continuous mode: anyone who rings is let in.",
        _opener_continuous_mode,
    ),
    DeviceRule(
        "ring-to-open-timeout-long",
        "warning",
        f"An Opener's Ring to Open timeout is longer than {RING_TO_OPEN_TIMEOUT_MAX_MIN} minutes.",
        _ring_to_open_timeout_long,
    ),
    AuthRule("auth-expired", "warning", "An authorization's end date has passed but it still exists.", _auth_expired),
    AuthRule(
        "auth-disabled", "warning", "An authorization is disabled (and not expired) but still exists.", _auth_disabled
    ),
    AuthRule(
        "keypad-code-unrestricted",
        "warning",
        "An enabled keypad code without any time restriction (a start date that has passed is none) "
        "belongs to someone other than the owner.",
        _keypad_code_unrestricted,
    ),
    AuthRule(
        "remote-access-time-limited",
        "warning",
        "A time-limited authorization is allowed to operate the device remotely.",
        _remote_access_time_limited,
    ),
    AuthRule(
        "auth-unused",
        "info",
        f"An enabled authorization has not been used for more than {UNUSED_AFTER.days} days (lastActiveDate).",
        _auth_unused,
    ),
    AuthRule(
        "auth-never-used",
        "info",
        f"An enabled authorization usable for more than {NEVER_USED_GRACE.days} days has never been used.",
        _auth_never_used,
    ),
    ReservationRule(
        "reservation-access-not-revoked",
        "warning",
        "A reservation ended or was canceled, but its guest access is still issued.",
        _reservation_access_not_revoked,
    ),
    ReservationRule(
        "reservation-starts-without-access",
        "warning",
        "A reservation starts within 24 hours, but no guest access is issued.",
        _reservation_starts_without_access,
    ),
    NotificationRule(
        "notification-failed",
        "warning",
        "A notification's status is failed: Nuki cannot deliver its events.",
        _notification_failed,
    ),
    AccountRule("no-webhook", "info", "No decentral webhook is registered for the account.", _no_webhook),
    AccountRule(
        "webhooks-not-checked",
        "info",
        "The webhooks could not be read (401/403): the token's scopes do not allow it.",
        _webhooks_not_checked,
    ),
    AccountRule(
        "integration-unused",
        "warning",
        f"An app, device or API token with access to the account has not been active for more than "
        f"{INTEGRATION_UNUSED_AFTER.days} days.",
        _integration_unused,
    ),
    AccountRule(
        "api-token-broad",
        "info",
        "A manual API token may operate doors or manage authorizations (scope smartlock.action or smartlock.auth).",
        _api_token_broad,
    ),
    AccountRule(
        "two-factor-off",
        "warning",
        "The Nuki Web login has no two-factor authentication (no otpEnabledDate).",
        _two_factor_off,
    ),
    AccountRule(
        "auths-not-checked",
        "info",
        "Authorizations of some devices could not be read (401/403): the token's scopes do not allow it.",
        _auths_not_checked,
    ),
)

RULES: Final[Mapping[str, Rule]] = MappingProxyType({rule.id: rule for rule in _RULE_TABLE})


# --- running the rules -------------------------------------------------------------------------


def _finding(rule: Rule, device: Smartlock | None, hit: Hit) -> Finding:
    ref = None if device is None else AuditDevice(name=device.name, id=device.smartlock_id)
    return Finding(
        rule_id=rule.id, severity=rule.severity, device=ref, title=hit.title, evidence=hit.evidence, fix=hit.fix
    )


def audit_device(device: Smartlock, context: AuditContext) -> list[Finding]:
    """The findings of every device rule for one device (unsorted)."""
    findings: list[Finding] = []
    for rule in RULES.values():
        if isinstance(rule, DeviceRule) and (hit := rule.check(device, context)) is not None:
            findings.append(_finding(rule, device, hit))
    return findings


def audit_auths(device: Smartlock, auths: Sequence[SmartlockAuth], context: AuditContext) -> list[Finding]:
    """The findings of every authorization rule for the authorizations of one device (unsorted)."""
    findings: list[Finding] = []
    for auth in auths:
        for rule in RULES.values():
            if isinstance(rule, AuthRule) and (hit := rule.check(device, auth, context)) is not None:
                findings.append(_finding(rule, device, hit))
    return findings


def audit_account(account: AccountFacts, context: AuditContext) -> list[Finding]:
    """The findings of the account-wide rules (unsorted)."""
    findings: list[Finding] = []
    for rule in RULES.values():
        if isinstance(rule, AccountRule) and (hit := rule.check(account, context)) is not None:
            findings.append(_finding(rule, None, hit))
    return findings


def audit_reservations(addresses: Sequence[AddressFacts], context: AuditContext) -> list[Finding]:
    """The findings of the reservation rules for every reservation of every address (unsorted)."""
    findings: list[Finding] = []
    for entry in addresses:
        for reservation in entry.reservations:
            for rule in RULES.values():
                if isinstance(rule, ReservationRule) and (hit := rule.check(entry.address, reservation, context)):
                    findings.append(_finding(rule, None, hit))
    return findings


def audit_notifications(notifications: Sequence[Notification], context: AuditContext) -> list[Finding]:
    """The findings of the notification rules (unsorted)."""
    findings: list[Finding] = []
    for notification in notifications:
        for rule in RULES.values():
            if isinstance(rule, NotificationRule) and (hit := rule.check(notification, context)) is not None:
                findings.append(_finding(rule, None, hit))
    return findings


def run_rules(devices: Sequence[DeviceAudit], account: AccountFacts, context: AuditContext) -> list[Finding]:
    """Every rule over everything fetched, sorted (see `sort_findings`)."""
    findings: list[Finding] = []
    for entry in devices:
        findings += audit_device(entry.device, context)
        findings += audit_auths(entry.device, entry.auths, context)
    findings += audit_reservations(account.addresses, context)
    findings += audit_notifications(account.notifications, context)
    findings += audit_account(account, context)
    return sort_findings(findings)


# --- the report --------------------------------------------------------------------------------

REPORT_VERSION: Final = 1


class AuditReport(BaseModel):
    """The result of an audit: what was audited, counts by severity, findings most severe first.

    `counts` covers every finding; `findings` holds those of `min_severity` or worse.
    """

    version: int = Field(default=REPORT_VERSION, description="Version of this report's shape")
    generated_at: datetime
    min_severity: Severity = Field(description="Findings below this severity are counted but not listed")
    devices: list[AuditDevice] = Field(description="The devices audited")
    counts: SeverityCounts = Field(description="Findings per severity, including those not listed")
    findings: list[Finding] = Field(description="Most severe first, then by device, then by rule")

    @property
    def has_critical(self) -> bool:
        return self.counts.critical > 0


def build_report(
    devices: Sequence[DeviceAudit],
    account: AccountFacts,
    context: AuditContext,
    min_severity: Severity = "info",
) -> AuditReport:
    findings = run_rules(devices, account, context)
    audited = sorted(
        (AuditDevice(name=d.device.name, id=d.device.smartlock_id) for d in devices),
        key=lambda d: (d.name.casefold(), d.id),
    )
    return AuditReport(
        generated_at=_utc(context.now),
        min_severity=min_severity,
        devices=audited,
        counts=count_by_severity(findings),
        findings=at_least(findings, min_severity),
    )
