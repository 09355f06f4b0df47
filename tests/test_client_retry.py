"""When the Nuki client tries a request again, how long it waits, and when it never re-sends a write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.nuki.client import NukiClient, RetryPolicy
from nuki_mcp.nuki.errors import (
    NukiApiError,
    NukiConnectionError,
    NukiError,
    NukiRateLimitedError,
    NukiServerError,
    NukiTimeoutError,
)
from nuki_mcp.nuki.models import SmartlockAction, SmartlockAuthCreate
from tests.simulated_client import ALWAYS, CANARY_TOKEN, SimulatedNuki, is_one_sentence, simulated_nuki

pytestmark = pytest.mark.anyio

LOCKED = 1
UNLOCKED = 3
LOCK = 2
FRONT_DOOR_PATH = f"/smartlock/{FRONT_DOOR_ID}"
# With jitter 0 each wait is half the backoff ceiling: 0.5 s * 2**attempt / 2.
NO_JITTER_WAITS = [0.25, 0.5, 1.0]


@pytest.fixture
async def nuki() -> AsyncIterator[SimulatedNuki]:
    async with simulated_nuki() as simulated:
        yield simulated


def read_faults(times: int) -> list[Fault]:
    return [
        Fault(method="GET", path=FRONT_DOOR_PATH, status=503, times=times),
        Fault.json(500, "NullPointerException", method="GET", path=FRONT_DOOR_PATH, times=times),
        Fault.html(502, method="GET", path=FRONT_DOOR_PATH, times=times),
        Fault(method="GET", path=FRONT_DOOR_PATH, status=504, times=times),
        Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, times=times),
        Fault(method="GET", path=FRONT_DOOR_PATH, kind="timeout", times=times),
        Fault(method="GET", path=FRONT_DOOR_PATH, kind="drop", times=times),
        Fault(method="GET", path=FRONT_DOOR_PATH, kind="connect", times=times),
    ]


READ_FAULT_IDS = ["503", "500-json", "502-html", "504", "429", "read-timeout", "dropped-connection", "connect-error"]
READ_FAULT_ERRORS: list[type[NukiError]] = [
    NukiServerError,
    NukiServerError,
    NukiServerError,
    NukiServerError,
    NukiRateLimitedError,
    NukiTimeoutError,
    NukiConnectionError,
    NukiConnectionError,
]


def reads_received(nuki: SimulatedNuki) -> int:
    """GETs of the front door that reached the server (a connect error never does)."""
    return sum(1 for r in nuki.sim.requests if r.method == "GET" and r.path == FRONT_DOOR_PATH)


# --- reads are retried -----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", read_faults(times=2), ids=READ_FAULT_IDS)
async def test_a_read_is_retried_after_a_transient_failure_and_succeeds_once_it_clears(
    nuki: SimulatedNuki, fault: Fault
) -> None:
    nuki.sim.add_fault(fault)

    device = await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert device.name == nuki.sim.device(FRONT_DOOR_ID).name
    assert nuki.clock.slept == NO_JITTER_WAITS[:2]
    assert reads_received(nuki) == (1 if fault.kind == "connect" else 3)


@pytest.mark.parametrize(
    ("fault", "error_type"), list(zip(read_faults(times=ALWAYS), READ_FAULT_ERRORS, strict=True)), ids=READ_FAULT_IDS
)
async def test_a_read_gives_up_after_three_retries_and_raises_the_typed_error(
    nuki: SimulatedNuki, fault: Fault, error_type: type[NukiError]
) -> None:
    nuki.sim.add_fault(fault)

    with pytest.raises(NukiError) as caught:
        await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert type(caught.value) is error_type
    assert caught.value.outcome_unknown is False
    assert nuki.clock.slept == NO_JITTER_WAITS
    assert reads_received(nuki) == (0 if fault.kind == "connect" else 4)


async def test_a_read_that_fails_with_500_is_retried_like_a_gateway_error(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(Fault.json(500, "NullPointerException", method="GET", path=FRONT_DOOR_PATH, times=1))

    device = await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert device.smartlock_id == FRONT_DOOR_ID
    assert reads_received(nuki) == 2
    assert nuki.clock.slept == NO_JITTER_WAITS[:1]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 423, 426])
async def test_a_read_rejected_with_a_4xx_status_is_never_retried(nuki: SimulatedNuki, status: int) -> None:
    nuki.sim.add_fault(Fault.json(status, "Rejected", method="GET", path=FRONT_DOOR_PATH, times=ALWAYS))

    with pytest.raises(NukiApiError) as caught:
        await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert caught.value.status == status
    assert reads_received(nuki) == 1
    assert nuki.clock.slept == []


# --- how long it waits -----------------------------------------------------------------------------


async def test_a_429_retry_after_in_seconds_is_waited_before_the_retry(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(
        Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, headers={"Retry-After": "7"})
    )

    await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert nuki.clock.slept == [7.0]
    assert reads_received(nuki) == 2


async def test_a_429_retry_after_as_an_http_date_is_waited_until_that_moment(nuki: SimulatedNuki) -> None:
    retry_at = format_datetime(nuki.clock.now() + timedelta(seconds=12), usegmt=True)
    nuki.sim.add_fault(
        Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, headers={"Retry-After": retry_at})
    )

    await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert nuki.clock.slept == [12.0]


async def test_a_429_retry_after_of_exactly_thirty_seconds_is_still_waited_for(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(
        Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, headers={"Retry-After": "30"})
    )

    await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert nuki.clock.slept == [30.0]


async def test_a_429_retry_after_above_thirty_seconds_is_not_waited_for_and_the_error_carries_it(
    nuki: SimulatedNuki,
) -> None:
    nuki.sim.add_fault(
        Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, headers={"Retry-After": "120"})
    )

    with pytest.raises(NukiRateLimitedError) as caught:
        await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert caught.value.retry_after == 120.0
    assert "wait 120 s" in caught.value.message
    assert nuki.clock.slept == []
    assert reads_received(nuki) == 1


async def test_a_429_without_retry_after_waits_the_ordinary_backoff(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(Fault.json(429, "Too many requests", method="GET", path=FRONT_DOOR_PATH, times=ALWAYS))

    with pytest.raises(NukiRateLimitedError) as caught:
        await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert caught.value.retry_after is None
    assert nuki.clock.slept == NO_JITTER_WAITS


def jitter_sequence(*values: float) -> Callable[[], float]:
    remaining: Iterator[float] = iter(values)
    return lambda: next(remaining)


async def test_the_backoff_doubles_after_each_attempt_and_jitter_spreads_each_wait_up_to_the_full_ceiling() -> None:
    async with simulated_nuki(jitter=jitter_sequence(0.0, 0.5, 0.99)) as nuki:
        nuki.sim.add_fault(Fault(method="GET", path=FRONT_DOOR_PATH, status=503, times=ALWAYS))

        with pytest.raises(NukiServerError):
            await nuki.client.get_smartlock(FRONT_DOOR_ID)

    # ceilings 0.5, 1 and 2 s; a wait is ceiling * (0.5 + jitter / 2)
    assert nuki.clock.slept == pytest.approx([0.25, 0.75, 1.99])


async def test_the_backoff_stops_growing_at_the_policys_maximum_delay() -> None:
    policy = RetryPolicy(max_retries=6, base_delay=0.5, max_delay=4.0)
    async with simulated_nuki(retry=policy, jitter=lambda: 0.0) as nuki:
        nuki.sim.add_fault(Fault(method="GET", path=FRONT_DOOR_PATH, status=503, times=ALWAYS))

        with pytest.raises(NukiServerError):
            await nuki.client.get_smartlock(FRONT_DOOR_ID)

    assert nuki.clock.slept == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert reads_received(nuki) == 7


# --- writes are never re-sent after an ambiguous failure ---------------------------------------------


def lock_cellar(client: NukiClient) -> Awaitable[None]:
    return client.lock(CELLAR_ID)


def lock_cellar_by_action(client: NukiClient) -> Awaitable[None]:
    return client.action(CELLAR_ID, SmartlockAction(action=LOCK))


def create_keypad_code(client: NukiClient) -> Awaitable[None]:
    return client.create_auth(
        FRONT_DOOR_ID, SmartlockAuthCreate(name="Plumber", type=13, code=375917, remote_allowed=False)
    )


WRITES = [lock_cellar, lock_cellar_by_action, create_keypad_code]
WRITE_IDS = ["lock", "action", "create_auth"]

AMBIGUOUS_WRITE_FAULTS: list[tuple[Fault, type[NukiError]]] = [
    (Fault.html(502, times=ALWAYS), NukiServerError),
    (Fault.json(500, "Internal error", times=ALWAYS), NukiServerError),
    (Fault(status=503, times=ALWAYS), NukiServerError),
    (Fault(status=504, times=ALWAYS), NukiServerError),
    (Fault(kind="timeout", times=ALWAYS), NukiTimeoutError),
    (Fault(kind="drop", times=ALWAYS), NukiConnectionError),
]
AMBIGUOUS_WRITE_FAULT_IDS = ["502-html", "500-json", "503", "504", "read-timeout", "dropped-connection"]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize(("fault", "error_type"), AMBIGUOUS_WRITE_FAULTS, ids=AMBIGUOUS_WRITE_FAULT_IDS)
async def test_a_write_is_not_re_sent_after_an_ambiguous_failure_and_its_outcome_is_unknown(
    nuki: SimulatedNuki,
    write: Callable[[NukiClient], Awaitable[None]],
    fault: Fault,
    error_type: type[NukiError],
) -> None:
    nuki.sim.add_fault(fault)

    with pytest.raises(NukiError) as caught:
        await write(nuki.client)

    assert type(caught.value) is error_type
    assert caught.value.outcome_unknown is True
    assert is_one_sentence(caught.value.message)
    assert CANARY_TOKEN not in caught.value.message
    assert len(nuki.sim.writes()) == 1
    assert nuki.clock.slept == []


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
async def test_a_write_is_retried_after_a_connect_error_because_it_never_left(
    nuki: SimulatedNuki, write: Callable[[NukiClient], Awaitable[None]]
) -> None:
    nuki.sim.add_fault(Fault(kind="connect", times=2))

    await write(nuki.client)

    assert len(nuki.sim.writes()) == 1
    assert nuki.clock.slept == NO_JITTER_WAITS[:2]


async def test_a_lock_retried_after_a_connect_error_locks_the_door_once(nuki: SimulatedNuki) -> None:
    locks_before = sum(1 for log in nuki.sim.logs(CELLAR_ID) if log.action == LOCK)
    nuki.sim.add_fault(Fault(kind="connect", times=3))

    await nuki.client.lock(CELLAR_ID)
    nuki.clock.advance(30)

    cellar = nuki.sim.device(CELLAR_ID)
    assert cellar.state is not None
    assert cellar.state.state == LOCKED
    assert sum(1 for log in nuki.sim.logs(CELLAR_ID) if log.action == LOCK) == locks_before + 1


async def test_a_write_that_never_connects_gives_up_after_three_retries_and_was_certainly_not_applied(
    nuki: SimulatedNuki,
) -> None:
    nuki.sim.add_fault(Fault(kind="connect", times=ALWAYS))

    with pytest.raises(NukiConnectionError) as caught:
        await nuki.client.lock(CELLAR_ID)

    assert caught.value.outcome_unknown is False
    assert nuki.sim.writes() == []
    assert nuki.clock.slept == NO_JITTER_WAITS


async def test_a_lock_that_timed_out_may_still_happen_which_is_why_it_is_not_re_sent(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(Fault(method="POST", kind="timeout", applied=True))

    with pytest.raises(NukiTimeoutError) as caught:
        await nuki.client.lock(CELLAR_ID)
    nuki.clock.advance(30)

    assert caught.value.outcome_unknown is True
    assert "may or may not have been applied" in caught.value.message
    cellar = nuki.sim.device(CELLAR_ID)
    assert cellar.state is not None
    assert cellar.state.state == LOCKED
    assert len(nuki.sim.writes()) == 1


async def test_an_unlock_answered_with_a_gateway_error_is_reported_as_unknown_not_as_failed(
    nuki: SimulatedNuki,
) -> None:
    nuki.sim.add_fault(Fault.html(502, method="POST", applied=True))

    with pytest.raises(NukiServerError) as caught:
        await nuki.client.unlock(FRONT_DOOR_ID)
    nuki.clock.advance(30)

    assert caught.value.outcome_unknown is True
    assert "may or may not have been applied" in caught.value.message
    front_door = nuki.sim.device(FRONT_DOOR_ID)
    assert front_door.state is not None
    assert front_door.state.state == UNLOCKED
    assert len(nuki.sim.writes()) == 1


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 423, 426, 429])
async def test_a_write_rejected_with_a_4xx_status_is_never_retried_and_its_outcome_is_known(
    nuki: SimulatedNuki, write: Callable[[NukiClient], Awaitable[None]], status: int
) -> None:
    nuki.sim.add_fault(Fault.json(status, "Rejected", times=ALWAYS, headers={"Retry-After": "1"}))

    with pytest.raises(NukiApiError) as caught:
        await write(nuki.client)

    assert caught.value.status == status
    assert caught.value.outcome_unknown is False
    assert len(nuki.sim.writes()) == 1
    assert nuki.clock.slept == []
