"""A `NukiClient` whose bearer token comes from a `BearerSource` (per-user Nuki sign-in), not one fixed token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx2
import pytest

from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiAuthError, NukiBadRequestError

pytestmark = pytest.mark.anyio


@dataclass
class Tokens:
    """Hands out the current token; a 401 moves on to the next one while there is one."""

    queue: list[str]
    asked: int = 0
    rejected_tokens: list[str] = field(default_factory=list[str])

    async def token(self) -> str:
        self.asked += 1
        return self.queue[0]

    async def rejected(self, token: str) -> bool:
        self.rejected_tokens.append(token)
        if len(self.queue) > 1 and self.queue[0] == token:
            self.queue.pop(0)
            return True
        return False

    def unauthorized(self) -> str:
        return "Nuki rejected your Nuki sign-in; sign in again."


def _echo(valid: set[str]) -> httpx2.MockTransport:
    """A Nuki that accepts `valid` tokens and otherwise answers 401; a bad value echoes the request's header."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in valid:
            return httpx2.Response(401, json={"detailMessage": "Your access token is not authorized"})
        if request.method == "POST":
            detail = f"bad value; token {bearer} in header {request.headers['authorization']}"
            return httpx2.Response(400, json={"detailMessage": detail})
        return httpx2.Response(200, json=[])

    return httpx2.MockTransport(answer)


async def test_each_request_asks_the_source_and_nuki_sees_that_token() -> None:
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["authorization"])
        return httpx2.Response(200, json=[])

    source = Tokens(["user-token-aaaaaaaa"])
    async with NukiClient(source, transport=httpx2.MockTransport(answer)) as client:
        await client.list_smartlocks()
        source.queue[0] = "user-token-bbbbbbbb"
        await client.list_smartlocks()
    assert seen == ["Bearer user-token-aaaaaaaa", "Bearer user-token-bbbbbbbb"]


async def test_a_401_gets_one_new_token_even_for_a_write_and_then_the_sources_sentence() -> None:
    source = Tokens(["old-token-aaaaaaaa", "new-token-bbbbbbbb"])
    async with NukiClient(source, transport=_echo({"new-token-bbbbbbbb"})) as client:
        assert await client.list_smartlocks() == []
        assert source.rejected_tokens == ["old-token-aaaaaaaa"]
    stuck = Tokens(["revoked-token-cccccccc"])
    async with NukiClient(stuck, transport=_echo(set())) as client:
        with pytest.raises(NukiAuthError) as raised:
            await client.sync_smartlock(1)
    assert str(raised.value) == "Nuki rejected your Nuki sign-in; sign in again."
    assert stuck.rejected_tokens == ["revoked-token-cccccccc"]  # asked once, not in a loop


async def test_the_token_of_whoever_made_the_request_is_redacted_from_what_nuki_says() -> None:
    source = Tokens(["user-token-dddddddd"])
    async with NukiClient(source, transport=_echo({"user-token-dddddddd"})) as client:
        with pytest.raises(NukiBadRequestError) as raised:
            await client.sync_smartlock(1)
    message = str(raised.value)
    assert "user-token-dddddddd" not in message
    assert "[redacted]" in message
    assert "user-token-dddddddd" not in json.dumps(raised.value.detail)
