"""Who may open when: the rules of an authorization's access window and of keypad codes.

Nuki stores an authorization's dates as UTC instants and its daily window as minutes since local
midnight (REFERENCE §1.1, §4, §5.13). People mean the device's own calendar: "until 2026-12-31" is the
whole of that day where the door is, and "08:00" is eight o'clock on the device's clock. This module
turns what a person writes into what Nuki stores, checks it, and puts it back into words. It is pure
(no I/O, no MCP); every refusal is an `AccessRuleError` whose text is one sentence for the agent.

Nuki's encoding of "no limit" (REFERENCE §1.1, §3.3): no date is null (send null explicitly to remove
one), every weekday is 127, and no daily window is 0/0. Windows that cross midnight (22:00-06:00)
are not documented anywhere, so they are refused with the two-authorization alternative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import SmartlockAuth

KEYPAD_CODE_TYPE: Final = codes.AUTH_TYPES["keypad_code"]
KEYPAD_NAME_MAX: Final = 20
EVERY_DAY: Final = codes.EVERY_DAY
MINUTES_PER_DAY: Final = 24 * 60
_LAST_INSTANT: Final = timedelta(milliseconds=1)
OVERNIGHT_ALTERNATIVE: Final = (
    "Nuki's daily window must start and end on the same day (it cannot cross midnight); for e.g. "
    "22:00-06:00 create two authorizations, one 22:00-24:00 and one 00:00-06:00 (on the following weekdays)"
)


class AccessRuleError(ValueError):
    """A value breaks an access-window or keypad rule; the message is one sentence saying what to do."""


# --- time zones ----------------------------------------------------------------------------------


def device_zone(timezone_id: int | None) -> tzinfo:
    """The device's time zone from its `config.timezoneId` (REFERENCE §5.11); UTC when unknown."""
    if timezone_id is None or not 0 <= timezone_id < len(codes.TIMEZONES):
        return UTC
    try:
        return ZoneInfo(codes.TIMEZONES[timezone_id])
    except ZoneInfoNotFoundError:  # no tz database on this system (e.g. Windows without tzdata)
        return UTC


def shared_zone(zones: Iterable[tzinfo]) -> tzinfo | None:
    """The one zone all of `zones` share; None when they differ (or there are none)."""
    names = {zone_name(z): z for z in zones}
    return next(iter(names.values())) if len(names) == 1 else None


def zone_name(zone: tzinfo) -> str:
    return zone.key if isinstance(zone, ZoneInfo) else "UTC" if zone is UTC else str(zone)


# --- dates ---------------------------------------------------------------------------------------


def _edge(argument: str, text: str) -> AccessRuleError:
    return AccessRuleError(
        f"{argument} {text!r} lies at the edge of the calendar and cannot be converted to UTC; "
        "use a real date such as 2026-12-31."
    )


