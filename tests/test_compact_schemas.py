"""tools/list carries compact schemas that still accept and describe exactly what the tools do."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from pydantic import JsonValue

from nuki_mcp.compact_schemas import compact_schema
from nuki_mcp.demo.household import FRONT_DOOR_ID
from tests.support import Harness, call_error, call_ok, obj

pytestmark = pytest.mark.anyio


def test_input_compaction_drops_titles_and_lists_an_argument_defaulting_to_null_as_its_plain_type() -> None:
    schema: dict[str, JsonValue] = {
        "title": "renameArguments",
        "type": "object",
        "properties": {
            "title": {"title": "Title", "type": "string", "description": "The new title"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Note"},
            "limit": {"type": "integer", "default": 50, "title": "Limit"},
        },
        "required": ["title"],
    }
    assert compact_schema(schema, output=False) == {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "The new title"},
            "note": {"type": "string"},
            "limit": {"type": "integer", "default": 50},
        },
        "required": ["title"],
    }


def test_a_nullable_argument_with_a_default_other_than_null_keeps_its_null_alternative() -> None:
    schema: dict[str, JsonValue] = {
        "properties": {
            "code": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5},
            "ref": {"anyOf": [{"$ref": "#/$defs/Ref"}, {"type": "null"}], "default": None, "description": "A ref"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "default": None},
        }
    }
    assert compact_schema(schema, output=False) == {
        "properties": {
            "code": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5},
            "ref": {"$ref": "#/$defs/Ref", "description": "A ref"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
        }
    }


def test_an_input_schema_leaves_out_bounds_that_only_keep_absurd_input_out_and_keeps_real_ones() -> None:
    schema: dict[str, JsonValue] = {
        "properties": {
            "smartlock": {"type": "string", "minLength": 1, "maxLength": 200},
            "name": {"type": "string", "minLength": 1, "maxLength": 32},
            "email": {"type": "string", "minLength": 3, "maxLength": 200},
            "rto_timeout": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            "sound_level": {"type": "integer", "minimum": 0, "maximum": 255},
        }
    }
    assert compact_schema(schema, output=False) == {
        "properties": {
            "smartlock": {"type": "string"},
            "name": {"type": "string", "maxLength": 32},
            "email": {"type": "string", "minLength": 3},
            "rto_timeout": {"type": "integer", "minimum": 1},
            "sound_level": {"type": "integer", "minimum": 0, "maximum": 255},
        }
    }
    # Output schemas describe what the server sends: they keep every bound.
    assert compact_schema(schema, output=True) == schema


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"smartlock": ""}, "smartlock should have at least 1 character"),
        ({"smartlock": "x" * 201}, "smartlock should have at most 200 characters"),
    ],
)
async def test_bounds_left_out_of_the_listed_schema_are_still_enforced_with_a_sentence_naming_the_argument(
    tmp_path: Path, arguments: dict[str, JsonValue], expected: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "get_smartlock", arguments)
    assert error.startswith(f"Invalid argument for get_smartlock: {expected}")
    assert harness.sim.requests == []


def test_an_output_schema_keeps_no_defaults_and_enum_values_stay_untouched() -> None:
    schema: dict[str, JsonValue] = {
        "$defs": {"Ref": {"title": "Ref", "type": "object", "properties": {"id": {"type": "integer"}}}},
        "properties": {
            "status": {"enum": ["done", "title"], "type": "string", "default": "done"},
            "ref": {"$ref": "#/$defs/Ref", "default": {"id": 1}},
        },
    }
    assert compact_schema(schema, output=True) == {
        "$defs": {"Ref": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        "properties": {"status": {"enum": ["done", "title"], "type": "string"}, "ref": {"$ref": "#/$defs/Ref"}},
    }


def test_an_output_schema_spells_a_nullable_field_of_one_type_as_a_list_of_types() -> None:
    schema: dict[str, JsonValue] = {
        "properties": {
            "door": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Door sensor"},
            "days": {"anyOf": [{"type": "array", "items": {"type": "string", "title": "Day"}}, {"type": "null"}]},
            "outcome": {"anyOf": [{"enum": ["confirmed", "pending"], "type": "string"}, {"type": "null"}]},
            "device": {"anyOf": [{"$ref": "#/$defs/Ref"}, {"type": "null"}]},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        }
    }
    assert compact_schema(schema, output=True) == {
        "properties": {
            "door": {"type": ["string", "null"], "description": "Door sensor"},
            "days": {"type": ["array", "null"], "items": {"type": "string"}},
            "outcome": {"enum": ["confirmed", "pending", None], "type": ["string", "null"]},
            "device": {"anyOf": [{"$ref": "#/$defs/Ref"}, {"type": "null"}]},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        }
    }


def _accepts(schema: dict[str, JsonValue], value: JsonValue) -> bool:
    try:
        jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError:
        return False
    return True


def test_a_compacted_output_schema_accepts_and_rejects_the_same_values_as_before() -> None:
    schema: dict[str, JsonValue] = {
        "type": "object",
        "properties": {
            "outcome": {"anyOf": [{"enum": ["confirmed", "pending"], "type": "string"}, {"type": "null"}]},
            "percent": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
        },
    }
    compacted = compact_schema(schema, output=True)
    values: list[dict[str, JsonValue]] = [
        {"outcome": None, "percent": None},
        {"outcome": "pending", "percent": 3},
        {"outcome": "maybe"},
        {"percent": -1},
        {"percent": "3"},
        {"outcome": 1},
    ]
    for value in values:
        assert _accepts(compacted, value) == _accepts(schema, value), value


def _annotations_left(schema: JsonValue, path: str = "") -> list[str]:
    """Where a schema (not a property name) still has a title or a null default."""
    found: list[str] = []
    if isinstance(schema, list):
        for n, item in enumerate(schema):
            found += _annotations_left(item, f"{path}/{n}")
    elif isinstance(schema, dict):
        if isinstance(schema.get("title"), str):
            found.append(f"{path}/title")
        if "default" in schema and schema["default"] is None:
            found.append(f"{path}/default")
        for key, value in schema.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, sub in value.items():
                    found += _annotations_left(sub, f"{path}/{key}/{name}")
            elif key not in ("enum", "const", "default", "required"):
                found += _annotations_left(value, f"{path}/{key}")
    return found


async def test_listed_tool_schemas_carry_no_generated_titles_or_null_defaults(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert _annotations_left(tool.input_schema) == [], tool.name
        assert _annotations_left(tool.output_schema or {}) == [], tool.name


async def test_real_results_validate_against_the_listed_compact_output_schemas(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        results = {
            "list_smartlocks": await call_ok(client, "list_smartlocks"),
            "get_smartlock": await call_ok(client, "get_smartlock", {"smartlock": "Cellar"}),
            "lock_smartlock": await call_ok(client, "lock_smartlock", {"smartlock": str(FRONT_DOOR_ID), "wait": False}),
            "audit_smartlocks": await call_ok(client, "audit_smartlocks"),
        }
    for name, result in results.items():
        schema = tools[name].output_schema
        assert schema is not None
        jsonschema.validate(result, schema)


async def test_the_listed_compact_input_schema_still_rejects_what_the_tool_rejects(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    schema = tools["list_smartlocks"].input_schema
    jsonschema.validate({"limit": 5}, schema)
    for wrong in ({"limit": 0}, {"limit": "five"}, {"limit": None}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)


async def test_an_explicit_null_for_an_argument_listed_without_null_is_still_accepted_as_left_out(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path).client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        with_nulls = await call_ok(client, "list_smartlock_logs", {"smartlock": None, "action": None, "limit": 3})
        left_out = await call_ok(client, "list_smartlock_logs", {"limit": 3})
    smartlock = obj(tools["list_smartlock_logs"].input_schema, "properties")["smartlock"]
    assert isinstance(smartlock, dict)
    assert smartlock["type"] == "string"
    assert "anyOf" not in smartlock
    assert with_nulls == left_out
