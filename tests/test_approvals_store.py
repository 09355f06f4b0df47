"""Pending passkey approvals: states, expiry on the clock, single-use redemption, waiting, audit events."""

from __future__ import annotations

import anyio
import pytest

from nuki_mcp.approvals.store import (
    Approval,
    ApprovalDevice,
    ApprovalEvent,
    ApprovalNotPending,
    ApprovalRefused,
    ApprovalRequest,
    MemoryApprovalStore,
    approval_binding,
)
from nuki_mcp.clock import ManualClock

pytestmark = pytest.mark.anyio

FRONT_DOOR = ApprovalDevice(smartlock_id=17001, name="Front Door")
UNLOCK_BINDING = approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001})


def unlock_request(binding: str = UNLOCK_BINDING) -> ApprovalRequest:
    return ApprovalRequest(
        tool="unlock_smartlock",
        devices=(FRONT_DOOR,),
        binding=binding,
        summary="Unlock 'Front Door' (id 17001).",
        client_name="claude-ai",
    )


class StillClock(ManualClock):
    """A clock on which waiting never ends by itself: only a decision can end a wait."""

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep_forever()


def store_with_events(clock: ManualClock) -> tuple[MemoryApprovalStore, list[ApprovalEvent]]:
    events: list[ApprovalEvent] = []
    return MemoryApprovalStore(clock, events=events.append), events


async def refusal_of(store: MemoryApprovalStore, approval_id: str, binding: str = UNLOCK_BINDING) -> str:
    with pytest.raises(ApprovalRefused) as refused:
        await store.redeem(approval_id, binding)
    return refused.value.reason


async def test_a_new_approval_is_pending_with_an_unguessable_id_and_expires_after_300_seconds() -> None:
    clock = ManualClock()
    store, _ = store_with_events(clock)
    first = await store.create(unlock_request())
    second = await store.create(unlock_request())
    assert first.state == "pending"
    assert first.id != second.id
    assert len(first.id) == 32
    assert (first.expires_at - first.created_at).total_seconds() == 300
    clock.advance(299)
    assert (await store.get(first.id)) == first
    clock.advance(1)
    expired = await store.get(first.id)
    assert expired is not None
    assert expired.state == "expired"


async def test_a_granted_approval_is_redeemed_once_and_a_second_redemption_is_refused() -> None:
    store, events = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.grant(approval.id, "cred-1")
    redeemed = await store.redeem(approval.id, UNLOCK_BINDING)
    assert redeemed.state == "redeemed"
    assert redeemed.credential_id == "cred-1"
    assert await refusal_of(store, approval.id) == "used"
    assert [e.kind for e in events] == ["created", "granted", "redeemed"]


async def test_concurrent_redemptions_of_one_approval_let_exactly_one_through() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.grant(approval.id, "cred-1")
    outcomes: list[str] = []

    async def redeem() -> None:
        try:
            await store.redeem(approval.id, UNLOCK_BINDING)
            outcomes.append("done")
        except ApprovalRefused as exc:
            outcomes.append(exc.reason)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(redeem)
    assert sorted(outcomes) == ["done", "used", "used", "used", "used"]


async def test_a_token_presented_before_the_owner_approved_is_not_used_up() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    assert await refusal_of(store, approval.id) == "pending"
    await store.grant(approval.id, "cred-1")
    assert (await store.redeem(approval.id, UNLOCK_BINDING)).state == "redeemed"


async def test_a_denial_is_final() -> None:
    store, events = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.deny(approval.id)
    with pytest.raises(ApprovalNotPending):
        await store.grant(approval.id, "cred-1")
    assert await refusal_of(store, approval.id) == "denied"
    assert [e.kind for e in events] == ["created", "denied"]


async def test_an_approval_for_another_tool_device_or_argument_set_is_refused_and_stays_usable() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.grant(approval.id, "cred-1")
    for other in (
        approval_binding("unlatch_smartlock", [17001], {"smartlock_id": 17001}),
        approval_binding("unlock_smartlock", [17002], {"smartlock_id": 17002}),
        approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001, "extra": True}),
    ):
        assert await refusal_of(store, approval.id, other) == "other_call"
    assert (await store.redeem(approval.id, UNLOCK_BINDING)).state == "redeemed"


