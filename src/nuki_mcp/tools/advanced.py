"""Toolset `advanced` (off by default): Nuki's Advanced API.

These endpoints need an Advanced API key that Nuki approved. Nuki answers at once with a
`requestId` and reports the outcome later through the webhook of that API key (REFERENCE §3.3,
§7.4), so these tools never learn whether the door moved: they return the request id and say so.
Device resolution, device-type checks and summaries come from the `actions` and `auths` toolsets.
"""

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, JsonValue

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import access, codes
from nuki_mcp.nuki.models import AdvancedConfirmationResponse, Smartlock, SmartlockAction, SmartlocksAuthAdvancedCreate
from nuki_mcp.tools.access_args import (
    FromDateArg,
    FromTimeArg,
    UntilDateArg,
    UntilTimeArg,
    WeekDaysArg,
    access_rules,
    zone_of,
)
from nuki_mcp.tools.account import fetch_account_users
from nuki_mcp.tools.actions import ActionArg, ActionPlan, plan_action
from nuki_mcp.tools.auths import NameArg, RemoteAllowedArg, SmartActionsArg
from nuki_mcp.tools.common import (
    SmartlockArg,
    device_ref,
    match_device,
    visible_devices,
)
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

MAX_DEVICES = 50
ADVANCED_NOTE = (
    "Sent through Nuki's Advanced API (needs an approved Advanced API key). Nuki reports the outcome later "
    "by webhook to that key's webhook URL, matched by request_id."
)

AdvancedOutcome = Literal["requested"]

SmartlocksArg = Annotated[
    list[SmartlockArg],
    Field(
        min_length=1,
        max_length=MAX_DEVICES,
        description="The devices (smartlockId or name each) that get the authorization.",
    ),
]
AccountUserIdArg = Annotated[
    int, Field(ge=1, description="The account user (list_account_users) who gets the app authorization.")
]


@dataclasses.dataclass(frozen=True)
class MultiDevicePlan(WritePlan):
    """A write to several devices at once; `device` stays None, `devices` names them all."""

    zone: tzinfo = UTC
    window: access.AccessWindow = dataclasses.field(default_factory=access.AccessWindow)
    request: SmartlocksAuthAdvancedCreate | None = dataclasses.field(default=None, repr=False, compare=False)


class AdvancedResult(WriteResult):
    """What Nuki accepted; the outcome itself arrives later by webhook."""

    request_id: str | None = Field(
        default=None, description="Nuki's requestId: the webhook that reports the outcome carries it"
    )
    outcome: AdvancedOutcome | None = Field(
        default=None,
        description="requested: Nuki accepted the request; whether the device did it is reported only by "
        "webhook (check get_smartlock or list_smartlock_auths to see the effect)",
    )
    error: str | None = Field(default=None, description="Nuki's error note, e.g. devices that need a subscription")
    note: str | None = None

    def audit_outcome(self) -> str:
        return self.outcome or self.status


class AdvancedActionResult(AdvancedResult):
    device: DeviceRefView | None = None
    action: str | None = Field(default=None, description="The action that was requested")


class AdvancedAuthResult(AdvancedResult):
    devices: list[DeviceRefView] = Field(default_factory=list[DeviceRefView])
    name: str | None = None
    account_user_id: int | None = None


def _ref_view(ref: DeviceRef) -> DeviceRefView:
    return DeviceRefView(
        smartlock_id=ref.smartlock_id, name=ref.name, device_type=codes.device_type_name(ref.device_type)
    )


async def _advanced_plan(ctx: Context[AppState], smartlock: str, action: str, tool: str) -> ActionPlan:
    plan = await plan_action(smartlock, action, ctx)
    return dataclasses.replace(plan, tool=tool, summary=f"{plan.summary} {ADVANCED_NOTE}")


def _accepted(result: AdvancedResult, response: AdvancedConfirmationResponse) -> None:
    result.request_id = response.request_id
    result.error = response.error
    result.outcome = "requested"
    result.note = (
        f"Nuki accepted the request (request_id {response.request_id}); this does not mean it is done. The "
        "outcome arrives by webhook at the Advanced API key's webhook URL."
    )


