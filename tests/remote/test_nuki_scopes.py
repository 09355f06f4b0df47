"""Every tool has its Nuki OAuth scopes on record, and a server asks Nuki for what its tools need only."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.client import advertise

from nuki_mcp.remote.nuki_scopes import TOOL_SCOPES, missing_scope, scopes_to_request
from nuki_mcp.server import create_server
from tests.support import Harness

pytestmark = pytest.mark.anyio

NEEDS_NO_SCOPE = {"list_intercom_brands", "list_intercom_models", "approve_write", "deny_write"}


async def _tool_names(harness: Harness) -> set[str]:
    apps = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
    server = create_server(harness.settings(), transport=harness.sim.transport(), clock=harness.clock)
    async with Client(server, extensions=[apps]) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


async def test_every_tool_of_every_toolset_names_its_nuki_scopes(tmp_path: Path) -> None:
    names = await _tool_names(Harness(tmp_path))
    assert names >= NEEDS_NO_SCOPE
    assert names - NEEDS_NO_SCOPE == set(TOOL_SCOPES)


async def test_a_read_only_server_asks_nuki_for_read_scopes_and_a_full_one_for_what_writes_need(
    tmp_path: Path,
) -> None:
    read_only = scopes_to_request(await _tool_names(Harness(tmp_path, read_only=True)))
    assert "smartlock.readOnly" in read_only
    assert not {"smartlock", "smartlock.action", "smartlock.config"} & set(read_only)
    everything = scopes_to_request(await _tool_names(Harness(tmp_path)))
    assert {"smartlock", "smartlock.action", "smartlock.auth", "smartlock.config", "account"} <= set(everything)
    assert "smartlock.readOnly" not in everything  # `smartlock` covers reading
    assert missing_scope("unlock_smartlock", frozenset({"smartlock.readOnly"})) == "smartlock.action"
    assert missing_scope("unlock_smartlock", frozenset({"smartlock.action"})) == "smartlock or smartlock.readOnly"
    assert missing_scope("list_smartlocks", frozenset({"smartlock"})) is None
