"""A confirmation asked on one replica and answered on another (2026-07-28 era).

On that era an elicitation answer comes back as a retry of the tool call carrying the sealed
`request_state`; a load balancer may send that retry to any replica. The question's time is shared
state, so the other replica accepts a yes given in time and still refuses one given too late.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitResult, InputRequiredResult, InputResponses
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.server import create_server
from nuki_mcp.shared_state.redis_state import redis_shared_state
from tests.remote.redis_rig import RedisServer
from tests.support import Elicitations, Harness, text_of

pytestmark = pytest.mark.anyio

LIFETIME_S = 120
UNLOCK = {"smartlock": "Front Door"}
_RESULT = TypeAdapter(dict[str, JsonValue])


@asynccontextmanager
async def two_replicas(harness: Harness, redis_server: RedisServer) -> AsyncGenerator[tuple[Client, Client]]:
    """Clients of two servers sharing one Redis and one simulated account, both able to ask the user."""
    states = [redis_shared_state(redis_server.url) for _ in range(2)]
    a, b = (
        create_server(harness.settings(), transport=harness.sim.transport(), clock=harness.clock, shared=state)
        for state in states
    )
    try:
        async with Client(a, elicitation_callback=Elicitations()) as on_a, Client(
            b, elicitation_callback=Elicitations()
        ) as on_b:  # fmt: skip
            yield on_a, on_b
    finally:
        for state in states:
            state.close()


async def ask(client: Client) -> InputRequiredResult:
    asked = await client.session.call_tool("unlock_smartlock", UNLOCK, allow_input_required=True)
    assert isinstance(asked, InputRequiredResult), asked
    return asked


def yes_to(asked: InputRequiredResult) -> InputResponses:
    assert asked.input_requests, "the server asked nothing"
    return {key: ElicitResult(action="accept", content={"confirm": True}) for key in asked.input_requests}


async def answer(client: Client, asked: InputRequiredResult) -> CallToolResult:
    return await client.call_tool(
        "unlock_smartlock", UNLOCK, input_responses=yes_to(asked), request_state=asked.request_state
    )


async def test_a_yes_retried_on_the_other_replica_within_the_lifetime_performs_the_write(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        asked = await ask(on_a)
        harness.clock.advance(LIFETIME_S - 1)
        answered = await answer(on_b, asked)
    assert not answered.is_error, text_of(answered)
    result = _RESULT.validate_python(answered.structured_content)
    assert (result["status"], result["confirmed_by"]) == ("done", "elicitation")
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]


async def test_a_yes_retried_on_the_other_replica_after_the_lifetime_is_refused_with_nothing_sent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        asked = await ask(on_a)
        harness.clock.advance(LIFETIME_S + 1)
        answered = await answer(on_b, asked)
    result = _RESULT.validate_python(answered.structured_content)
    assert result["status"] == "not_done"
    assert f"arrived after the {LIFETIME_S} s" in str(result["reason"])
    assert harness.sim.writes() == []


async def test_one_question_answered_on_both_replicas_is_used_once(tmp_path: Path, redis_server: RedisServer) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with two_replicas(harness, redis_server) as (on_a, on_b):
        asked = await ask(on_a)
        first = await answer(on_b, asked)
        second = await answer(on_a, asked)
    assert _RESULT.validate_python(first.structured_content)["status"] == "done"
    assert _RESULT.validate_python(second.structured_content)["status"] == "not_done"
    assert len(harness.sim.writes()) == 1
