"""The interfaces of shared state and their in-memory (one process) implementations."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, JsonValue

from nuki_mcp.clock import Clock

if TYPE_CHECKING:  # guard.py imports this module
    from nuki_mcp.guard import AuditTrail


class SingleUse(Protocol):
    """Keys that can be claimed once while they live: of two concurrent claims exactly one wins."""

    def claim(self, key: str, ttl_s: float) -> bool:
        """True for the first claim of `key` within `ttl_s` seconds, False when it is already claimed."""
        ...

    def release(self, key: str) -> None:
        """Forget a claim, so the key can be claimed again (the claimed work was not done)."""
        ...


class QuestionLog(Protocol):
    """When each confirmation question was asked, so the answer may reach another replica than the question."""

    def note(self, key: str, at: float, keep_s: float) -> None:
        """Remember that the question `key` was asked at time `at` (seconds), for `keep_s` seconds."""
        ...

    def take(self, key: str) -> float | None:
        """The time the question `key` was asked, forgotten at once: of two concurrent takes one sees it."""
        ...


CardState = Literal["pending", "denied", "used"]


class CardRecord(BaseModel):
    """A write waiting in the MCP Apps confirmation card: what any replica needs to redo it safely."""

    model_config = ConfigDict(frozen=True)

    approval_id: str
    tool: str
    arguments: dict[str, JsonValue]  # as the client sent them, without a confirmation token
    binding: str  # the tool, the resolved device ids and the normalized arguments
    summary: str  # exactly what the card showed the human
    device_id: int | None = None
    device_name: str | None = None
    device_type: int | None = None
    expires_at: float  # seconds, on the clock of whoever showed the card (the wall clock when shared)
    state: CardState = "pending"


class CardLog(Protocol):
    """Writes waiting in the confirmation card, so its Approve or Cancel may reach another replica than the card."""

    def put(self, card: CardRecord, keep_s: float) -> None:
        """Remember a pending card for `keep_s` seconds."""
        ...

    def get(self, approval_id: str) -> CardRecord | None:
        """The card with its current state, or None when it is unknown or forgotten."""
        ...

    def decide(self, approval_id: str, state: Literal["denied", "used"]) -> bool:
        """Move a pending card to `state`: True for the one call that did (of two concurrent ones exactly one)."""
        ...


class KeyValueStore(Protocol):
    """Short-lived string values; `take` reads and deletes in one atomic step."""

    async def put(self, key: str, value: str, ttl_s: float) -> None: ...

    async def add(self, key: str, value: str, ttl_s: float) -> bool:
        """Store only when `key` is absent; False when it is there already."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def take(self, key: str) -> str | None:
        """The value, deleted at once: of two concurrent takes only one sees it."""
        ...

    async def delete(self, key: str) -> None: ...


class RateBudget(Protocol):
    async def spend(self, key: str, limit: int, window_s: float) -> bool:
        """Count one request against `key`'s budget; False when `limit` requests were already made this window."""
        ...


class SecretSource(Protocol):
    def __call__(self, name: str, size: int = 32) -> bytes: ...


@dataclass
class SharedState:
    """Everything replicas must share; `where` says where it lives ("memory" or the Redis URL without password)."""

    where: str
    single_use: SingleUse
    kv: KeyValueStore
    budget: RateBudget
    secret: SecretSource
    questions: QuestionLog
    cards: CardLog
    close: Callable[[], None] = field(default=lambda: None)
    # Builds the audit trail: the local JSONL file, and with Redis also a copy of each line in a stream.
    audit_trail: Callable[[Path | None, Clock], AuditTrail] | None = None


class MemorySingleUse:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._claimed: dict[str, float] = {}

    def claim(self, key: str, ttl_s: float) -> bool:
        now = self._clock.monotonic()
        for old in [k for k, until in self._claimed.items() if until <= now]:
            del self._claimed[old]
        if key in self._claimed:
            return False
        self._claimed[key] = now + ttl_s
        return True

    def release(self, key: str) -> None:
        self._claimed.pop(key, None)


class MemoryQuestionLog:
    """Question times of one process, on the clock of whoever notes them (`at` is that clock's now)."""

    def __init__(self) -> None:
        self._asked: dict[str, tuple[float, float]] = {}

    def note(self, key: str, at: float, keep_s: float) -> None:
        for old in [k for k, (_, until) in self._asked.items() if until < at]:
            del self._asked[old]
        self._asked[key] = (at, at + keep_s)

    def take(self, key: str) -> float | None:
        entry = self._asked.pop(key, None)
        return None if entry is None else entry[0]


class MemoryCardLog:
    """Cards of one process; `keep_s` counts on `clock`'s monotonic time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._cards: dict[str, tuple[CardRecord, float]] = {}

    def put(self, card: CardRecord, keep_s: float) -> None:
        now = self._clock.monotonic()
        for old in [k for k, (_, until) in self._cards.items() if until < now]:
            del self._cards[old]
        self._cards[card.approval_id] = (card, now + keep_s)

    def get(self, approval_id: str) -> CardRecord | None:
        entry = self._cards.get(approval_id)
        return None if entry is None else entry[0]

    def decide(self, approval_id: str, state: Literal["denied", "used"]) -> bool:
        entry = self._cards.get(approval_id)
        if entry is None or entry[0].state != "pending":
            return False
        self._cards[approval_id] = (entry[0].model_copy(update={"state": state}), entry[1])
        return True


class MemoryKeyValueStore:
    """Values of one process; every method runs without awaiting, so each is atomic on the event loop."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        self._values[key] = (value, self._clock.monotonic() + ttl_s)

    async def add(self, key: str, value: str, ttl_s: float) -> bool:
        if self._live(key) is not None:
            return False
        self._values[key] = (value, self._clock.monotonic() + ttl_s)
        return True

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def take(self, key: str) -> str | None:
        value = self._live(key)
        self._values.pop(key, None)
        return value

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def _live(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock.monotonic():
            del self._values[key]
            return None
        return entry[0]


class MemoryRateBudget:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}

    async def spend(self, key: str, limit: int, window_s: float) -> bool:
        now = self._clock.monotonic()
        count, ends = self._windows.get(key, (0, now + window_s))
        if ends <= now:
            count, ends = 0, now + window_s
        if count >= limit:
            return False
        self._windows[key] = (count + 1, ends)
        return True


class MemorySecrets:
    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}

    def __call__(self, name: str, size: int = 32) -> bytes:
        return self._secrets.setdefault(name, secrets.token_bytes(size))


def memory_shared_state(clock: Clock) -> SharedState:
    """Today's behaviour: state of this one process."""
    return SharedState(
        where="memory",
        single_use=MemorySingleUse(clock),
        kv=MemoryKeyValueStore(clock),
        budget=MemoryRateBudget(clock),
        secret=MemorySecrets(),
        questions=MemoryQuestionLog(),
        cards=MemoryCardLog(clock),
    )
