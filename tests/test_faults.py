"""Nuki failing in every way it can, seen through the MCP client: reads retry, writes never re-send.

The request-level retry policy is proven in test_client_retry.py; here the whole server is under
test: every read and every write tool of the live tool list, the error text the agent gets, the
audit line, and that the next call still works.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from mcp import Client
from mcp.types import CallToolResult

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from tests.scenarios import ACTION_TOOLS, WRITE_CALLS, valid_arguments
from tests.simulated_client import is_one_sentence
from tests.support import CANARY_TOKEN, Harness, Json, call_error, call_ok, dumps, text_of

pytestmark = pytest.mark.anyio

ALWAYS = 100  # more attempts than the retry policy makes: the fault never clears by itself
DEVICE_LIST_PATH = "/smartlock"  # get_smartlock reads the device list
RETRIES = 3
OUTCOME_UNKNOWN = re.compile(r"may or may not have been applied|outcome (is )?unknown", re.IGNORECASE)


def _json(status: int, method: str | None = "GET", times: int = ALWAYS) -> Fault:
    return Fault.json(status, "java.lang.NullPointerException", method=method, times=times)


def _html(status: int, method: str | None = "GET", times: int = ALWAYS) -> Fault:
    return Fault.html(status, method=method, times=times)


def _empty(status: int, method: str | None = "GET", times: int = ALWAYS) -> Fault:
    return Fault(method=method, status=status, times=times)


BODIES = {"json": _json, "html": _html, "empty": _empty}
SERVER_STATUSES = (500, 502, 503, 504)


def _read_faults() -> dict[str, Fault]:
    faults = {f"{status}-{body}": make(status) for status in SERVER_STATUSES for body, make in BODIES.items()}
    faults["read-timeout"] = Fault(method="GET", kind="timeout", times=ALWAYS)
    faults["dropped-connection"] = Fault(method="GET", kind="drop", times=ALWAYS)
    return faults


def _message(tool: str, result: CallToolResult) -> str:
    """The agent-facing message of a failed call, without the SDK's "Error executing tool x: " prefix."""
    assert result.is_error, f"{tool} unexpectedly succeeded: {text_of(result)}"
    text = text_of(result)
    prefix = f"Error executing tool {tool}: "
    assert text != prefix.rstrip(": "), f"{tool} crashed with an unexpected exception"
    return text.removeprefix(prefix)


def _assert_clean(tool: str, message: str) -> None:
    for leak in ("<html", "</", "nginx", "Traceback", "stackTrace", CANARY_TOKEN):
        assert leak not in message, f"{tool}: {leak!r} in {message!r}"


def _device_list_reads(harness: Harness) -> int:
    return sum(1 for r in harness.sim.requests if r.method == "GET" and r.path == DEVICE_LIST_PATH)


async def _live_tools(client: Client) -> list[str]:
    return [tool.name for tool in (await client.list_tools()).tools]


# --- 429 -----------------------------------------------------------------------------------------


