"""The reservation and notification rules: each fires on its example and stays quiet on its near misses,
and the audit tool finds the seeded holiday flat's forgotten guest access and the failing notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nuki_mcp.audit import RULES, AccountFacts, AuditContext, Finding, run_rules
from nuki_mcp.audit.rules import AddressFacts
from nuki_mcp.demo.hosting import ENDED_RESERVATION_ID, HOLIDAY_FLAT_NAME, NOTIFICATION_ID
from nuki_mcp.nuki.models_properties import Address, AddressReservation, Notification, NotificationSetting
from tests.support import Harness, call_ok, obj, rows

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CONTEXT = AuditContext(now=NOW)
FLAT = Address(address_id=3001, name="Garden Flat", smartlock_ids=[14182936432])


def reservation(
    *, start: timedelta, end: timedelta, issued: bool, state: str = "accepted", revoking: bool = False
) -> AddressReservation:
    return AddressReservation(
        id="66b1d2e3f4a5b6c7d8e9f299",
        address_id=3001,
        name="Guest",
        guests=2,
        guests_issued=2 if issued else 0,
        keypad_issued=issued,
        state=state,
        start_date=NOW + start,
        end_date=NOW + end,
        is_currently_revoking_auth=revoking,
    )


def findings_for(*reservations: AddressReservation, notifications: list[Notification] | None = None) -> list[Finding]:
    facts = AccountFacts(
        webhooks=None,
        include_webhooks=False,
        addresses=[AddressFacts(FLAT, reservations)],
        notifications=notifications or [],
    )
    return run_rules([], facts, CONTEXT)


def ids(findings: list[Finding]) -> list[str]:
    return [f.rule_id for f in findings]


def test_the_new_rules_are_warnings_with_their_own_scopes() -> None:
    assert (RULES["reservation-access-not-revoked"].severity, RULES["reservation-access-not-revoked"].scope) == (
        "warning",
        "reservation",
    )
    assert RULES["reservation-starts-without-access"].scope == "reservation"
    assert RULES["notification-failed"].scope == "notification"


def test_an_ended_reservation_whose_access_is_still_issued_is_reported_with_the_revoke_call() -> None:
    (finding,) = findings_for(reservation(start=timedelta(days=-5), end=timedelta(days=-2), issued=True))
    assert finding.rule_id == "reservation-access-not-revoked"
    assert finding.severity == "warning"
    assert finding.evidence["guest"] == "Guest"
    assert finding.evidence["guests_issued"] == 2
    assert 'revoke_reservation_access(address="Garden Flat", reservation="66b1d2e3f4a5b6c7d8e9f299")' in finding.fix


def test_a_canceled_reservation_with_issued_access_is_reported_even_before_its_end() -> None:
    canceled = reservation(start=timedelta(days=1), end=timedelta(days=4), issued=True, state="canceled")
    assert ids(findings_for(canceled)) == ["reservation-access-not-revoked"]


@pytest.mark.parametrize(
    "quiet",
    [
        reservation(start=timedelta(days=-5), end=timedelta(days=-2), issued=False),  # already revoked
        reservation(start=timedelta(days=-1), end=timedelta(days=2), issued=True),  # guests are staying
        reservation(start=timedelta(days=-5), end=timedelta(days=-2), issued=True, revoking=True),  # under way
    ],
)
def test_revoked_running_or_being_revoked_reservations_are_not_reported(quiet: AddressReservation) -> None:
    assert findings_for(quiet) == []


def test_a_reservation_starting_within_24_hours_without_access_is_reported_with_the_issue_call() -> None:
    (finding,) = findings_for(reservation(start=timedelta(hours=5), end=timedelta(days=3), issued=False))
    assert finding.rule_id == "reservation-starts-without-access"
    assert "starts within 6 h" in finding.title
    assert 'issue_reservation_access(address="Garden Flat"' in finding.fix


@pytest.mark.parametrize(
    "quiet",
    [
        reservation(start=timedelta(hours=30), end=timedelta(days=3), issued=False),  # more than a day ahead
        reservation(start=timedelta(hours=5), end=timedelta(days=3), issued=True),  # access is ready
        reservation(start=timedelta(hours=5), end=timedelta(days=3), issued=False, state="canceled"),
    ],
)
def test_later_issued_or_canceled_reservations_do_not_need_access_now(quiet: AddressReservation) -> None:
    assert findings_for(quiet) == []


def test_a_failed_webhook_notification_is_reported_and_an_active_one_is_not() -> None:
    setting = [NotificationSetting(smartlock_id=14182936432, trigger_events=["unlatch"])]
    failed = Notification(notification_id="n1", push_id="https://hooks.example.org/x", os=2, status=2, settings=setting)
    active = failed.model_copy(update={"notification_id": "n2", "status": 1})
    (finding,) = findings_for(notifications=[failed, active])
    assert finding.rule_id == "notification-failed"
    assert finding.evidence["url"] == "https://hooks.example.org/x"
    assert 'delete_notification(notification_id="n1")' in finding.fix


@pytest.mark.anyio
async def test_the_audit_finds_the_seeded_guest_access_left_issued_until_it_is_revoked(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        before = await call_ok(client, "audit_smartlocks")
        await call_ok(
            client, "revoke_reservation_access", {"address": HOLIDAY_FLAT_NAME, "reservation": ENDED_RESERVATION_ID}
        )
        after = await call_ok(client, "audit_smartlocks")
    found = {str(f["rule_id"]): f for f in rows(before, "findings")}
    assert obj(found["reservation-access-not-revoked"], "evidence")["reservation_id"] == ENDED_RESERVATION_ID
    assert obj(found["notification-failed"], "evidence")["notification_id"] == NOTIFICATION_ID
    assert "reservation-access-not-revoked" not in [f["rule_id"] for f in rows(after, "findings")]


@pytest.mark.anyio
async def test_the_audit_leaves_out_an_address_and_a_notification_outside_the_allow_list(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        report = await call_ok(client, "audit_smartlocks")
    rule_ids = [f["rule_id"] for f in rows(report, "findings")]
    assert "reservation-access-not-revoked" not in rule_ids
    assert "notification-failed" not in rule_ids