async def perform_action_advanced(ctx: Context[AppState], plan: ActionPlan, confirmed_by: str) -> AdvancedActionResult:
    client = app_state(ctx).client
    target = plan.target()
    if plan.tool == "lock_smartlock_advanced":
        response = await client.lock_advanced(target.smartlock_id)
    elif plan.tool == "unlock_smartlock_advanced":
        response = await client.unlock_advanced(target.smartlock_id)
    else:
        code = codes.action_code(target.device_type, plan.action)
        if code is None:  # the plan already refused this; kept for type narrowing
            raise ToolError(f"Action {plan.action!r} is not supported by this device.")
        response = await client.action_advanced(target.smartlock_id, SmartlockAction(action=code))
    result = AdvancedActionResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, device=_ref_view(target), action=plan.action
    )
    _accepted(result, response)
    result.note = f"{result.note} Check the device state with get_smartlock before telling the user it moved."
    return result


@write_tool(
    title="Run a device action (Advanced API)", destructive=True, idempotent=False, perform=perform_action_advanced
)
async def action_smartlock_advanced(ctx: Context[AppState], smartlock: SmartlockArg, action: ActionArg) -> ActionPlan:
    """Run a device action (unlatch, Lock 'n' Go, Opener actions, ...) through Nuki's Advanced
    API. Needs an approved Advanced API key; Nuki reports the outcome later by webhook, so the
    result is only a request_id, never "done at the door". The action must fit the device type.
    Without an Advanced API key use smartlock_action."""
    return await _advanced_plan(ctx, smartlock, action, "action_smartlock_advanced")


@write_tool(title="Lock a door (Advanced API)", destructive=True, idempotent=False, perform=perform_action_advanced)
async def lock_smartlock_advanced(ctx: Context[AppState], smartlock: SmartlockArg) -> ActionPlan:
    """Lock a smart lock or Smart Door through Nuki's Advanced API. Needs an approved Advanced
    API key; Nuki reports the outcome later by webhook, so the result is a request_id and never
    proof that the door is locked (check get_smartlock). Without an Advanced API key use
    lock_smartlock, which also waits for the device."""
    return await _advanced_plan(ctx, smartlock, "lock", "lock_smartlock_advanced")


@write_tool(title="Unlock a door (Advanced API)", destructive=True, idempotent=False, perform=perform_action_advanced)
async def unlock_smartlock_advanced(ctx: Context[AppState], smartlock: SmartlockArg) -> ActionPlan:
    """Unlock a smart lock or Smart Door through Nuki's Advanced API (anyone at the door can
    then open it). Needs an approved Advanced API key; the outcome arrives later by webhook, so
    the result is a request_id, never proof that the door is unlocked. Only when the user
    asked for exactly this door."""
    return await _advanced_plan(ctx, smartlock, "unlock", "unlock_smartlock_advanced")


def _window_zone(devices: Sequence[Smartlock], *dates: str | None) -> tzinfo:
    """The devices' shared time zone; with several zones, dates must carry an offset to mean one instant."""
    zone = access.shared_zone(zone_of(d) for d in devices)
    if zone is not None:
        return zone
    for text in dates:
        if text is None:
            continue
        with access_rules():
            value = access.parse_date_or_datetime(text, argument="a date")
        if not isinstance(value, datetime) or value.tzinfo is None:
            names = ", ".join(sorted({access.zone_name(zone_of(d)) for d in devices}))
            raise ToolError(
                f"The devices are in different time zones ({names}), so {text!r} names no single instant; "
                "give the dates with an offset, e.g. 2026-12-31T23:59:59+01:00, or grant each zone separately."
            )
    return UTC


def _window_changes(window: access.AccessWindow, zone: tzinfo) -> list[FieldChange]:
    values: dict[str, JsonValue] = {
        "allowed_from_date": None if window.from_date is None else access.show_instant(window.from_date, zone),
        "allowed_until_date": None if window.until_date is None else access.show_instant(window.until_date, zone),
        "allowed_week_days": None if window.week_days is None else list(codes.mask_to_weekdays(window.week_days)),
        "allowed_from_time": None if window.from_time is None else codes.minutes_to_hhmm(window.from_time),
        "allowed_until_time": None if window.until_time is None else codes.minutes_to_hhmm(window.until_time),
    }
    return [FieldChange(field, None, value) for field, value in values.items() if value is not None]


def _resolve_devices(devices: list[Smartlock], wanted: list[str]) -> list[Smartlock]:
    chosen: dict[int, Smartlock] = {}
    for name in wanted:
        device = match_device(devices, name)
        chosen.setdefault(device.smartlock_id, device)
    return list(chosen.values())


