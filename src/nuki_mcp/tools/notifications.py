"""Toolset `notifications` (opt-in): list_notifications, create_notification, update_notification,
delete_notification.

Nuki's notifications send chosen events (lock, unlatch, ring, door sensor, ...) of chosen devices,
optionally only for chosen authorizations. This server creates and changes webhook deliveries only
(`os` 2: Nuki POSTs to an https URL); phone push registrations are listed but left to the Nuki app.
A notification without a device covers every device of the account, so under NUKI_DEVICES it is
refused when some device is outside the allow-list.
"""

import dataclasses
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import Smartlock, SmartlockAuth
from nuki_mcp.nuki.models_properties import (
    NOTIFICATION_WEBHOOK,
    Notification,
    NotificationSetting,
    NotificationSettingWrite,
    NotificationWrite,
)
from nuki_mcp.tools.common import READ, LimitArg, SmartlockArg, device_ref, match_device, nuki_errors, register_tool
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.webhooks import check_webhook_url
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

TriggerEvent = Literal["lock", "unlock", "unlatch", "lockngo", "open", "ring", "doorsensor", "warnings", "smartlock"]
Language = Literal["en", "de", "es", "fr", "it", "nl", "cs", "sk"]
_DELIVERY = {0: "android", 1: "ios", 2: "webhook"}
_STATUS = {0: "init", 1: "active", 2: "failed"}

NotificationUrlArg = Annotated[
    str,
    Field(min_length=1, max_length=2000, description="Where Nuki POSTs the events: an https:// URL."),
]
NewNotificationUrlArg = Annotated[
    str | None, Field(default=None, min_length=1, max_length=2000, description="A new https:// URL.")
]
TriggerEventsArg = Annotated[
    list[TriggerEvent],
    Field(
        min_length=1,
        max_length=9,
        description="Nuki's event names: lock, unlock, unlatch, lockngo, open (Opener), ring (Opener), "
        "doorsensor (door opened/closed), warnings (battery, ...), smartlock (any state change).",
    ),
]
NewTriggerEventsArg = Annotated[
    list[TriggerEvent] | None,
    Field(default=None, min_length=1, max_length=9, description="New events (Nuki's names), for every device."),
]
NotificationDevicesArg = Annotated[
    list[SmartlockArg] | None,
    Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Only these devices (smartlockId or name); every device of the account when left out.",
    ),
]
AuthorizationsArg = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]] | None,
    Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Only events caused by these authorizations: their auth_id or exact name "
        "(list_smartlock_auths); everyone when left out.",
    ),
]
LanguageArg = Annotated[Language | None, Field(default=None, description="Language of the messages.")]
ReferenceArg = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=100, description="Your own id for it, e.g. of the receiving system."),
]
NotificationIdArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="The notification_id from list_notifications.",
    ),
]


class NotificationSettingView(BaseModel):
    device: DeviceRefView | None = Field(description="null: every device of the account")
    trigger_events: list[str]
    authorizations: list[str] | None = Field(
        default=None, description="Only events by these authorizations (names); null: everyone"
    )


class NotificationView(BaseModel):
    """One notification; its signing secret and phone push ids are never listed."""

    notification_id: str
    delivery: str = Field(description="webhook, android or ios")
    url: str | None = Field(default=None, description="Where a webhook delivery goes")
    status: str | None = Field(default=None, description="init, active or failed")
    last_active: datetime | None = None
    language: str | None = None
    reference_id: str | None = None
    settings: list[NotificationSettingView]


class NotificationList(BaseModel):
    notifications: list[NotificationView]
    total: int
    truncated: bool


class NotificationResult(WriteResult):
    notification: NotificationView | None = None
    secret: str | None = Field(
        default=None, description="The signing secret of the new notification's payloads. Shown only this once"
    )


@dataclasses.dataclass(frozen=True)
class _Lookup:
    """The account's devices and authorizations, and which devices the allow-list hides."""

    devices: dict[int, Smartlock]
    hidden: int
    auths: dict[str, SmartlockAuth]


async def _lookup(state: AppState, *, auths: bool) -> _Lookup:
    every = await state.client.list_smartlocks()
    visible = {d.smartlock_id: d for d in every if state.guard.allow_list.allows(d.smartlock_id, d.name)}
    found: dict[str, SmartlockAuth] = {}
    if auths:
        found = {a.id: a for a in await state.client.list_account_auths() if a.smartlock_id in visible}
    return _Lookup(visible, len(every) - len(visible), found)


def _needs_auths(notifications: Sequence[Notification]) -> bool:
    return any(s.auth_ids for n in notifications for s in n.settings)


