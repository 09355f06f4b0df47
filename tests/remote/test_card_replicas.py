"""The MCP Apps confirmation card across replicas sharing one Redis.

The card is shown with a write's result on one replica; its Approve (`approve_write`) or Cancel
(`deny_write`) may reach any replica. The other replica re-plans the write from Nuki and performs it
only when it is exactly what the human approved, once.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import anyio
import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.types import CallToolResult
from pydantic import JsonValue, SecretStr, TypeAdapter

from nuki_mcp.approvals.passkeys import StoredPasskey
from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
from nuki_mcp.argument_seal import ArgumentSeal
from nuki_mcp.clock import ManualClock
from nuki_mcp.config import ToolsetName
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, FRONT_DOOR_JONAS_AUTH_ID
from nuki_mcp.guard import SECRET_ARGUMENTS, CardApprovals, DeviceRef, GuardRefusal, WritePlan
from nuki_mcp.server import create_server
from nuki_mcp.shared_state import CardRecord, memory_shared_state
from nuki_mcp.shared_state.redis_state import redis_shared_state, sync_client
from tests.remote.redis_rig import RedisServer
from tests.remote.rig import SECRET_KEY
from tests.scenarios import WRITE_CALLS
from tests.support import Harness, Json, call_error, call_ok, text_of

pytestmark = pytest.mark.anyio

UNLOCKED = 3
LOCKED = 1
CARD_LIFETIME_S = 300
UNLOCK: Json = {"smartlock": "Front Door"}
_JSON = TypeAdapter(dict[str, JsonValue])


class RendersApps(ClientExtension):
    """What a host that renders MCP Apps views advertises."""

    identifier = "io.modelcontextprotocol/ui"

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": ["text/html;profile=mcp-app"]}


@asynccontextmanager
async def two_replicas(
    harness: Harness,
    redis_server: RedisServer,
    keys: tuple[str, str] = (SECRET_KEY, SECRET_KEY),
    toolsets_of_b: frozenset[ToolsetName] | None = None,
) -> AsyncGenerator[tuple[Client, Client]]:
    """Card-rendering clients of two servers sharing one Redis (and, unless `keys` differ, NUKI_MCP_SECRET_KEY)
    and one simulated Nuki account; the second serves `toolsets_of_b` when given (a replica configured apart)."""
    states = [redis_shared_state(redis_server.url) for _ in range(2)]
    settings = harness.settings().model_copy(update={"redis_url": SecretStr(redis_server.url)})
    toolsets = (harness.toolsets, harness.toolsets if toolsets_of_b is None else toolsets_of_b)
    servers = [
        create_server(
            settings.model_copy(update={"secret_key": SecretStr(key), "toolsets": replica_toolsets}),
            transport=harness.sim.transport(),
            clock=harness.clock,
            shared=state,
        )
        for state, key, replica_toolsets in zip(states, keys, toolsets, strict=True)
    ]
    a, b = servers
    harness.server = a
    try:
        async with Client(a, extensions=[RendersApps()]) as on_a, Client(b, extensions=[RendersApps()]) as on_b:
            yield on_a, on_b
    finally:
        for state in states:
            state.close()


def passkey_harness(tmp_path: Path, redis_server: RedisServer) -> Harness:
    """A harness under NUKI_CONFIRM=passkey whose owner has a passkey in the replicas' Redis."""
    harness = Harness(tmp_path, confirm="passkey")
    RedisPasskeyStore(sync_client(redis_server.url)).add(
        StoredPasskey(
            credential_id="Y3JlZA", public_key="a2V5", sign_count=0, label="phone", created=harness.clock.now()
        )
    )
    return harness


def approval_id(result: CallToolResult) -> str:
    assert result.meta is not None, text_of(result)
    return str(_JSON.validate_python(result.meta["nuki/approval"])["approval_id"])


async def in_card(client: Client, tool: str = "unlock_smartlock", arguments: Json | None = None) -> str:
    shown = await client.call_tool(tool, arguments or UNLOCK)
    assert shown.structured_content is not None
    assert shown.structured_content["status"] == "confirmation_required"
    return approval_id(shown)


def door_state(harness: Harness, smartlock_id: int = FRONT_DOOR_ID) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


def attempts(harness: Harness) -> list[tuple[JsonValue, JsonValue]]:
    return [(line["tool"], line["confirmation"]) for line in harness.audit_lines() if line["event"] == "attempt"]


