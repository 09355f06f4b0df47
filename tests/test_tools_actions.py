"""Toolset `actions`: asynchronous at Nuki, so the tools wait and report what they really know."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID, GARAGE_ID, OPENER_ID
from tests.support import ClientMode, Harness, Json, call_error, call_ok, obj

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


async def test_an_offline_device_stays_pending_after_the_bounded_wait(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Garage"})
    assert result["outcome"] == "pending"
    assert "did not report" in str(result["reason"])
    assert _state(harness, GARAGE_ID) == 1
    assert sum(harness.clock.slept) <= 31


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
