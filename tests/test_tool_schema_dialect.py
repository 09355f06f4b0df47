"""Every tool schema is valid JSON Schema 2020-12 (MCP's default dialect, SEP-1613) and self-contained.

This is the product's side of the conformance suite's `json-schema-2020-12` scenario, which can only run
against the suite's own fixture tool (see scripts/mcp_conformance.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, SchemaError
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.config import ALL_TOOLSETS
from tests.support import Harness

pytestmark = pytest.mark.anyio

JsonObject = dict[str, JsonValue]
_OBJECT = TypeAdapter(JsonObject)


async def tool_schemas(tmp_path: Path) -> dict[str, JsonObject]:
    """`tool.inputSchema` / `tool.outputSchema` -> schema, for every tool of every toolset."""
    schemas: dict[str, JsonObject] = {}
    async with Harness(tmp_path, toolsets=frozenset(ALL_TOOLSETS)).client() as client:
        for tool in (await client.list_tools()).tools:
            schemas[f"{tool.name}.inputSchema"] = _OBJECT.validate_python(tool.input_schema)
            if tool.output_schema is not None:
                schemas[f"{tool.name}.outputSchema"] = _OBJECT.validate_python(tool.output_schema)
    return schemas


def references(node: JsonValue) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolves(schema: JsonObject, ref: str) -> bool:
    """Whether a local JSON pointer reference (`#/$defs/Name`) names a part of the same schema."""
    if not ref.startswith("#/"):
        return False
    node: JsonValue = schema
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    return True


async def test_every_tool_schema_is_valid_json_schema_2020_12(tmp_path: Path) -> None:
    schemas = await tool_schemas(tmp_path)
    invalid: list[str] = []
    for where, schema in schemas.items():
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            invalid.append(f"{where}: {exc.message}")
    assert len(schemas) > 2 * 20
    assert invalid == []


async def test_every_schema_reference_resolves_inside_the_tool_schema_that_uses_it(tmp_path: Path) -> None:
    dangling = [
        f"{where}: {ref}"
        for where, schema in (await tool_schemas(tmp_path)).items()
        for ref in references(schema)
        if not resolves(schema, ref)
    ]
    assert dangling == []


def test_a_reference_to_a_missing_definition_does_not_resolve() -> None:
    schema: JsonObject = {"$defs": {"Device": {"type": "object"}}, "$ref": "#/$defs/Device"}
    assert resolves(schema, "#/$defs/Device")
    assert not resolves(schema, "#/$defs/Lock")
    assert not resolves(schema, "https://example.com/schema.json")
