"""What the auth tools (`auths`, `advanced`) and the log tool share about dates, times and windows.

The rules themselves live in `nuki_mcp.nuki.access`; this module holds the argument types the
agent sees and turns a rule's refusal into a `ToolError`.
"""

from collections.abc import Generator
from contextlib import contextmanager
from datetime import tzinfo
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, JsonValue

from nuki_mcp.nuki import access, codes
from nuki_mcp.nuki.models import Smartlock

_LOCAL = "device's local time unless it has an offset"

FromDateArg = Annotated[
    str | None,
    Field(max_length=40, description=f"Start: ISO date (from 00:00) or date-time, {_LOCAL}."),
]
UntilDateArg = Annotated[
    str | None,
    Field(
        max_length=40,
        description=f"End: ISO date (through that day) or date-time, {_LOCAL}; not in the past.",
    ),
]
WeekDaysArg = Annotated[
    list[codes.Weekday] | None,
    Field(min_length=1, description="Only on these weekdays."),
]
FromTimeArg = Annotated[
    str | None,
    Field(
        max_length=5,
        description="Daily start HH:MM, device's local time; cannot cross midnight (22:00-06:00 takes two "
        "authorizations).",
    ),
]
UntilTimeArg = Annotated[
    str | None,
    Field(max_length=5, description="Daily end HH:MM (up to 24:00)."),
]


def _null_allowed(schema: dict[str, JsonValue]) -> None:
    # Null is a value here (it removes the limit), not just the default: without a listed default the
    # tool list keeps `null` among the allowed types (see compact_schemas), so hosts let it through.
    schema.pop("default", None)


# update_smartlock_auth: leaving an argument out keeps the value; null removes the limit.
NewFromDateArg = Annotated[
    str | None,
    Field(
        json_schema_extra=_null_allowed,
        max_length=40,
        description=f"Start: ISO date (from 00:00) or date-time, {_LOCAL}; null removes it.",
    ),
]
NewUntilDateArg = Annotated[
    str | None,
    Field(
        json_schema_extra=_null_allowed,
        max_length=40,
        description=f"End: ISO date (through that day) or date-time, {_LOCAL}; null removes it.",
    ),
]
NewWeekDaysArg = Annotated[
    list[codes.Weekday] | None,
    Field(json_schema_extra=_null_allowed, description="Only on these weekdays; [] or null = every day."),
]
NewFromTimeArg = Annotated[
    str | None,
    Field(
        json_schema_extra=_null_allowed,
        max_length=5,
        description="Daily start HH:MM, device's local time (cannot cross midnight); null for both times removes "
        "the daily limit.",
    ),
]
NewUntilTimeArg = Annotated[
    str | None,
    Field(
        json_schema_extra=_null_allowed,
        max_length=5,
        description="Daily end HH:MM (up to 24:00).",
    ),
]


@contextmanager
def access_rules() -> Generator[None]:
    """Turn an access-rule refusal into the one-sentence error the agent sees."""
    try:
        yield
    except access.AccessRuleError as exc:
        raise ToolError(str(exc)) from None


def zone_of(device: Smartlock) -> tzinfo:
    """The device's own time zone (its config's timezoneId)."""
    return access.device_zone(None if device.config is None else device.config.timezone_id)
