"""Toolset `account`: the account behind the token and its account users, decoded and without secrets."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import (
    ACCOUNT_ID,
    ANNA_ACCOUNT_USER_ID,
    JONAS_ACCOUNT_USER_ID,
    LENA_ACCOUNT_USER_ID,
    OWNER_EMAIL,
    OWNER_NAME,
    SPARKLE_ACCOUNT_USER_ID,
)
from nuki_mcp.nuki.models import AccountUser
from tests.support import ClientMode, Harness, Json, call_ok, dumps

pytestmark = pytest.mark.anyio

ALEXA_PIN = "alexa-pin-4417"
GOOGLE_PIN = "gactions-pin-9921"
ACCOUNT_SECRET = "otp-secret-JBSWY3DPEHPK3PXP"


def _users(listing: Json) -> list[Json]:
    users = listing["users"]
    assert isinstance(users, list)
    return [u for u in users if isinstance(u, dict)]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_get_account_shows_the_account_decoded_by_name(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        account = await call_ok(client, "get_account")
    assert account["account_id"] == ACCOUNT_ID == harness.sim.account().account_id
    assert account["name"] == OWNER_NAME
    assert account["email"] == OWNER_EMAIL
    assert account["type"] == "user"
    assert account["language"] == "de"


async def test_get_account_never_returns_secrets_nuki_sends_with_the_account(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    account = harness.sim.account().model_dump(mode="json", by_alias=True, exclude_none=True)
    # A real GET /account carries PINs, an OTP secret and the postal profile beside the basics.
    answer = {
        **account,
        "type": 2,
        "shsSubscriptionType": "BUSINESS",
        "secret": [ACCOUNT_SECRET],
        "config": {"alexaPin": ALEXA_PIN, "gactionsHomePin": GOOGLE_PIN},
        "profile": {"firstName": "Anna", "lastName": "Berger", "address": "Ringstrasse 1", "zip": "1010"},
    }
    harness.sim.add_fault(
        Fault(method="GET", path="/account", status=200, body=json.dumps(answer), content_type="application/json")
    )
    async with harness.client() as client:
        result = await client.call_tool("get_account", {})
    data = result.structured_content
    assert data is not None
    assert data["type"] == "caretaker"
    assert data["subscription_type"] == "BUSINESS"
    text = dumps(result.model_dump())
    for secret in [ALEXA_PIN, GOOGLE_PIN, ACCOUNT_SECRET, "Ringstrasse"]:
        assert secret not in text
    assert not {"secret", "config", "profile", "alexa_pin"} & set(data)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_account_users_decodes_the_user_type(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        listing = await call_ok(client, "list_account_users")
    users = {u["account_user_id"]: u for u in _users(listing)}
    assert set(users) == {u.account_user_id for u in harness.sim.account_users()}
    assert set(users) == {ANNA_ACCOUNT_USER_ID, JONAS_ACCOUNT_USER_ID, SPARKLE_ACCOUNT_USER_ID, LENA_ACCOUNT_USER_ID}
    assert users[SPARKLE_ACCOUNT_USER_ID]["type"] == "company"
    assert users[JONAS_ACCOUNT_USER_ID] == {
        "account_user_id": JONAS_ACCOUNT_USER_ID,
        "name": "Jonas Berger",
        "email": "jonas@example.com",
        "type": "user",
        "language": "de",
    }
    assert listing["total"] == 4
    assert listing["truncated"] is False


async def test_list_account_users_filters_by_email(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        listing = await call_ok(client, "list_account_users", {"email": "jonas@example.com"})
    assert [u["account_user_id"] for u in _users(listing)] == [JONAS_ACCOUNT_USER_ID]
    assert harness.sim.requests[0].query["email"] == "jonas@example.com"


async def test_list_account_users_reads_every_page_and_says_when_the_limit_cut_the_list(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    now = harness.clock.now() - timedelta(days=1)
    for number in range(150):
        harness.sim.add_account_user(
            AccountUser(
                account_user_id=3000 + number,
                account_id=ACCOUNT_ID,
                email=f"guest{number}@example.com",
                name=f"Guest {number}",
                creation_date=now,
                update_date=now,
            )
        )
    async with harness.client() as client:
        everyone = await call_ok(client, "list_account_users", {"limit": 200})
        cut = await call_ok(client, "list_account_users", {"limit": 10})
    assert everyone["total"] == 154
    assert len({str(u["account_user_id"]) for u in _users(everyone)}) == 154
    assert everyone["truncated"] is False
    assert cut["total"] == 154
    assert len(_users(cut)) == 10
    assert cut["truncated"] is True


async def test_read_only_mode_keeps_only_the_account_reads_and_they_send_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path, read_only=True, toolsets=frozenset({"account"}))
    async with harness.client() as client:
        tools = (await client.list_tools()).tools
        for tool in tools:
            await client.call_tool(tool.name, {"account_user": "Jonas"} if tool.name == "get_account_user" else {})
    assert sorted(t.name for t in tools) == [
        "get_account",
        "get_account_user",
        "list_account_integrations",
        "list_account_users",
        "list_sub_accounts",
    ]
    assert all(t.annotations is not None and t.annotations.read_only_hint for t in tools)
    assert harness.sim.writes() == []
