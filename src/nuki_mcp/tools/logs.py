"""Toolset `logs`: list_smartlock_logs, the activity log of one device or of the whole account.

Nuki returns log entries newest first and pages backwards: passing the id of the last entry of a
page as `id` returns the entries older than it. The tool hands that id out as `next_cursor`.
"""

from datetime import UTC, datetime, tzinfo
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.nuki import access, codes
from nuki_mcp.nuki.client import MAX_LOG_PAGE
from nuki_mcp.nuki.models import Smartlock, SmartlockLog
from nuki_mcp.tools.access_args import access_rules, zone_of
from nuki_mcp.tools.common import READ, match_device, nuki_errors, register_tool, visible_devices
from nuki_mcp.tools.views import DeviceRefView, device_ref_view

_BOX = 1
_LOG_TYPE_OF_BOX = 0  # log entries of a Box carry deviceType 0, like a lock

OptionalSmartlockArg = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Device id or name; omit for every device.",
    ),
]
FromDateArg = Annotated[
    str | None,
    Field(
        default=None,
        max_length=40,
        description="ISO date or date-time; no offset: device's local time (all devices: their shared zone, else UTC).",
    ),
]
ToDateArg = Annotated[
    str | None,
    Field(default=None, max_length=40, description="Like from_date; a plain date counts through that day."),
]
LogActionArg = Annotated[
    codes.LogActionFilterName | None,
    Field(
        default=None,
        description="Only entries of this action.",
    ),
]
LogLimitArg = Annotated[int, Field(ge=1, le=MAX_LOG_PAGE)]
CursorArg = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="next_cursor of the previous page (other arguments unchanged).",
    ),
]


class OpenerLogView(BaseModel):
    """Opener details of a log entry."""

    ring_to_open_active: bool | None = None
    continuous_mode_active: bool | None = None
    source: str | None = Field(default=None, description="doorbell, time_control, app, button, fob, bridge, keypad")
    geofence: bool | None = None
    forced: bool | None = None
    doorbell_suppressed: bool | None = None


class LogEntryView(BaseModel):
    """One activity log entry, decoded."""

    log_id: str = Field(description="Nuki's id of the entry")
    date: datetime
    smartlock_id: int
    device_name: str | None = Field(default=None, description="None when the device is no longer in the account")
    who: str = Field(description="The name of the authorization that acted (user, keypad code, fob, ...)")
    account_user_id: int | None = None
    auth_id: str | None = Field(default=None, description="The 24-hex id of the authorization that acted")
    action: str = Field(description="unlock, lock, unlatch, lock_n_go, door_opened, door_ajar, activate_rto, ...")
    trigger: str | None = Field(
        default=None,
        description="system (Bluetooth), manual, button, automatic, web, app, auto_lock, accessory, keypad",
    )
    result: str | None = Field(
        default=None, description="How the action ended: success, motor_blocked, canceled, busy, rejected, ..."
    )
    source: str | None = Field(default=None, description="default, keypad_code or fingerprint")
    auto_unlock: bool | None = None
    ajar_timeout: int | None = Field(default=None, description="Nuki's ajarTimeout of a door_ajar entry")
    error: str | None = None
    opener: OpenerLogView | None = Field(default=None, description="Opener entries only")


class LogPage(BaseModel):
    entries: list[LogEntryView] = Field(description="Newest first")
    device: DeviceRefView | None = Field(default=None, description="The device, or None for the whole account")
    next_cursor: str | None = Field(
        default=None,
        description="Pass it as cursor (with the same other arguments) for older entries; None when Nuki "
        "returned a short page, i.e. there is nothing older",
    )


