"""Arguments that do not fit a tool's schema, told to the agent in one sentence.

Pydantic's own text is several lines, quotes the rejected value (an admin PIN, a keypad code, a
confirmation token) and links to its documentation. The agent needs the argument's name, what is
wrong and what is allowed; the value it sent it already knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import JsonValue
from pydantic_core import ErrorDetails

MAX_PROBLEMS: Final = 3
# Arguments whose value must never be repeated back (pydantic's built-in messages never quote a value).
SECRET_ARGUMENTS: Final = frozenset({"admin_pin", "code", "confirmation_token"})
# pydantic opens its messages with the kind of value; the argument's name says more.
_SUBJECTS: Final = ("Input should", "String should", "List should", "Value should", "Dictionary should")


def argument_error(tool: str, errors: Sequence[ErrorDetails], schema: Mapping[str, JsonValue]) -> str:
    """One sentence naming each bad argument, what is wrong with it and the values it allows."""
    properties = schema.get("properties")
    props: Mapping[str, JsonValue] = properties if isinstance(properties, dict) else {}
    problems: list[str] = []
    for error in errors[:MAX_PROBLEMS]:
        name = _name(error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        problems.append(f"{name} {_problem(error)}{_allowed(error, props.get(top))}")
    more = len(errors) - MAX_PROBLEMS
    if more > 0:
        problems.append(f"and {more} more")
    noun = "argument" if len(errors) == 1 else "arguments"
    pronoun = "it" if len(errors) == 1 else "them"
    return f"Invalid {noun} for {tool}: {'; '.join(problems)}; correct {pronoun} and call {tool} again."


def _name(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "the arguments"
    name = str(loc[0])
    for part in loc[1:]:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    message = " ".join(error["msg"].split()).rstrip(".")
    if kind in ("value_error", "assertion_error"):
        # A validator's own words may quote the value: fine for a name, never for a secret.
        if error["loc"] and error["loc"][0] in SECRET_ARGUMENTS:
            return "has a value that is not allowed"
        return "is not valid: " + message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for subject in _SUBJECTS:
        if message.startswith(subject):
            return "should" + message[len(subject) :]
    return f"is not valid ({message[:1].lower()}{message[1:]})"


def _allowed(error: ErrorDetails, schema: JsonValue) -> str:
    if error["type"] in ("literal_error", "enum", "missing") or not isinstance(schema, dict):
        return ""
    phrase = _phrase(schema)
    if phrase:
        return f" (allowed: {phrase})"
    description = schema.get("description")
    if isinstance(description, str) and description.strip():
        # The description's first sentence says what the argument takes, in the words the model already read.
        first = " ".join(description.split()).split(". ")[0].rstrip(".")
        return f" ({first[:157]}...)" if len(first) > 160 else f" ({first})"
    return ""


def _phrase(schema: Mapping[str, JsonValue]) -> str | None:
    """What values a (compact, inline) property schema allows, in a few words; None if no more than its type."""
    enum = schema.get("enum")
    if isinstance(enum, list):
        return "one of " + ", ".join(str(v) for v in enum if v is not None)
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        noun = "an integer" if kind == "integer" else "a number"
        if low is not None and high is not None:
            return f"{noun} from {low} to {high}"
        if low is not None:
            return f"{noun} of at least {low}"
        if high is not None:
            return f"{noun} of at most {high}"
        return None
    if kind == "string":
        if schema.get("format") == "date-time":
            return "an ISO 8601 date or date-time"
        shortest, longest = schema.get("minLength"), schema.get("maxLength")
        if longest is not None:
            return (
                f"text of {shortest} to {longest} characters" if shortest else f"text of at most {longest} characters"
            )
        return None
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        items = schema.get("items")
        inner = _phrase(items) if isinstance(items, dict) else None
        return f"a list, each item {inner}" if inner else None
    return None
