"""What an agent hears when its call does not fit: bad arguments, write tools in read-only mode, prompts.

Each refusal is one sentence the agent can act on: no pydantic text or documentation link, no
repeated secret, no "Unknown tool" for a tool that is only switched off, no internal error.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from tests.support import Harness, Json, call_error, dumps

pytestmark = pytest.mark.anyio

INVALID_PARAMS = -32602


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(record) for record in caplog.records)


def _is_plain_sentence(text: str) -> bool:
    return "\n" not in text and "pydantic" not in text and "http" not in text and text.endswith(" again.")


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "create_smartlock_auth",
            {"smartlock": "Front Door", "name": "Plumber", "type": "kepad"},
            "type should be 'app', 'fob' or 'keypad_code'",
        ),
        ("list_smartlock_logs", {"limit": 0}, "limit should be greater than or equal to 1 (allowed: an integer from 1"),
        ("list_smartlocks", {"limit": "many"}, "limit should be a valid integer"),
        ("get_smartlock", {}, "smartlock is required"),
        (
            "update_opener_advanced_config",
            {"smartlock": "Building Entrance", "doorbell_suppression": ["always"]},
            "doorbell_suppression[0] should be 'idle', 'rto_active' or 'continuous_mode_active'",
        ),
        (
            "update_advanced_config",
            {"smartlock": "Front Door", "lng_timeout": 7},
            "lng_timeout should be 5, 10, 15, 20, 30, 45 or 60",
        ),
    ],
)
async def test_a_schema_violation_is_one_sentence_naming_the_argument_and_what_it_allows(
    tmp_path: Path, tool: str, arguments: Json, expected: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, arguments)
    assert error.startswith(f"Invalid argument for {tool}: {expected}")
    assert _is_plain_sentence(error)
    assert harness.sim.requests == []


async def test_an_argument_without_a_range_in_its_schema_is_explained_by_its_description(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    arguments: Json = {"smartlock": "Front Door", "name": "Plumber", "type": "keypad_code", "code": "12x456"}
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", arguments)
    assert error.startswith("Invalid argument for create_smartlock_auth: code should be a valid integer")
    assert "(keypad_code only: 6 digits 1-9, not starting with 12, unused on the device)" in error
    assert "12x456" not in error


async def test_several_schema_violations_are_named_in_the_same_sentence(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "create_smartlock_auth", {"name": ""})
    assert error.startswith("Invalid arguments for create_smartlock_auth: smartlock is required; type is required; ")
    assert "name should have at least 1 character" in error
    assert error.endswith("correct them and call create_smartlock_auth again.")


SECRET_VALUES = [
    ("update_admin_pin", {"smartlock": "Front Door", "admin_pin": "4711x"}, "4711x"),
    ("update_admin_pin", {"smartlock": "Front Door", "admin_pin": 987654321}, "987654321"),
    ("update_admin_pin", {"smartlock": "Front Door", "admin_pin": -4711}, "4711"),
    (
        "create_smartlock_auth",
        {"smartlock": "Front Door", "name": "Plumber", "type": "keypad_code", "code": "375x91"},
        "375x91",
    ),
    (
        "create_smartlock_auth",
        {"smartlock": "Front Door", "name": "Plumber", "type": "keypad_code", "code": 37591777777},
        "37591777777",
    ),
    ("lock_smartlock", {"smartlock": "Cellar", "confirmation_token": "tok-" + "s3cr3t" * 40}, "s3cr3t"),
    ("lock_smartlock", {"smartlock": "Cellar", "confirmation_token": 123456789}, "123456789"),
]


@pytest.mark.parametrize(("tool", "arguments", "secret"), SECRET_VALUES)
async def test_a_rejected_secret_argument_is_never_repeated_to_the_agent_or_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tool: str, arguments: Json, secret: str
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert secret not in dumps(result.model_dump())
    assert secret not in _logged(caplog)
    assert harness.sim.writes() == []


async def test_a_write_tool_in_read_only_mode_is_refused_as_read_only_not_as_unknown(tmp_path: Path) -> None:
    harness = Harness(tmp_path, read_only=True)
    async with harness.client() as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        refusal = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
        unknown = await call_error(client, "open_all_doors", {})
    assert "unlock_smartlock" not in listed
    assert "read-only (NUKI_READ_ONLY)" in refusal
    assert "unlock_smartlock" in refusal
    assert "Unknown tool" not in refusal
    assert unknown == "Unknown tool: open_all_doors"
    assert harness.sim.writes() == []


async def test_a_write_tool_of_a_toolset_that_is_not_enabled_is_still_unknown_in_read_only_mode(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, read_only=True, toolsets=frozenset({"devices"}))
    async with harness.client() as client:
        error = await call_error(client, "unlock_smartlock", {"smartlock": "Front Door"})
    assert error == "Unknown tool: unlock_smartlock"


async def test_a_prompt_called_with_an_argument_it_does_not_take_is_invalid_params_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Harness(tmp_path).client() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("audit_locks", {"device": "Front Door"})
        still_works = await client.get_prompt("audit_locks")
    assert caught.value.code == INVALID_PARAMS
    assert caught.value.message == "Prompt audit_locks takes no arguments, not device; call it without them."
    assert still_works.messages
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in _logged(caplog)


async def test_an_unknown_prompt_is_invalid_params_and_names_the_prompts(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("lock_everything")
    assert caught.value.code == INVALID_PARAMS
    assert caught.value.message == "Unknown prompt 'lock_everything'; the prompts are: audit_locks, secure_home."
