"""Shared state in a real Redis: what several replicas must agree on, checked with two independent clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import anyio
import pytest

from nuki_mcp.approvals.redis_store import RedisApprovalStore
from nuki_mcp.approvals.store import (
    ApprovalDevice,
    ApprovalEvent,
    ApprovalNotPending,
    ApprovalRefused,
    ApprovalRequest,
    approval_binding,
)
from nuki_mcp.clock import ManualClock
from nuki_mcp.guard import ConfirmationTokens, GuardRefusal, QuestionTimes
from nuki_mcp.shared_state import memory_shared_state
from nuki_mcp.shared_state.base import SharedState
from nuki_mcp.shared_state.redis_state import async_client, redis_shared_state
from tests.remote.redis_rig import RedisServer

pytestmark = pytest.mark.anyio

FRONT_DOOR = ApprovalDevice(smartlock_id=17001, name="Front Door")
BINDING = approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001})
REQUEST = ApprovalRequest(
    tool="unlock_smartlock", devices=(FRONT_DOOR,), binding=BINDING, summary="Unlock 'Front Door' (id 17001)."
)


@pytest.fixture
def replicas(redis_server: RedisServer) -> Iterator[tuple[SharedState, SharedState]]:
    """The shared state of two replicas: separate connections to one Redis."""
    a, b = redis_shared_state(redis_server.url), redis_shared_state(redis_server.url)
    yield a, b
    a.close()
    b.close()


def test_a_confirmation_token_from_one_replica_is_redeemed_exactly_once_by_20_concurrent_redemptions(
    replicas: tuple[SharedState, SharedState],
) -> None:
    a_state, b_state = replicas
    secret = a_state.secret("confirmation-tokens")
    assert b_state.secret("confirmation-tokens") == secret  # the first replica's key is everyone's
    clock = ManualClock()
    a = ConfirmationTokens(clock=clock, secret=secret, used=a_state.single_use)
    b = ConfirmationTokens(clock=clock, secret=b_state.secret("confirmation-tokens"), used=b_state.single_use)
    token = a.issue("unlock 17001").token
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def redeem(tokens: ConfirmationTokens) -> None:
        start.wait()
        try:
            tokens.redeem("unlock 17001", token)
            outcomes.append("ok")
        except GuardRefusal as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=redeem, args=(a if i % 2 else b,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert all("already used" in o for o in outcomes if o != "ok")


def test_a_released_token_can_be_redeemed_again_on_the_other_replica(
    replicas: tuple[SharedState, SharedState],
) -> None:
    a_state, b_state = replicas
    clock = ManualClock()
    a = ConfirmationTokens(clock=clock, secret=a_state.secret("k"), used=a_state.single_use)
    b = ConfirmationTokens(clock=clock, secret=b_state.secret("k"), used=b_state.single_use)
    token = a.issue("lock 1").token
    a.redeem("lock 1", token)
    a.release(token)
    b.redeem("lock 1", token)
    with pytest.raises(GuardRefusal, match="already used"):
        a.redeem("lock 1", token)


def test_memory_state_keeps_tokens_single_use_within_one_process() -> None:
    clock = ManualClock()
    state = memory_shared_state(clock)
    tokens = ConfirmationTokens(clock=clock, used=state.single_use)
    token = tokens.issue("lock 1").token
    tokens.redeem("lock 1", token)
    with pytest.raises(GuardRefusal, match="already used"):
        tokens.redeem("lock 1", token)


async def test_a_code_is_taken_by_exactly_one_of_many_concurrent_takers(
    replicas: tuple[SharedState, SharedState],
) -> None:
    a, b = replicas
    await a.kv.put("code:xyz", "granted", 60)
    taken: list[str | None] = []

    async def take(state: SharedState) -> None:
        taken.append(await state.kv.take("code:xyz"))

    async with anyio.create_task_group() as group:
        for i in range(20):
            group.start_soon(take, a if i % 2 else b)
    assert [t for t in taken if t is not None] == ["granted"]
    assert not await b.kv.add("client:1", "x", 60) or not await a.kv.add("client:1", "y", 60)
    assert await a.kv.get("client:1") == "x"


async def test_a_rate_budget_is_shared_by_both_replicas(replicas: tuple[SharedState, SharedState]) -> None:
    a, b = replicas
    spent = [await (a if i % 2 else b).budget.spend("user:alice", 5, 60) for i in range(8)]
    assert spent == [True] * 5 + [False] * 3
    assert await a.budget.spend("user:bob", 5, 60)  # another user's budget is untouched


async def test_an_approval_created_on_one_replica_is_decided_on_the_other_and_redeemed_once(
    redis_server: RedisServer,
) -> None:
    clock = ManualClock()
    events_a: list[ApprovalEvent] = []
    events_b: list[ApprovalEvent] = []
    a = RedisApprovalStore(async_client(redis_server.url), clock, events=events_a.append)
    b = RedisApprovalStore(async_client(redis_server.url), clock, events=events_b.append)
    approval = await a.create(REQUEST)
    with pytest.raises(ApprovalRefused) as pending:
        await b.redeem(approval.id, BINDING)
    assert pending.value.reason == "pending"
    await b.new_challenge(approval.id, b"challenge-1")
    assert await a.take_challenge(approval.id) == b"challenge-1"
    assert await b.take_challenge(approval.id) is None  # each challenge verifies at most one answer
    granted = await b.grant(approval.id, "cred-1")
    assert granted.state == "granted"
    assert granted.credential_id == "cred-1"
    with pytest.raises(ApprovalNotPending):
        await a.deny(approval.id)  # the first decision wins, on any replica
    seen = await a.wait(approval.id, 5)
    assert seen is not None
    assert seen.state == "granted"
    with pytest.raises(ApprovalRefused) as other:
        await a.redeem(approval.id, approval_binding("unlock_smartlock", [17002], {"smartlock_id": 17002}))
    assert other.value.reason == "other_call"

    outcomes: list[str] = []

    async def redeem(store: RedisApprovalStore) -> None:
        try:
            await store.redeem(approval.id, BINDING)
            outcomes.append("redeemed")
        except ApprovalRefused as exc:
            outcomes.append(exc.reason)

    async with anyio.create_task_group() as group:
        for i in range(20):
            group.start_soon(redeem, a if i % 2 else b)
    assert sorted(outcomes) == ["redeemed"] + ["used"] * 19
    kinds = [e.kind for e in events_a + events_b]
    assert kinds.count("created") == 1
    assert kinds.count("granted") == 1
    assert kinds.count("redeemed") == 1


async def test_an_overdue_approval_is_expired_on_every_replica_with_one_audit_event(redis_server: RedisServer) -> None:
    clock = ManualClock()
    events: list[ApprovalEvent] = []
    a = RedisApprovalStore(async_client(redis_server.url), clock, lifetime_s=60, events=events.append)
    b = RedisApprovalStore(async_client(redis_server.url), clock, lifetime_s=60, events=events.append)
    approval = await a.create(REQUEST)
    await b.grant(approval.id, "cred-1")
    clock.advance(61)
    for store in (a, b, a):
        seen = await store.get(approval.id)
        assert seen is not None
        assert seen.state == "expired"
    with pytest.raises(ApprovalRefused) as late:
        await b.redeem(approval.id, BINDING)
    assert late.value.reason == "expired"
    assert [e.kind for e in events].count("expired") == 1
    assert await a.get("x" * 32) is None
    with pytest.raises(ApprovalRefused) as unknown:
        await a.redeem("not-an-id", BINDING)
    assert unknown.value.reason == "unknown"


def test_with_shared_state_a_token_expires_on_the_wall_clock_which_every_machine_shares() -> None:
    issuing = ManualClock()
    # Another machine, same wall time, booted a day earlier: its monotonic clock is a day ahead.
    redeeming = ManualClock(start=issuing.now() - timedelta(days=1))
    redeeming.advance(86_400)
    state = memory_shared_state(issuing)

    def tokens(clock: ManualClock, *, wall_clock: bool) -> ConfirmationTokens:
        return ConfirmationTokens(clock=clock, secret=b"k" * 32, used=state.single_use, wall_clock=wall_clock)

    token = tokens(issuing, wall_clock=True).issue("lock 1").token
    tokens(redeeming, wall_clock=True).redeem("lock 1", token)
    monotonic_token = tokens(issuing, wall_clock=False).issue("lock 2").token
    with pytest.raises(GuardRefusal, match="expired"):
        tokens(redeeming, wall_clock=False).redeem("lock 2", monotonic_token)
    late = tokens(issuing, wall_clock=True).issue("lock 3").token
    redeeming.advance(121)
    with pytest.raises(GuardRefusal, match="expired"):
        tokens(redeeming, wall_clock=True).redeem("lock 3", late)


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_question_time_is_taken_once_and_forgotten_after_it_is_kept(where: str, redis_server: RedisServer) -> None:
    clock = ManualClock()
    state = memory_shared_state(clock) if where == "memory" else redis_shared_state(redis_server.url)
    state.questions.note("unlock 17001", 1000.5, 10)
    assert state.questions.take("unlock 17001") == 1000.5
    assert state.questions.take("unlock 17001") is None  # an answer is used once, on any replica
    state.questions.note("lock 17002", 1000.0, 10)
    state.questions.note("unlock 17002", 1011.0, 10)  # memory: noting later forgets what outlived its keep
    if where == "memory":
        assert state.questions.take("lock 17002") is None
    assert state.questions.take("unlock 17002") == 1011.0
    state.close()


def test_with_shared_state_a_question_expires_on_the_wall_clock_which_every_machine_shares(
    redis_server: RedisServer,
) -> None:
    asking = ManualClock()
    answering = ManualClock(start=asking.now() - timedelta(days=1))  # same wall time, monotonic a day ahead
    answering.advance(86_400)
    state = redis_shared_state(redis_server.url)

    def questions(clock: ManualClock, *, wall_clock: bool) -> QuestionTimes:
        return QuestionTimes(clock=clock, ttl_s=120, log=state.questions, wall_clock=wall_clock)

    questions(asking, wall_clock=True).asked("lock 1", answering=False)
    questions(answering, wall_clock=True).asked("lock 1", answering=True)  # the retry keeps the first time
    answering.advance(120)
    assert questions(answering, wall_clock=True).answered_in_time("lock 1")
    questions(asking, wall_clock=False).asked("lock 2", answering=False)
    assert not questions(answering, wall_clock=False).answered_in_time("lock 2")
    questions(asking, wall_clock=True).asked("lock 3", answering=False)
    answering.advance(1)
    assert not questions(answering, wall_clock=True).answered_in_time("lock 3")
    state.close()