def _visible(notification: Notification, lookup: _Lookup) -> bool:
    return all(s.smartlock_id is None or s.smartlock_id in lookup.devices for s in notification.settings)


def _device_view(smartlock_id: int, lookup: _Lookup) -> DeviceRefView:
    device = lookup.devices.get(smartlock_id)
    if device is None:
        return DeviceRefView(smartlock_id=smartlock_id, name=f"device {smartlock_id}", device_type="unknown")
    return DeviceRefView(smartlock_id=smartlock_id, name=device.name, device_type=codes.device_type_name(device.type))


def _auth_name(auth_id: str, lookup: _Lookup) -> str:
    auth = lookup.auths.get(auth_id)
    return auth.name if auth is not None else auth_id


def notification_view(notification: Notification, lookup: _Lookup) -> NotificationView:
    return NotificationView(
        notification_id=notification.notification_id or "",
        delivery=_DELIVERY.get(notification.os, f"unknown_{notification.os}"),
        url=notification.push_id if notification.os == NOTIFICATION_WEBHOOK else None,
        status=None
        if notification.status is None
        else _STATUS.get(notification.status, f"unknown_{notification.status}"),
        last_active=notification.last_active_date,
        language=notification.language,
        reference_id=notification.reference_id,
        settings=[
            NotificationSettingView(
                device=None if s.smartlock_id is None else _device_view(s.smartlock_id, lookup),
                trigger_events=list(s.trigger_events),
                authorizations=[_auth_name(a, lookup) for a in s.auth_ids] if s.auth_ids else None,
            )
            for s in notification.settings
        ],
    )


def _settings(
    lookup: _Lookup, events: list[str], smartlocks: list[str] | None, authorizations: list[str] | None
) -> list[NotificationSettingWrite]:
    """The settings for the chosen devices and authorizations; one for every device when none is chosen."""
    chosen: list[Smartlock] | None = None
    if smartlocks is not None:
        picked = [match_device(list(lookup.devices.values()), s) for s in smartlocks]
        chosen = list({d.smartlock_id: d for d in picked}.values())
    if authorizations is None:
        if chosen is None:
            _refuse_all_devices(lookup)
            return [NotificationSettingWrite(trigger_events=events)]
        return [NotificationSettingWrite(smartlock_id=d.smartlock_id, trigger_events=events) for d in chosen]
    scope = {d.smartlock_id for d in chosen} if chosen is not None else set(lookup.devices)
    candidates = [a for a in lookup.auths.values() if a.smartlock_id in scope]
    by_device: dict[int, list[str]] = {}
    for wanted in authorizations:
        key = wanted.strip()
        hits = [a for a in candidates if a.id == key] or [a for a in candidates if a.name.casefold() == key.casefold()]
        if not hits:
            names = ", ".join(sorted({a.name for a in candidates})) or "none"
            raise ToolError(f"No authorization {wanted!r} on the chosen devices; the authorizations are: {names}.")
        for auth in hits:
            by_device.setdefault(auth.smartlock_id, []).append(auth.id)
    for device in chosen or ():
        if device.smartlock_id not in by_device:
            raise ToolError(f"None of the given authorizations is on {device.name!r}; leave that device out.")
    return [
        NotificationSettingWrite(smartlock_id=smartlock_id, trigger_events=events, auth_ids=list(dict.fromkeys(ids)))
        for smartlock_id, ids in by_device.items()
    ]


def _refuse_all_devices(lookup: _Lookup) -> None:
    if lookup.hidden:
        raise ToolError(
            f"Refused: a notification without devices covers every device of the account, and {lookup.hidden} "
            "device(s) are outside this server's allow-list (NUKI_DEVICES); name the devices with smartlocks."
        )


def _describe(settings: Sequence[NotificationSettingWrite | NotificationSetting], lookup: _Lookup) -> str:
    parts: list[str] = []
    for s in settings:
        where = "every device" if s.smartlock_id is None else _device_view(s.smartlock_id, lookup).name
        who = f" by {', '.join(_auth_name(a, lookup) for a in s.auth_ids)}" if s.auth_ids else ""
        parts.append(f"{', '.join(s.trigger_events)} on {where}{who}")
    return "; ".join(parts)


def _plan_devices(
    settings: Sequence[NotificationSettingWrite | NotificationSetting], lookup: _Lookup
) -> tuple[DeviceRef, ...]:
    ids = {s.smartlock_id for s in settings}
    if None in ids:
        return tuple(device_ref(d) for d in lookup.devices.values())
    return tuple(device_ref(lookup.devices[i]) for i in ids if i is not None and i in lookup.devices)


