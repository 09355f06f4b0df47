"""`nuki-mcp --demo` as a real stdio subprocess, the way an MCP host launches it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from nuki_mcp import __version__
from tests.support import ClientMode, Elicitations, call_ok

pytestmark = pytest.mark.anyio

DEADLINE_S = 60.0
DEMO_DEVICES = {"Front Door", "Cellar Door", "Building Entrance", "Back Door", "Garage"}


def _nuki_mcp(tmp_path: Path, *args: str) -> StdioServerParameters:
    # The SDK passes only a safe default environment, so no NUKI_* variable of this shell leaks in.
    return StdioServerParameters(
        command=sys.executable, args=["-m", "nuki_mcp", "--demo", *args], cwd=tmp_path, env={"PYTHONUNBUFFERED": "1"}
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_stdio_client_lists_the_tools_and_sees_the_demo_devices(tmp_path: Path, mode: ClientMode) -> None:
    with anyio.fail_after(DEADLINE_S):
        async with Client(_nuki_mcp(tmp_path, "--audit-log", "-"), mode=mode) as c:
            server_info = c.server_info
            tools = {tool.name for tool in (await c.list_tools()).tools}
            listing = await call_ok(c, "list_smartlocks")
    assert server_info is not None
    assert server_info.name == "nuki-mcp"
    assert server_info.version == __version__
    assert {"list_smartlocks", "get_smartlock", "lock_smartlock", "unlock_smartlock"} <= tools
    assert "create_smartlock_auth_advanced" not in tools  # the advanced toolset is off by default
    names = {row["name"] for row in listing["devices"]}  # type: ignore[union-attr,index]
    assert names == DEMO_DEVICES
    assert listing["total"] == 5


async def test_a_lock_confirmed_over_stdio_is_sent_and_audited(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    human = Elicitations(action="accept", content={"confirm": True})
    with anyio.fail_after(DEADLINE_S):
        async with Client(_nuki_mcp(tmp_path, "--audit-log", str(audit)), elicitation_callback=human) as client:
            # wait=False: the simulated motion takes real seconds in the subprocess; acceptance is enough here.
            result = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar", "wait": False})
    assert result["status"] == "done"
    assert result["outcome"] == "pending"
    assert any("Cellar Door" in question for question in human.questions)
    records = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    assert [(r["event"], r["tool"], r["device"]["name"], r["confirmation"]) for r in records] == [
        ("attempt", "lock_smartlock", "Cellar Door", "elicitation"),
        ("outcome", "lock_smartlock", "Cellar Door", "elicitation"),
    ]
