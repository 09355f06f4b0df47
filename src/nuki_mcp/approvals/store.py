"""Pending passkey approvals: what the owner is asked to approve, its state, and single-use redemption.

An approval binds one write (tool, resolved device ids, canonical arguments) to the owner's decision on the
approval page. State moves only forward: `pending` -> `granted` (with the passkey's credential id), `denied`
or `expired`; a granted approval is used up by exactly one redemption (`redeemed`). Presenting a token while
the approval is still pending does not use it up; a denial is final.

`ApprovalStore` is the interface; `MemoryApprovalStore` keeps approvals in one process (all its methods are
called from the event loop that also serves the approval page). A shared store for several replicas can
implement the same Protocol.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol

import anyio
from pydantic import JsonValue

from nuki_mcp.clock import Clock

DEFAULT_LIFETIME_S: Final = 300.0

ApprovalState = Literal["pending", "granted", "denied", "expired", "redeemed"]
ApprovalEventKind = Literal["created", "granted", "denied", "expired", "redeemed"]
RefusalReason = Literal["unknown", "pending", "denied", "expired", "used", "other_call"]

# secrets.token_urlsafe(24): 32 characters of base64url, 192 random bits.
_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{32}$")


def is_well_formed_id(approval_id: str) -> bool:
    """Whether `approval_id` could have been issued by this store (a truncated or padded one cannot)."""
    return _ID_PATTERN.fullmatch(approval_id) is not None


def approval_binding(tool: str, device_ids: Sequence[int], arguments: Mapping[str, JsonValue]) -> str:
    """The canonical string an approval is bound to: the tool, the resolved devices and the arguments.

    The confirmation token itself is not part of the call it confirms.
    """
    bound = {k: v for k, v in arguments.items() if k != "confirmation_token"}
    return json.dumps(
        {"tool": tool, "devices": sorted(device_ids), "arguments": bound},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


@dataclass(frozen=True)
class ApprovalDevice:
    """A device as the owner sees it on the approval page."""

    smartlock_id: int
    name: str


@dataclass(frozen=True)
class ApprovalRequest:
    """What a write asks the owner to approve, in the same words as the elicitation question."""

    tool: str
    devices: tuple[ApprovalDevice, ...]
    binding: str
    summary: str
    changes: tuple[str, ...] = ()
    client_name: str | None = None

    @property
    def device_ids(self) -> tuple[int, ...]:
        return tuple(d.smartlock_id for d in self.devices)


@dataclass(frozen=True)
class Approval:
    """One approval as stored. `challenge` is the single-use WebAuthn challenge of the page's current attempt."""

    id: str
    request: ApprovalRequest
    created_at: datetime
    expires_at: datetime
    state: ApprovalState = "pending"
    credential_id: str | None = None
    challenge: bytes | None = field(default=None, repr=False)

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.expires_at - now).total_seconds()))


@dataclass(frozen=True)
class ApprovalEvent:
    """A step worth an audit-trail line. Never carries a challenge or any assertion material."""

    kind: ApprovalEventKind
    approval_id: str
    tool: str
    device_ids: tuple[int, ...]
    client_name: str | None = None
    credential_id: str | None = None

    def describe(self) -> str:
        """The audit trail's detail: the approval, what happened, and the passkey that approved it."""
        by = f" with passkey {self.credential_id}" if self.credential_id and self.kind == "granted" else ""
        return f"passkey approval {self.approval_id} {self.kind}{by}"


ApprovalEvents = Callable[[ApprovalEvent], None]


def ignore_events(_: ApprovalEvent) -> None:
    """The default sink: no audit trail."""


class ApprovalRefused(Exception):
    """A token cannot be redeemed; `message` is one sentence telling the agent which case it is."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason: RefusalReason = reason
        self.message = message


class ApprovalNotPending(Exception):
    """The owner's decision arrived for an approval that is no longer waiting for one."""

    def __init__(self, approval: Approval | None) -> None:
        super().__init__("this approval is no longer waiting for a decision")
        self.approval = approval


_REFUSALS: Final[dict[RefusalReason, str]] = {
    "unknown": "This confirmation token is not a known approval (it may be mistyped, truncated or from another "
    "server); call the tool again without a token to get a new approval link.",
    "pending": "The owner has not approved this yet; ask them to open the approval link and approve with their "
    "passkey, then call again with the same arguments and the token.",
    "denied": "The owner denied this approval; it cannot be used, so tell the user it was not done.",
    "expired": "This approval expired before it was used; call the tool again without a token to get a new "
    "approval link.",
    "used": "This approval was already used once; call the tool again without a token to ask for a new approval.",
    "other_call": "This approval was given for a different tool, device or arguments; call again with exactly the "
    "approved arguments, or without a token to ask for a new approval.",
}


def refusal(reason: RefusalReason) -> ApprovalRefused:
    return ApprovalRefused(reason, _REFUSALS[reason])


_NOT_REDEEMABLE: Final[dict[ApprovalState, RefusalReason]] = {
    "pending": "pending",
    "denied": "denied",
    "expired": "expired",
    "redeemed": "used",
}


def redeemable(approval: Approval | None, binding: str) -> Approval:
    """`approval` if it may be used now for the call `binding` describes (granted, that very call); else why not.

    Every store applies these checks before it marks the approval redeemed, atomically in its own way.
    """
    if approval is None:
        raise refusal("unknown")
    if not hmac.compare_digest(approval.request.binding.encode(), binding.encode()):
        raise refusal("other_call")
    if approval.state != "granted":
        raise refusal(_NOT_REDEEMABLE[approval.state])
    return approval


