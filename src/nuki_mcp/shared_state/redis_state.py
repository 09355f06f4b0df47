"""Shared state in Redis (`NUKI_MCP_REDIS_URL`), for several replicas behind one public URL.

Every key starts with `nuki-mcp:`. Atomicity comes from Redis itself: `SET NX` for single use and
first-writer-wins, `GETDEL` for takes, `INCR` for budgets; nothing is read, decided and written back.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis

from nuki_mcp.clock import Clock
from nuki_mcp.shared_state.base import CardRecord, SharedState

if TYPE_CHECKING:
    from nuki_mcp.guard import AuditTrail

PREFIX: Final = "nuki-mcp:"


def as_bytes(value: object) -> bytes | None:
    """A reply as bytes (the clients are made without decode_responses, so replies are bytes or None)."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else None


def sync_client(url: str) -> redis.Redis:
    client: redis.Redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)  # pyright: ignore[reportUnknownMemberType]
    return client


def async_client(url: str) -> aioredis.Redis:
    client: aioredis.Redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)  # pyright: ignore[reportUnknownMemberType]
    return client


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def redacted(url: str) -> str:
    """The URL as logs may show it: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisSingleUse:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def claim(self, key: str, ttl_s: float) -> bool:
        return bool(self._client.set(PREFIX + "once:" + key, b"1", nx=True, px=_ms(ttl_s)))

    def release(self, key: str) -> None:
        self._client.delete(PREFIX + "once:" + key)


class RedisQuestionLog:
    """Question times as wall-clock seconds (replicas share no monotonic clock), keyed by a hash of the binding."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def _key(self, key: str) -> str:
        return PREFIX + "question:" + hashlib.sha256(key.encode()).hexdigest()

    def note(self, key: str, at: float, keep_s: float) -> None:
        self._client.set(self._key(key), repr(at).encode(), px=_ms(keep_s))

    def take(self, key: str) -> float | None:
        value = as_bytes(self._client.getdel(self._key(key)))
        return float(value) if value is not None else None


class RedisCardLog:
    """A card is two keys, each written once: `card:{id}` (the record, JSON) and `card:{id}:decision`
    (`used` or `denied`, set with `SET NX`: the first decision wins and is final)."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def _key(self, approval_id: str, part: str = "") -> str:
        return f"{PREFIX}card:{approval_id}{':' + part if part else ''}"

    def put(self, card: CardRecord, keep_s: float) -> None:
        self._client.set(self._key(card.approval_id), card.model_dump_json().encode(), px=_ms(keep_s))

    def get(self, approval_id: str) -> CardRecord | None:
        stored = as_bytes(self._client.get(self._key(approval_id)))
        if stored is None:
            return None
        card = CardRecord.model_validate_json(stored)
        decision = as_bytes(self._client.get(self._key(approval_id, "decision")))
        if decision == b"used":
            return card.model_copy(update={"state": "used"})
        if decision == b"denied":
            return card.model_copy(update={"state": "denied"})
        return card

    def decide(self, approval_id: str, state: Literal["denied", "used"]) -> bool:
        keep_ms = self._client.pttl(self._key(approval_id))
        if keep_ms <= 0:  # unknown or forgotten: nothing to decide
            return False
        return bool(self._client.set(self._key(approval_id, "decision"), state.encode(), nx=True, px=keep_ms))


class RedisKeyValueStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        await self._client.set(PREFIX + key, value.encode(), px=_ms(ttl_s))

    async def add(self, key: str, value: str, ttl_s: float) -> bool:
        return bool(await self._client.set(PREFIX + key, value.encode(), nx=True, px=_ms(ttl_s)))

    async def get(self, key: str) -> str | None:
        value = as_bytes(await self._client.get(PREFIX + key))
        return value.decode() if value is not None else None

    async def take(self, key: str) -> str | None:
        value = as_bytes(await self._client.getdel(PREFIX + key))
        return value.decode() if value is not None else None

    async def delete(self, key: str) -> None:
        await self._client.delete(PREFIX + key)


class RedisRateBudget:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def spend(self, key: str, limit: int, window_s: float) -> bool:
        name = PREFIX + "budget:" + key
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, _ms(window_s), nx=True)
            count, _ = await pipe.execute()
        return int(count) <= limit


class RedisSecrets:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def __call__(self, name: str, size: int = 32) -> bytes:
        key = PREFIX + "secret:" + name
        # The first replica's random key wins; every later one reads it.
        self._client.set(key, secrets.token_bytes(size), nx=True)
        value = as_bytes(self._client.get(key))
        if value is None:  # pragma: no cover - only when someone deletes it between the two calls
            raise RuntimeError(f"the shared secret {name} vanished from Redis")
        return value


def redis_shared_state(url: str) -> SharedState:
    """State in the Redis at `url`; raises `redis.RedisError` when it cannot be reached."""
    blocking = sync_client(url)
    blocking.ping()  # pyright: ignore[reportUnknownMemberType]
    shared = async_client(url)

    def close() -> None:
        blocking.close()

    def audit_trail(path: Path | None, clock: Clock) -> AuditTrail:
        from nuki_mcp.shared_state.audit_stream import StreamedAuditTrail

        return StreamedAuditTrail(path, clock, blocking)

    return SharedState(
        where=redacted(url),
        single_use=RedisSingleUse(blocking),
        kv=RedisKeyValueStore(shared),
        budget=RedisRateBudget(shared),
        secret=RedisSecrets(blocking),
        questions=RedisQuestionLog(blocking),
        cards=RedisCardLog(blocking),
        close=close,
        audit_trail=audit_trail,
    )
