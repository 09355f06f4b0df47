"""Toolset `auths`: list_smartlock_auths, get_smartlock_auth, create_smartlock_auth,
update_smartlock_auth, delete_smartlock_auth.

Three Nuki habits shape these tools (REFERENCE §3.3):
- Creating answers 204 without the new id, so the new authorization is looked up afterwards.
- An update body that leaves out the time-window fields clears them, so updates are read-modify-write:
  the complete current object is sent with only the requested fields changed.
- Keypad codes are secrets: masked in every result unless `reveal_code` is asked for, never put in a
  summary or a confirmation question, and validated (6 digits 1-9, not 12..., unique) before sending.

The window and keypad rules are in `nuki_mcp.nuki.access`. An auth id is only trusted after the
authorization Nuki returns for it proved to belong to the named, visible device.
"""

import dataclasses
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Annotated

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, JsonValue

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import MASK, DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import access, codes
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiAuthError, NukiError, NukiForbiddenError
from nuki_mcp.nuki.models import Smartlock, SmartlockAuth, SmartlockAuthCreate, SmartlockAuthUpdate
from nuki_mcp.tools.access_args import (
    FromDateArg,
    FromTimeArg,
    NewFromDateArg,
    NewFromTimeArg,
    NewUntilDateArg,
    NewUntilTimeArg,
    NewWeekDaysArg,
    UntilDateArg,
    UntilTimeArg,
    WeekDaysArg,
    access_rules,
    zone_of,
)
from nuki_mcp.tools.account import find_account_user
from nuki_mcp.tools.common import (
    READ,
    LimitArg,
    SmartlockArg,
    device_ref,
    match_device,
    nuki_errors,
    register_tool,
    visible_devices,
)
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.writes import WriteResult, call_arguments, register_writes, write_tool

KEYPAD_CODE_TYPE = access.KEYPAD_CODE_TYPE
AUTH_NAME_MAX = 32

# --- arguments -----------------------------------------------------------------------------------

OptionalSmartlockArg = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=200,
        description="One device; omit for every device.",
    ),
]
AuthIdArg = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-fA-F]{24}$",
        description="auth_id from list_smartlock_auths.",
    ),
]
RevealCodeArg = Annotated[
    bool,
    Field(description="Show codes in clear; only when the user asked."),
]
AuthTypesArg = Annotated[
    list[codes.AuthTypeName] | None,
    Field(description='Only these types, e.g. ["keypad_code"].'),
]
CreatableTypeArg = Annotated[
    codes.CreatableAuthType,
    Field(
        description="app: a Nuki app user (needs account_user or account_user_id); fob: a Nuki Fob; "
        "keypad_code: a Keypad PIN (needs code)."
    ),
]
NameArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=AUTH_NAME_MAX,
        description="Keypad codes: at most 20 characters.",
    ),
]
NewNameArg = Annotated[
    str | None,
    Field(min_length=1, max_length=AUTH_NAME_MAX, description="New name (keypad codes: at most 20 characters)."),
]
CodeArg = Annotated[
    int | None,
    Field(description="keypad_code only: 6 digits 1-9, not starting with 12, unused on the device."),
]
AccountUserIdArg = Annotated[
    int | None,
    Field(description="For app: the account user (or give account_user)."),
]
AccountUserArg = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=200,
        description="Instead of account_user_id: their e-mail or name.",
    ),
]
RemoteAllowedArg = Annotated[bool, Field(description="May operate it remotely (app over the internet, Nuki Web).")]
NewRemoteAllowedArg = Annotated[
    bool | None, Field(description="May operate it remotely (app over the internet, Nuki Web).")
]
EnabledArg = Annotated[bool | None, Field(description="false pauses the authorization without deleting it.")]
SmartActionsArg = Annotated[bool | None, Field(description="App users only: allow smart actions such as auto unlock.")]

# --- results -------------------------------------------------------------------------------------


