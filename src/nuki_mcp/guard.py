"""Server-enforced guards: what a write will do, who confirmed it, and the record of it.

- `WritePlan`: the exact effect of a write (device, summary, field changes), shown to the human.
- `ConfirmationTokens`: the two-step confirmation for clients that cannot ask the human: a single-use
  token, HMAC-bound to the tool, its arguments and the device, that expires.
- `DeviceAllowList`: devices outside NUKI_DEVICES are invisible and refused.
- `AuditTrail`: JSON lines, each synced to disk when written: an attempt line before anything is sent
  to Nuki and an outcome line after it (same id), and one line for every refusal.

The MCP side of confirmation (the elicitation resolver) lives in `tools/writes.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, Field, JsonValue, field_validator

from nuki_mcp.argument_seal import ArgumentSeal, SealBroken
from nuki_mcp.clock import Clock
from nuki_mcp.config import ConfirmMode
from nuki_mcp.shared_state.base import (
    CardLog,
    CardRecord,
    CardState,
    MemoryCardLog,
    MemoryQuestionLog,
    MemorySingleUse,
    QuestionLog,
    SingleUse,
)

if TYPE_CHECKING:
    from nuki_mcp.approvals.service import PasskeyApprovals
    from nuki_mcp.approvals.store import ApprovalEvent

logger = logging.getLogger(__name__)

SECRET_ARGUMENTS = frozenset({"code", "admin_pin", "confirmation_token", "secret"})
MASK = "******"

ConfirmationMethod = Literal["elicitation", "token", "passkey", "off", "not_required"]
# APPROVALS.md: "securing" writes only make things safer and follow `auto` even under NUKI_CONFIRM=passkey.
RiskClass = Literal["securing", "opening"]


class ConfirmForm(BaseModel):
    """The form the human sees. Only an explicit JSON `confirm: true` lets the write proceed."""

    confirm: bool = Field(default=False, description="Yes, do exactly this now.")

    @field_validator("confirm", mode="before")
    @classmethod
    def _only_json_true(cls, value: object) -> bool:
        # Pydantic's lax bool would turn "true", "yes", 1 or 1.0 into True: a door opens on a JSON true only.
        return value is True


class NotAsked(ConfirmForm):
    """Returned instead of a question when the human is not asked through the client.

    A client's elicitation answer is validated against `ConfirmForm`, so it can never arrive as
    `NotAsked`: only the server produces this.
    """

    method: Literal["off", "token", "passkey", "refused", "not_required"]


@dataclass(frozen=True)
class DeviceRef:
    smartlock_id: int
    name: str
    device_type: int

    def label(self) -> str:
        return f"{self.name!r} (id {self.smartlock_id})"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: JsonValue
    after: JsonValue

    def describe(self) -> str:
        if self.field in SECRET_ARGUMENTS:
            return f"{self.field}: changed (hidden)"
        return f"{self.field}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: JsonValue) -> str:
    return "(not set)" if value is None else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class WritePlan:
    """Exactly what a write tool is about to do, computed before anything is sent to Nuki."""

    tool: str
    summary: str
    device: DeviceRef | None = None
    changes: tuple[FieldChange, ...] = ()
    needs_confirmation: bool = True
    risk: RiskClass = "opening"
    # Every device a multi-device write resolved (bulk writes); `device` is the one of a single-device write.
    devices: tuple[DeviceRef, ...] = ()
    # The validated arguments, device names left out: set for tools declared with `write_tool`.
    arguments: Mapping[str, JsonValue] | None = field(default=None, compare=False)

    def device_ids(self) -> list[int]:
        """The resolved ids of every device this write touches, sorted."""
        return sorted({ref.smartlock_id for ref in (self.device, *self.devices) if ref is not None})

    def target(self) -> DeviceRef:
        """The device this plan writes to; only device-less plans (bulk, account) lack one."""
        if self.device is None:
            raise RuntimeError(f"{self.tool}: this write plan names no device")
        return self.device

    def question(self, answer_within_s: float) -> str:
        """The confirmation question: deterministic from the plan, so it is asked exactly once."""
        lines = [self.summary]
        if self.changes:
            lines.append("Changes:")
            lines.extend(f"- {change.describe()}" for change in self.changes)
        lines.append(f"Confirm within {answer_within_s:g} s to proceed; anything else, or a later answer, cancels.")
        return "\n".join(escape_invisible(line) for line in lines)

    def describe(self) -> str:
        """The summary with the field changes on one line, for results."""
        if not self.changes:
            return escape_invisible(self.summary)
        return escape_invisible(f"{self.summary} Changes: " + "; ".join(c.describe() for c in self.changes) + ".")


def is_invisible(char: str) -> bool:
    """Control and format characters (C0/C1 controls, bidi overrides and isolates, zero-width marks)."""
    return unicodedata.category(char) in ("Cc", "Cf")


def escape_invisible(text: str) -> str:
    """`text` with every invisible character spelled out (`\\u202e`), so a human confirms what is really sent.

    A right-to-left override or an escape sequence would otherwise make a question show another URL or
    name than the one the write carries.
    """
    return "".join(f"\\u{ord(c):04x}" if is_invisible(c) else c for c in text)


class GuardRefusal(Exception):
    """A guard refused the call; the message tells the agent what to do instead."""


def canonical_json(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def mask_arguments(arguments: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """Arguments with secrets (keypad codes, admin PIN, tokens) replaced by a mask."""
    return {k: (MASK if k in SECRET_ARGUMENTS and v is not None else v) for k, v in arguments.items()}


_CLAIM_MARGIN_S = 60.0


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in_s: int


@dataclass
class ConfirmationTokens:
    """Single-use confirmation tokens bound to one tool call.

    The token carries a random nonce and its expiry; its MAC covers both plus the canonical
    binding (tool, arguments without the token, device id), keyed with a per-process secret. Any
    difference in the repeated call, a replay, a forged or truncated token, or a late one is refused.
    """

    clock: Clock
    ttl_s: float = 120.0
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # Used nonces: this process's memory by default; shared (Redis) when replicas share one `secret`.
    used: SingleUse | None = field(default=None, repr=False)
    # Replicas on several machines share no monotonic clock: expiries are then wall-clock times.
    wall_clock: bool = False

    def __post_init__(self) -> None:
        if self.used is None:
            self.used = MemorySingleUse(self.clock)

    def issue(self, binding: str) -> IssuedToken:
        nonce = secrets.token_urlsafe(12)
        expires_ms = int((self._now() + self.ttl_s) * 1000)
        mac = self._mac(nonce, expires_ms, binding)
        return IssuedToken(token=f"{nonce}.{expires_ms}.{mac}", expires_in_s=int(self.ttl_s))

    def redeem(self, binding: str, token: str) -> None:
        """Accept the token once for exactly this binding, or raise `GuardRefusal`."""
        parts = token.strip().split(".")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
            raise GuardRefusal(
                "The confirmation_token is not valid; call the tool again without confirmation_token to get a new one."
            )
        nonce, expires_raw, mac = parts
        expires_ms = int(expires_raw)
        if not hmac.compare_digest(mac, self._mac(nonce, expires_ms, binding)):
            raise GuardRefusal(
                "The confirmation_token does not match this call (it was issued for another tool, "
                "device or set of arguments, or it was altered); call the tool again without "
                "confirmation_token to get a token for exactly this call."
            )
        left_s = expires_ms / 1000 - self._now()
        # One atomic claim: of concurrent redemptions (in any replica) exactly one gets past here. The
        # claim outlives the token, so no instant exists at which a used token is forgotten but still valid.
        if self.used is None or not self.used.claim(nonce, max(left_s, 0.0) + _CLAIM_MARGIN_S):
            raise GuardRefusal(
                "The confirmation_token was already used; each token works once, so call the tool again "
                "without confirmation_token to get a new one."
            )
        if left_s < 0:
            raise GuardRefusal(
                f"The confirmation_token expired (tokens last {int(self.ttl_s)} s); call the tool again "
                "without confirmation_token to get a new one."
            )

    def release(self, token: str) -> None:
        """Make a redeemed token usable again (until it expires): the write it confirmed was not done."""
        if self.used is not None:
            self.used.release(token.strip().split(".")[0])

    def _now(self) -> float:
        return self.clock.now().timestamp() if self.wall_clock else self.clock.monotonic()

    def _mac(self, nonce: str, expires_ms: int, binding: str) -> str:
        message = f"{nonce}.{expires_ms}.{binding}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class QuestionTimes:
    """When each confirmation question was put to the human, so that a yes arriving too late is not used.

    Keyed by the same binding as a confirmation token. On the 2026-07-28 protocol era the question is
    asked in one request and answered in the retry, so the retry keeps the time of the first asking; that
    retry may reach another replica, so with shared state the times are in `log` on the wall clock.
    """

    clock: Clock
    ttl_s: float = 120.0
    log: QuestionLog = field(default_factory=MemoryQuestionLog, repr=False)
    wall_clock: bool = False

    def asked(self, binding: str, *, answering: bool) -> None:
        """Note that the question for `binding` is asked now; `answering`: this request carries the answer."""
        if not answering:
            # Forgotten only long after expiry: a forgotten question counts as stale, never as fresh.
            self.log.note(binding, self._now(), 10 * self.ttl_s)

    def answered_in_time(self, binding: str) -> bool:
        """Whether the answer to the question for `binding` arrives within its lifetime (once per question)."""
        asked_at = self.log.take(binding)
        return asked_at is not None and self._now() - asked_at <= self.ttl_s

    def _now(self) -> float:
        return self.clock.now().timestamp() if self.wall_clock else self.clock.monotonic()


class CardContent(Protocol):
    """What the tools layer puts in a card: the plan the human sees and the arguments as the client sent them."""

    @property
    def plan(self) -> WritePlan: ...

    @property
    def arguments(self) -> dict[str, JsonValue]: ...


@dataclass(frozen=True)
class PendingCard:
    """A write waiting for Approve or Cancel in the MCP Apps confirmation card."""

    record: CardRecord
    # The planned write, when this process showed the card; None on another replica (re-plan it from `record`).
    write: object | None = field(default=None, repr=False)

    @property
    def approval_id(self) -> str:
        return self.record.approval_id

    @property
    def tool(self) -> str:
        return self.record.tool

    @property
    def binding(self) -> str:
        return self.record.binding

    @property
    def expires_at(self) -> float:
        return self.record.expires_at

    @property
    def state(self) -> CardState:
        return self.record.state

    def device(self) -> DeviceRef | None:
        """The device the card names, as it was when the card was shown."""
        record = self.record
        if record.device_id is None or record.device_name is None or record.device_type is None:
            return None
        return DeviceRef(record.device_id, record.device_name, record.device_type)


@dataclass
class CardApprovals:
    """Writes waiting in a confirmation card: single use, expiring on the clock, a denial final.

    The cards live in `log` (this process's memory, or Redis shared by every replica, where expiries are
    wall-clock times); the planned write itself stays with the process that showed the card.
    """

    clock: Clock
    # Keypad codes and PINs in a card's stored arguments are encrypted with it (see argument_seal).
    seal: ArgumentSeal = field(repr=False)
    ttl_s: float = 300.0
    log: CardLog | None = field(default=None, repr=False)
    wall_clock: bool = False
    _writes: dict[str, tuple[CardContent, float]] = field(
        default_factory=dict[str, tuple[CardContent, float]], repr=False
    )

    def __post_init__(self) -> None:
        if self.log is None:
            self.log = MemoryCardLog(self.clock)

    def add(self, tool: str, binding: str, write: CardContent, approval_id: str | None = None) -> PendingCard:
        now = self._now()
        for key in [k for k, (_, expires_at) in self._writes.items() if now > expires_at + self.ttl_s]:
            del self._writes[key]
        device = write.plan.device
        record = CardRecord(
            approval_id=approval_id or secrets.token_urlsafe(24),
            tool=tool,
            arguments=self.seal.sealed(write.arguments),
            binding=binding,
            summary=write.plan.describe(),
            device_id=None if device is None else device.smartlock_id,
            device_name=None if device is None else device.name,
            device_type=None if device is None else device.device_type,
            expires_at=now + self.ttl_s,
        )
        # Kept for a second lifetime, so a late click is told "expired" rather than "unknown".
        self._log().put(record, 2 * self.ttl_s)
        self._writes[record.approval_id] = (write, record.expires_at)
        return PendingCard(record, write)

    def seconds_left(self, card: PendingCard) -> int:
        return max(0, int(card.expires_at - self._now()))

    def cancelled(self, approval_id: str) -> bool:
        """Whether the card of this id was cancelled: a Cancel outranks a passkey's yes given before it."""
        record = self._log().get(approval_id.strip())
        return record is not None and record.state == "denied"

    def arguments(self, card: PendingCard) -> dict[str, JsonValue]:
        """The card's arguments as the client sent them; `GuardRefusal` when its secrets cannot be opened."""
        try:
            return self.seal.opened(card.record.arguments)
        except SealBroken:
            raise GuardRefusal(
                "This change carries a keypad code or PIN that this server cannot decrypt (its replicas have "
                "different NUKI_MCP_SECRET_KEYs); nothing was sent. Ask for the change again."
            ) from None

    def peek(self, approval_id: str) -> PendingCard:
        """The pending card, still usable; or `GuardRefusal` saying why it cannot be used."""
        return self._checked(approval_id)

    def take(self, approval_id: str) -> None:
        """Use up the pending card; or `GuardRefusal` saying why it cannot be used."""
        self._decide(approval_id, "used")

    def deny(self, approval_id: str) -> PendingCard:
        """Cancel the pending card for good, returning it as it was shown; or `GuardRefusal` saying why not."""
        return self._decide(approval_id, "denied")

    def _decide(self, approval_id: str, state: Literal["denied", "used"]) -> PendingCard:
        card = self._checked(approval_id)
        if not self._log().decide(card.approval_id, state):  # another call (on any replica) decided it first
            self._checked(approval_id)
            raise GuardRefusal("This approval is not known to the server any more; nothing was sent.")
        return card

    def _checked(self, approval_id: str) -> PendingCard:
        key = approval_id.strip()
        record = self._log().get(key)
        if record is None:
            raise GuardRefusal(
                "This approval is not known to the server (it may be from another session); nothing was sent."
            )
        if record.state == "denied":
            raise GuardRefusal("This change was cancelled in the confirmation card; it can never be approved.")
        if record.state == "used":
            raise GuardRefusal("This approval was already used; each one works once.")
        if self._now() > record.expires_at:
            raise GuardRefusal(
                f"This approval expired (approvals last {self.ttl_s:g} s); nothing was sent. Ask for the change again."
            )
        local = self._writes.get(key)
        return PendingCard(record, None if local is None else local[0])

    def _log(self) -> CardLog:
        if self.log is None:  # __post_init__ sets it
            raise RuntimeError("CardApprovals has no card log")
        return self.log

    def _now(self) -> float:
        return self.clock.now().timestamp() if self.wall_clock else self.clock.monotonic()