def parse_date_or_datetime(text: str, *, argument: str) -> date | datetime:
    """An ISO 8601 date (`2026-12-31`) or date-time (`2026-12-31T18:00`, with or without an offset)."""
    raw = text.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise AccessRuleError(
            f"{argument} {text!r} is not an ISO 8601 date or date-time; use e.g. 2026-12-31 or 2026-12-31T18:00."
        ) from None


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` on the device's calendar, in UTC."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def day_end(day: date, zone: tzinfo) -> datetime:
    """The last instant (to the millisecond) of `day` on the device's calendar, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC) - _LAST_INSTANT


def to_utc(text: str, zone: tzinfo, *, argument: str, end_of_day: bool) -> datetime:
    """What a person means by `text` as a UTC instant.

    A plain date is the whole day in `zone`: its first instant, or its last one when `end_of_day`.
    A date-time without an offset is local time in `zone`, never silently UTC.
    """
    value = parse_date_or_datetime(text, argument=argument)
    try:
        if not isinstance(value, datetime):
            return day_end(value, zone) if end_of_day else day_start(value, zone)
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _edge(argument, text) from None


def as_utc(value: datetime) -> datetime:
    """A datetime read from Nuki as aware UTC (Nuki sends UTC; a naive one is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def show_instant(value: datetime, zone: tzinfo) -> str:
    """An instant on the device's calendar: `2026-12-31` for a day's start, `2026-12-31 (end of day)`."""
    local = as_utc(value).astimezone(zone)
    if local.time() == time():
        return f"{local:%Y-%m-%d}"
    if (local + _LAST_INSTANT).time() == time() or local.time() >= time(23, 59, 59):
        return f"{local:%Y-%m-%d} (end of day)"
    return f"{local:%Y-%m-%d %H:%M}"


# --- times of day and weekdays -------------------------------------------------------------------


def parse_time_of_day(text: str, *, argument: str) -> int:
    """`HH:MM` (00:00-24:00) as minutes since midnight."""
    try:
        return codes.hhmm_to_minutes(text)
    except ValueError:
        raise AccessRuleError(f"{argument} must be a time of day written HH:MM, e.g. 09:30.") from None


def week_mask(days: Iterable[codes.Weekday] | None) -> int | None:
    """`allowedWeekDays` for these days; None (no weekday limit) for no list, an empty list or all seven."""
    if days is None:
        return None
    mask = codes.weekdays_to_mask(days)
    return None if mask in (0, EVERY_DAY) else mask


def check_time_window(from_time: int | None, until_time: int | None) -> None:
    if (from_time is None) != (until_time is None):
        raise AccessRuleError(
            "Give allowed_from_time and allowed_until_time together (a daily window has both ends), "
            "or both as null for no daily time limit."
        )
    if from_time is None or until_time is None:
        return
    if from_time == until_time:
        raise AccessRuleError(
            "allowed_from_time equals allowed_until_time, so the window would be empty; for no daily time "
            "limit give both as null (leave them out when creating)."
        )
    if from_time > until_time:
        raise AccessRuleError(f"allowed_from_time is after allowed_until_time: {OVERNIGHT_ALTERNATIVE}.")


# --- the window ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessWindow:
    """An authorization's limits, with "no limit" always spelled None.

    `week_days` is Nuki's bitmask (None = every day); `from_time`/`until_time` are minutes since the
    device's midnight (None = all day).
    """

    from_date: datetime | None = None
    until_date: datetime | None = None
    week_days: int | None = None
    from_time: int | None = None
    until_time: int | None = None

    def check(self) -> None:
        """The rules every window obeys, whether new or changed."""
        if self.from_date is not None and self.until_date is not None and self.from_date > self.until_date:
            raise AccessRuleError("allowed_from_date is after allowed_until_date; swap or correct them.")
        check_time_window(self.from_time, self.until_time)

    def check_new(self, now: datetime) -> None:
        """The rules of a new authorization: also, it must not have ended already."""
        self.check()
        if self.until_date is not None and self.until_date < now:
            raise AccessRuleError(
                "allowed_until_date lies in the past, so the authorization would never work; correct it."
            )

    def has_started(self, now: datetime) -> bool:
        return self.from_date is None or self.from_date <= now

    def has_ended(self, now: datetime) -> bool:
        return self.until_date is not None and self.until_date < now

    def is_unrestricted(self, now: datetime) -> bool:
        """Valid at every hour of every day from now on: no end, no weekday or daily limit, already started."""
        return self.until_date is None and self.week_days is None and self.from_time is None and self.has_started(now)

    def describe(self, zone: tzinfo) -> str:
        """The window in words, e.g. `valid from 2026-12-01, on monday, 09:00-12:00 daily (Europe/Berlin time)`."""
        parts: list[str] = []
        if self.from_date is not None:
            parts.append(f"from {show_instant(self.from_date, zone)}")
        if self.until_date is not None:
            parts.append(f"until {show_instant(self.until_date, zone)}")
        if self.week_days is not None:
            parts.append("on " + (", ".join(codes.mask_to_weekdays(self.week_days)) or "no weekday"))
        if self.from_time is not None and self.until_time is not None:
            parts.append(f"{codes.minutes_to_hhmm(self.from_time)}-{codes.minutes_to_hhmm(self.until_time)} daily")
        if not parts:
            return "valid at any time"
        local = f" ({zone_name(zone)} time)" if self.from_date or self.until_date or self.from_time is not None else ""
        return "valid " + ", ".join(parts) + local


def has_time_of_day(from_time: int | None, until_time: int | None) -> bool:
    # 0/0 (or absent) is Nuki's "no time-of-day restriction".
    return bool(from_time or until_time)


def window_of(auth: SmartlockAuth) -> AccessWindow:
    """The window of an authorization as Nuki lists it, with Nuki's "no limit" encodings turned into None."""
    timed = has_time_of_day(auth.allowed_from_time, auth.allowed_until_time)
    week = auth.allowed_week_days
    return AccessWindow(
        from_date=None if auth.allowed_from_date is None else as_utc(auth.allowed_from_date),
        until_date=None if auth.allowed_until_date is None else as_utc(auth.allowed_until_date),
        week_days=None if week is None or week == EVERY_DAY else week,
        from_time=(auth.allowed_from_time or 0) if timed else None,
        until_time=(auth.allowed_until_time or 0) if timed else None,
    )


def wire_fields(window: AccessWindow) -> dict[str, datetime | int | None]:
    """The window as an update body's fields (snake_case), "no limit" spelled as Nuki documents it.

    Dates: None (sent as an explicit null, which removes them); weekdays: 127; daily window: 0/0.
    """
    timed = window.from_time is not None and window.until_time is not None
    return {
        "allowed_from_date": window.from_date,
        "allowed_until_date": window.until_date,
        "allowed_week_days": EVERY_DAY if window.week_days is None else window.week_days,
        "allowed_from_time": window.from_time if timed else 0,
        "allowed_until_time": window.until_time if timed else 0,
    }


def window_from_text(
    zone: tzinfo,
    *,
    from_date: str | None = None,
    until_date: str | None = None,
    week_days: Iterable[codes.Weekday] | None = None,
    from_time: str | None = None,
    until_time: str | None = None,
) -> AccessWindow:
    """A window from what a person wrote (dates and times on the device's calendar in `zone`); not checked."""
    return AccessWindow(
        from_date=None
        if from_date is None
        else to_utc(from_date, zone, argument="allowed_from_date", end_of_day=False),
        until_date=None
        if until_date is None
        else to_utc(until_date, zone, argument="allowed_until_date", end_of_day=True),
        week_days=week_mask(week_days),
        from_time=None if from_time is None else parse_time_of_day(from_time, argument="allowed_from_time"),
        until_time=None if until_time is None else parse_time_of_day(until_time, argument="allowed_until_time"),
    )


# --- keypad codes and names ----------------------------------------------------------------------


def check_keypad_code(code: int) -> None:
    """Nuki's keypad rules (REFERENCE §3.3); the messages never repeat the code."""
    digits = str(code)
    if code < 0 or len(digits) != 6:
        raise AccessRuleError("A keypad code has exactly 6 digits; choose another code.")
    if "0" in digits:
        raise AccessRuleError("A keypad code may only use the digits 1-9 (no 0); choose another code.")
    if digits.startswith("12"):
        raise AccessRuleError("A keypad code must not start with 12; choose another code.")


def check_name(name: str, type_code: int) -> None:
    if not name.strip():
        raise AccessRuleError("The name must not be blank.")
    if type_code == KEYPAD_CODE_TYPE and len(name) > KEYPAD_NAME_MAX:
        raise AccessRuleError(f"A keypad code's name has at most {KEYPAD_NAME_MAX} characters; shorten it.")