class SmartlockAuthSummary(BaseModel):
    """One authorization (app user, fob, keypad code, ...) on one device, decoded."""

    auth_id: str = Field(description="The 24-hex-digit id; pass it as auth_id to the other auth tools")
    smartlock_id: int
    device_name: str
    name: str
    type: str = Field(description="app, fob, keypad_code, keypad, bridge, z_key, virtual")
    enabled: bool
    remote_allowed: bool = Field(description="May operate the device remotely (through the bridge or Nuki Web)")
    code: str | None = Field(
        default=None, description='Keypad code: "******" unless reveal_code was asked for; null for other types'
    )
    allowed_from_date: datetime | None = Field(default=None, description="Valid from (UTC); null = no start")
    allowed_until_date: datetime | None = Field(default=None, description="Valid until (UTC); null = no end")
    allowed_week_days: list[str] | None = Field(default=None, description="Weekdays it works on; null = every day")
    allowed_from_time: str | None = Field(default=None, description="Daily start HH:MM; null = all day")
    allowed_until_time: str | None = Field(default=None, description="Daily end HH:MM; null = all day")
    last_active: datetime | None = Field(default=None, description="Last time it was used")
    lock_count: int = Field(description="How often it was used")
    expired: bool = Field(description="True when allowed_until_date lies in the past")
    pending: bool = Field(description="True while Nuki is still applying a change to the device")


class SmartlockAuthDetails(SmartlockAuthSummary):
    """One authorization in full."""

    account_user_id: int | None = Field(default=None, description="The account user it belongs to (app users)")
    device_auth_id: int | None = Field(
        default=None, description="The small number the device itself uses (appears in logs); not auth_id"
    )
    creation_date: datetime | None = None
    update_date: datetime | None = None
    error: str | None = Field(default=None, description="Error Nuki reported for this authorization, if any")


class SmartlockAuthList(BaseModel):
    auths: list[SmartlockAuthSummary]
    total: int = Field(description="How many authorizations matched")
    truncated: bool = Field(description="True when more matched than were returned (raise limit)")
    note: str | None = Field(default=None, description="Devices whose authorizations could not be read, if any")


class AuthWriteResult(WriteResult):
    """What happened to the authorization."""

    device: DeviceRefView | None = None
    auth: SmartlockAuthSummary | None = Field(
        default=None, description="The authorization as Nuki lists it after the change (code masked)"
    )


class CreateAuthResult(WriteResult):
    """The new authorization, if Nuki already lists it."""

    device: DeviceRefView | None = None
    created: SmartlockAuthSummary | None = Field(
        default=None,
        description="The new authorization as Nuki lists it (code masked); null when Nuki does not list it yet",
    )


# --- decoding ------------------------------------------------------------------------------------


def _hhmm(minutes: int | None) -> str | None:
    return None if minutes is None else codes.minutes_to_hhmm(minutes)


def auth_summary(auth: SmartlockAuth, device_name: str, now: datetime, *, reveal_code: bool) -> SmartlockAuthSummary:
    window = access.window_of(auth)
    return SmartlockAuthSummary(
        auth_id=auth.id,
        smartlock_id=auth.smartlock_id,
        device_name=device_name,
        name=auth.name,
        type=codes.auth_type_name(auth.type),
        enabled=auth.enabled,
        remote_allowed=auth.remote_allowed,
        code=None if auth.code is None else (str(auth.code) if reveal_code else MASK),
        allowed_from_date=auth.allowed_from_date,
        allowed_until_date=auth.allowed_until_date,
        allowed_week_days=None if window.week_days is None else list(codes.mask_to_weekdays(window.week_days)),
        allowed_from_time=_hhmm(window.from_time),
        allowed_until_time=_hhmm(window.until_time),
        last_active=auth.last_active_date,
        lock_count=auth.lock_count,
        expired=window.has_ended(now),
        pending=auth.operation_id is not None,
    )


def auth_details(auth: SmartlockAuth, device_name: str, now: datetime, *, reveal_code: bool) -> SmartlockAuthDetails:
    summary = auth_summary(auth, device_name, now, reveal_code=reveal_code)
    return SmartlockAuthDetails.model_validate(
        {
            **summary.model_dump(),
            "account_user_id": auth.account_user_id,
            "device_auth_id": auth.auth_id,
            "creation_date": auth.creation_date,
            "update_date": auth.update_date,
            "error": auth.error,
        }
    )


def _ref_view(ref: DeviceRef) -> DeviceRefView:
    return DeviceRefView(
        smartlock_id=ref.smartlock_id, name=ref.name, device_type=codes.device_type_name(ref.device_type)
    )