@dataclass(frozen=True)
class DeviceAllowList:
    """NUKI_DEVICES: ids or names (case-insensitive); empty means every device is allowed."""

    entries: tuple[str, ...] = ()

    def allows(self, smartlock_id: int, name: str) -> bool:
        if not self.entries:
            return True
        wanted = {e.strip().casefold() for e in self.entries}
        return str(smartlock_id) in wanted or name.strip().casefold() in wanted


AuditEvent = Literal["attempt", "outcome", "decision", "approval"]


class AuditRecord(BaseModel):
    """One line of the audit trail.

    - `attempt`: written and synced before the request can reach Nuki (`outcome` is "sending"). An
      attempt without an `outcome` line of the same `id` means the outcome is unknown: the process
      died or lost the answer after the request may have left.
    - `outcome`: what became of that attempt (confirmed, pending, failed, done, unknown, error, ...).
    - `decision`: nothing was sent to Nuki (refused, not_done, confirmation_required).
    - `approval`: a step of a passkey approval (created, granted, denied, expired, redeemed); never the
      challenge or anything the passkey signed.

    `by` says who asked in remote mode (the signed-in subject and the MCP client it signed in); it is
    null on stdio, where whoever runs the process is the only one who can ask.
    """

    time: str
    id: str
    event: AuditEvent
    tool: str
    device: dict[str, JsonValue] | None
    arguments: dict[str, JsonValue]
    confirmation: str
    outcome: str
    detail: str | None = None
    approval_id: str | None = None
    credential_id: str | None = None
    by: str | None = None