async def perform_auth_advanced(ctx: Context[AppState], plan: MultiDevicePlan, confirmed_by: str) -> AdvancedAuthResult:
    if plan.request is None:  # the plan always builds it; kept for type narrowing
        raise ToolError("The authorization was not prepared; nothing was sent. Call the tool again.")
    response = await app_state(ctx).client.create_auth_advanced(plan.request)
    result = AdvancedAuthResult(
        status="done",
        summary=plan.describe(),
        confirmed_by=confirmed_by,
        devices=[_ref_view(d) for d in plan.devices],
        name=plan.request.name,
        account_user_id=plan.request.account_user_id,
    )
    _accepted(result, response)
    result.note = f"{result.note} Check with list_smartlock_auths once the webhook reported success."
    return result


@write_tool(title="Grant access (Advanced API)", destructive=True, idempotent=False, perform=perform_auth_advanced)
async def create_smartlock_auth_advanced(
    ctx: Context[AppState],
    smartlocks: SmartlocksArg,
    name: NameArg,
    account_user_id: AccountUserIdArg,
    remote_allowed: RemoteAllowedArg,
    allowed_from_date: FromDateArg = None,
    allowed_until_date: UntilDateArg = None,
    allowed_week_days: WeekDaysArg = None,
    allowed_from_time: FromTimeArg = None,
    allowed_until_time: UntilTimeArg = None,
    smart_actions_enabled: SmartActionsArg = None,
) -> MultiDevicePlan:
    """Grant an account user app access to several devices at once through Nuki's Advanced
    API, optionally limited to dates, weekdays and a daily time window. Needs an approved
    Advanced API key; the result arrives later by webhook, so the tool returns Nuki's
    request_id, not the new authorizations. The user is asked to confirm first. Without an
    Advanced API key, use create_smartlock_auth per device instead."""
    state = app_state(ctx)
    if not name.strip():
        raise ToolError("The name must not be blank.")
    devices = _resolve_devices(await visible_devices(state), smartlocks)
    targets = tuple(device_ref(d) for d in devices)
    zone = _window_zone(devices, allowed_from_date, allowed_until_date)
    with access_rules():
        window = access.window_from_text(
            zone,
            from_date=allowed_from_date,
            until_date=allowed_until_date,
            week_days=allowed_week_days,
            from_time=allowed_from_time,
            until_time=allowed_until_time,
        )
        window.check_new(state.clock.now())
    users = {u.account_user_id: u for u in await fetch_account_users(state.client)}
    user = users.get(account_user_id)
    if user is None:
        raise ToolError(
            f"There is no account user with account_user_id {account_user_id}; list_account_users shows them "
            "(create the person in Nuki Web first)."
        )
    labels = ", ".join(t.label() for t in targets)
    remote = "with" if remote_allowed else "without"
    window_text = window.describe(zone)
    changes = [
        FieldChange("name", None, name),
        FieldChange("account_user_id", None, account_user_id),
        FieldChange("remote_allowed", None, remote_allowed),
        *_window_changes(window, zone),
    ]
    if smart_actions_enabled is not None:
        changes.append(FieldChange("smart_actions_enabled", None, smart_actions_enabled))
    return MultiDevicePlan(
        tool="create_smartlock_auth_advanced",
        summary=f"Grant access: create the app authorization {name!r} for {user.name} ({user.email}, "
        f"account_user_id {account_user_id}) on {labels}, {remote} remote access, {window_text}. Nuki invites "
        f"the user. {ADVANCED_NOTE}",
        device=targets[0] if len(targets) == 1 else None,
        changes=tuple(changes),
        devices=targets,
        zone=zone,
        window=window,
        request=SmartlocksAuthAdvancedCreate(
            name=name,
            account_user_id=account_user_id,
            smartlock_ids=[d.smartlock_id for d in targets],
            remote_allowed=remote_allowed,
            smart_actions_enabled=smart_actions_enabled,
            allowed_from_date=window.from_date,
            allowed_until_date=window.until_date,
            allowed_week_days=window.week_days,
            allowed_from_time=window.from_time,
            allowed_until_time=window.until_time,
        ),
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    register_writes(
        server,
        settings,
        (create_smartlock_auth_advanced, action_smartlock_advanced, lock_smartlock_advanced, unlock_smartlock_advanced),
    )