async def test_the_binding_ignores_the_token_and_the_order_of_arguments_and_devices() -> None:
    assert approval_binding("t", [2, 1], {"b": 1, "a": 2, "confirmation_token": "x"}) == approval_binding(
        "t", [1, 2], {"a": 2, "b": 1}
    )


async def test_forged_truncated_and_padded_ids_are_refused_as_unknown() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.grant(approval.id, "cred-1")
    forged = ("A" * 32, approval.id[:-1], approval.id + "A", "", "../approve", approval.id.upper())
    for token in forged:
        if token != approval.id:
            assert await refusal_of(store, token) == "unknown"


async def test_a_granted_approval_that_expired_before_redemption_is_refused_as_expired() -> None:
    clock = ManualClock()
    store, events = store_with_events(clock)
    approval = await store.create(unlock_request())
    await store.grant(approval.id, "cred-1")
    clock.advance(300)
    assert await refusal_of(store, approval.id) == "expired"
    assert [e.kind for e in events] == ["created", "granted", "expired"]


async def test_the_owner_cannot_decide_on_an_expired_approval() -> None:
    clock = ManualClock()
    store, _ = store_with_events(clock)
    approval = await store.create(unlock_request())
    clock.advance(301)
    with pytest.raises(ApprovalNotPending):
        await store.grant(approval.id, "cred-1")
    with pytest.raises(ApprovalNotPending):
        await store.deny(approval.id)


async def test_a_challenge_verifies_at_most_one_answer() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.new_challenge(approval.id, b"challenge-1")
    assert await store.take_challenge(approval.id) == b"challenge-1"
    assert await store.take_challenge(approval.id) is None


async def test_no_new_challenge_is_given_for_an_approval_that_is_no_longer_pending() -> None:
    store, _ = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.new_challenge(approval.id, b"challenge-1")
    await store.deny(approval.id)
    assert await store.take_challenge(approval.id) is None
    with pytest.raises(ApprovalNotPending):
        await store.new_challenge(approval.id, b"challenge-2")


async def test_waiting_ends_as_soon_as_the_owner_decides() -> None:
    clock = StillClock()
    store, _ = store_with_events(clock)
    approval = await store.create(unlock_request())
    decided: list[Approval | None] = []

    async def wait() -> None:
        decided.append(await store.wait(approval.id, 60))

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        assert decided == []
        await store.grant(approval.id, "cred-1")
    assert decided[0] is not None
    assert decided[0].state == "granted"
    assert clock.monotonic() == 0


async def test_waiting_gives_up_after_the_wait_on_the_clock_and_leaves_the_approval_pending() -> None:
    clock = ManualClock()
    store, _ = store_with_events(clock)
    approval = await store.create(unlock_request())
    after = await store.wait(approval.id, 60)
    assert after is not None
    assert after.state == "pending"
    assert clock.slept == [60]


async def test_waiting_never_outlasts_the_approval() -> None:
    clock = ManualClock()
    store, _ = store_with_events(clock)
    approval = await store.create(unlock_request())
    clock.advance(280)
    after = await store.wait(approval.id, 60)
    assert clock.slept == [20]
    assert after is not None
    assert after.state == "expired"


async def test_events_name_the_approval_tool_devices_client_and_credential_but_never_the_challenge() -> None:
    store, events = store_with_events(ManualClock())
    approval = await store.create(unlock_request())
    await store.new_challenge(approval.id, b"secret-challenge-bytes")
    await store.grant(approval.id, "cred-1")
    granted = events[-1]
    assert granted == ApprovalEvent(
        kind="granted",
        approval_id=approval.id,
        tool="unlock_smartlock",
        device_ids=(17001,),
        client_name="claude-ai",
        credential_id="cred-1",
    )
    assert "secret-challenge" not in repr(events)
    assert "secret-challenge" not in repr(await store.get(approval.id))


async def test_old_approvals_are_forgotten_one_lifetime_after_they_expired() -> None:
    clock = ManualClock()
    store, _ = store_with_events(clock)
    old = await store.create(unlock_request())
    clock.advance(599)
    await store.create(unlock_request())
    assert await store.get(old.id) is not None
    clock.advance(1)
    await store.create(unlock_request())
    assert await store.get(old.id) is None