def _nobody() -> str | None:
    return None


class AuditUnavailable(GuardRefusal):
    """The attempt could not be recorded, so nothing may be sent."""


class AuditTrail:
    """Append-only JSON lines; each line is flushed and synced before `attempt`/`decision`/`outcome` return."""

    def __init__(self, path: Path | None, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        # Who asked for the write being recorded; remote mode names the signed-in subject and client.
        self.actor: Callable[[], str | None] = _nobody

    def attempt(
        self, *, tool: str, device: DeviceRef | None, arguments: Mapping[str, JsonValue], confirmation: str
    ) -> str:
        """Record that a write is about to be sent; returns the id its outcome line will carry.

        Raises `AuditUnavailable` when the line cannot be written: no record, no request.
        """
        attempt_id = secrets.token_hex(8)
        try:
            self._write(attempt_id, "attempt", tool, device, arguments, confirmation, "sending", None)
        except OSError as exc:
            raise AuditUnavailable(
                f"Nothing was sent to Nuki: the audit trail at {self.path} cannot be written ({exc.strerror}); "
                "fix its permissions or free disk space, then try again."
            ) from None
        return attempt_id

    def outcome(
        self,
        attempt_id: str,
        *,
        tool: str,
        device: DeviceRef | None,
        arguments: Mapping[str, JsonValue],
        confirmation: str,
        outcome: str,
        detail: str | None = None,
    ) -> None:
        """Record what became of an attempt. The write already happened, so a failure here is only logged."""
        try:
            self._write(attempt_id, "outcome", tool, device, arguments, confirmation, outcome, detail)
        except OSError as exc:
            logger.error(
                "Could not record the outcome %r of audit attempt %s in %s: %s",
                outcome,
                attempt_id,
                self.path,
                exc.strerror,
            )

    def decision(
        self,
        *,
        tool: str,
        device: DeviceRef | None,
        arguments: Mapping[str, JsonValue],
        confirmation: str,
        outcome: str,
        detail: str | None = None,
    ) -> None:
        """Record a write that was not sent (refused, declined, waiting for a token)."""
        try:
            self._write(secrets.token_hex(8), "decision", tool, device, arguments, confirmation, outcome, detail)
        except OSError as exc:
            logger.error("Could not record a %r decision of %s in %s: %s", outcome, tool, self.path, exc.strerror)

    def approval(self, event: ApprovalEvent) -> None:
        """Record a step of a passkey approval (the approval store calls this)."""
        record = AuditRecord(
            time=self._clock.now().isoformat().replace("+00:00", "Z"),
            id=secrets.token_hex(8),
            event="approval",
            tool=event.tool,
            device=None,
            arguments={"devices": list[JsonValue](event.device_ids)},
            confirmation="passkey",
            outcome=event.kind,
            detail=event.describe(),
            approval_id=event.approval_id,
            credential_id=event.credential_id,
            by=self.actor(),
        )
        try:
            self._emit(record)
        except OSError as exc:
            logger.error("Could not record passkey approval step %r in %s: %s", event.kind, self.path, exc.strerror)

    def _write(
        self,
        record_id: str,
        event: AuditEvent,
        tool: str,
        device: DeviceRef | None,
        arguments: Mapping[str, JsonValue],
        confirmation: str,
        outcome: str,
        detail: str | None,
    ) -> None:
        self._emit(
            AuditRecord(
                time=self._clock.now().isoformat().replace("+00:00", "Z"),
                id=record_id,
                event=event,
                tool=tool,
                device=None if device is None else {"id": device.smartlock_id, "name": device.name},
                arguments=mask_arguments(arguments),
                confirmation=confirmation,
                outcome=outcome,
                detail=detail,
                by=self.actor(),
            )
        )

    def _emit(self, record: AuditRecord) -> None:
        """Append one line, synced; raises OSError when it cannot. Subclasses may copy it elsewhere too."""
        if self.path is not None:
            _append(self.path, record.model_dump_json() + "\n")

    def check_writable(self) -> None:
        """Fail early (at start-up) when the audit log cannot be written."""
        if self.path is None:
            return
        try:
            _append(self.path, "")
        except OSError as exc:
            raise GuardRefusal(
                f"Cannot write the audit log at {self.path} ({exc.strerror}); fix its permissions or set "
                "NUKI_AUDIT_LOG to another file (or '-' to turn the audit log off)."
            ) from None


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        if line:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


@dataclass(frozen=True)
class Guard:
    """The guards of one server instance."""

    read_only: bool
    confirm: ConfirmMode
    allow_list: DeviceAllowList
    tokens: ConfirmationTokens
    questions: QuestionTimes
    audit: AuditTrail
    cards: CardApprovals
    # Digests keypad codes and PINs in bindings, which may be stored in shared state (see argument_seal).
    seal: ArgumentSeal
    approvals: PasskeyApprovals | None = None
