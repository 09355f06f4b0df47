"""The guard units at their edges: token and approval lifetimes, malformed tokens, forgetting old state.

Mutation testing (docs/mutation-testing.md) showed that the tests through the MCP client never reach
these edges; each test here pins one of them on the public unit itself.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from pydantic import JsonValue

from nuki_mcp.approvals.store import ApprovalEvent
from nuki_mcp.argument_seal import ArgumentSeal
from nuki_mcp.clock import ManualClock
from nuki_mcp.guard import (
    MASK,
    SECRET_ARGUMENTS,
    AuditTrail,
    CardApprovals,
    ConfirmationTokens,
    DeviceAllowList,
    DeviceRef,
    FieldChange,
    GuardRefusal,
    QuestionTimes,
    WritePlan,
    canonical_json,
    mask_arguments,
)
from nuki_mcp.shared_state.base import MemoryCardLog, MemoryQuestionLog

BINDING = '{"arguments":{},"devices":[1],"tool":"unlock_smartlock"}'


@dataclass(frozen=True)
class _CardWrite:
    """What the tools layer puts in a card (`CardContent`): the plan the human sees and the arguments."""

    plan: WritePlan
    arguments: dict[str, JsonValue]


_WRITE = _CardWrite(WritePlan(tool="unlock_smartlock", summary="Unlock 'Front Door'."), {"smartlock": "Front Door"})


def _cards(clock: ManualClock) -> CardApprovals:
    return CardApprovals(clock=clock, seal=ArgumentSeal(b"s" * 32, SECRET_ARGUMENTS), ttl_s=300.0)


def _tokens(clock: ManualClock) -> ConfirmationTokens:
    return ConfirmationTokens(clock=clock, ttl_s=120.0, secret=b"k" * 32)


# --- confirmation tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("expiry", ["12a", "\u0661\u0662\u0663", ""], ids=["letters", "arabic-digits", "empty"])
def test_a_token_whose_expiry_is_not_ascii_digits_is_refused_as_not_valid(expiry: str) -> None:
    tokens = _tokens(ManualClock())
    nonce, _, mac = tokens.issue(BINDING).token.split(".")
    with pytest.raises(GuardRefusal, match="is not valid"):
        tokens.redeem(BINDING, f"{nonce}.{expiry}.{mac}")


def test_a_token_is_still_accepted_at_the_last_instant_of_its_lifetime() -> None:
    clock = ManualClock()
    clock.advance(1000.0)
    tokens = _tokens(clock)
    issued = tokens.issue(BINDING)
    clock.advance(120.0)
    tokens.redeem(BINDING, issued.token)


def test_a_token_is_refused_a_millisecond_after_its_lifetime() -> None:
    clock = ManualClock()
    clock.advance(1000.0)
    tokens = _tokens(clock)
    issued = tokens.issue(BINDING)
    clock.advance(120.001)
    with pytest.raises(GuardRefusal, match="expired"):
        tokens.redeem(BINDING, issued.token)


def test_a_used_token_stays_used_for_the_rest_of_its_lifetime() -> None:
    clock = ManualClock()
    tokens = _tokens(clock)
    issued = tokens.issue(BINDING)
    tokens.redeem(BINDING, issued.token)
    clock.advance(110.0)
    with pytest.raises(GuardRefusal, match="already used"):
        tokens.redeem(BINDING, issued.token)


# --- confirmation cards ---------------------------------------------------------------------------


def test_an_approval_card_counts_down_its_seconds_and_stops_at_zero() -> None:
    clock = ManualClock()
    clock.advance(50.0)
    cards = _cards(clock)
    card = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    assert cards.seconds_left(card) == 300
    clock.advance(100.0)
    assert cards.seconds_left(card) == 200
    clock.advance(200.0)
    assert cards.seconds_left(card) == 0
    clock.advance(50.0)
    assert cards.seconds_left(card) == 0


def test_an_approval_card_is_usable_at_the_last_instant_of_its_lifetime_and_expired_after_it() -> None:
    clock = ManualClock()
    cards = _cards(clock)
    card = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    clock.advance(300.0)
    assert cards.peek(card.approval_id).approval_id == card.approval_id
    clock.advance(0.001)
    with pytest.raises(GuardRefusal, match="expired"):
        cards.peek(card.approval_id)


def test_adding_an_approval_card_keeps_the_other_pending_cards() -> None:
    clock = ManualClock()
    cards = _cards(clock)
    first = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    clock.advance(10.0)
    cards.add("lock_smartlock", BINDING, write=_WRITE)
    cards.take(first.approval_id)
    with pytest.raises(GuardRefusal, match="already used"):
        cards.peek(first.approval_id)


def test_an_expired_approval_card_is_reported_expired_for_a_lifetime_then_forgotten() -> None:
    clock = ManualClock()
    cards = _cards(clock)
    old = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    clock.advance(600.0)  # a full lifetime after it expired: not yet forgotten
    cards.add("lock_smartlock", BINDING, write=_WRITE)
    with pytest.raises(GuardRefusal, match="expired"):
        cards.peek(old.approval_id)
    clock.advance(0.001)
    cards.add("lock_smartlock", BINDING, write=_WRITE)
    with pytest.raises(GuardRefusal, match="not known"):
        cards.peek(old.approval_id)


class _OtherReplicaClicksFirst(MemoryCardLog):
    """A card log shared with another replica whose click lands between this one's check and its decision."""

    def __init__(self, clock: ManualClock, other_click: Literal["denied", "used"]) -> None:
        super().__init__(clock)
        self.other_click: Literal["denied", "used"] = other_click

    def decide(self, approval_id: str, state: Literal["denied", "used"]) -> bool:
        super().decide(approval_id, self.other_click)
        return super().decide(approval_id, state)


