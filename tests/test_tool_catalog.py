"""The tool list is public interface: names, annotations and schemas are pinned and checked here.

Regenerate the snapshot after a deliberate change with `UPDATE_SNAPSHOTS=1 make test`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp.types import Tool

from nuki_mcp.config import ALL_TOOLSETS, DEFAULT_TOOLSETS
from tests.support import Harness

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"

# PRODUCT.md §2: the toolset table.
CONTRACT: dict[str, list[str]] = {
    "devices": ["list_smartlocks", "get_smartlock", "sync_smartlock"],
    "actions": ["lock_smartlock", "unlock_smartlock", "smartlock_action"],
    "config": [
        "update_smartlock",
        "update_config",
        "update_advanced_config",
        "update_opener_advanced_config",
        "update_smartdoor_advanced_config",
        "update_web_config",
        "bulk_web_config",
        "update_admin_pin",
        "delete_smartlock",
    ],
    "auths": [
        "list_smartlock_auths",
        "get_smartlock_auth",
        "create_smartlock_auth",
        "update_smartlock_auth",
        "delete_smartlock_auth",
    ],
    "logs": ["list_smartlock_logs"],
    "webhooks": [
        "list_decentral_webhooks",
        "create_decentral_webhook",
        "delete_decentral_webhook",
        "get_webhook_logs",
        "list_api_keys",
    ],
    "advanced": [
        "create_smartlock_auth_advanced",
        "action_smartlock_advanced",
        "lock_smartlock_advanced",
        "unlock_smartlock_advanced",
    ],
    "account": [
        "get_account",
        "list_account_users",
        "get_account_user",
        "create_account_user",
        "update_account_user",
        "delete_account_user",
        "list_account_integrations",
        "revoke_account_integration",
        "list_sub_accounts",
    ],
    "audit": ["audit_smartlocks"],
    "properties": [
        "list_addresses",
        "create_address",
        "update_address",
        "delete_address",
        "list_address_units",
        "create_address_unit",
        "delete_address_units",
        "list_reservations",
        "issue_reservation_access",
        "revoke_reservation_access",
        "update_reservation_access_times",
        "list_address_tokens",
        "list_services",
        "sync_service",
    ],
    "notifications": ["list_notifications", "create_notification", "update_notification", "delete_notification"],
    "intercom": ["list_intercom_brands", "list_intercom_models"],
}
READ_TOOLS = {
    "list_smartlocks",
    "get_smartlock",
    "list_smartlock_auths",
    "get_smartlock_auth",
    "list_smartlock_logs",
    "list_decentral_webhooks",
    "get_webhook_logs",
    "get_account",
    "list_account_users",
    "get_account_user",
    "list_account_integrations",
    "list_sub_accounts",
    "list_api_keys",
    "list_intercom_brands",
    "list_intercom_models",
    "audit_smartlocks",
    "list_addresses",
    "list_address_units",
    "list_reservations",
    "list_address_tokens",
    "list_services",
    "list_notifications",
}
NOT_DESTRUCTIVE_WRITES = {"lock_smartlock", "sync_smartlock", "sync_service"}
NOT_IDEMPOTENT_WRITES = {
    "smartlock_action",
    "create_account_user",
    "create_smartlock_auth",
    "create_decentral_webhook",
    "create_smartlock_auth_advanced",
    "action_smartlock_advanced",
    "lock_smartlock_advanced",
    "unlock_smartlock_advanced",
    "create_address",
    "create_address_unit",
    "create_notification",
}


async def _tools(tmp_path: Path, **kwargs: object) -> dict[str, Tool]:
    harness = Harness(tmp_path, **kwargs)  # type: ignore[arg-type]
    async with harness.client() as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_every_toolset_registers_exactly_the_tools_of_the_contract(tmp_path: Path) -> None:
    for toolset in ALL_TOOLSETS:
        tools = await _tools(tmp_path, toolsets=frozenset({toolset}))
        assert sorted(tools) == sorted(CONTRACT[toolset]), toolset


async def test_the_default_toolsets_are_all_but_the_opt_in_ones(tmp_path: Path) -> None:
    assert frozenset(ALL_TOOLSETS) - DEFAULT_TOOLSETS == {"advanced", "properties", "notifications", "intercom"}
    tools = await _tools(tmp_path, toolsets=DEFAULT_TOOLSETS)
    expected = {name for toolset in DEFAULT_TOOLSETS for name in CONTRACT[toolset]}
    assert set(tools) == expected


async def test_every_tool_has_a_title_a_description_an_output_schema_and_all_four_hints(tmp_path: Path) -> None:
    for name, tool in (await _tools(tmp_path)).items():
        assert tool.title, name
        assert tool.description, name
        assert len(tool.description) > 40, name
        assert tool.output_schema is not None, name
        hints = tool.annotations
        assert hints is not None, name
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), name
        assert hints.open_world_hint is True, name
        assert hints.read_only_hint is (name in READ_TOOLS), name
        if name not in READ_TOOLS:
            assert hints.destructive_hint is (name not in NOT_DESTRUCTIVE_WRITES), name
            assert hints.idempotent_hint is (name not in NOT_IDEMPOTENT_WRITES), name
            assert "confirmation_token" in tool.input_schema["properties"] or name == "sync_smartlock", name


async def test_the_tool_schemas_match_the_pinned_snapshot(tmp_path: Path) -> None:
    tools = await _tools(tmp_path)
    current = {
        name: {
            "title": tool.title,
            "annotations": tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True)
            if tool.annotations
            else None,
            "inputSchema": tool.input_schema,
            "outputSchema": tool.output_schema,
        }
        for name, tool in sorted(tools.items())
    }
    rendered = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.exists(), "no snapshot yet: run UPDATE_SNAPSHOTS=1 make test and review tests/snapshots/tools.json"
    assert rendered == SNAPSHOT.read_text(), "tool schemas changed: review, then UPDATE_SNAPSHOTS=1 make test"
