"""Hypothesis strategies from a tool's JSON input schema: valid arguments, and arguments that break it.

Covers the subset the SDK emits for tool inputs: object/properties/required/additionalProperties,
string (enum, minLength, maxLength, pattern, format date-time), integer and number (minimum, maximum),
boolean, null, array (items, minItems, maxItems), anyOf/oneOf, const, and `$ref` into `$defs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from hypothesis import strategies as st
from pydantic import JsonValue

Json = dict[str, JsonValue]
Strategy = st.SearchStrategy[JsonValue]

# Text that has broken servers before: direction overrides, emoji, NUL, combining marks, look-alikes.
NASTY_STRINGS: list[JsonValue] = [
    "",
    " ",
    "\x00",
    "Front\x00Door",
    "\u202eroolD tnorF",  # RTL override
    "\u05d3\u05dc\u05ea \u05e8\u05d0\u05e9\u05d9\u05ea",  # Hebrew
    "\u0628\u0627\u0628",  # Arabic
    "\U0001f512\U0001f6aa\U0001f511",  # emoji
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # ZWJ sequence
    "e\u0301\u0301\u0301",
    "\ufeffFront Door",
    "\u2028\u2029",
    "%s%n%x{0}{}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "'; DROP TABLE smartlocks; --",
    "${jndi:ldap://127.0.0.1/x}",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "null",
    "true",
]
HUGE_NUMBERS: list[JsonValue] = [
    -1,
    0,
    -(2**31),
    2**31,
    2**53 + 1,
    -(2**63),
    2**64,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    0.5,
]


def _obj(value: JsonValue) -> Json:
    return value if isinstance(value, dict) else {}


def _num(value: JsonValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: JsonValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _resolve(schema: Json, defs: Json) -> Json:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _obj(defs.get(ref.removeprefix("#/$defs/")))
    return schema


def _date_times() -> Strategy:
    moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
    return moments.map(lambda moment: moment.isoformat())


def _string(schema: Json) -> Strategy:
    pattern = schema.get("pattern")
    min_size = _int(schema.get("minLength")) or 0
    max_size = _int(schema.get("maxLength"))
    if isinstance(pattern, str):
        # Patterns in these schemas are anchored and bounded; filter for the length limits.
        return st.from_regex(pattern, fullmatch=True).filter(
            lambda text: min_size <= len(text) and (max_size is None or len(text) <= max_size)
        )
    if schema.get("format") == "date-time":
        return st.one_of(_date_times(), st.dates().map(lambda day: day.isoformat()))
    return st.text(min_size=min_size, max_size=min(max_size if max_size is not None else 60, 60))


def _number(schema: Json, integer: bool) -> Strategy:
    low = _num(schema.get("minimum"))
    high = _num(schema.get("maximum"))
    if integer:
        return st.integers(min_value=None if low is None else int(low), max_value=None if high is None else int(high))
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def _array(schema: Json, defs: Json) -> Strategy:
    items = from_schema(_obj(schema.get("items")), defs)
    min_size = _int(schema.get("minItems")) or 0
    max_size = min(_int(schema.get("maxItems")) or 8, 8)
    return st.lists(items, min_size=min_size, max_size=max(min_size, max_size))


def from_schema(schema: Json, defs: Json | None = None) -> Strategy:
    """Values that satisfy `schema`."""
    defs = defs if defs is not None else _obj(schema.get("$defs"))
    schema = _resolve(schema, defs)
    if "const" in schema:
        return st.just(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return st.sampled_from(enum)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return st.one_of([from_schema(_obj(option), defs) for option in options])
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return _array(schema, defs)
    if kind == "object":
        return arguments(schema, defs=defs)
    return any_json()


def any_json() -> Strategy:
    """Any JSON value, small."""
    scalars: Strategy = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=8), children, max_size=4),
        ),
        max_leaves=8,
    )


def _repeat(unit_and_times: tuple[str, int]) -> JsonValue:
    unit, times = unit_and_times
    return unit * times


def huge_strings() -> Strategy:
    units = st.sampled_from(["A", "\U0001f512", "\u202e", "\x00", "ab"])
    return st.tuples(units, st.integers(1_000, 100_000)).map(_repeat)


def violating() -> Strategy:
    """Values a schema is unlikely to allow: wrong types, nasty or huge strings, extreme numbers, null."""
    return st.one_of(
        st.none(),
        st.sampled_from(NASTY_STRINGS),
        st.sampled_from(HUGE_NUMBERS),
        huge_strings(),
        st.booleans(),
        st.text(min_size=1, max_size=30),
        any_json(),
    )


def arguments(
    schema: Json, *, defs: Json | None = None, hints: Mapping[str, Strategy] | None = None
) -> st.SearchStrategy[Json]:
    """Objects that satisfy an object schema; `hints` bias named properties toward realistic values."""
    defs = defs if defs is not None else _obj(schema.get("$defs"))
    properties = _obj(schema.get("properties"))
    required_raw = schema.get("required")
    required: set[str] = set()
    if isinstance(required_raw, list):
        required = {name for name in required_raw if isinstance(name, str)}
    hints = hints or {}

    def value_of(name: str) -> Strategy:
        generic = from_schema(_obj(properties[name]), defs)
        hint = hints.get(name)
        return generic if hint is None else st.one_of(hint, hint, generic)

    fixed = {name: value_of(name) for name in properties if name in required}
    optional = {name: value_of(name) for name in properties if name not in required}
    return st.fixed_dictionaries(fixed, optional=optional).map(lambda mapping: dict(mapping))


@st.composite
def broken_arguments(draw: st.DrawFn, schema: Json, hints: Mapping[str, Strategy] | None = None) -> Json:
    """Valid arguments with one thing broken: a wrong value, a missing required field, or an extra field."""
    valid = draw(arguments(schema, hints=hints))
    properties = list(_obj(schema.get("properties")))
    how = draw(st.sampled_from(["wrong_value", "drop_field", "extra_field"]))
    if how == "wrong_value" and properties:
        valid[draw(st.sampled_from(properties))] = draw(violating())
    elif how == "drop_field" and valid:
        del valid[draw(st.sampled_from(sorted(valid)))]
    else:
        valid[draw(st.sampled_from(["extra", "__proto__", "smartlockId", "confirm", "x" * 300]))] = draw(violating())
    return valid