@pytest.mark.parametrize("click", ["approve", "cancel"])
@pytest.mark.parametrize(
    ("other_click", "refusal"),
    [
        ("used", r"^This approval was already used; each one works once\.$"),
        ("denied", r"^This change was cancelled in the confirmation card; it can never be approved\.$"),
    ],
)
def test_a_card_decided_elsewhere_after_it_was_checked_is_refused_with_what_happened_to_it(
    click: str, other_click: Literal["denied", "used"], refusal: str
) -> None:
    clock = ManualClock()
    cards = CardApprovals(
        clock=clock, seal=ArgumentSeal(b"s" * 32, SECRET_ARGUMENTS), log=_OtherReplicaClicksFirst(clock, other_click)
    )
    card = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    decide = cards.take if click == "approve" else cards.deny
    with pytest.raises(GuardRefusal, match=refusal):
        decide(f" {card.approval_id} ")


class _ReplicaClock(ManualClock):
    """A machine's clock: its own monotonic origin, the shared wall-clock time, and wall-clock jumps."""

    def __init__(self, monotonic_origin: float) -> None:
        super().__init__()
        self._origin = monotonic_origin
        self._wall_jump = 0.0

    def monotonic(self) -> float:
        return self._origin + super().monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self._wall_jump)

    def jump_wall(self, seconds: float) -> None:
        self._wall_jump += seconds


def test_a_token_of_one_process_ignores_a_wall_clock_jump() -> None:
    clock = _ReplicaClock(monotonic_origin=0.0)
    tokens = _tokens(clock)
    issued = tokens.issue(BINDING)
    clock.jump_wall(3600.0)  # NTP or a daylight-saving mistake: the token's lifetime is monotonic
    tokens.redeem(BINDING, issued.token)


def test_a_card_of_one_process_ignores_a_wall_clock_jump() -> None:
    clock = _ReplicaClock(monotonic_origin=0.0)
    cards = _cards(clock)
    card = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    clock.jump_wall(3600.0)  # without shared state a card's lifetime is monotonic, like a token's
    assert cards.seconds_left(card) == 300
    cards.take(card.approval_id)