async def test_a_rate_limited_read_waits_as_long_as_retry_after_says_then_succeeds(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        harness.sim.add_fault(
            Fault.json(429, "Rate limit", method="GET", path=DEVICE_LIST_PATH, headers={"Retry-After": "7"})
        )
        by_seconds = await call_ok(client, "get_smartlock", {"smartlock": "Front Door"})
        slept_for_seconds = list(harness.clock.slept)
        harness.clock.slept.clear()
        in_12_s = format_datetime(harness.clock.now() + timedelta(seconds=12), usegmt=True)
        harness.sim.add_fault(
            Fault.json(429, "Rate limit", method="GET", path=DEVICE_LIST_PATH, headers={"Retry-After": in_12_s})
        )
        by_date = await call_ok(client, "get_smartlock", {"smartlock": "Front Door"})
    assert by_seconds["smartlock_id"] == by_date["smartlock_id"] == FRONT_DOOR_ID
    assert slept_for_seconds == [7.0]
    assert harness.clock.slept == [12.0]
    assert _device_list_reads(harness) == 4


async def test_a_rate_limit_longer_than_the_retry_budget_is_a_clean_error_naming_the_wait(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(
        Fault.json(
            429, "Rate limit", method="GET", path=DEVICE_LIST_PATH, headers={"Retry-After": "3600"}, times=ALWAYS
        )
    )
    async with harness.client() as client:
        error = await call_error(client, "get_smartlock", {"smartlock": "Front Door"})
        harness.sim.clear_faults()
        after = await call_ok(client, "get_smartlock", {"smartlock": "Front Door"})
    assert "wait 3600 s" in error
    assert harness.clock.slept == []
    assert after["smartlock_id"] == FRONT_DOOR_ID


async def test_a_rate_limited_write_is_not_sent_again_and_says_how_long_to_wait(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    path = f"/smartlock/{CELLAR_ID}"
    harness.sim.add_fault(Fault.json(429, "Rate limit", method="POST", path=path, headers={"Retry-After": "5"}))
    async with harness.client() as client:
        error = await call_error(client, "update_smartlock", {"smartlock": "Cellar", "name": "Wine Cellar"})
        retried_by_hand = await call_ok(client, "update_smartlock", {"smartlock": "Cellar", "name": "Wine Cellar"})
    assert "wait 5 s" in error
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("POST", path), ("POST", path)]
    assert harness.clock.slept == []
    assert retried_by_hand["status"] == "done"
    assert harness.sim.device(CELLAR_ID).name == "Wine Cellar"


# --- reads ---------------------------------------------------------------------------------------


async def test_a_read_is_retried_through_every_transient_failure_then_fails_with_one_clean_sentence(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    problems: list[str] = []
    async with harness.client() as client:
        for name, fault in _read_faults().items():
            harness.sim.clear_faults()
            harness.sim.add_fault(dataclasses.replace(fault, path=DEVICE_LIST_PATH))
            reads_before = _device_list_reads(harness)
            harness.clock.slept.clear()
            result = await client.call_tool("get_smartlock", {"smartlock": "Front Door"})
            message = _message("get_smartlock", result)
            _assert_clean(name, message)
            expected_tries = 1 + RETRIES  # a 500 too: Nuki's 5xx are transient (REFERENCE §6.1)
            if not is_one_sentence(message):
                problems.append(f"{name}: not one sentence: {message!r}")
            if _device_list_reads(harness) - reads_before != expected_tries:
                problems.append(f"{name}: {_device_list_reads(harness) - reads_before} tries, not {expected_tries}")
            if len(harness.clock.slept) != expected_tries - 1:
                problems.append(f"{name}: waited {harness.clock.slept}")
            harness.sim.clear_faults()
            after = await client.call_tool("get_smartlock", {"smartlock": "Front Door"})
            if after.is_error:
                problems.append(f"{name}: the next call failed: {text_of(after)}")
    assert problems == []
    assert harness.sim.writes() == []


@pytest.mark.parametrize(
    "fault",
    [_html(502), _empty(503), Fault(method="GET", kind="timeout", times=ALWAYS)],
    ids=["502-html", "503-empty", "read-timeout"],
)
async def test_every_read_tool_turns_a_persistent_failure_into_a_clean_error_and_recovers(
    tmp_path: Path, fault: Fault
) -> None:
    harness = Harness(tmp_path)
    problems: list[str] = []
    async with harness.client() as client:
        for tool in (
            t.name for t in (await client.list_tools()).tools if t.annotations and t.annotations.read_only_hint
        ):
            harness.sim.add_fault(fault)
            result = await client.call_tool(tool, valid_arguments(tool))
            harness.sim.clear_faults()
            if not result.is_error:
                problems.append(f"{tool}: succeeded although every read failed")
            else:
                _assert_clean(tool, _message(tool, result))
            again = await client.call_tool(tool, valid_arguments(tool))
            if again.is_error:
                problems.append(f"{tool}: the next call failed: {text_of(again)}")
    assert problems == []
    assert harness.sim.writes() == []


async def test_slow_answers_make_calls_slower_but_never_wrong(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.latency = 4.0
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlocks")
        audit = await call_ok(client, "audit_smartlocks")
        locked = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar"})
    assert listing["total"] == 5
    assert "findings" in audit
    assert locked["outcome"] == "confirmed"
    state = harness.sim.device(CELLAR_ID).state
    assert state is not None
    assert state.state == 1
    assert harness.clock.slept.count(4.0) == len(harness.sim.requests)


# --- writes --------------------------------------------------------------------------------------

AMBIGUOUS_WRITE_FAULTS = {
    "timeout": Fault(kind="timeout"),
    "dropped-connection": Fault(kind="drop"),
    "500-json": _json(500, method=None, times=1),
    "502-html": _html(502, method=None, times=1),
    "503-empty": _empty(503, method=None, times=1),
    "504-json": _json(504, method=None, times=1),
}


@pytest.mark.parametrize("fault", AMBIGUOUS_WRITE_FAULTS.values(), ids=AMBIGUOUS_WRITE_FAULTS.keys())
async def test_no_write_tool_resends_after_an_ambiguous_failure_and_each_says_the_outcome_is_unknown(
    tmp_path: Path, fault: Fault
) -> None:
    harness = Harness(tmp_path)
    problems: list[str] = []
    async with harness.client() as client:
        writes = [t for t in await _live_tools(client) if t in WRITE_CALLS]
        assert len(writes) == len(WRITE_CALLS)
        for tool in writes:
            call = WRITE_CALLS[tool]
            sent_before = len(harness.sim.writes())
            harness.sim.add_fault(dataclasses.replace(fault, method=call.method))
            result = await client.call_tool(tool, call.arguments)
            harness.sim.clear_faults()
            problems.extend(f"{tool}: {p}" for p in _unknown_outcome_problems(tool, result))
            sent = harness.sim.writes()[sent_before:]
            if [w.method for w in sent] != [call.method]:
                problems.append(f"{tool}: sent {[(w.method, w.path) for w in sent]}")
            audited = harness.audit_lines()[-1]
            if (audited["tool"], audited["outcome"]) != (tool, "unknown"):
                problems.append(f"{tool}: audited as {audited}")
        after = await call_ok(client, "sync_smartlock", {"smartlock": "Front Door"})
    assert problems == []
    assert after["status"] == "done"


def _unknown_outcome_problems(tool: str, result: CallToolResult) -> list[str]:
    if tool in ACTION_TOOLS:
        if result.is_error or result.structured_content is None:
            return [f"an action must report outcome unknown, got {text_of(result)!r}"]
        data: Json = dict(result.structured_content)
        problems = [] if data["outcome"] == "unknown" else [f"outcome {data['outcome']}"]
        if data.get("state_after") is None or data["state_after"] != data["state_before"]:
            problems.append(f"state_after {data.get('state_after')} is not the last known state")
        if "not sent again" not in str(data["reason"]):
            problems.append(f"reason {data['reason']!r}")
        _assert_clean(tool, dumps(data))
        return problems
    message = _message(tool, result)
    _assert_clean(tool, message)
    return [] if OUTCOME_UNKNOWN.search(message) else [f"does not say the outcome is unknown: {message!r}"]


async def test_a_write_answered_with_any_server_error_and_body_is_sent_once_and_reported_as_unknown(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    arguments: Json = {"smartlock": "Cellar", "name": "Wine Cellar"}
    problems: list[str] = []
    async with harness.client() as client:
        for status in SERVER_STATUSES:
            for body, make in BODIES.items():
                harness.sim.add_fault(make(status, method="POST", times=ALWAYS))
                sent_before = len(harness.sim.writes())
                message = _message("update_smartlock", await client.call_tool("update_smartlock", arguments))
                harness.sim.clear_faults()
                _assert_clean(f"{status}-{body}", message)
                if len(harness.sim.writes()) - sent_before != 1:
                    problems.append(f"{status}-{body}: sent {len(harness.sim.writes()) - sent_before} times")
                if f"({status})" not in message or not OUTCOME_UNKNOWN.search(message):
                    problems.append(f"{status}-{body}: {message!r}")
        done = await call_ok(client, "update_smartlock", arguments)
    assert problems == []
    assert done["status"] == "done"
    assert harness.sim.device(CELLAR_ID).name == "Wine Cellar"
    assert harness.clock.slept == []