_TYPE_PHRASES = {"app": "app user", "fob": "fob", "keypad_code": "keypad code", "keypad": "keypad"}


def _type_phrase(type_code: int) -> str:
    name = codes.auth_type_name(type_code)
    return _TYPE_PHRASES.get(name, name)


# --- checks --------------------------------------------------------------------------------------


async def _find_device_and_auth(state: AppState, smartlock: str, auth_id: str) -> tuple[Smartlock, SmartlockAuth]:
    """The named visible device and its authorization `auth_id`, refusing an auth of any other device.

    Nuki's answer for `/smartlock/{id}/auth/{authId}` is not trusted to belong to `{id}`: the
    authorization's own smartlockId must be the named device, which is inside the allow-list.
    """
    devices = await visible_devices(state)
    device = match_device(devices, smartlock)
    auth = await state.client.get_auth(device.smartlock_id, auth_id)
    _check_owner(auth, auth_id, device, devices)
    return device, auth


def _check_owner(
    auth: SmartlockAuth, auth_id: str, device: DeviceRef | Smartlock, devices: Sequence[Smartlock]
) -> None:
    if auth.smartlock_id == device.smartlock_id:
        return
    other = next((d for d in devices if d.smartlock_id == auth.smartlock_id), None)
    if other is None:  # a device outside NUKI_DEVICES (or unknown) stays invisible: say nothing about it
        raise ToolError(
            f"{device.name!r} has no authorization with auth_id {auth_id}; list_smartlock_auths shows the "
            "authorizations this server may see."
        )
    raise ToolError(
        f"The authorization with auth_id {auth_id} belongs to {other.name!r}, not to {device.name!r}; "
        f"name {other.name!r} as smartlock."
    )


async def _check_code_unused(
    client: NukiClient, smartlock_id: int, device_name: str, code: int, except_auth_id: str | None = None
) -> None:
    for other in await client.list_auths(smartlock_id, types=[KEYPAD_CODE_TYPE]):
        if other.type == KEYPAD_CODE_TYPE and other.code == code and other.id != except_auth_id:
            raise ToolError(
                f"This keypad code is already used on {device_name!r} (by {other.name!r}); "
                "codes must be unique per device, so choose another code."
            )


# --- plans ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AuthPlan(WritePlan):
    """A write to one authorization, with the device's time zone and the window it will have."""

    zone: tzinfo = UTC
    window: access.AccessWindow = dataclasses.field(default_factory=access.AccessWindow)
    auth_id: str | None = None


