"""Toolset `actions`: asynchronous at Nuki, so the tools wait and report what they really know."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, GARAGE_ID, OPENER_ID
from tests.support import ClientMode, Elicitations, Harness, Json, call_error, call_ok, obj

pytestmark = pytest.mark.anyio


def _state(harness: Harness, smartlock_id: int) -> int:
    state = harness.sim.device(smartlock_id).state
    assert state is not None
    return state.state


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_lock_waits_until_the_device_reports_locked(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with harness.client(mode=mode) as client:
        result = await client.call_tool("lock_smartlock", {"smartlock": "Cellar"}, progress_callback=on_progress)
    data = result.structured_content
    assert data is not None
    assert data["outcome"] == "confirmed"
    assert data["state_before"]["state"] == "unlocked"
    assert data["state_after"]["state"] == "locked"
    assert _state(harness, CELLAR_ID) == 1
    assert len(messages) >= 2
    assert any("Cellar Door: locking" in m or "Cellar Door: locked" in m for m in messages)


async def test_without_waiting_the_outcome_is_pending_not_locked(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar", "wait": False})
    assert result["outcome"] == "pending"
    assert obj(result, "state_after")["state"] == "unlocked"


async def test_an_offline_device_is_named_in_the_question_and_waited_for_only_briefly(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Garage"})
    assert "Garage is offline: the command may not arrive" in human.questions[0]
    assert result["outcome"] == "pending"
    assert "did not report" in str(result["reason"])
    assert _state(harness, GARAGE_ID) == 1
    assert sum(harness.clock.slept) <= 6


async def test_the_wait_is_bounded_by_time_even_when_nuki_answers_slowly(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.action_delay = 1000  # the lock never gets there within the wait
    harness.sim.latency = 10  # every answer of Nuki takes 10 s
    async with harness.client() as client:
        started = harness.clock.monotonic()
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
        elapsed = harness.clock.monotonic() - started
    assert result["outcome"] == "pending"
    # 30 s of waiting, plus the reads before and the one poll that was under way when time ran out
    assert elapsed <= 30 + 4 * 10


async def test_a_strike_shorter_than_a_poll_is_confirmed_from_the_activity_log(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.action_delay = 0.5
    harness.sim.motion_time = 0.5  # opening, open, and back to online before the first poll
    async with harness.client() as client:
        result = await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "electric_strike_actuation"}
        )
    assert result["outcome"] == "confirmed"
    assert obj(result, "state_after")["state"] == "online"
    assert "logged" in str(result["reason"])


async def test_a_strike_that_never_happened_is_not_confirmed_by_an_older_log_entry(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "electric_strike_actuation"}
        )
        harness.sim.action_delay = 1000  # the second strike never reaches the Opener
        result = await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "electric_strike_actuation"}
        )
    assert result["outcome"] == "pending"


async def test_an_unrelated_pending_operation_does_not_hold_an_action_at_pending(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_state(CELLAR_ID, operation_id="65f0c0ffee0000000000abcd")  # e.g. a config change in flight
    async with harness.client() as client:
        result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert result["outcome"] == "confirmed"
    assert _state(harness, CELLAR_ID) == 1


async def test_unlatch_is_confirmed_only_after_the_latch_moved(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "smartlock_action", {"smartlock": "Cellar", "action": "unlatch"})
    assert result["outcome"] == "confirmed"
    assert [w.body for w in harness.sim.writes()] == [{"action": 3}]


async def test_opener_continuous_mode_is_confirmed_by_the_device_mode(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client, "smartlock_action", {"smartlock": "Building Entrance", "action": "activate_continuous_mode"}
        )
    assert result["outcome"] == "confirmed"
    assert obj(result, "state_after")["mode"] == "continuous_mode"
    opener_state = harness.sim.device(OPENER_ID).state
    assert opener_state is not None
    assert opener_state.mode == 3


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("lock_smartlock", {"smartlock": "Building Entrance"}, "Opener, which cannot lock"),
        ("unlock_smartlock", {"smartlock": "Building Entrance"}, "Opener, which cannot unlock"),
        ("smartlock_action", {"smartlock": "Cellar", "action": "activate_rto"}, "has no action 'activate_rto'"),
        ("smartlock_action", {"smartlock": "Building Entrance", "action": "unlatch"}, "has no action 'unlatch'"),
    ],
)
async def test_an_action_that_does_not_fit_the_device_type_is_refused_before_sending(
    tmp_path: Path, tool: str, arguments: Json, expected: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, arguments)
    assert expected in error
    assert harness.sim.writes() == []


@pytest.mark.parametrize("kind", ["timeout", "drop"])
async def test_after_an_ambiguous_failure_the_action_is_not_resent_and_the_outcome_is_unknown(
    tmp_path: Path, kind: Literal["timeout", "drop"]
) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="POST", path=f"/smartlock/{FRONT_DOOR_ID}/action/unlock", kind=kind))
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["outcome"] == "unknown"
    assert obj(result, "state_after")["state"] == "locked"
    assert "not sent again" in str(result["reason"])
    assert len(harness.sim.writes()) == 1
    assert harness.audit_lines()[-1]["outcome"] == "unknown"


async def test_a_rejected_action_is_a_clean_error(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="POST", path=f"/smartlock/{FRONT_DOOR_ID}/action/lock", status=401))
    async with harness.client() as client:
        error = await call_error(client, "lock_smartlock", {"smartlock": "Front Door"})
    assert "API token" in error
