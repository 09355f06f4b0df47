"""What a confirmation is good for: exactly the question shown, for exactly as long as it says.

These pin guard rules that mutation testing (docs/mutation-testing.md) found unguarded: the values a
question shows, a token replayed at the instant it expires, and the lifetime of a question asked late
in the server's life or answered on its last second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

from nuki_mcp.demo.household import FRONT_DOOR_ID, JONAS_ACCOUNT_USER_ID
from tests.support import ClientMode, Elicitations, Harness, Json, call_error, call_ok

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
LIFETIME_S = 120
UNLOCK_PATH = f"/smartlock/{FRONT_DOOR_ID}/action/unlock"


@dataclass
class HumanWhoTakesTime(Elicitations):
    """Answers yes after `delay_s` seconds on the harness clock."""

    harness: Harness | None = None
    delay_s: float = 0.0

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert self.harness is not None
        self.harness.clock.advance(self.delay_s)
        return await super().__call__(context, params)


async def test_the_question_shows_a_changed_value_before_and_after_as_written(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "update_smartlock", {"smartlock": "Cellar", "name": "Küchentür"})
    assert '- name: "Cellar Door" -> "Küchentür"' in human.questions[0].splitlines()
    assert harness.sim.writes() == []


async def test_the_question_shows_a_value_that_did_not_exist_before_as_not_set(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations(action="decline")
    arguments: Json = {
        "smartlocks": ["Front Door", "Cellar"],
        "name": "Gäste",
        "account_user_id": JONAS_ACCOUNT_USER_ID,
        "remote_allowed": False,
    }
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "create_smartlock_auth_advanced", arguments)
    lines = human.questions[0].splitlines()
    assert '- name: (not set) -> "Gäste"' in lines
    assert "- remote_allowed: (not set) -> false" in lines
    assert harness.sim.writes() == []


async def test_a_used_token_is_refused_even_at_the_instant_it_expires(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlock": "Cellar", "wait": False}
    async with harness.client() as client:
        first = await call_ok(client, "lock_smartlock", arguments)
        issued_at = harness.clock.monotonic()
        with_token = {**arguments, "confirmation_token": first["confirmation_token"]}
        await call_ok(client, "lock_smartlock", with_token)
        harness.clock.advance(issued_at + LIFETIME_S - harness.clock.monotonic())
        error = await call_error(client, "lock_smartlock", with_token)
    assert "already used" in error
    assert len(harness.sim.writes()) == 1


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_yes_within_the_lifetime_proceeds_late_in_the_servers_life(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    harness.clock.advance(1000)  # the server has been up a while: question times are far from zero
    human = HumanWhoTakesTime(harness=harness, delay_s=30)
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door", "wait": False})
    assert result["status"] == "done"
    assert [w.path for w in harness.sim.writes()] == [UNLOCK_PATH]


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_yes_on_the_last_second_of_the_lifetime_proceeds(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = HumanWhoTakesTime(harness=harness, delay_s=LIFETIME_S)
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door", "wait": False})
    assert f"Confirm within {LIFETIME_S} s" in human.questions[0]
    assert result["status"] == "done"
    assert [w.path for w in harness.sim.writes()] == [UNLOCK_PATH]