async def test_a_write_put_in_the_card_on_one_replica_is_approved_on_the_other_and_performed_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        assert door_state(harness) == LOCKED
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
        again_on_b = await call_error(on_b, "approve_write", {"approval_id": approval})
        again_on_a = await call_error(on_a, "approve_write", {"approval_id": approval})
    assert (done["status"], done["confirmed_by"], done["outcome"]) == ("done", "card", "confirmed")
    assert door_state(harness) == UNLOCKED
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]
    assert "already used" in again_on_b
    assert "already used" in again_on_a
    assert attempts(harness) == [("unlock_smartlock", "card")]
    attempt = next(line for line in harness.audit_lines() if line["event"] == "attempt")
    assert attempt["arguments"] == UNLOCK
    assert attempt["device"] == {"id": FRONT_DOOR_ID, "name": "Front Door"}


async def test_a_settings_change_approved_on_the_other_replica_is_made_with_the_arguments_the_card_showed(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    rename: Json = {"smartlock": "Cellar", "name": "Wine Cellar"}
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a, "update_smartlock", rename)
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
    assert done["status"] == "done"
    assert harness.sim.device(CELLAR_ID).name == "Wine Cellar"
    assert len(harness.sim.writes()) == 1


async def test_a_date_limit_removal_shown_on_one_replica_and_approved_on_the_other_clears_it_at_nuki(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    assert harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID).allowed_until_date is not None
    clear: Json = {"smartlock": "Front Door", "auth_id": FRONT_DOOR_JONAS_AUTH_ID, "allowed_until_date": None}
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a, "update_smartlock_auth", clear)
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
    assert done["status"] == "done"
    assert harness.sim.auth(FRONT_DOOR_JONAS_AUTH_ID).allowed_until_date is None
    assert len(harness.sim.writes()) == 1


async def test_a_replica_not_serving_the_cards_tool_refuses_the_approval_and_sends_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    without_actions = frozenset(harness.toolsets - {"actions"})
    async with two_replicas(harness, redis_server, toolsets_of_b=without_actions) as (on_a, on_b):
        approval = await in_card(on_a)
        refused = await call_error(on_b, "approve_write", {"approval_id": approval})
    assert refused.endswith(
        ": This server does not offer unlock_smartlock, so it cannot make this change; nothing was sent."
    )
    assert door_state(harness) == LOCKED
    assert harness.sim.writes() == []


async def test_a_cancel_on_one_replica_is_final_on_the_other_with_nothing_sent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        cancelled = await call_ok(on_b, "deny_write", {"approval_id": approval})
        refused_on_a = await call_error(on_a, "approve_write", {"approval_id": approval})
        refused_on_b = await call_error(on_b, "approve_write", {"approval_id": approval})
    assert cancelled["status"] == "not_done"
    assert "Front Door" in str(cancelled["summary"])
    assert "cancelled" in refused_on_a
    assert "cancelled" in refused_on_b
    assert harness.sim.writes() == []
    assert door_state(harness) == LOCKED
    denied = [line for line in harness.audit_lines() if line["outcome"] == "not_done"]
    assert [(line["tool"], line["confirmation"], line["device"]) for line in denied] == [
        ("unlock_smartlock", "card", {"id": FRONT_DOOR_ID, "name": "Front Door"})
    ]


async def test_two_concurrent_approvals_on_both_replicas_perform_the_write_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    results: list[CallToolResult] = []
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)

        async def approve(client: Client) -> None:
            results.append(await client.call_tool("approve_write", {"approval_id": approval}))

        async with anyio.create_task_group() as clicks:
            clicks.start_soon(approve, on_b)
            clicks.start_soon(approve, on_a)
    assert sorted(result.is_error for result in results) == [False, True]
    refused = next(result for result in results if result.is_error)
    assert "already used" in text_of(refused)
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]
    assert len(attempts(harness)) == 1


async def test_a_card_whose_device_changed_at_nuki_is_refused_on_the_other_replica_with_nothing_sent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        harness.sim.set_device_fields(FRONT_DOOR_ID, server_state=4)  # went offline: the summary now warns
        refused = await call_error(on_b, "approve_write", {"approval_id": approval})
    assert "differs from what was approved" in refused
    assert "nothing was sent" in refused
    assert harness.sim.writes() == []
    assert attempts(harness) == []
    assert any(
        line["outcome"] == "refused" and line["tool"] == "unlock_smartlock" and "differs" in str(line["detail"])
        for line in harness.audit_lines()
    )


async def test_a_card_whose_device_is_gone_from_nuki_is_refused_on_the_other_replica_with_nothing_sent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        harness.sim.set_device_fields(FRONT_DOOR_ID, name="Back Door")  # "Front Door" no longer names it
        refused = await call_error(on_b, "approve_write", {"approval_id": approval})
    assert "cannot be made as approved" in refused
    assert harness.sim.writes() == []