@dataclasses.dataclass(frozen=True)
class CreateAuthPlan(AuthPlan):
    type_code: int = dataclasses.field(kw_only=True)
    request: SmartlockAuthCreate = dataclasses.field(kw_only=True, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class UpdateAuthPlan(AuthPlan):
    """An update: what the caller asked for, and (once refreshed) the complete body to send."""

    update: "_UpdateArguments" = dataclasses.field(kw_only=True, repr=False, compare=False)
    request: SmartlockAuthUpdate | None = dataclasses.field(default=None, kw_only=True, repr=False, compare=False)


async def perform_create(ctx: Context[AppState], plan: CreateAuthPlan, confirmed_by: str) -> CreateAuthResult:
    state = app_state(ctx)
    target = plan.target()
    body = plan.request
    known = {a.id for a in await state.client.list_auths(target.smartlock_id)}
    await state.client.create_auth(target.smartlock_id, body)
    result = CreateAuthResult(status="done", summary=plan.summary, confirmed_by=confirmed_by, device=_ref_view(target))
    try:
        after = await state.client.list_auths(target.smartlock_id, types=[plan.type_code])
    except NukiError:
        after = []
    created = _find_created(after, known, plan.type_code, body.name, body.code)
    if created is None:
        result.reason = (
            "Nuki accepted the authorization but does not list it yet (it is applied asynchronously); "
            "check with list_smartlock_auths in a minute."
        )
        return result
    result.created = auth_summary(created, target.name, state.clock.now(), reveal_code=False)
    if result.created.pending:
        result.reason = "Nuki lists the new authorization; the device is still applying it (pending)."
    return result


@write_tool(title="Grant access", destructive=True, idempotent=False, perform=perform_create)
async def create_smartlock_auth(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    type: CreatableTypeArg,
    name: NameArg,
    code: CodeArg = None,
    account_user_id: AccountUserIdArg = None,
    account_user: AccountUserArg = None,
    remote_allowed: RemoteAllowedArg = False,
    allowed_from_date: FromDateArg = None,
    allowed_until_date: UntilDateArg = None,
    allowed_week_days: WeekDaysArg = None,
    allowed_from_time: FromTimeArg = None,
    allowed_until_time: UntilTimeArg = None,
    smart_actions_enabled: SmartActionsArg = None,
) -> CreateAuthPlan:
    """Grant access to a device: an app user (an account user, invited by Nuki), a fob or a keypad code, optionally
    limited by dates, weekdays and daily times on the device's clock. To change an existing one use
    update_smartlock_auth.
    """
    state = app_state(ctx)
    devices = await visible_devices(state)
    device = match_device(devices, smartlock)
    type_code = codes.auth_type_code(type)
    zone = zone_of(device)
    with access_rules():
        access.check_name(name, type_code)
        if type == "keypad_code":
            if code is None:
                raise ToolError("A keypad_code authorization needs code (6 digits 1-9, not starting with 12).")
            access.check_keypad_code(code)
        elif code is not None:
            raise ToolError(f"Only keypad_code authorizations have a code; leave code out for {type}.")
        if type == "app" and account_user_id is None and account_user is None:
            raise ToolError("An app authorization needs account_user (e-mail or name) or account_user_id.")
        window = access.window_from_text(
            zone,
            from_date=allowed_from_date,
            until_date=allowed_until_date,
            week_days=allowed_week_days,
            from_time=allowed_from_time,
            until_time=allowed_until_time,
        )
        window.check_new(state.clock.now())
    if code is not None:
        await _check_code_unused(state.client, device.smartlock_id, device.name, code)
    who = f" for account user {account_user_id}" if account_user_id is not None else ""
    if account_user is not None:
        user = await find_account_user(state.client, account_user)
        if account_user_id is not None and account_user_id != user.account_user_id:
            raise ToolError(
                f"account_user {account_user!r} is account_user_id {user.account_user_id}, not {account_user_id}; "
                "give only one of them."
            )
        account_user_id = user.account_user_id
        who = f" for account user {user.name!r} ({user.email}, account_user_id {user.account_user_id})"
    invite = " Nuki sends the user an invitation." if type == "app" else ""
    secret = " with the keypad code given in the call (not shown here)" if code is not None else ""
    remote = "remote operation allowed" if remote_allowed else "no remote operation"
    return CreateAuthPlan(
        tool="create_smartlock_auth",
        summary=f"Grant access to {device_ref(device).label()}: create the {_type_phrase(type_code)} authorization "
        f"{name!r}{who}{secret}, {window.describe(zone)}, {remote}.{invite}",
        device=device_ref(device),
        zone=zone,
        window=window,
        type_code=type_code,
        request=SmartlockAuthCreate(
            name=name,
            type=type_code,
            code=code,
            account_user_id=account_user_id,
            remote_allowed=remote_allowed,
            smart_actions_enabled=smart_actions_enabled,
            allowed_from_date=window.from_date,
            allowed_until_date=window.until_date,
            allowed_week_days=window.week_days,
            allowed_from_time=window.from_time,
            allowed_until_time=window.until_time,
        ),
    )


_WINDOW_FIELDS = (
    "allowed_from_date",
    "allowed_until_date",
    "allowed_week_days",
    "allowed_from_time",
    "allowed_until_time",
)
_NO_LIMIT: dict[str, str] = {
    "allowed_from_date": "no start date",
    "allowed_until_date": "no end date",
    "allowed_week_days": "every day",
    "allowed_from_time": "no time limit",
    "allowed_until_time": "no time limit",
}


def _window_values(window: access.AccessWindow) -> dict[str, object]:
    return {
        "allowed_from_date": window.from_date,
        "allowed_until_date": window.until_date,
        "allowed_week_days": window.week_days,
        "allowed_from_time": window.from_time,
        "allowed_until_time": window.until_time,
    }


@dataclasses.dataclass(frozen=True)
class _UpdateArguments:
    name: str | None
    enabled: bool | None
    remote_allowed: bool | None
    code: int | None
    allowed_from_date: str | None
    allowed_until_date: str | None
    allowed_week_days: list[codes.Weekday] | None
    allowed_from_time: str | None
    allowed_until_time: str | None
    account_user_id: int | None
    sent: Collection[str]  # the arguments the client sent, null ones included

    def given(self, field: str) -> bool:
        """Sent by the client (as a value or as null); a window limit given as null is removed."""
        return field in self.sent or getattr(self, field) is not None

    def requested_changes(self, current: SmartlockAuth, zone: tzinfo) -> dict[str, object]:
        """The wire fields (snake_case) asked for whose value differs from `current`; None = no limit."""
        wanted: dict[str, object] = {}
        for field in ("name", "enabled", "remote_allowed", "code", "account_user_id"):
            value: object = getattr(self, field)
            if value is not None:
                wanted[field] = value
        new = access.window_from_text(
            zone,
            from_date=self.allowed_from_date,
            until_date=self.allowed_until_date,
            week_days=self.allowed_week_days,
            from_time=self.allowed_from_time,
            until_time=self.allowed_until_time,
        )
        wanted.update({f: v for f, v in _window_values(new).items() if self.given(f)})
        return {field: value for field, value in wanted.items() if _current_value(current, field) != value}


def _current_value(current: SmartlockAuth, field: str) -> object:
    if field in _WINDOW_FIELDS:
        return _window_values(access.window_of(current))[field]
    return getattr(current, field)


def _shown(field: str, value: object, zone: tzinfo) -> JsonValue:
    """A field value as the confirmation question shows it (decoded, local time; never a code)."""
    if value is None:
        return _NO_LIMIT.get(field)
    if field == "code":
        return MASK
    if isinstance(value, datetime):
        return access.show_instant(value, zone)
    if field == "allowed_week_days" and isinstance(value, int):
        return list(codes.mask_to_weekdays(value))
    if field in ("allowed_from_time", "allowed_until_time") and isinstance(value, int):
        return codes.minutes_to_hhmm(value)
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _field_changes(current: SmartlockAuth, changes: dict[str, object], zone: tzinfo) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(field, _shown(field, _current_value(current, field), zone), _shown(field, value, zone))
        for field, value in changes.items()
    )


