"""What every toolset shares: argument types, device lookup, error translation, annotations."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, ParamSpec, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field, JsonValue

from nuki_mcp.context import AppState
from nuki_mcp.guard import DeviceRef, GuardRefusal
from nuki_mcp.nuki.errors import NukiError, NukiNotFoundError
from nuki_mcp.nuki.models import Smartlock

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# Said once, in the server's instructions: a device is named by id or (part of) its name.
SmartlockArg = Annotated[str, Field(min_length=1, max_length=200)]
LimitArg = Annotated[int, Field(ge=1, le=200)]
# Said once, in the server's instructions and in the result that hands out the token.
ConfirmationTokenArg = Annotated[str | None, Field(default=None, max_length=200)]

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


def write_annotations(*, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=False, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=True
    )


F = TypeVar("F", bound=Callable[..., Awaitable[object]])


def register_tool(
    server: MCPServer[AppState],
    *,
    title: str,
    annotations: ToolAnnotations,
    meta: dict[str, JsonValue] | None = None,
) -> Callable[[F], F]:
    """`server.tool`, with the docstring reflowed into one paragraph per blank-line-separated block.

    Docstrings are written for the model; their source indentation and line breaks would only cost tokens.
    `meta` is the tool's `_meta` (e.g. the MCP Apps view its results render in, see `nuki_mcp.views`).
    """

    def decorate(fn: F) -> F:
        paragraphs = inspect.cleandoc(fn.__doc__ or "").split("\n\n")
        description = "\n\n".join(" ".join(p.split()) for p in paragraphs)
        server.tool(title=title, annotations=annotations, description=description, meta=meta)(fn)
        return fn

    return decorate


def nuki_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn Nuki and guard errors into `ToolError`s, the only errors whose text reaches the agent."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except (NukiError, GuardRefusal) as exc:
            raise ToolError(str(exc)) from None

    return wrapper


def device_ref(device: Smartlock) -> DeviceRef:
    return DeviceRef(smartlock_id=device.smartlock_id, name=device.name, device_type=device.type)


async def visible_devices(state: AppState) -> list[Smartlock]:
    """Every device of the account that the allow-list (NUKI_DEVICES) lets this server see."""
    devices = await state.client.list_smartlocks()
    return [d for d in devices if state.guard.allow_list.allows(d.smartlock_id, d.name)]


def _candidates(devices: list[Smartlock]) -> str:
    return ", ".join(f"{d.name} ({d.smartlock_id})" for d in devices)


def match_by_name(
    items: Sequence[T], wanted: str, name_of: Callable[[T], str], label_of: Callable[[T], str], what: str
) -> T | None:
    """The one item whose name equals `wanted`, else starts with it, else contains it (case-insensitive).

    The first rule that hits decides; several hits under it are refused with their labels, so a name the
    agent half-remembers never picks one of several devices, addresses or brands at random.
    """
    folded = wanted.strip().casefold()
    rules: list[Callable[[str], bool]] = [
        lambda name: name == folded,
        lambda name: name.startswith(folded),
        lambda name: folded in name,
    ]
    for rule in rules:
        hits = [item for item in items if rule(name_of(item).casefold())]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            labels = ", ".join(label_of(hit) for hit in hits)
            raise ToolError(f"{wanted!r} matches several {what}: {labels}; name one of them exactly.")
    return None


def match_device(devices: list[Smartlock], wanted: str) -> Smartlock:
    """Pick one device by id, exact name, then unique prefix or substring; refuse ambiguity."""
    key = wanted.strip()
    if key.isascii() and key.isdigit():  # str.isdigit alone accepts "¹", which int() rejects
        by_id = [d for d in devices if d.smartlock_id == int(key)]
        if by_id:
            return by_id[0]
    found = match_by_name(devices, key, lambda d: d.name, lambda d: f"{d.name} ({d.smartlock_id})", "devices")
    if found is not None:
        return found
    if not devices:
        raise ToolError("This server can see no devices; check the account in Nuki Web and NUKI_DEVICES.")
    raise ToolError(f"No device matches {wanted!r}; the devices are: {_candidates(devices)}.")


async def find_device(state: AppState, smartlock: str) -> Smartlock:
    """The device an agent named, fresh from Nuki, within the allow-list."""
    return match_device(await visible_devices(state), smartlock)


async def reload_device(state: AppState, smartlock_id: int) -> Smartlock:
    """Re-read one device (after a write), keeping the allow-list in force."""
    try:
        device = await state.client.get_smartlock(smartlock_id)
    except NukiNotFoundError:
        raise ToolError(f"Device {smartlock_id} no longer exists at Nuki; call list_smartlocks.") from None
    if not state.guard.allow_list.allows(device.smartlock_id, device.name):
        raise ToolError(f"Device {smartlock_id} is not in this server's allow-list (NUKI_DEVICES).")
    return device