@dataclasses.dataclass(frozen=True)
class NotificationPlan(WritePlan):
    notification_id: str | None = dataclasses.field(default=None, kw_only=True)
    request: NotificationWrite | None = dataclasses.field(default=None, kw_only=True)
    # An update: the new values (None = keep), applied to a fresh read right before sending.
    url: str | None = dataclasses.field(default=None, kw_only=True)
    language: str | None = dataclasses.field(default=None, kw_only=True)
    settings: tuple[NotificationSettingWrite, ...] | None = dataclasses.field(default=None, kw_only=True)
    events: tuple[str, ...] | None = dataclasses.field(default=None, kw_only=True)


async def perform_create(ctx: Context[AppState], plan: NotificationPlan, confirmed_by: str) -> NotificationResult:
    state = app_state(ctx)
    if plan.request is None:
        raise ToolError("The notification was not prepared; nothing was sent. Call create_notification again.")
    secret = secrets.token_hex(20)
    created = await state.client.create_notification(plan.request.model_copy(update={"secret": secret}))
    lookup = await _lookup(state, auths=_needs_auths([created]))
    return NotificationResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        notification=notification_view(created, lookup),
        secret=created.secret or secret,
        reason="Store the secret now (in the receiver's configuration): it signs the payloads and is never "
        "shown again.",
    )


@write_tool(title="Create a notification", destructive=True, idempotent=False, perform=perform_create)
async def create_notification(
    ctx: Context[AppState],
    url: NotificationUrlArg,
    trigger_events: TriggerEventsArg,
    smartlocks: NotificationDevicesArg = None,
    authorizations: AuthorizationsArg = None,
    language: LanguageArg = None,
    reference_id: ReferenceArg = None,
) -> NotificationPlan:
    """Create a webhook notification: Nuki POSTs the chosen events (e.g. unlatch, doorsensor) of
    the chosen devices, optionally only those caused by chosen authorizations, to an https URL.
    For "tell me when the back door opens" use trigger_events ["doorsensor", "unlatch"] and that
    device. The result carries the signing secret once. The user is asked to confirm first."""
    target = check_webhook_url(url)
    state = app_state(ctx)
    events: list[str] = list(dict.fromkeys(trigger_events))
    lookup = await _lookup(state, auths=authorizations is not None)
    settings = _settings(lookup, events, smartlocks, authorizations)
    return NotificationPlan(
        tool="create_notification",
        summary=f"Create a webhook notification: Nuki will POST {_describe(settings, lookup)} to {target}.",
        devices=_plan_devices(settings, lookup),
        request=NotificationWrite(
            push_id=target, os=NOTIFICATION_WEBHOOK, language=language, reference_id=reference_id, settings=settings
        ),
    )


async def _current(state: AppState, notification_id: str, lookup: _Lookup) -> Notification:
    notification = await state.client.get_notification(notification_id)
    if not _visible(notification, lookup):
        raise ToolError(
            f"Notification {notification_id} covers devices outside this server's allow-list (NUKI_DEVICES)."
        )
    return notification


def _current_settings(notification: Notification, events: tuple[str, ...] | None) -> list[NotificationSettingWrite]:
    """The notification's settings as sent back, with `events` instead of each one's own where given."""
    return [
        NotificationSettingWrite(
            smartlock_id=s.smartlock_id,
            trigger_events=list(events) if events is not None else s.trigger_events,
            auth_ids=s.auth_ids,
        )
        for s in notification.settings
        if events is not None or s.trigger_events
    ]


async def refresh_update(ctx: Context[AppState], plan: NotificationPlan) -> NotificationPlan:
    """Re-read the notification right before sending and apply only the confirmed changes to it."""
    state = app_state(ctx)
    notification_id = plan.notification_id or ""
    current = await state.client.get_notification(notification_id)
    settings = list(plan.settings) if plan.settings is not None else _current_settings(current, plan.events)
    if not settings:
        raise ToolError(f"Notification {notification_id} has no events at Nuki any more; give trigger_events.")
    request = NotificationWrite(
        notification_id=notification_id,
        reference_id=current.reference_id,
        push_id=plan.url or current.push_id,
        os=current.os,
        language=plan.language or current.language,
        settings=settings,
    )
    return dataclasses.replace(plan, request=request)


async def perform_update(ctx: Context[AppState], plan: NotificationPlan, confirmed_by: str) -> NotificationResult:
    state = app_state(ctx)
    if plan.request is None or plan.notification_id is None:
        raise ToolError("The update was not prepared; nothing was sent. Call update_notification again.")
    updated = await state.client.update_notification(plan.notification_id, plan.request)
    lookup = await _lookup(state, auths=_needs_auths([updated]))
    return NotificationResult(
        status="done",
        summary=plan.describe(),
        confirmed_by=confirmed_by,
        notification=notification_view(updated, lookup),
    )