def _merged_window(current: SmartlockAuth, changes: dict[str, object]) -> access.AccessWindow:
    merged = {**_window_values(access.window_of(current)), **{k: v for k, v in changes.items() if k in _WINDOW_FIELDS}}
    from_date, until_date = merged["allowed_from_date"], merged["allowed_until_date"]
    week, from_time, until_time = merged["allowed_week_days"], merged["allowed_from_time"], merged["allowed_until_time"]
    return access.AccessWindow(
        from_date=from_date if isinstance(from_date, datetime) else None,
        until_date=until_date if isinstance(until_date, datetime) else None,
        week_days=week if isinstance(week, int) else None,
        from_time=from_time if isinstance(from_time, int) else None,
        until_time=until_time if isinstance(until_time, int) else None,
    )


async def refresh_update(ctx: Context[AppState], plan: UpdateAuthPlan) -> UpdateAuthPlan:
    """Re-read the authorization right before sending; refuse if it changed since the human saw the summary."""
    target = plan.target()
    auth_id = plan.auth_id or ""
    current = await app_state(ctx).client.get_auth(target.smartlock_id, auth_id)
    _check_owner(current, auth_id, target, [])
    with access_rules():
        changes = plan.update.requested_changes(current, plan.zone)
    if _field_changes(current, changes, plan.zone) != plan.changes:
        raise ToolError(
            "The authorization changed at Nuki since the summary was made; nothing was sent. "
            "Call update_smartlock_auth again to see the current differences."
        )
    body = {k: v for k, v in changes.items() if k not in _WINDOW_FIELDS}
    body.update(access.wire_fields(_merged_window(current, changes)))
    return dataclasses.replace(plan, request=SmartlockAuthUpdate.from_current(current, body))


