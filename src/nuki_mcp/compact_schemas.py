"""Tool schemas without pydantic's filler: what `tools/list` sends costs the model tokens on every turn.

Pydantic titles every property and model after its own name (`auto_lock` gets `"title": "Auto Lock"`)
and marks every optional field `"default": null`; in an output schema a default tells the reader
nothing at all. `title` and `default` are annotations in JSON Schema, so dropping them changes nothing
a schema accepts or produces, and the property names and `required` lists still say the same. This
project never sets a JSON Schema title of its own (a tool's title is `Tool.title`, which stays).

An input argument that defaults to null (`limit: int | None = None`) is listed as its plain type:
leaving it out already means null, so the model never needs the `anyOf [..., null]` spelled out.
The tool still accepts an explicit null; the listed schema is only the simpler way to call it.

In an output schema, a nullable field is spelled `"type": ["string", "null"]` instead of an `anyOf`
of two schemas: the same values, in half the characters. Only output schemas, which JSON Schema
validators read, get this: some hosts turn input schemas into function-calling formats that know
a single type per schema.

An input schema does not list the bounds that only keep absurd input out (an empty string, or one of
200 characters or more, where a name or id is meant; the 32-bit integer range Nuki's fields happen to
have): no sensible call comes near them, and the server still enforces them, naming the argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Final

from mcp.server.mcpserver import MCPServer
from mcp.types import Tool
from pydantic import JsonValue

from nuki_mcp.context import AppState

# Keywords whose value maps names to subschemas (a property may well be called "title").
_SCHEMA_MAPS: Final = frozenset({"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"})
# Keywords whose value is data or a list of names, never a schema.
_DATA: Final = frozenset({"enum", "const", "examples", "required", "default"})
# Input bounds against absurd input, enforced by the server but not listed (see the module's docstring).
ABUSE_MAX_LENGTH: Final = 200
_INT32_MAX: Final = 2**31 - 1


def compact_schema(schema: Mapping[str, JsonValue], *, output: bool) -> dict[str, JsonValue]:
    """`schema` without titles and null defaults; an output schema (`output`) keeps no defaults at all.

    In an input schema, an argument that defaults to null loses its `null` alternative as well; in an
    output schema, a nullable field of one type lists `"null"` among its types.
    """
    if output:
        schema = _nullable_as_type_list(schema)
    elif "default" in schema and schema["default"] is None:
        schema = _without_null_alternative(schema)
    compacted: dict[str, JsonValue] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and (output or value is None):
            continue
        if not output and _is_abuse_cap(key, value):
            continue
        if key in _DATA:
            compacted[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            compacted[key] = {name: _compact(sub, output=output) for name, sub in value.items()}
        else:
            compacted[key] = _compact(value, output=output)
    return compacted


def _is_abuse_cap(key: str, value: JsonValue) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (
        (key == "maxLength" and value >= ABUSE_MAX_LENGTH)
        or (key == "minLength" and value == 1)
        or (key == "maximum" and value == _INT32_MAX)
    )


def _nullable_parts(schema: Mapping[str, JsonValue]) -> tuple[dict[str, JsonValue], dict[str, JsonValue]] | None:
    """For `{"anyOf": [X, {"type": "null"}], ...}`: X and the other keywords, if they do not overlap."""
    alternatives = schema.get("anyOf")
    if not isinstance(alternatives, list) or len(alternatives) != 2 or {"type": "null"} not in alternatives:
        return None
    (kept,) = [alt for alt in alternatives if alt != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if not isinstance(kept, dict) or rest.keys() & kept.keys():
        return None
    return kept, rest


def _without_null_alternative(schema: Mapping[str, JsonValue]) -> Mapping[str, JsonValue]:
    """`{"anyOf": [X, {"type": "null"}], ...}` as `{**X, ...}`; any other schema unchanged."""
    parts = _nullable_parts(schema)
    if parts is None:
        return schema
    kept, rest = parts
    return {**kept, **rest}


def _nullable_as_type_list(schema: Mapping[str, JsonValue]) -> Mapping[str, JsonValue]:
    """`{"anyOf": [{"type": T, ...}, {"type": "null"}], ...}` as `{"type": [T, "null"], ...}`; others unchanged.

    Keywords such as `format`, `maxLength` or `items` apply only to their own type, so null still
    passes them; an `enum` gets null added to its values.
    """
    parts = _nullable_parts(schema)
    if parts is None:
        return schema
    kept, rest = parts
    single_type = kept.get("type")
    if not isinstance(single_type, str) or "const" in kept:
        return schema
    merged: dict[str, JsonValue] = {**kept, "type": [single_type, "null"], **rest}
    enum = kept.get("enum")
    if isinstance(enum, list) and None not in enum:
        merged["enum"] = [*enum, None]
    return merged


def _compact(value: JsonValue, *, output: bool) -> JsonValue:
    if isinstance(value, dict):
        return compact_schema(value, output=output)
    if isinstance(value, list):
        return [_compact(item, output=output) for item in value]
    return value


class _CompactedSchemas:
    """Each tool's compacted schemas, computed once: tools/list is asked at least once per session."""

    def __init__(self) -> None:
        # tool name -> (the SDK's input schema, its output schema, their compacted forms)
        self._by_tool: dict[str, tuple[object, object, dict[str, JsonValue], dict[str, JsonValue] | None]] = {}

    def tool(self, tool: Tool) -> Tool:
        hit = self._by_tool.get(tool.name)
        # The SDK hands out fresh copies each time: compare by value (far cheaper than compacting again).
        if hit is None or hit[0] != tool.input_schema or hit[1] != tool.output_schema:
            output = None if tool.output_schema is None else compact_schema(tool.output_schema, output=True)
            hit = (tool.input_schema, tool.output_schema, compact_schema(tool.input_schema, output=False), output)
            self._by_tool[tool.name] = hit
        return tool.model_copy(update={"input_schema": hit[2], "output_schema": hit[3]})


class CompactSchemaServer(MCPServer[AppState]):
    """An `MCPServer` whose `tools/list` carries compact schemas; arguments are validated as before."""

    @cached_property
    def _compacted(self) -> _CompactedSchemas:
        return _CompactedSchemas()

    async def list_tools(self) -> list[Tool]:
        return [self._compacted.tool(tool) for tool in await super().list_tools()]