def test_a_card_of_one_process_expires_on_its_monotonic_clock_even_when_the_wall_clock_goes_back() -> None:
    clock = _ReplicaClock(monotonic_origin=0.0)
    cards = _cards(clock)
    card = cards.add("unlock_smartlock", BINDING, write=_WRITE)
    clock.advance(301.0)
    clock.jump_wall(-3600.0)
    with pytest.raises(GuardRefusal, match="expired"):
        cards.peek(card.approval_id)


def test_replicas_sharing_the_wall_clock_accept_each_others_tokens_whatever_their_monotonic_clocks() -> None:
    secret = b"k" * 32
    issuing = ConfirmationTokens(clock=_ReplicaClock(monotonic_origin=5.0), secret=secret, wall_clock=True)
    redeeming = ConfirmationTokens(clock=_ReplicaClock(monotonic_origin=90_000.0), secret=secret, wall_clock=True)
    redeeming.redeem(BINDING, issuing.issue(BINDING).token)


def test_replicas_sharing_the_wall_clock_refuse_each_others_expired_tokens() -> None:
    secret = b"k" * 32
    issuing_clock, redeeming_clock = _ReplicaClock(monotonic_origin=90_000.0), _ReplicaClock(monotonic_origin=5.0)
    issuing = ConfirmationTokens(clock=issuing_clock, secret=secret, wall_clock=True)
    redeeming = ConfirmationTokens(clock=redeeming_clock, secret=secret, wall_clock=True)
    token = issuing.issue(BINDING).token
    redeeming_clock.advance(121.0)
    with pytest.raises(GuardRefusal, match="expired"):
        redeeming.redeem(BINDING, token)


# --- question times -------------------------------------------------------------------------------


def test_a_question_asked_while_another_is_open_leaves_the_others_answer_in_time() -> None:
    clock = ManualClock()
    questions = QuestionTimes(clock=clock, ttl_s=120.0)
    questions.asked("unlock Front Door", answering=False)
    clock.advance(60.0)
    questions.asked("lock Cellar", answering=False)
    clock.advance(1.0)
    assert questions.answered_in_time("unlock Front Door")
    assert questions.answered_in_time("lock Cellar")


def test_a_question_of_one_process_times_out_on_its_monotonic_clock_even_when_the_wall_clock_goes_back() -> None:
    clock = _ReplicaClock(monotonic_origin=0.0)
    questions = QuestionTimes(clock=clock, ttl_s=120.0)
    questions.asked(BINDING, answering=False)
    clock.advance(121.0)
    clock.jump_wall(-3600.0)
    assert not questions.answered_in_time(BINDING)


def test_replicas_sharing_the_wall_clock_take_each_others_answers_in_time_whatever_their_monotonic_clocks() -> None:
    log = MemoryQuestionLog()
    asking_clock, answering_clock = _ReplicaClock(monotonic_origin=5.0), _ReplicaClock(monotonic_origin=90_000.0)
    QuestionTimes(clock=asking_clock, ttl_s=120.0, log=log, wall_clock=True).asked(BINDING, answering=False)
    answering_clock.advance(60.0)
    assert QuestionTimes(clock=answering_clock, ttl_s=120.0, log=log, wall_clock=True).answered_in_time(BINDING)


# --- the question and the audit line of a passkey approval ---------------------------------------


def test_the_question_lists_each_change_under_a_changes_heading_before_the_deadline() -> None:
    plan = WritePlan(
        tool="update_smartlock_config",
        summary="Change the config of 'Front Door' (id 1).",
        changes=(FieldChange("auto_lock", False, True), FieldChange("name", "Front", None)),
    )
    assert plan.question(120.0).splitlines() == [
        "Change the config of 'Front Door' (id 1).",
        "Changes:",
        "- auto_lock: false -> true",
        '- name: "Front" -> (not set)',
        "Confirm within 120 s to proceed; anything else, or a later answer, cancels.",
    ]