class ApprovalStore(Protocol):
    async def create(self, request: ApprovalRequest) -> Approval:
        """Store a new pending approval with a fresh unguessable id."""
        ...

    async def get(self, approval_id: str) -> Approval | None:
        """The approval as it is now (an overdue one is expired first), or None for an unknown id."""
        ...

    async def new_challenge(self, approval_id: str, challenge: bytes) -> Approval:
        """Bind `challenge` to a pending approval, replacing any earlier one; raises `ApprovalNotPending`."""
        ...

    async def take_challenge(self, approval_id: str) -> bytes | None:
        """Remove and return the approval's challenge, so that each one verifies at most one assertion."""
        ...

    async def grant(self, approval_id: str, credential_id: str) -> Approval:
        """pending -> granted by the passkey `credential_id`; raises `ApprovalNotPending` otherwise."""
        ...

    async def deny(self, approval_id: str) -> Approval:
        """pending -> denied, for good; raises `ApprovalNotPending` otherwise."""
        ...

    async def redeem(self, approval_id: str, binding: str) -> Approval:
        """Use up a granted approval for the call `binding` describes, atomically; raises `ApprovalRefused`."""
        ...

    async def wait(self, approval_id: str, up_to_s: float) -> Approval | None:
        """Wait up to `up_to_s` seconds (on the store's clock) for a decision; the approval as it is then."""
        ...


class MemoryApprovalStore:
    """Approvals of one process, expiring on the injected clock."""

    def __init__(
        self,
        clock: Clock,
        *,
        lifetime_s: float = DEFAULT_LIFETIME_S,
        events: ApprovalEvents = ignore_events,
    ) -> None:
        self._clock = clock
        self._lifetime = timedelta(seconds=lifetime_s)
        self._events = events
        self._approvals: dict[str, Approval] = {}
        self._decided: dict[str, anyio.Event] = {}

    async def create(self, request: ApprovalRequest) -> Approval:
        now = self._clock.now()
        self._forget_old(now)
        approval = Approval(
            id=secrets.token_urlsafe(24), request=request, created_at=now, expires_at=now + self._lifetime
        )
        self._approvals[approval.id] = approval
        self._decided[approval.id] = anyio.Event()
        self._emit("created", approval)
        return approval

    async def get(self, approval_id: str) -> Approval | None:
        return self._current(approval_id)

    async def new_challenge(self, approval_id: str, challenge: bytes) -> Approval:
        approval = self._current(approval_id)
        if approval is None or approval.state != "pending":
            raise ApprovalNotPending(approval)
        return self._put(replace(approval, challenge=challenge))

    async def take_challenge(self, approval_id: str) -> bytes | None:
        approval = self._current(approval_id)
        if approval is None or approval.challenge is None:
            return None
        self._put(replace(approval, challenge=None))
        return approval.challenge

    async def grant(self, approval_id: str, credential_id: str) -> Approval:
        return self._decide(approval_id, "granted", credential_id)

    async def deny(self, approval_id: str) -> Approval:
        return self._decide(approval_id, "denied", None)

    async def redeem(self, approval_id: str, binding: str) -> Approval:
        # No await between the checks and the state change: two redemptions cannot both succeed.
        approval = redeemable(self._current(approval_id) if is_well_formed_id(approval_id) else None, binding)
        redeemed = self._put(replace(approval, state="redeemed"))
        self._emit("redeemed", redeemed)
        return redeemed

    async def wait(self, approval_id: str, up_to_s: float) -> Approval | None:
        approval = self._current(approval_id)
        decided = self._decided.get(approval_id)
        if approval is None or decided is None or approval.state != "pending":
            return approval
        left = (approval.expires_at - self._clock.now()).total_seconds()
        async with anyio.create_task_group() as group:

            async def decision() -> None:
                await decided.wait()
                group.cancel_scope.cancel()

            async def deadline() -> None:
                await self._clock.sleep(max(0.0, min(up_to_s, left)))
                group.cancel_scope.cancel()

            group.start_soon(decision)
            group.start_soon(deadline)
        return self._current(approval_id)

    def _current(self, approval_id: str) -> Approval | None:
        approval = self._approvals.get(approval_id)
        if approval is None:
            return None
        if approval.state in ("pending", "granted") and self._clock.now() >= approval.expires_at:
            approval = self._put(replace(approval, state="expired", challenge=None))
            self._emit("expired", approval)
            self._wake(approval_id)
        return approval

    def _forget_old(self, now: datetime) -> None:
        # An approval is remembered for one more lifetime after it expires, so a late token is told "expired".
        for approval_id in list(self._approvals):
            approval = self._current(approval_id)
            if approval is not None and now >= approval.expires_at + self._lifetime:
                del self._approvals[approval_id]
                self._decided.pop(approval_id, None)

    def _decide(self, approval_id: str, state: Literal["granted", "denied"], credential_id: str | None) -> Approval:
        approval = self._current(approval_id)
        if approval is None or approval.state != "pending":
            raise ApprovalNotPending(approval)
        decided = self._put(replace(approval, state=state, credential_id=credential_id, challenge=None))
        self._emit(state, decided)
        self._wake(approval_id)
        return decided

    def _put(self, approval: Approval) -> Approval:
        self._approvals[approval.id] = approval
        return approval

    def _wake(self, approval_id: str) -> None:
        decided = self._decided.get(approval_id)
        if decided is not None:
            decided.set()

    def _emit(self, kind: ApprovalEventKind, approval: Approval) -> None:
        self._events(
            ApprovalEvent(
                kind=kind,
                approval_id=approval.id,
                tool=approval.request.tool,
                device_ids=approval.request.device_ids,
                client_name=approval.request.client_name,
                credential_id=approval.credential_id,
            )
        )
