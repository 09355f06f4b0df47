"""Two replicas on loopback sharing one real Redis: one sign-in, one token, one confirmation, any replica.

Both replicas serve the same public URL (as behind a load balancer) and the same simulated Nuki account.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.approvals.passkeys import default_state_dir
from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.shared_state.audit_stream import STREAM
from nuki_mcp.shared_state.redis_state import redis_shared_state, sync_client
from tests.remote.redis_rig import RedisServer
from tests.remote.rig import (
    Replica,
    approved_unlock_performs_once,
    bearer_client,
    enrol,
    enrolment_link,
    now_clock,
    tokens,
    two_remote_replicas,
)
from tests.remote.soft_authenticator import SoftAuthenticator
from tests.support import Harness, Json, call_ok

pytestmark = pytest.mark.anyio


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return Harness(tmp_path, clock=now_clock(), confirm="auto")


@pytest.fixture
def replicas(harness: Harness, redis_server: RedisServer) -> Iterator[tuple[Replica, Replica]]:
    with two_remote_replicas(harness, redis_server.url) as both:
        yield both


async def test_a_sign_in_on_one_replica_gives_a_token_every_replica_accepts(
    replicas: tuple[Replica, Replica], redis_server: RedisServer
) -> None:
    a, b = replicas
    secret = redis_shared_state(redis_server.url).secret("enrolment-links")
    owner = SoftAuthenticator()
    async with httpx2.AsyncClient(base_url=b.base, timeout=20) as to_b:
        # Enrolled through replica B: the passkey lives in Redis, not in B's memory or files.
        link = enrolment_link(a, default_state_dir(), secret=secret).removeprefix(a.public_url)
        assert (await enrol(to_b, link, owner, a.public_url)).status_code == 200
    async with httpx2.AsyncClient(base_url=a.base, timeout=20) as to_a:
        _, issued, _ = await tokens(to_a, a, owner)
    async with bearer_client(b, issued["access_token"]) as on_b:
        listed = await on_b.list_tools()
    assert "lock_smartlock" in {t.name for t in listed.tools}


async def test_20_concurrent_redemptions_of_one_confirmation_token_across_both_replicas_perform_it_once(
    harness: Harness, replicas: tuple[Replica, Replica], redis_server: RedisServer
) -> None:
    a, b = replicas
    owner = SoftAuthenticator()
    secret = redis_shared_state(redis_server.url).secret("enrolment-links")
    async with httpx2.AsyncClient(base_url=a.base, timeout=20) as to_a:
        link = enrolment_link(a, default_state_dir(), secret=secret).removeprefix(a.public_url)
        assert (await enrol(to_a, link, owner, a.public_url)).status_code == 200
        _, issued, _ = await tokens(to_a, a, owner)
    access = issued["access_token"]
    async with bearer_client(a, access) as on_a, bearer_client(b, access) as on_b:
        # A token asked for on A is good on B (the key is shared) ...
        asked = await call_ok(on_a, "lock_smartlock", {"smartlock": "Front Door"})
        done = await call_ok(
            on_b, "lock_smartlock", {"smartlock": "Front Door", "confirmation_token": asked["confirmation_token"]}
        )
        assert done["status"] == "done"
        # ... and of 20 concurrent redemptions on both replicas exactly one wins (the nonce is shared).
        first = await call_ok(on_a, "lock_smartlock", {"smartlock": "Cellar"})
        assert first["status"] == "confirmation_required"
        arguments = {"smartlock": "Cellar", "confirmation_token": first["confirmation_token"]}
        outcomes: list[str] = []

        async def redeem(client: Client) -> None:
            result = await client.call_tool("lock_smartlock", arguments)
            outcomes.append("error" if result.is_error else "done")

        async with anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(redeem, on_a if i % 2 else on_b)
    assert outcomes.count("done") == 1
    assert outcomes.count("error") == 19
    assert len(harness.sim.writes()) == 2
    # Every audit line of both replicas is also in one Redis stream.
    streamed = sorted((str(line["id"]), str(line["event"])) for line in _stream_lines(redis_server))
    local = sorted((str(line["id"]), str(line["event"])) for line in harness.audit_lines())
    assert streamed == local
    assert len(local) >= 22


def _stream_lines(redis_server: RedisServer) -> list[dict[str, JsonValue]]:
    entries = _ENTRIES.validate_python(sync_client(redis_server.url).xrange(STREAM))
    return [_LINE.validate_json(fields[b"line"]) for _, fields in entries]


_LINE = TypeAdapter(dict[str, JsonValue])
_ENTRIES = TypeAdapter(list[tuple[bytes, dict[bytes, bytes]]])


@pytest.fixture
def passkey_harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return Harness(tmp_path, clock=now_clock(), confirm="passkey")


async def test_an_unlock_asked_for_on_one_replica_is_approved_on_the_others_page_and_performed_there_once(
    passkey_harness: Harness, redis_server: RedisServer
) -> None:
    harness = passkey_harness
    with two_remote_replicas(harness, redis_server.url) as (a, b):
        owner = SoftAuthenticator()
        async with httpx2.AsyncClient(base_url=a.base, timeout=20) as to_a:
            link = enrolment_link(
                a, default_state_dir(), secret=redis_shared_state(redis_server.url).secret("enrolment-links")
            )
            assert (await enrol(to_a, link.removeprefix(a.public_url), owner, a.public_url)).status_code == 200
            _, issued, _ = await tokens(to_a, a, owner)
        arguments: Json = {"smartlock": "Front Door"}
        async with bearer_client(a, issued["access_token"]) as on_a:
            asked = await call_ok(on_a, "unlock_smartlock", arguments)
        assert asked["status"] == "confirmation_required"
        approval_id = str(asked["confirmation_token"])
        assert asked["approval_url"] == f"{a.public_url}/approve/{approval_id}"
        assert harness.sim.writes() == []
        # The owner opens the link; the load balancer sends them to replica B.
        async with httpx2.AsyncClient(base_url=b.base, timeout=20) as to_b:
            page = await to_b.get(f"/approve/{approval_id}")
            assert page.status_code == 200
            assert "Front Door" in page.text
            headers = {"Origin": a.public_url, "Content-Type": "application/json"}
            options = await to_b.post(f"/approve/{approval_id}/options", headers=headers, content=b"{}")
            assert options.status_code == 200, options.text
            answer = owner.sign(options.text, a.public_url)
            verified = await to_b.post(f"/approve/{approval_id}/verify", headers=headers, content=answer)
            assert verified.status_code == 200, verified.text
        repeated = {**arguments, "confirmation_token": approval_id}
        await approved_unlock_performs_once(b, issued["access_token"], harness, repeated)
    state = harness.sim.device(FRONT_DOOR_ID).state
    assert state is not None
    assert state.state == UNLOCKED


UNLOCKED = 3