async def perform_update(ctx: Context[AppState], plan: UpdateAuthPlan, confirmed_by: str) -> AuthWriteResult:
    state = app_state(ctx)
    target = plan.target()
    auth_id = plan.auth_id or ""
    if plan.request is None:  # refresh_update builds it; run_write always refreshes first
        raise ToolError("The update was not prepared; nothing was sent. Call update_smartlock_auth again.")
    await state.client.update_auth(target.smartlock_id, auth_id, plan.request)
    result = AuthWriteResult(
        status="done", summary=plan.describe(), confirmed_by=confirmed_by, device=_ref_view(target)
    )
    try:
        after = await state.client.get_auth(target.smartlock_id, auth_id)
    except NukiError:
        return result
    result.auth = auth_summary(after, target.name, state.clock.now(), reveal_code=False)
    return result


@write_tool(
    title="Change an authorization",
    destructive=True,
    idempotent=True,
    perform=perform_update,
    refresh=refresh_update,
)
async def update_smartlock_auth(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    auth_id: AuthIdArg,
    name: NewNameArg = None,
    enabled: EnabledArg = None,
    remote_allowed: NewRemoteAllowedArg = None,
    code: CodeArg = None,
    allowed_from_date: NewFromDateArg = None,
    allowed_until_date: NewUntilDateArg = None,
    allowed_week_days: NewWeekDaysArg = None,
    allowed_from_time: NewFromTimeArg = None,
    allowed_until_time: NewUntilTimeArg = None,
    account_user_id: AccountUserIdArg = None,
) -> UpdateAuthPlan:
    """Change an authorization: name, enabled (false pauses it), remote use, keypad code or time limits (null removes a
    date or the daily window; [] or null weekdays = every day). To revoke for good: delete_smartlock_auth.
    """
    arguments = _UpdateArguments(
        name=name,
        enabled=enabled,
        remote_allowed=remote_allowed,
        code=code,
        allowed_from_date=allowed_from_date,
        allowed_until_date=allowed_until_date,
        allowed_week_days=allowed_week_days,
        allowed_from_time=allowed_from_time,
        allowed_until_time=allowed_until_time,
        account_user_id=account_user_id,
        sent=frozenset(call_arguments(ctx)),
    )
    state = app_state(ctx)
    device, current = await _find_device_and_auth(state, smartlock, auth_id)
    zone = zone_of(device)
    with access_rules():
        if code is not None:
            if current.type != KEYPAD_CODE_TYPE:
                raise ToolError(
                    f"{current.name!r} is a {_type_phrase(current.type)} authorization, which has no code; "
                    "leave code out."
                )
            access.check_keypad_code(code)
        changes = arguments.requested_changes(current, zone)
        if not changes:
            raise ToolError(f"{current.name!r} on {device.name!r} already has these settings; nothing to change.")
        access.check_name(str(changes.get("name", current.name)), current.type)
        window = _merged_window(current, changes)
        window.check()
    if "code" in changes and code is not None:
        await _check_code_unused(state.client, device.smartlock_id, device.name, code, except_auth_id=current.id)
    local = f" Dates and times are {access.zone_name(zone)} time." if changes.keys() & set(_WINDOW_FIELDS) else ""
    return UpdateAuthPlan(
        tool="update_smartlock_auth",
        summary=f"Change the {_type_phrase(current.type)} authorization {current.name!r} (auth_id {current.id}) "
        f"on {device_ref(device).label()}; everything else about it stays as it is.{local}",
        device=device_ref(device),
        changes=_field_changes(current, changes, zone),
        zone=zone,
        window=window,
        auth_id=current.id,
        update=arguments,
    )


async def perform_delete(ctx: Context[AppState], plan: AuthPlan, confirmed_by: str) -> AuthWriteResult:
    target = plan.target()
    await app_state(ctx).client.delete_auth(target.smartlock_id, plan.auth_id or "")
    return AuthWriteResult(status="done", summary=plan.summary, confirmed_by=confirmed_by, device=_ref_view(target))


@write_tool(title="Revoke an authorization", destructive=True, idempotent=True, perform=perform_delete)
async def delete_smartlock_auth(ctx: Context[AppState], smartlock: SmartlockArg, auth_id: AuthIdArg) -> AuthPlan:
    """Revoke access for good: delete an authorization (app user, fob or keypad code) from a device. To pause it
    instead: update_smartlock_auth with enabled false.
    """
    state = app_state(ctx)
    device, current = await _find_device_and_auth(state, smartlock, auth_id)
    return AuthPlan(
        tool="delete_smartlock_auth",
        summary=f"Remove access: delete the {_type_phrase(current.type)} authorization {current.name!r} "
        f"(auth_id {current.id}) from {device_ref(device).label()}; it will no longer operate this device.",
        device=device_ref(device),
        risk="securing",
        auth_id=current.id,
    )