def test_a_passkey_approval_step_is_one_audit_line_naming_the_approval_devices_and_passkey(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditTrail(path, ManualClock()).approval(
        ApprovalEvent("granted", "ap-1", "unlock_smartlock", (7, 3), client_name="Claude", credential_id="cred-9")
    )
    [line] = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert line.pop("id") != ""
    assert line == {
        "time": "2026-11-22T09:00:00Z",
        "event": "approval",
        "tool": "unlock_smartlock",
        "device": None,
        "arguments": {"devices": [7, 3]},
        "confirmation": "passkey",
        "outcome": "granted",
        "detail": "passkey approval ap-1 granted with passkey cred-9",
        "approval_id": "ap-1",
        "credential_id": "cred-9",
        "by": None,  # stdio: nobody signed in
    }


def test_every_audit_line_names_who_was_signed_in_when_someone_was(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    trail = AuditTrail(path, ManualClock())
    trail.actor = lambda: "owner:cred-1 via client Claude"
    trail.approval(ApprovalEvent("created", "ap-2", "unlock_smartlock", (7,), client_name="Claude"))
    attempt_id = trail.attempt(tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="passkey")
    trail.outcome(attempt_id, tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="passkey", outcome="ok")
    trail.decision(
        tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="passkey", outcome="refused", detail="no"
    )
    lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["event"], line["by"]) for line in lines] == [
        ("approval", "owner:cred-1 via client Claude"),
        ("attempt", "owner:cred-1 via client Claude"),
        ("outcome", "owner:cred-1 via client Claude"),
        ("decision", "owner:cred-1 via client Claude"),
    ]


# --- plans ----------------------------------------------------------------------------------------


def test_a_plan_describes_itself_in_one_line_with_its_changes() -> None:
    summary = "Change the config of 'Front Door' (id 1)."
    plain = WritePlan(tool="update_smartlock_config", summary=summary)
    changed = replace(plain, changes=(FieldChange("auto_lock", False, True), FieldChange("code", 1234, 5678)))
    assert plain.describe() == summary
    assert changed.describe() == f"{summary} Changes: auto_lock: false -> true; code: changed (hidden)."


def test_asking_a_device_less_plan_for_its_device_is_an_error_naming_the_tool() -> None:
    with pytest.raises(RuntimeError, match=r"^bulk_web_config: this write plan names no device$"):
        WritePlan(tool="bulk_web_config", summary="Turn on web access.").target()


# --- the audit trail ------------------------------------------------------------------------------

FRONT = DeviceRef(1, "Front Door", 4)


def test_the_outcome_line_carries_the_attempts_id_device_and_outcome(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    trail = AuditTrail(path, ManualClock())
    attempt_id = trail.attempt(tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="token")
    trail.outcome(
        attempt_id, tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="token", outcome="confirmed"
    )
    lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["id"], line["event"], line["device"], line["outcome"]) for line in lines] == [
        (attempt_id, "attempt", {"id": 1, "name": "Front Door"}, "sending"),
        (attempt_id, "outcome", {"id": 1, "name": "Front Door"}, "confirmed"),
    ]


def _logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]


def test_an_outcome_that_cannot_be_recorded_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trail = AuditTrail(tmp_path, ManualClock())  # a directory: every write fails
    trail.outcome("a1b2", tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="token", outcome="done")
    assert _logged_errors(caplog) == [
        f"Could not record the outcome 'done' of audit attempt a1b2 in {tmp_path}: Is a directory"
    ]


def test_a_decision_that_cannot_be_recorded_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trail = AuditTrail(tmp_path, ManualClock())
    trail.decision(tool="lock_smartlock", device=None, arguments={}, confirmation="none", outcome="refused")
    assert _logged_errors(caplog) == [
        f"Could not record a 'refused' decision of lock_smartlock in {tmp_path}: Is a directory"
    ]


def test_a_passkey_approval_step_that_cannot_be_recorded_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trail = AuditTrail(tmp_path, ManualClock())
    trail.approval(ApprovalEvent("denied", "ap-2", "unlock_smartlock", (1,)))
    assert _logged_errors(caplog) == [f"Could not record passkey approval step 'denied' in {tmp_path}: Is a directory"]