async def test_an_expired_card_is_refused_on_both_replicas_with_nothing_sent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        harness.clock.advance(CARD_LIFETIME_S + 1)
        on_b_refused = await call_error(on_b, "approve_write", {"approval_id": approval})
        on_a_refused = await call_error(on_a, "approve_write", {"approval_id": approval})
        cancel_refused = await call_error(on_b, "deny_write", {"approval_id": approval})
    assert "expired" in on_b_refused
    assert "expired" in on_a_refused
    assert "expired" in cancel_refused
    assert harness.sim.writes() == []
    assert door_state(harness) == LOCKED


async def test_under_passkey_mode_a_card_from_one_replica_is_performed_on_the_other_once_the_passkey_said_yes(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = passkey_harness(tmp_path, redis_server)
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a)
        clicked = await call_error(on_b, "approve_write", {"approval_id": approval})
        assert harness.sim.writes() == []
        assert harness.server is not None
        assert harness.server.guard.approvals is not None
        await harness.server.guard.approvals.store.grant(approval, "Y3JlZA")  # on A's page
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
        again = await call_error(on_a, "approve_write", {"approval_id": approval})
    assert "passkey" in clicked
    assert (done["status"], done["confirmed_by"]) == ("done", "passkey")
    assert "already used" in again
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]


async def test_every_write_tool_shown_in_the_card_on_one_replica_is_performed_on_the_other_as_approved(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    problems: list[str] = []
    never_confirm: list[str] = []
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        for tool, call in WRITE_CALLS.items():
            shown = await on_a.call_tool(tool, call.arguments)
            if shown.meta is None or "nuki/approval" not in shown.meta:
                never_confirm.append(tool)
                continue
            sent_before = len(harness.sim.writes())
            done = await on_b.call_tool("approve_write", {"approval_id": approval_id(shown)})
            sent = harness.sim.writes()[sent_before:]
            if done.is_error or [w.method for w in sent] != [call.method]:
                problems.append(f"{tool}: {text_of(done)} sent {[(w.method, w.path) for w in sent]}")
    assert problems == [], "\n".join(problems)
    assert never_confirm == ["sync_smartlock"]


def card(approval_id: str = "card-1") -> CardRecord:
    return CardRecord(
        approval_id=approval_id,
        tool="unlock_smartlock",
        arguments={"smartlock": "Front Door"},
        binding='{"tool":"unlock_smartlock"}',
        summary="Unlock 'Front Door'.",
        expires_at=1000.0,
    )


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_card_is_decided_once_and_its_decision_is_final(where: str, redis_server: RedisServer) -> None:
    state = memory_shared_state(ManualClock()) if where == "memory" else redis_shared_state(redis_server.url)
    assert state.cards.get("card-1") is None
    assert not state.cards.decide("card-1", "used")  # an unknown card cannot be decided
    state.cards.put(card(), 600)
    assert state.cards.get("card-1") == card()
    assert state.cards.decide("card-1", "denied")
    assert not state.cards.decide("card-1", "used")
    assert not state.cards.decide("card-1", "denied")
    decided = state.cards.get("card-1")
    assert decided is not None
    assert decided.state == "denied"
    state.close()


def test_of_20_concurrent_decisions_of_one_card_on_two_replicas_exactly_one_wins(redis_server: RedisServer) -> None:
    replicas = [redis_shared_state(redis_server.url) for _ in range(2)]
    replicas[0].cards.put(card(), 600)
    start = threading.Barrier(20)

    def decide(n: int) -> tuple[Literal["denied", "used"], bool]:
        state: Literal["denied", "used"] = "used" if n % 3 else "denied"
        start.wait()
        return state, replicas[n % 2].cards.decide("card-1", state)

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(decide, range(20)))
    winners = [state for state, won in outcomes if won]
    assert len(winners) == 1
    final = replicas[1].cards.get("card-1")
    assert final is not None
    assert final.state == winners[0]
    for state in replicas:
        state.close()


