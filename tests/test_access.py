"""The access-window and keypad rules: what a person's dates and times mean on the device's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nuki_mcp.nuki import access, codes
from nuki_mcp.nuki.access import AccessRuleError, AccessWindow
from nuki_mcp.nuki.models import SmartlockAuth, SmartlockAuthUpdate

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
MONDAY = 64


def _auth(**fields: object) -> SmartlockAuth:
    return SmartlockAuth.model_validate({"id": "6a1f00000000000000000001", "smartlockId": 1, **fields})


# --- dates ---------------------------------------------------------------------------------------


def test_a_plain_until_date_includes_that_whole_day_on_the_devices_calendar() -> None:
    until = access.to_utc("2026-12-31", BERLIN, argument="allowed_until_date", end_of_day=True)
    assert until == datetime(2026, 12, 31, 22, 59, 59, 999000, tzinfo=UTC)
    assert until.astimezone(BERLIN).date() == date(2026, 12, 31)


def test_a_plain_from_date_starts_at_local_midnight_in_winter_and_in_summer() -> None:
    assert access.to_utc("2026-12-01", BERLIN, argument="a", end_of_day=False) == datetime(
        2026, 11, 30, 23, 0, tzinfo=UTC
    )
    assert access.to_utc("2026-07-01", BERLIN, argument="a", end_of_day=False) == datetime(
        2026, 6, 30, 22, 0, tzinfo=UTC
    )
    assert access.to_utc("2026-07-01", NEW_YORK, argument="a", end_of_day=False) == datetime(
        2026, 7, 1, 4, 0, tzinfo=UTC
    )


def test_a_datetime_without_offset_is_the_devices_local_time_never_silently_utc() -> None:
    assert access.to_utc("2026-12-31T18:00", BERLIN, argument="a", end_of_day=True) == datetime(
        2026, 12, 31, 17, 0, tzinfo=UTC
    )


def test_a_datetime_with_an_offset_keeps_its_instant() -> None:
    assert access.to_utc("2026-12-31T18:00+05:00", BERLIN, argument="a", end_of_day=False) == datetime(
        2026, 12, 31, 13, 0, tzinfo=UTC
    )
    assert access.to_utc("2026-12-31T18:00:00Z", BERLIN, argument="a", end_of_day=False) == datetime(
        2026, 12, 31, 18, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "end_of_day"),
    [
        ("0001-01-01T00:00:00+01:00", False),
        ("9999-12-31T23:59:59-01:00", True),
        ("9999-12-31", True),
        ("0001-01-01", False),
    ],
)
def test_dates_at_the_calendar_edges_are_one_sentence_refusals(text: str, end_of_day: bool) -> None:
    with pytest.raises(AccessRuleError, match="edge of the calendar") as refused:
        access.to_utc(text, BERLIN, argument="allowed_until_date", end_of_day=end_of_day)
    assert str(refused.value).count(". ") == 0
    assert str(refused.value).startswith("allowed_until_date")


def test_text_that_is_no_iso_date_is_refused_with_an_example() -> None:
    with pytest.raises(AccessRuleError, match=r"not an ISO 8601 date.*2026-12-31"):
        access.to_utc("next friday", BERLIN, argument="allowed_until_date", end_of_day=True)


@given(
    day=st.dates(min_value=date(1971, 1, 1), max_value=date(2099, 12, 31)),
    zone_id=st.integers(min_value=0, max_value=len(codes.TIMEZONES) - 1),
)
def test_every_plain_date_spans_exactly_its_own_local_day(day: date, zone_id: int) -> None:
    zone = access.device_zone(zone_id)
    start = access.day_start(day, zone)
    end = access.day_end(day, zone)
    assert start.astimezone(zone).date() == day == end.astimezone(zone).date()
    assert (end + timedelta(milliseconds=1)).astimezone(zone).date() == day + timedelta(days=1)
    assert timedelta(hours=22) < end - start < timedelta(hours=26)


def test_the_device_zone_comes_from_nukis_timezone_id_and_falls_back_to_utc() -> None:
    assert access.zone_name(access.device_zone(37)) == "Europe/Berlin"
    assert access.device_zone(None) is UTC
    assert access.device_zone(65535) is UTC  # the Bluetooth API's "none"
    assert access.shared_zone([BERLIN, access.device_zone(37)]) is not None
    assert access.shared_zone([BERLIN, NEW_YORK]) is None


def test_instants_are_shown_on_the_devices_calendar() -> None:
    assert access.show_instant(datetime(2026, 11, 30, 23, 0, tzinfo=UTC), BERLIN) == "2026-12-01"
    end = access.to_utc("2026-12-31", BERLIN, argument="a", end_of_day=True)
    assert access.show_instant(end, BERLIN) == "2026-12-31 (end of day)"
    assert access.show_instant(datetime(2026, 12, 31, 17, 0, tzinfo=UTC), BERLIN) == "2026-12-31 18:00"


# --- times of day and weekdays -------------------------------------------------------------------


def test_a_window_across_midnight_is_refused_with_the_two_authorization_alternative() -> None:
    window = access.window_from_text(BERLIN, from_time="22:00", until_time="06:00")
    with pytest.raises(AccessRuleError, match=r"cannot cross midnight.*22:00-24:00.*00:00-06:00"):
        window.check()


@pytest.mark.parametrize(
    ("from_time", "until_time", "complaint"),
    [("08:00", None, "together"), (None, "08:00", "together"), ("08:00", "08:00", "empty")],
)
def test_a_half_or_empty_daily_window_is_refused(from_time: str | None, until_time: str | None, complaint: str) -> None:
    with pytest.raises(AccessRuleError, match=complaint):
        access.window_from_text(BERLIN, from_time=from_time, until_time=until_time).check()


def test_a_window_may_run_until_the_end_of_the_day() -> None:
    window = access.window_from_text(BERLIN, from_time="22:00", until_time="24:00")
    window.check()
    assert (window.from_time, window.until_time) == (22 * 60, 24 * 60)


def test_a_time_of_day_must_be_hhmm() -> None:
    with pytest.raises(AccessRuleError, match="HH:MM"):
        access.window_from_text(BERLIN, from_time="25:00", until_time="26:00")


def test_no_weekdays_and_all_seven_both_mean_every_day() -> None:
    assert access.week_mask([]) is None
    assert access.week_mask(None) is None
    assert access.week_mask(list(codes.WEEKDAY_BITS)) is None
    assert access.week_mask(["monday", "friday"]) == 64 + 4


# --- windows -------------------------------------------------------------------------------------


def test_nukis_no_limit_encodings_read_as_no_limit() -> None:
    window = access.window_of(_auth(allowedWeekDays=127, allowedFromTime=0, allowedUntilTime=0))
    assert window == AccessWindow()
    timed = access.window_of(_auth(allowedWeekDays=MONDAY, allowedFromTime=480, allowedUntilTime=720))
    assert (timed.week_days, timed.from_time, timed.until_time) == (MONDAY, 480, 720)


def test_a_new_window_must_not_have_ended_already() -> None:
    with pytest.raises(AccessRuleError, match="in the past"):
        AccessWindow(until_date=NOW - timedelta(minutes=1)).check_new(NOW)
    AccessWindow(until_date=NOW + timedelta(minutes=1)).check_new(NOW)


def test_a_start_after_the_end_is_refused() -> None:
    with pytest.raises(AccessRuleError, match="after allowed_until_date"):
        AccessWindow(from_date=NOW, until_date=NOW - timedelta(days=1)).check()


def test_a_started_window_without_end_or_limits_is_unrestricted_and_a_future_one_has_not_started() -> None:
    started = AccessWindow(from_date=NOW - timedelta(days=30))
    assert started.is_unrestricted(NOW)
    future = AccessWindow(from_date=NOW + timedelta(days=1))
    assert not future.has_started(NOW)
    assert not future.is_unrestricted(NOW)
    assert not AccessWindow(week_days=MONDAY).is_unrestricted(NOW)
    assert not AccessWindow(until_date=NOW + timedelta(days=1)).is_unrestricted(NOW)
    assert AccessWindow(until_date=NOW - timedelta(days=1)).has_ended(NOW)


def test_a_window_is_described_in_the_devices_time() -> None:
    assert AccessWindow().describe(BERLIN) == "valid at any time"
    window = access.window_from_text(
        BERLIN,
        from_date="2026-12-01",
        until_date="2026-12-31",
        week_days=["monday"],
        from_time="09:00",
        until_time="12:00",
    )
    assert window.describe(BERLIN) == (
        "valid from 2026-12-01, until 2026-12-31 (end of day), on monday, 09:00-12:00 daily (Europe/Berlin time)"
    )


def test_no_limit_is_sent_as_nuki_documents_it_and_a_removed_date_as_an_explicit_null() -> None:
    current = _auth(
        name="Jonas",
        allowedFromDate="2026-01-01T00:00:00Z",
        allowedUntilDate="2027-01-01T00:00:00Z",
        allowedWeekDays=64,
    )
    removed = AccessWindow(from_date=datetime(2026, 1, 1, tzinfo=UTC))
    body = SmartlockAuthUpdate.from_current(current, access.wire_fields(removed)).to_wire()
    assert body["allowedUntilDate"] is None
    assert str(body["allowedFromDate"]).startswith("2026-01-01T00:00:00")
    assert (body["allowedWeekDays"], body["allowedFromTime"], body["allowedUntilTime"]) == (127, 0, 0)
    assert "allowedUntilDate" not in SmartlockAuthUpdate(name="Jonas").to_wire()


# --- keypad codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "complaint"), [(12345, "exactly 6 digits"), (356801, "no 0"), (123456, "start with 12")]
)
def test_keypad_codes_follow_nukis_rules_without_repeating_the_code(code: int, complaint: str) -> None:
    with pytest.raises(AccessRuleError, match=complaint) as refused:
        access.check_keypad_code(code)
    assert str(code) not in str(refused.value)


def test_a_valid_keypad_code_and_a_short_keypad_name_pass() -> None:
    access.check_keypad_code(356891)
    access.check_name("Gardener", access.KEYPAD_CODE_TYPE)
    with pytest.raises(AccessRuleError, match="at most 20"):
        access.check_name("A name far too long for keypads", access.KEYPAD_CODE_TYPE)
    with pytest.raises(AccessRuleError, match="blank"):
        access.check_name("   ", 0)