def test_a_decision_line_names_the_device_it_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditTrail(path, ManualClock()).decision(
        tool="unlock_smartlock", device=FRONT, arguments={"smartlock": "front"}, confirmation="token", outcome="refused"
    )
    [line] = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert (line["event"], line["device"], line["arguments"]) == (
        "decision",
        {"id": 1, "name": "Front Door"},
        {"smartlock": "front"},
    )


# --- what a confirmation is bound to ------------------------------------------------------------


def test_the_canonical_json_of_a_binding_ignores_key_order_and_is_compact_ascii() -> None:
    assert canonical_json({"b": 1, "a": [1, "Tür"]}) == '{"a":[1,"T\\u00fcr"],"b":1}'
    assert canonical_json({"a": [1, "Tür"], "b": 1}) == canonical_json({"b": 1, "a": [1, "Tür"]})


def test_secret_arguments_are_masked_unless_they_are_not_set() -> None:
    masked = mask_arguments({"code": 123456, "admin_pin": None, "secret": "s", "name": "Tür", "smartlock": "front"})
    assert masked == {"code": MASK, "admin_pin": None, "secret": MASK, "name": "Tür", "smartlock": "front"}


# --- the allow-list -------------------------------------------------------------------------------


def test_the_allow_list_matches_ids_or_names_ignoring_case_and_surrounding_spaces() -> None:
    allow = DeviceAllowList((" Front Door ", "42"))
    assert allow.allows(42, "Garage")
    assert allow.allows(7, "  FRONT DOOR")
    assert not allow.allows(7, "Back Door")
    assert not allow.allows(4, "Garage")
    assert DeviceAllowList().allows(7, "Back Door")


# --- the audit file -------------------------------------------------------------------------------


def test_an_attempt_is_one_json_line_with_masked_arguments_written_before_anything_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "nuki" / "audit.jsonl"  # directories are created as needed
    trail = AuditTrail(path, ManualClock())
    attempt_id = trail.attempt(
        tool="update_keypad_code", device=FRONT, arguments={"code": 123456, "name": "Tür"}, confirmation="elicitation"
    )
    trail.decision(
        tool="unlock_smartlock", device=None, arguments={}, confirmation="none", outcome="refused", detail="read-only"
    )
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    first, second = (json.loads(line) for line in text.splitlines())
    assert first == {
        "time": "2026-11-22T09:00:00Z",
        "id": attempt_id,
        "event": "attempt",
        "tool": "update_keypad_code",
        "device": {"id": 1, "name": "Front Door"},
        "arguments": {"code": MASK, "name": "Tür"},
        "confirmation": "elicitation",
        "outcome": "sending",
        "detail": None,
        "approval_id": None,
        "credential_id": None,
        "by": None,  # stdio: nobody signed in
    }
    assert (second["event"], second["device"], second["outcome"], second["detail"]) == (
        "decision",
        None,
        "refused",
        "read-only",
    )


def test_checking_the_audit_file_creates_it_empty_and_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "audit.jsonl"
    trail = AuditTrail(path, ManualClock())
    trail.check_writable()
    trail.check_writable()
    assert path.read_text(encoding="utf-8") == ""


def test_an_audit_file_that_cannot_be_written_is_refused_at_start_up_naming_it(tmp_path: Path) -> None:
    with pytest.raises(GuardRefusal, match=re.escape(f"Cannot write the audit log at {tmp_path} (Is a directory)")):
        AuditTrail(tmp_path, ManualClock()).check_writable()


def test_without_an_audit_file_nothing_is_written_and_nothing_fails(tmp_path: Path) -> None:
    trail = AuditTrail(None, ManualClock())
    trail.check_writable()
    trail.attempt(tool="unlock_smartlock", device=FRONT, arguments={}, confirmation="off")
    assert list(tmp_path.iterdir()) == []