def parse_when(text: str, zone: tzinfo, *, argument: str, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time as aware UTC; a plain date is its first (or last) instant in `zone`."""
    with access_rules():
        return access.to_utc(text, zone, argument=argument, end_of_day=end_of_day)


def _log_device_type(device_type: int) -> int:
    return _LOG_TYPE_OF_BOX if device_type == _BOX else device_type


def _opener_view(log: SmartlockLog) -> OpenerLogView | None:
    opener = log.opener_log
    if opener is None:
        return None
    return OpenerLogView(
        ring_to_open_active=opener.active_rto,
        continuous_mode_active=opener.active_cm,
        source=None if opener.source is None else codes.opener_log_source_name(opener.source),
        geofence=opener.flag_geo_fence,
        forced=opener.flag_force,
        doorbell_suppressed=opener.flag_doorbell_suppression,
    )


def log_entry_view(log: SmartlockLog, device: Smartlock | None) -> LogEntryView:
    device_type = log.device_type
    if device_type is None:
        device_type = _log_device_type(device.type) if device is not None else 0
    return LogEntryView(
        log_id=log.id,
        date=log.date,
        smartlock_id=log.smartlock_id,
        device_name=device.name if device is not None else None,
        who=log.name,
        account_user_id=log.account_user_id,
        auth_id=log.auth_id,
        action=codes.log_action_name(device_type, log.action),
        trigger=None if log.trigger is None else codes.log_trigger_name(log.trigger),
        result=None if log.state is None else codes.log_state_name(log.state),
        source=None if log.source is None else codes.log_source_name(log.source),
        auto_unlock=log.auto_unlock,
        ajar_timeout=log.ajar_timeout,
        error=log.error,
        opener=_opener_view(log),
    )


def _check_action_fits(device: Smartlock, action: str) -> None:
    code = codes.LOG_ACTION_FILTERS[action]
    if codes.log_action_name(_log_device_type(device.type), code) != action:
        raise ToolError(
            f"{device.name!r} is a {codes.device_model_name(device.type)}, whose log has no {action!r} entries; "
            f"its actions are: {', '.join(codes.actions_for(device.type)) or 'none'} (and door events)."
        )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List activity logs", annotations=READ)
    @nuki_errors
    async def list_smartlock_logs(
        ctx: Context[AppState],
        smartlock: OptionalSmartlockArg = None,
        from_date: FromDateArg = None,
        to_date: ToDateArg = None,
        action: LogActionArg = None,
        limit: LogLimitArg = 20,
        cursor: CursorArg = None,
    ) -> LogPage:
        """The activity log (who locked, unlocked or opened which door when, and whether it worked), newest first, for
        one device or all. Older entries: repeat with cursor=next_cursor (even after a short page). Current state:
        get_smartlock.
        """
        state = app_state(ctx)
        visible = await visible_devices(state)
        device = None if smartlock is None else match_device(visible, smartlock)
        zone = zone_of(device) if device is not None else access.shared_zone(zone_of(d) for d in visible) or UTC
        since = None if from_date is None else parse_when(from_date, zone, argument="from_date", end_of_day=False)
        until = None if to_date is None else parse_when(to_date, zone, argument="to_date", end_of_day=True)
        if since is not None and until is not None and since > until:
            raise ToolError("from_date is after to_date; swap them or widen the range.")
        action_code = None if action is None else codes.LOG_ACTION_FILTERS[action]
        if device is not None:
            if action is not None:
                _check_action_fits(device, action)
            devices = {device.smartlock_id: device}
            raw = await state.client.list_smartlock_logs(
                device.smartlock_id,
                from_date=since,
                to_date=until,
                action=action_code,
                before_id=cursor,
                limit=limit,
            )
        else:
            devices = {d.smartlock_id: d for d in visible}
            raw = await state.client.list_account_logs(
                from_date=since, to_date=until, action=action_code, before_id=cursor, limit=limit
            )
        allow_list_active = bool(state.guard.allow_list.entries)
        entries: list[LogEntryView] = []
        for log in raw:
            owner = devices.get(log.smartlock_id)
            if owner is None and (allow_list_active or device is not None):
                continue  # a device outside NUKI_DEVICES stays invisible
            entry = log_entry_view(log, owner)
            # Lock and Opener actions share codes 1-3: keep only entries of the action asked for.
            if action is not None and entry.action != action:
                continue
            entries.append(entry)
        return LogPage(
            entries=entries,
            device=None if device is None else device_ref_view(device),
            next_cursor=raw[-1].id if raw and len(raw) >= limit else None,
        )
