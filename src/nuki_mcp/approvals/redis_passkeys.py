"""`RedisPasskeyStore`: the owner's passkeys and their sign counters, shared by every replica through Redis.

The same content as `passkeys.json` (public keys and counters only): a hash of passkeys by credential id,
the owner's user handle (made once with `SET NX`) and one counter per passkey that only ever grows
(a small script compares and sets in one step, so two replicas cannot move it backwards).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Final

import redis

from nuki_mcp.approvals.passkeys import StoredPasskey
from nuki_mcp.shared_state.redis_state import PREFIX, as_bytes

_PASSKEYS: Final = PREFIX + "passkeys"
_USER_ID: Final = PREFIX + "passkeys:user-id"
_COUNTER: Final = PREFIX + "passkeys:count:"
_RAISE_COUNTER: Final = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0
"""


class RedisPasskeyStore:
    """A `PasskeyRegistry` in Redis (sync client: the ceremonies around it are synchronous and quick)."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def enrolled(self) -> list[StoredPasskey]:
        values = [as_bytes(v) for v in self._client.hvals(_PASSKEYS)]
        passkeys = [StoredPasskey.model_validate_json(v) for v in values if v is not None]
        return sorted((self._with_counter(p) for p in passkeys), key=lambda p: p.created)

    def find(self, credential_id: str) -> StoredPasskey | None:
        value = as_bytes(self._client.hget(_PASSKEYS, credential_id))
        return self._with_counter(StoredPasskey.model_validate_json(value)) if value is not None else None

    def user_id(self) -> bytes:
        self._client.set(_USER_ID, secrets.token_bytes(32), nx=True)
        value = as_bytes(self._client.get(_USER_ID))
        if value is None:  # pragma: no cover - only if someone deletes it between the two calls
            raise RuntimeError("the passkey user handle vanished from Redis")
        return value

    def add(self, passkey: StoredPasskey) -> None:
        self._client.hset(_PASSKEYS, passkey.credential_id, passkey.model_dump_json())
        self._client.set(_COUNTER + passkey.credential_id, str(passkey.sign_count))

    def remove(self, credential_id: str) -> bool:
        removed = int(self._client.hdel(_PASSKEYS, credential_id))  # pyright: ignore[reportArgumentType]
        self._client.delete(_COUNTER + credential_id)
        return removed > 0

    def record_use(self, credential_id: str, sign_count: int, when: datetime) -> None:
        self._client.eval(_RAISE_COUNTER, 1, _COUNTER + credential_id, str(sign_count))  # pyright: ignore[reportUnknownMemberType]
        passkey = self.find(credential_id)
        if passkey is not None:
            updated = passkey.model_copy(update={"last_used": when})
            self._client.hset(_PASSKEYS, credential_id, updated.model_dump_json())

    def _with_counter(self, passkey: StoredPasskey) -> StoredPasskey:
        raw = as_bytes(self._client.get(_COUNTER + passkey.credential_id))
        return passkey.model_copy(update={"sign_count": int(raw)}) if raw is not None else passkey
