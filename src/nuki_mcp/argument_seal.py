"""Keypad codes and PINs never rest in shared state in the clear.

A pending change is stored where every replica can find it (Redis): the binding a confirmation is
checked against, and for the confirmation card the arguments to perform it with. A keypad code has
at most 531,441 possible values, so neither may hold it in the clear nor as a plain or key-in-Redis hash,
which anyone who can read Redis could reverse by trying them all. The key comes from
`NUKI_MCP_SECRET_KEY` (set on every replica, never stored in Redis); a single process without Redis
uses a random key of its own.

- In a binding, a secret argument's value is replaced by an HMAC-SHA256 digest: bindings are only
  ever compared, and the same code gives the same digest on every replica.
- In stored arguments, it is encrypted (Fernet), because the card's write must be performed with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from pydantic import JsonValue

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

DIGEST_PREFIX: Final = "hmac-sha256:"
SEALED_PREFIX: Final = "fernet:"


class SealBroken(Exception):
    """A sealed value that this key cannot open (another NUKI_MCP_SECRET_KEY, or tampered with)."""


class ArgumentSeal:
    """Digests and encrypts the secret arguments (keypad codes, admin PIN) of a stored change."""

    def __init__(self, key: bytes, secret_names: frozenset[str]) -> None:
        if len(key) < 32:
            raise ValueError("an argument seal needs a key of at least 32 bytes")
        self._secret_names = secret_names
        self._mac_key = hmac.new(key, b"nuki-mcp argument digest", hashlib.sha256).digest()
        self._fernet_key = base64.urlsafe_b64encode(hmac.new(key, b"nuki-mcp argument seal", hashlib.sha256).digest())
        self._fernet: Fernet | None = None

    def digested(self, arguments: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
        """`arguments` with each secret value replaced by its keyed digest (for bindings)."""
        return {
            name: self._digest(value) if self._is_secret(name, value) else value for name, value in arguments.items()
        }

    def sealed(self, arguments: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
        """`arguments` with each secret value encrypted (for arguments kept to be performed later)."""
        return {
            name: SEALED_PREFIX + self._cipher().encrypt(_encode(value)).decode()
            if self._is_secret(name, value)
            else value
            for name, value in arguments.items()
        }

    def opened(self, arguments: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
        """The arguments `sealed` was given; `SealBroken` when a value cannot be decrypted with this key."""
        from cryptography.fernet import InvalidToken

        opened: dict[str, JsonValue] = {}
        for name, value in arguments.items():
            if name in self._secret_names and isinstance(value, str) and value.startswith(SEALED_PREFIX):
                try:
                    plain = self._cipher().decrypt(value.removeprefix(SEALED_PREFIX).encode())
                except InvalidToken:
                    raise SealBroken(name) from None
                opened[name] = _decode(plain)
            else:
                opened[name] = value
        return opened

    def _is_secret(self, name: str, value: JsonValue) -> bool:
        return name in self._secret_names and value is not None

    def _digest(self, value: JsonValue) -> str:
        return DIGEST_PREFIX + hmac.new(self._mac_key, _encode(value), hashlib.sha256).hexdigest()

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            from cryptography.fernet import Fernet  # only when a secret is stored: it costs start-up time

            self._fernet = Fernet(self._fernet_key)
        return self._fernet


def _encode(value: JsonValue) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _decode(raw: bytes) -> JsonValue:
    decoded: JsonValue = json.loads(raw)
    return decoded