def _find_created(
    auths: Sequence[SmartlockAuth], known_ids: set[str], type_code: int, name: str, code: int | None
) -> SmartlockAuth | None:
    matches = [
        a
        for a in auths
        if a.id not in known_ids and a.type == type_code and a.name == name and (code is None or a.code == code)
    ]
    return matches[-1] if matches else None


_FALLBACK_CONCURRENCY = 8


async def _account_auths(
    client: NukiClient, devices: Sequence[Smartlock], types: list[int] | None
) -> tuple[list[SmartlockAuth], list[str]]:
    """Every device's authorizations in one request; per device only where Nuki refuses the account-wide read.

    Returns the authorizations and the names of devices whose authorizations Nuki refused to show.
    """
    try:
        return await client.list_account_auths(types=types), []
    except (NukiAuthError, NukiForbiddenError) as refused:
        account_refusal = refused
    found: dict[int, list[SmartlockAuth]] = {}
    unreadable: list[str] = []
    limiter = anyio.CapacityLimiter(_FALLBACK_CONCURRENCY)

    async def read(device: Smartlock) -> None:
        async with limiter:
            try:
                found[device.smartlock_id] = await client.list_auths(device.smartlock_id, types=types)
            except (NukiAuthError, NukiForbiddenError):
                unreadable.append(device.name)

    async with anyio.create_task_group() as group:
        for device in devices:
            group.start_soon(read, device)
    if devices and not found:
        raise account_refusal
    auths = [a for d in devices for a in found.get(d.smartlock_id, [])]
    return auths, sorted(unreadable)


# --- tools ---------------------------------------------------------------------------------------


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List authorizations", annotations=READ)
    @nuki_errors
    async def list_smartlock_auths(
        ctx: Context[AppState],
        smartlock: OptionalSmartlockArg = None,
        type: AuthTypesArg = None,
        limit: LimitArg = 50,
        reveal_code: RevealCodeArg = False,
    ) -> SmartlockAuthList:
        """List who can operate the devices (app users, fobs, keypad codes) with time windows, enabled, last use and
        expiry, for one device or all. Keypad codes are masked unless reveal_code; reveal only on the user's
        request.
        """
        state = app_state(ctx)
        type_codes = None if type is None else sorted({codes.auth_type_code(t) for t in type})
        devices = await visible_devices(state)
        unreadable: list[str] = []
        if smartlock is not None:
            device = match_device(devices, smartlock)
            names = {device.smartlock_id: device.name}
            auths = await state.client.list_auths(device.smartlock_id, types=type_codes)
        else:
            names = {d.smartlock_id: d.name for d in devices}
            auths, unreadable = await _account_auths(state.client, devices, type_codes)
        matching = [a for a in auths if a.smartlock_id in names and (type_codes is None or a.type in type_codes)]
        now = state.clock.now()
        return SmartlockAuthList(
            auths=[auth_summary(a, names[a.smartlock_id], now, reveal_code=reveal_code) for a in matching[:limit]],
            total=len(matching),
            truncated=len(matching) > limit,
            note=None
            if not unreadable
            else "Nuki refused to show the authorizations of: "
            + ", ".join(unreadable)
            + " (check the token's scopes).",
        )

    @register_tool(server, title="Get one authorization", annotations=READ)
    @nuki_errors
    async def get_smartlock_auth(
        smartlock: SmartlockArg,
        auth_id: AuthIdArg,
        ctx: Context[AppState],
        reveal_code: RevealCodeArg = False,
    ) -> SmartlockAuthDetails:
        """One authorization in full (time window, account user, usage, status); auth_id from list_smartlock_auths. The
        keypad code is masked unless reveal_code is true.
        """
        state = app_state(ctx)
        device, auth = await _find_device_and_auth(state, smartlock, auth_id)
        return auth_details(auth, device.name, state.clock.now(), reveal_code=reveal_code)

    register_writes(server, settings, (create_smartlock_auth, update_smartlock_auth, delete_smartlock_auth))
