"""What an action's outcome may claim: confirmed only when the device got there because of this command.

These pin the rules of the action wait that mutation testing (docs/mutation-testing.md) found unguarded:
a device that was already in the target state, a failure state left over from before the command, an
operation still pending at Nuki, and operations that belong to something else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, OPENER_ID
from tests.support import Harness, Json, call_error, call_ok, obj

pytestmark = pytest.mark.anyio

LOCKED = 1
LOCKING = 4
UNLOCKED = 3
MOTOR_BLOCKED = 254
CONTINUOUS_MODE = 3
NEVER = 1000.0  # an action delay longer than any wait: the device never moves


class EveryPollClock(ManualClock):
    """A manual clock that lets the test change the simulated device each time the server waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self.on_sleep: Callable[[], None] = lambda: None

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        self.on_sleep()


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


def _nuki_reports_no_operation(harness: Harness, smartlock_id: int, clock: EveryPollClock) -> None:
    """Nuki stops reporting the command's operationId (it has none, or cleared it) while the device stays put."""

    def clear() -> None:
        harness.sim.set_device_fields(smartlock_id, operation_id=None)

    clock.on_sleep = clear


async def test_unlatching_an_unlocked_lock_that_never_moves_is_not_confirmed(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.action_delay = NEVER
    _nuki_reports_no_operation(harness, CELLAR_ID, clock)
    async with harness.client() as client:
        result = await call_ok(client, "smartlock_action", {"smartlock": "Cellar", "action": "unlatch"})
    # "unlocked" is one of unlatch's final states, but the lock was unlocked before: nothing proves the latch moved.
    assert obj(result, "state_before")["state"] == "unlocked"
    assert obj(result, "state_after")["state"] == "unlocked"
    assert result["outcome"] == "pending"
    assert "did not report the target state within 30 s" in str(result["reason"])


async def test_locking_a_locked_door_is_confirmed_once_nuki_has_nothing_pending(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.action_delay = NEVER
    _nuki_reports_no_operation(harness, FRONT_DOOR_ID, clock)
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Front Door"})
    assert result["outcome"] == "confirmed"
    assert obj(result, "state_after")["state"] == "locked"
    assert sum(clock.slept) <= 2  # the first look at the device settles it


async def test_locking_a_locked_door_stays_pending_while_nuki_reports_the_operation_pending(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.action_delay = NEVER  # the command stays queued at Nuki: operationId set, never cleared
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Front Door"})
    assert _state(harness, FRONT_DOOR_ID) == LOCKED
    assert result["outcome"] == "pending"
    assert obj(result, "state_after")["state"] == "locked"


async def test_a_lock_reaching_its_state_is_pending_while_its_operation_is_still_pending(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.action_delay = NEVER

    def someone_else_locks_it() -> None:
        # The door is locked by hand while our command is still queued at Nuki (operationId set).
        harness.sim.set_state(CELLAR_ID, state=LOCKED)

    clock.on_sleep = someone_else_locks_it
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert obj(result, "state_after")["state"] == "locked"
    assert result["outcome"] == "pending"


async def test_an_operation_pending_at_the_device_before_the_command_does_not_hold_it_at_pending(
    tmp_path: Path,
) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    unrelated = "65f0c0ffee0000000000abcd"  # e.g. a configuration change still in flight
    harness.sim.set_device_fields(CELLAR_ID, operation_id=unrelated)

    def nuki_reports_the_older_operation() -> None:
        # Once our command is through, Nuki shows the configuration change's operationId again.
        if harness.sim.device(CELLAR_ID).operation_id is None:
            harness.sim.set_device_fields(CELLAR_ID, operation_id=unrelated)

    clock.on_sleep = nuki_reports_the_older_operation
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert harness.sim.device(CELLAR_ID).operation_id == unrelated
    assert result["outcome"] == "confirmed"
    assert _state(harness, CELLAR_ID) == LOCKED


async def test_a_failure_state_left_from_before_the_command_is_not_reported_as_its_failure(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_state(CELLAR_ID, state=MOTOR_BLOCKED)  # the last attempt jammed; the lock was freed since
    harness.sim.action_delay = 3.0  # the first poll still sees the old state
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert obj(result, "state_before")["state"] == "motor_blocked"
    assert result["outcome"] == "confirmed"
    assert _state(harness, CELLAR_ID) == LOCKED


async def test_a_lock_that_jams_after_it_started_moving_is_reported_failed(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.motion_time = NEVER  # it starts locking and never finishes

    def jam() -> None:
        if _state(harness, CELLAR_ID) == LOCKING:
            harness.sim.set_state(CELLAR_ID, state=MOTOR_BLOCKED)

    clock.on_sleep = jam
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["outcome"] == "failed"
    assert obj(result, "state_after")["state"] == "motor_blocked"
    assert result["reason"] == "The device reported motor_blocked; the action did not complete."


async def test_a_strike_is_not_confirmed_when_the_activity_log_cannot_be_read_back(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.action_delay = NEVER  # the strike never reaches the Opener

    def log_unreadable() -> None:
        harness.sim.clear_faults()
        harness.sim.add_fault(Fault(method="GET", path=f"/smartlock/{OPENER_ID}/log", status=403))

    clock.on_sleep = log_unreadable
    async with harness.client() as client:
        result = await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "electric_strike_actuation"}
        )
    assert result["outcome"] == "pending"


async def test_a_strike_is_not_confirmed_by_an_entry_older_than_the_newest_ten_it_saw(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    strike: Json = {"smartlock": "Building Entrance", "action": "electric_strike_actuation"}
    async with harness.client() as client:
        await call_ok(client, "smartlock_action", strike)
        for action in ["activate_rto", "deactivate_rto"] * 5:  # ten newer entries push the strike back
            await call_ok(client, "smartlock_action", {"smartlock": "Building Entrance", "action": action})
        harness.sim.action_delay = NEVER  # this strike never reaches the Opener
        result = await call_ok(client, "smartlock_action", strike)
    assert [log.action for log in harness.sim.logs(OPENER_ID)[:11]] == [2, 1] * 5 + [3]
    assert result["outcome"] == "pending"


async def test_a_lock_that_has_not_reported_any_state_yet_is_confirmed_once_it_reports_locked(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_device(harness.sim.device(CELLAR_ID).model_copy(update={"state": None}))  # e.g. just paired
    harness.sim.action_delay = 3.0  # the first poll still finds no state
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["state_before"] is None
    assert result["outcome"] == "confirmed"
    assert obj(result, "state_after")["state"] == "locked"


async def test_continuous_mode_already_on_is_confirmed_once_nuki_has_nothing_pending(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.set_state(OPENER_ID, mode=CONTINUOUS_MODE)
    harness.sim.action_delay = NEVER
    _nuki_reports_no_operation(harness, OPENER_ID, clock)
    async with harness.client() as client:
        result = await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "activate_continuous_mode"}
        )
    assert result["outcome"] == "confirmed"
    assert obj(result, "state_after")["mode"] == "continuous_mode"


async def test_a_device_that_cannot_be_read_back_leaves_the_action_pending(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)

    def device_unreadable() -> None:
        harness.sim.clear_faults()
        harness.sim.add_fault(Fault(method="GET", path=f"/smartlock/{CELLAR_ID}", status=403))

    clock.on_sleep = device_unreadable
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["outcome"] == "pending"
    assert "reading the device back failed" in str(result["reason"])
    assert obj(result, "state_after")["state"] == "unlocked"  # the last state it could read


async def test_the_wait_reports_its_progress_in_seconds_of_its_length(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.clock.advance(1000)  # the server has been up a while: progress counts from the command, not from zero
    reported: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reported.append((progress, total, message))

    async with harness.client() as client:
        result = await client.call_tool("lock_smartlock", {"smartlock": "Cellar"}, progress_callback=on_progress)
    assert not result.is_error
    assert reported == [
        (0, 30, f"Lock 'Cellar Door' (id {CELLAR_ID}). Command accepted by Nuki; waiting for the device."),
        (2, 30, "Cellar Door: locking"),
        (4, 30, "Cellar Door: locked"),
    ]


async def test_a_device_that_never_gets_there_is_read_every_two_seconds_until_the_deadline(tmp_path: Path) -> None:
    clock = EveryPollClock()
    harness = Harness(tmp_path, clock=clock)
    harness.sim.action_delay = NEVER

    def stop_a_wait_that_outlives_its_deadline() -> None:
        if len(clock.slept) > 15:  # fail fast instead of polling for ever
            raise RuntimeError("the wait went on after its deadline")

    clock.on_sleep = stop_a_wait_that_outlives_its_deadline
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar", "wait": False})
        assert result["outcome"] == "pending"
        reads_without_waiting = _device_reads(harness)
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["outcome"] == "pending"
    assert clock.slept == [2.0] * 15
    assert _device_reads(harness) - 2 * reads_without_waiting == 15  # at 2, 4, ... 30 s; none after the deadline


async def test_the_last_pause_of_the_wait_ends_at_the_deadline(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.action_delay = NEVER
    harness.sim.latency = 0.9  # a poll takes 2.9 s: the tenth ends at 29 s, one second before the deadline
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["outcome"] == "pending"
    assert 1.0 in [round(pause, 6) for pause in harness.clock.slept]


def _device_reads(harness: Harness) -> int:
    return sum(1 for r in harness.sim.requests if r.method == "GET" and r.path == f"/smartlock/{CELLAR_ID}")


async def test_the_result_names_the_device_the_action_and_a_summary_with_only_the_warnings_that_apply(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        locked = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
        unlocked = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert locked["summary"] == f"Lock 'Cellar Door' (id {CELLAR_ID})."
    assert locked["action"] == "lock"
    assert obj(locked, "device")["name"] == "Cellar Door"
    assert unlocked["summary"] == f"Unlock 'Front Door' (id {FRONT_DOOR_ID}). Anyone at the door can then get in."
    assert unlocked["action"] == "unlock"
    assert obj(unlocked, "device")["name"] == "Front Door"


async def test_an_action_the_device_lacks_is_refused_with_the_actions_it_has(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_device(harness.sim.device(CELLAR_ID).model_copy(update={"smartlock_id": 99, "type": 99}))
    async with harness.client() as client:
        lacking = await call_error(client, "smartlock_action", {"smartlock": str(CELLAR_ID), "action": "activate_rto"})
        unknown = await call_error(client, "smartlock_action", {"smartlock": "99", "action": "lock"})
    assert (
        "'Cellar Door' is a Smart Lock 2.0, which has no action 'activate_rto'; "
        "it supports: unlock, lock, unlatch, lock_n_go, lock_n_go_unlatch." in lacking
    )
    assert "which has no action 'lock'; it supports: none." in unknown
    assert harness.sim.writes() == []
