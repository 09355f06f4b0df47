"""The audit trail never misses a write that may have reached Nuki, and records every refusal.

An attempt line is synced before a request can leave; an outcome line follows whatever happens (an
answer, an error, a cancelled call). A server killed mid-request leaves an attempt without an
outcome, which means "outcome unknown". When the attempt cannot be recorded, nothing is sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from nuki_mcp.demo import NukiSimulator
from nuki_mcp.demo.faults import Fault
from nuki_mcp.demo.household import FRONT_DOOR_ID, OPENER_ID
from nuki_mcp.demo.http import SimulatorApp
from tests.http_server import uvicorn_in_thread
from tests.support import CANARY_TOKEN, ClientMode, Elicitations, Harness, Json, call_error, call_ok

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
DEADLINE_S = 60.0
UNLOCK_PATH = f"/smartlock/{FRONT_DOOR_ID}/action/unlock"
UNLOCKED = 3


def _by_id(lines: list[Json]) -> dict[str, list[Json]]:
    grouped: dict[str, list[Json]] = {}
    for line in lines:
        grouped.setdefault(str(line["id"]), []).append(line)
    return grouped


def _unanswered_attempts(lines: list[Json]) -> list[Json]:
    return [
        group[0]
        for group in _by_id(lines).values()
        if [line["event"] for line in group] == ["attempt"]  # an attempt without its outcome line
    ]


# --- cancelled and killed mid-request -----------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_call_cancelled_after_the_unlock_reached_nuki_leaves_an_attempt_and_an_unknown_outcome(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="off")
    reached = anyio.Event()
    harness.sim.add_fault(Fault(kind="hang", method="POST", path=UNLOCK_PATH, on_hang=reached.set))
    with anyio.fail_after(DEADLINE_S):
        async with harness.client(mode=mode) as client, anyio.create_task_group() as tasks:

            async def unlock() -> None:
                await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})

            tasks.start_soon(unlock)
            await reached.wait()
            tasks.cancel_scope.cancel()  # the user pressed stop: the client abandons the call
    # Leaving the client joined the server's handlers: the cancelled one has finished by now.
    assert [w.path for w in harness.sim.writes()] == [UNLOCK_PATH]
    attempt, outcome = harness.audit_lines()
    assert (attempt["event"], attempt["tool"], attempt["outcome"]) == ("attempt", "unlock_smartlock", "sending")
    assert (outcome["event"], outcome["outcome"], outcome["id"]) == ("outcome", "unknown", attempt["id"])
    assert "cancelled" in str(outcome["detail"])


def test_a_server_killed_after_the_unlock_reached_nuki_leaves_the_attempt_in_the_trail(tmp_path: Path) -> None:
    sim = NukiSimulator()
    reached = threading.Event()
    sim.add_fault(Fault(kind="hang", method="POST", path=UNLOCK_PATH, on_hang=reached.set))
    audit = tmp_path / "audit.jsonl"
    with uvicorn_in_thread(SimulatorApp(sim), path="") as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
        env.update(NUKI_API_URL=api_url, NUKI_API_TOKEN=sim.token, NUKI_CONFIRM="off", NUKI_AUDIT_LOG=str(audit))
        server = subprocess.Popen(
            [sys.executable, "-m", "nuki_mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )
        try:
            assert server.stdin is not None
            assert server.stdout is not None
            for message in _handshake_and_unlock():
                server.stdin.write((json.dumps(message) + "\n").encode())
            server.stdin.flush()
            assert json.loads(server.stdout.readline())["id"] == 1  # initialized
            assert reached.wait(DEADLINE_S), "the unlock never reached the simulated Nuki"
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(DEADLINE_S)
    assert [w.path for w in sim.writes()] == [UNLOCK_PATH]
    lines = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    [attempt] = _unanswered_attempts(lines)
    assert attempt["tool"] == "unlock_smartlock"
    assert attempt["device"] == {"id": FRONT_DOOR_ID, "name": "Front Door"}
    assert attempt["confirmation"] == "off"


def _handshake_and_unlock() -> list[Json]:
    return [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "kill-test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "unlock_smartlock", "arguments": {"smartlock": "Front Door", "wait": False}},
        },
    ]


# --- no record, no request ----------------------------------------------------------------------


async def test_when_the_attempt_cannot_be_recorded_nothing_is_sent_and_the_agent_is_told_why(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off")
    async with harness.client() as client:
        harness.audit_path.unlink(missing_ok=True)
        harness.audit_path.mkdir()  # the trail can no longer be appended to (root ignores file modes)
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert "Nothing was sent to Nuki" in error
    assert "audit trail" in error
    assert harness.sim.writes() == []
    assert harness.sim.device(FRONT_DOOR_ID).state is not None
    assert harness.sim.device(FRONT_DOOR_ID).state.state != UNLOCKED  # type: ignore[union-attr]


# --- refusals are recorded ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "tool", "arguments", "detail"),
    [
        ({"devices": ("Front Door",)}, "unlock_smartlock", {"smartlock": "Back Door"}, "No device matches"),
        ({}, "lock_smartlock", {"smartlock": "Building Entrance"}, "Opener"),
        ({}, "smartlock_action", {"smartlock": "Front Door", "action": "electric_strike_actuation"}, "no action"),
        ({}, "update_admin_pin", {"smartlock": "Front Door", "admin_pin": "12ab"}, "admin_pin"),
    ],
    ids=["outside-allow-list", "opener-cannot-lock", "type-mismatch", "invalid-argument"],
)
async def test_a_write_refused_while_planning_is_recorded_with_why(
    tmp_path: Path, settings: dict[str, tuple[str, ...]], tool: str, arguments: Json, detail: str
) -> None:
    harness = Harness(tmp_path, confirm="auto", **settings)  # type: ignore[arg-type]
    async with harness.client(elicitation=Elicitations()) as client:
        await call_error(client, tool, arguments)
    [line] = harness.audit_lines()
    assert (line["event"], line["tool"], line["outcome"]) == ("decision", tool, "refused")
    assert detail in str(line["detail"])
    assert "12ab" not in json.dumps(line)  # a rejected secret is not written down either
    assert harness.sim.writes() == []


async def test_an_elicitation_the_client_fails_to_answer_is_recorded_and_sends_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")

    async def broken_host(*_: object) -> object:
        raise RuntimeError("the host's dialog crashed")

    async with harness.client(mode="legacy", elicitation=broken_host) as client:  # type: ignore[arg-type]
        with pytest.raises(MCPError, match="dialog crashed"):
            await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
    assert harness.sim.writes() == []
    [line] = harness.audit_lines()
    assert (line["event"], line["tool"], line["outcome"]) == ("decision", "unlock_smartlock", "refused")
    assert line["arguments"] == {"smartlock": "Front Door"}
    assert "dialog crashed" in str(line["detail"])


# --- only a JSON true, in time --------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
@pytest.mark.parametrize("answer", ["true", "yes", 1, 1.0, "True"], ids=["str-true", "yes", "one", "one-float", "Tr"])
async def test_only_a_json_true_confirms(tmp_path: Path, mode: ClientMode, answer: str | int | float) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(mode=mode, elicitation=Elicitations(content={"confirm": answer})) as client:
        result = await client.call_tool("unlock_smartlock", {"smartlock": "Front Door"})
    assert harness.sim.writes() == []
    if not result.is_error:
        assert result.structured_content is not None
        assert result.structured_content["status"] == "not_done"


class _SlowHuman(Elicitations):
    """Answers yes, but only after `delay_s` on the test's clock."""

    def __init__(self, harness: Harness, delay_s: float) -> None:
        super().__init__()
        self.harness = harness
        self.delay_s = delay_s

    async def __call__(self, context: object, params: object) -> object:  # type: ignore[override]
        self.harness.clock.advance(self.delay_s)
        return await super().__call__(context, params)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_yes_given_after_the_confirmation_lifetime_sends_nothing(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = _SlowHuman(harness, delay_s=121)
    async with harness.client(mode=mode, elicitation=human) as client:  # type: ignore[arg-type]
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "not_done"
    assert "120 s" in str(result["reason"])
    assert "120 s" in human.questions[0]
    assert harness.sim.writes() == []


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_yes_given_within_the_confirmation_lifetime_proceeds(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = _SlowHuman(harness, delay_s=100)
    async with harness.client(mode=mode, elicitation=human) as client:  # type: ignore[arg-type]
        result = await call_ok(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "done"
    assert [w.path for w in harness.sim.writes()] == [UNLOCK_PATH]


# --- what the human reads is what is sent ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://example.com/\u202egpj.kooh", "https://exa\u200bmple.com/hook", "https://example.com/\x1b[2Jhook"],
    ids=["rtl-override", "zero-width-space", "escape-sequence"],
)
async def test_a_webhook_url_with_invisible_characters_is_refused_with_nothing_sent(tmp_path: Path, url: str) -> None:
    harness = Harness(tmp_path, confirm="off")
    async with harness.client() as client:
        error = await call_error(
            client, "create_decentral_webhook", {"webhook_url": url, "webhook_features": ["DEVICE_STATUS"]}
        )
    assert "invisible" in error
    assert harness.sim.writes() == []


async def test_invisible_characters_in_a_name_are_spelled_out_in_the_question(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "update_smartlock", {"smartlock": "Front Door", "name": "Back\u202eroom"})
    assert "\u202e" not in human.questions[0]
    assert "Back\\u202eroom" in human.questions[0]


async def test_a_webhook_is_refused_under_an_allow_list_that_hides_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="off", devices=("Front Door",))
    async with harness.client() as client:
        error = await call_error(
            client,
            "create_decentral_webhook",
            {"webhook_url": "https://example.com/hook", "webhook_features": ["DEVICE_STATUS"]},
        )
    assert "NUKI_DEVICES" in error
    assert "every device" in error
    assert harness.sim.writes() == []


async def test_a_webhook_is_allowed_when_the_allow_list_covers_every_device(tmp_path: Path) -> None:
    every_device = tuple(str(d.smartlock_id) for d in NukiSimulator(token=CANARY_TOKEN).devices())
    assert str(OPENER_ID) in every_device
    harness = Harness(tmp_path, confirm="off", devices=every_device)
    async with harness.client() as client:
        result = await call_ok(
            client,
            "create_decentral_webhook",
            {"webhook_url": "https://example.com/hook", "webhook_features": ["DEVICE_STATUS"]},
        )
    assert result["status"] == "done"