def test_with_shared_state_a_card_expires_on_the_wall_clock_which_every_machine_shares(
    redis_server: RedisServer,
) -> None:
    showing = ManualClock()
    clicking = ManualClock(start=showing.now() - timedelta(days=1))  # same wall time, monotonic a day ahead
    clicking.advance(86_400)
    state = redis_shared_state(redis_server.url)
    device = DeviceRef(17, "Front Door", 4)
    shown = WritePlan(tool="unlock_smartlock", summary="Unlock 'Front Door' (id 17).", device=device)

    @dataclass(frozen=True)
    class Write:
        plan: WritePlan
        arguments: dict[str, JsonValue]

    seal = ArgumentSeal(b"s" * 32, SECRET_ARGUMENTS)

    def cards(clock: ManualClock) -> CardApprovals:
        return CardApprovals(clock=clock, seal=seal, ttl_s=300, log=state.cards, wall_clock=True)

    first = cards(showing).add("unlock_smartlock", "binding", Write(shown, {"smartlock": "Front Door"})).approval_id
    elsewhere = cards(clicking).peek(first)
    assert elsewhere.write is None  # shown by another replica: re-planned there
    assert (elsewhere.record.summary, elsewhere.device()) == (shown.describe(), device)
    assert cards(clicking).seconds_left(elsewhere) == 300
    late = cards(showing).add("unlock_smartlock", "binding", Write(shown, {"smartlock": "Front Door"})).approval_id
    clicking.advance(301)
    with pytest.raises(GuardRefusal, match="expired"):
        cards(clicking).take(late)
    state.close()


KEYPAD_CODE = 357913
GRANT_CODE: Json = {"smartlock": "Front Door", "type": "keypad_code", "name": "Night nurse", "code": KEYPAD_CODE}
OTHER_KEY = "b3RoZXIga2V5IG9mIGFub3RoZXIgZGVwbG95bWVudCE="


_VALUE = TypeAdapter(bytes | None)
_HASH = TypeAdapter(dict[bytes, bytes])
_STREAM = TypeAdapter(list[tuple[bytes, dict[bytes, bytes]]])


def redis_holds(redis_server: RedisServer, needle: bytes) -> list[bytes]:
    """The keys of every Redis string, hash or stream whose key or content contains `needle`."""
    redis = sync_client(redis_server.url)
    found: list[bytes] = []
    keys: list[bytes] = [k for k in redis.scan_iter() if isinstance(k, bytes)]  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    for key in keys:
        kind = _VALUE.validate_python(redis.type(key))
        if kind == b"string":
            content = _VALUE.validate_python(redis.get(key)) or b""
        elif kind == b"hash":
            content = b" ".join(k + b"=" + v for k, v in _HASH.validate_python(redis.hgetall(key)).items())
        elif kind == b"stream":
            content = b" ".join(b" ".join(f.values()) for _, f in _STREAM.validate_python(redis.xrange(key)))
        else:
            content = b""
        if needle in key or needle in content:
            found.append(key)
    return found


async def test_a_keypad_code_in_a_card_rests_in_redis_only_sealed_and_the_other_replica_grants_that_code(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a, "create_smartlock_auth", GRANT_CODE)
        assert redis_holds(redis_server, b"Night nurse"), "the card is in Redis"
        assert redis_holds(redis_server, str(KEYPAD_CODE).encode()) == []
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
    assert done["status"] == "done"
    granted = [a for a in harness.sim.auths(FRONT_DOOR_ID) if a.name == "Night nurse"]
    assert [a.code for a in granted] == [KEYPAD_CODE]


async def test_replicas_with_different_secret_keys_refuse_a_card_with_a_keypad_code_and_send_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with two_replicas(harness, redis_server, keys=(SECRET_KEY, OTHER_KEY)) as (on_a, on_b):
        approval = await in_card(on_a, "create_smartlock_auth", GRANT_CODE)
        refused = await call_error(on_b, "approve_write", {"approval_id": approval})
    assert "NUKI_MCP_SECRET_KEY" in refused
    assert "nothing was sent" in refused
    assert harness.sim.writes() == []


async def test_a_passkey_approval_of_a_keypad_code_keeps_the_code_out_of_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = passkey_harness(tmp_path, redis_server)
    async with two_replicas(harness, redis_server) as (on_a, _):
        asked = await call_ok(on_a, "create_smartlock_auth", GRANT_CODE)
        assert asked["status"] == "confirmation_required"
        assert redis_holds(redis_server, b"create_smartlock_auth"), "the approval is in Redis"
        assert redis_holds(redis_server, str(KEYPAD_CODE).encode()) == []
    assert harness.sim.writes() == []


async def test_an_admin_pin_in_a_card_rests_in_redis_only_sealed_and_the_other_replica_sets_that_pin(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    pin = 8146
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        approval = await in_card(on_a, "update_admin_pin", {"smartlock": "Front Door", "admin_pin": pin})
        assert redis_holds(redis_server, b"update_admin_pin"), "the card is in Redis"
        assert redis_holds(redis_server, str(pin).encode()) == []
        done = await call_ok(on_b, "approve_write", {"approval_id": approval})
    assert done["status"] == "done"
    assert [(w.path, w.body) for w in harness.sim.writes()] == [
        (f"/smartlock/{FRONT_DOOR_ID}/admin/pin", {"adminPin": pin})
    ]
