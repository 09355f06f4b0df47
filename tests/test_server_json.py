"""server.json is what the MCP Registry publishes: it must pass the registry's own schema.

The schema (revision 2025-12-11, the one server.json names in `$schema`) is vendored in tests/data; see
tests/data/NOTICE.md for its source.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker, ValidationError
from pydantic import JsonValue, TypeAdapter

ROOT = Path(__file__).parent.parent
JsonObject = dict[str, JsonValue]
_OBJECT = TypeAdapter(JsonObject)

REGISTRY_SCHEMA = _OBJECT.validate_json((ROOT / "tests" / "data" / "server.schema-2025-12-11.json").read_bytes())
SERVER_JSON = _OBJECT.validate_json((ROOT / "server.json").read_bytes())
VALIDATOR = Draft7Validator(REGISTRY_SCHEMA, format_checker=FormatChecker())


def violations(document: JsonObject) -> list[str]:
    # The stubs keep a deprecated overload of iter_errors whose parameter type is unknown.
    errors: Iterator[ValidationError] = VALIDATOR.iter_errors(document)  # pyright: ignore[reportUnknownMemberType]
    return [f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}" for error in errors]


def broken(path: tuple[str | int, ...], value: JsonValue) -> JsonObject:
    """A copy of server.json with the field at `path` set to `value`."""
    document = copy.deepcopy(SERVER_JSON)
    parent: JsonValue = document
    for step in path[:-1]:
        parent = _child(parent, step)
    field = path[-1]
    if not isinstance(parent, dict) or not isinstance(field, str):
        raise KeyError(path)
    parent[field] = value
    return document


def _child(node: JsonValue, step: str | int) -> JsonValue:
    if isinstance(node, dict) and isinstance(step, str):
        return node[step]
    if isinstance(node, list) and isinstance(step, int):
        return node[step]
    raise KeyError(step)


def test_the_vendored_registry_schema_is_itself_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(REGISTRY_SCHEMA)


def test_server_json_names_the_schema_revision_it_is_validated_against() -> None:
    assert SERVER_JSON["$schema"] == REGISTRY_SCHEMA["$id"]


def test_server_json_passes_the_mcp_registry_schema() -> None:
    assert violations(SERVER_JSON) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("description",), "x" * 101),
        (("name",), "nuki-mcp"),
        (("packages", 0, "version"), "latest"),
        (("packages", 0, "environmentVariables", 0, "format"), "secret"),
        (("repository", "url"), 42),
    ],
)
def test_the_registry_schema_rejects_server_json_broken_at_one_field(
    path: tuple[str | int, ...], value: JsonValue
) -> None:
    # The validation above has teeth: the same document, broken the ways publishers break it.
    assert [v.split(":")[0] for v in violations(broken(path, value))] == ["/".join(str(p) for p in path)]


def test_server_json_is_plain_utf8_json_without_duplicate_keys() -> None:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in server.json: {keys}"
        return dict(pairs)

    json.loads((ROOT / "server.json").read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
