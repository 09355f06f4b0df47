"""Property-based fuzzing of every tool the server lists, with arguments drawn from its own input schema.

Each tool gets valid arguments (biased toward the demo household so the calls reach Nuki) and broken
ones (wrong types, nasty or huge strings, extreme numbers, nulls, missing and extra fields). Every
call must end in a result or a clean tool error: no crash, no traceback, no API token. Writes run
once with confirmation off and once through the two-step token.

`FUZZ_EXAMPLES` (examples per tool and confirmation mode) scales the run: `make test` keeps the
default; `FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/test_fuzz.py` digs deeper.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Tool
from pydantic import JsonValue

from nuki_mcp.config import ConfirmMode
from nuki_mcp.demo.household import (
    ACCOUNT_ID,
    ANNA_ACCOUNT_USER_ID,
    API_KEY_ID,
    CELLAR_ID,
    CLEANER_CODE,
    FRONT_DOOR_CLEANER_CODE_AUTH_ID,
    FRONT_DOOR_FOB_AUTH_ID,
    FRONT_DOOR_ID,
    JONAS_ACCOUNT_USER_ID,
    OPENER_ANNA_AUTH_ID,
    WEBHOOK_ID,
)
from tests.scenarios import FREE_KEYPAD_CODE, removes_a_device
from tests.schema_strategies import Json, Strategy, arguments, broken_arguments
from tests.support import CANARY_TOKEN, Harness, call_error, dumps, text_of

pytestmark = pytest.mark.anyio

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
settings.register_profile(
    "nuki-fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("nuki-fuzz")

DEVICES: list[JsonValue] = [
    "Front Door",
    "Cellar",
    "building entrance",
    "Back",
    "Garage",
    "Door",
    str(FRONT_DOOR_ID),
    str(CELLAR_ID),
    "1",
]
# Realistic values for named properties, so that a good share of the calls get past device lookup.
HINTS: dict[str, Strategy] = {
    "smartlock": st.sampled_from(DEVICES),
    "smartlocks": st.lists(st.sampled_from(DEVICES), min_size=1, max_size=3),
    "auth_id": st.sampled_from([FRONT_DOOR_CLEANER_CODE_AUTH_ID, FRONT_DOOR_FOB_AUTH_ID, OPENER_ANNA_AUTH_ID]),
    "account_user_id": st.sampled_from([ANNA_ACCOUNT_USER_ID, JONAS_ACCOUNT_USER_ID, ACCOUNT_ID]),
    "api_key_id": st.just(API_KEY_ID),
    "webhook_id": st.just(WEBHOOK_ID),
    "code": st.sampled_from([FREE_KEYPAD_CODE, CLEANER_CODE, 123456, 111111, 999999]),
    "webhook_url": st.sampled_from(["https://hooks.example.org/nuki", "http://127.0.0.1/x", "ftp://x", "https://"]),
}


class Fuzzer:
    """Calls tools from Hypothesis' worker thread on the test's event loop and checks every answer."""

    def __init__(self, client: Client, caplog: pytest.LogCaptureFixture) -> None:
        self.client = client
        self.caplog = caplog
        self.calls: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    def check(self, tool: str, arguments: Json, result: CallToolResult, logged_before: int) -> None:
        dumped = dumps(result.model_dump())
        where = f"{tool}({dumps(arguments)[:300]})"
        assert CANARY_TOKEN not in dumped, f"{where} leaked the API token"
        assert "Traceback" not in dumped, f"{where} returned a traceback: {dumped[:500]}"
        if result.is_error:
            text = text_of(result).strip()
            assert text, f"{where} failed without a message"
            assert text != f"Error executing tool {tool}", f"{where} crashed with an unexpected exception"
        else:
            assert result.structured_content is not None, f"{where} returned no structured content"
        crashes = [r for r in self.caplog.records[logged_before:] if r.levelno >= logging.ERROR]
        assert not crashes, f"{where} logged {[self.caplog.handler.format(r) for r in crashes]}"
        self.outcomes["error" if result.is_error else "result"] += 1

    async def call(self, tool: str, arguments: Json) -> None:
        self.calls[tool] += 1
        logged_before = len(self.caplog.records)
        result = await self.client.call_tool(tool, arguments)
        self.check(tool, arguments, result, logged_before)
        structured: Json = dict(result.structured_content or {})
        token = structured.get("confirmation_token")
        if structured.get("status") == "confirmation_required" and isinstance(token, str):
            confirmed = {**arguments, "confirmation_token": token}
            logged_before = len(self.caplog.records)
            self.check(tool, confirmed, await self.client.call_tool(tool, confirmed), logged_before)
            self.outcomes["confirmed"] += 1

    def fuzz(self, tool: Tool) -> None:
        """Run Hypothesis on one tool; called in a worker thread."""
        schema: Json = dict(tool.input_schema)
        drawn = st.one_of(arguments(schema, hints=HINTS), broken_arguments(schema, HINTS))

        @FUZZ
        @given(drawn)
        def one_call(arguments: Json) -> None:
            anyio.from_thread.run(self.call, tool.name, arguments)

        one_call()


async def _fuzz_every_tool(tmp_path: Path, caplog: pytest.LogCaptureFixture, confirm: ConfirmMode) -> Fuzzer:
    harness = Harness(tmp_path, confirm=confirm)
    async with harness.client() as client:
        tools = sorted((await client.list_tools()).tools, key=lambda tool: removes_a_device(tool.name))
        fuzzer = Fuzzer(client, caplog)
        for tool in tools:
            await anyio.to_thread.run_sync(fuzzer.fuzz, tool)
        still_answers = await client.call_tool("list_smartlocks", {})
    assert not still_answers.is_error
    assert set(fuzzer.calls) == {tool.name for tool in tools}
    assert CANARY_TOKEN not in harness.audit_path.read_text()
    return fuzzer


async def test_fuzzed_arguments_get_a_result_or_a_clean_error_from_every_tool_with_confirmation_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fuzzer = await _fuzz_every_tool(tmp_path, caplog, "off")
    assert fuzzer.outcomes["result"] > 0
    assert fuzzer.outcomes["error"] > 0


async def test_fuzzed_arguments_get_a_result_or_a_clean_error_from_every_tool_through_the_token_flow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fuzzer = await _fuzz_every_tool(tmp_path, caplog, "auto")
    assert fuzzer.outcomes["confirmed"] > 0
    assert fuzzer.outcomes["error"] > 0


# Found by this fuzzer: str.isdigit() is true for "¹", which int() rejects, so these crashed the tool.
UNICODE_DIGITS = ["\u00b9", "\u00b2\u00b3", "\u0661\u0662\u0663", "\u0e51", "\u07c1"]


async def test_unicode_digits_are_refused_cleanly_wherever_an_id_is_read(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client() as client:
        for digits in UNICODE_DIGITS:
            device = await call_error(client, "get_smartlock", {"smartlock": digits})
            token = await call_error(
                client, "lock_smartlock", {"smartlock": "Cellar", "confirmation_token": f"nonce.{digits}.mac"}
            )
            with pytest.raises(MCPError) as resource:
                await client.read_resource(f"nuki://smartlock/{digits}")
            assert "No device matches" in device
            assert "not valid" in token
            assert "is not a smartlockId" in str(resource.value)
    assert harness.sim.writes() == []