@write_tool(
    title="Change a notification",
    destructive=True,
    idempotent=True,
    perform=perform_update,
    refresh=refresh_update,
)
async def update_notification(
    ctx: Context[AppState],
    notification_id: NotificationIdArg,
    url: NewNotificationUrlArg = None,
    trigger_events: NewTriggerEventsArg = None,
    smartlocks: NotificationDevicesArg = None,
    authorizations: AuthorizationsArg = None,
    language: LanguageArg = None,
) -> NotificationPlan:
    """Change a webhook notification: its URL, events, devices, authorizations or language. Only
    what you give changes (giving smartlocks or authorizations replaces both); the rest is kept.
    The user is asked to confirm first."""
    state = app_state(ctx)
    lookup = await _lookup(state, auths=True)
    current = await _current(state, notification_id, lookup)
    if current.os != NOTIFICATION_WEBHOOK:
        raise ToolError(
            f"Notification {notification_id} is a phone push registration of the Nuki app; change it in the app."
        )
    target = check_webhook_url(url) if url is not None else None
    changes: list[FieldChange] = []
    if target is not None and target != current.push_id:
        changes.append(FieldChange("url", current.push_id, target))
    if language is not None and language != current.language:
        changes.append(FieldChange("language", current.language, language))
    events: list[str] | None = list(dict.fromkeys(trigger_events)) if trigger_events is not None else None
    new_settings: list[NotificationSettingWrite] | None = None
    if smartlocks is not None or authorizations is not None:
        kept = events or list(dict.fromkeys(e for s in current.settings for e in s.trigger_events))
        new_settings = _settings(lookup, kept, smartlocks, authorizations)
        before, after = _describe(current.settings, lookup), _describe(new_settings, lookup)
        if before != after:
            changes.append(FieldChange("settings", before, after))
    elif events is not None:
        before_events = sorted({e for s in current.settings for e in s.trigger_events})
        if before_events != sorted(events):
            changes.append(FieldChange("trigger_events", ", ".join(before_events), ", ".join(events)))
        if any(s.smartlock_id is None for s in current.settings):
            _refuse_all_devices(lookup)
    if not changes:
        raise ToolError(f"Notification {notification_id} already has these settings; nothing to change.")
    return NotificationPlan(
        tool="update_notification",
        summary=f"Change the webhook notification {notification_id} ({current.push_id}); the rest stays as it is.",
        devices=_plan_devices(new_settings if new_settings is not None else current.settings, lookup),
        changes=tuple(changes),
        notification_id=notification_id,
        url=target,
        language=language,
        settings=tuple(new_settings) if new_settings is not None else None,
        events=tuple(events) if events is not None else None,
    )


async def perform_delete(ctx: Context[AppState], plan: NotificationPlan, confirmed_by: str) -> NotificationResult:
    await app_state(ctx).client.delete_notification(plan.notification_id or "")
    return NotificationResult(status="done", summary=plan.summary, confirmed_by=confirmed_by)


@write_tool(title="Delete a notification", destructive=True, idempotent=True, perform=perform_delete)
async def delete_notification(ctx: Context[AppState], notification_id: NotificationIdArg) -> NotificationPlan:
    """Delete a notification by its notification_id (see list_notifications); Nuki stops sending
    its events. The user is asked to confirm first."""
    state = app_state(ctx)
    lookup = await _lookup(state, auths=True)
    current = await _current(state, notification_id, lookup)
    where = current.push_id if current.os == NOTIFICATION_WEBHOOK else f"a {_DELIVERY.get(current.os, 'phone')} phone"
    return NotificationPlan(
        tool="delete_notification",
        summary=f"Delete notification {notification_id} ({_describe(current.settings, lookup)} to {where}); "
        "Nuki stops sending these events.",
        devices=_plan_devices(current.settings, lookup),
        notification_id=notification_id,
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List notifications", annotations=READ)
    @nuki_errors
    async def list_notifications(ctx: Context[AppState], limit: LimitArg = 50) -> NotificationList:
        """List the notifications of the account: where they deliver (webhook URL, or a phone),
        which events of which devices, for which authorizations, and whether delivery works
        (status init, active or failed). Signing secrets are never shown."""
        state = app_state(ctx)
        notifications = await state.client.list_notifications()
        lookup = await _lookup(state, auths=_needs_auths(notifications))
        found = [n for n in notifications if _visible(n, lookup)]
        return NotificationList(
            notifications=[notification_view(n, lookup) for n in found[:limit]],
            total=len(found),
            truncated=len(found) > limit,
        )

    register_writes(server, settings, (create_notification, update_notification, delete_notification))
