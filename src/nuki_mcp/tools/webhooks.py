"""Toolset `webhooks`: list_decentral_webhooks, create_decentral_webhook, delete_decentral_webhook,
get_webhook_logs, list_api_keys.

Decentral webhooks belong to the account, not to a device: their write plans name no device, and
Nuki sends events of every device of the account to them, whatever NUKI_DEVICES says.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, JsonValue, TypeAdapter, ValidationError

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import WritePlan, escape_invisible, is_invisible
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import ApiKey, DecentralWebhook, DecentralWebhookCreate, WebhookLog
from nuki_mcp.tools.common import (
    READ,
    LimitArg,
    nuki_errors,
    register_tool,
    visible_devices,
)
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

WebhookFeature = Literal[
    "DEVICE_STATUS", "DEVICE_MASTERDATA", "DEVICE_CONFIG", "DEVICE_LOGS", "DEVICE_AUTHS", "ACCOUNT_USER"
]
MAX_WEBHOOK_LOG_PAGE = 100

WebhookUrlArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="An https:// URL that answers quickly with 2xx.",
    ),
]
WebhookFeaturesArg = Annotated[
    list[WebhookFeature],
    Field(
        min_length=1,
        max_length=6,
        description="DEVICE_STATUS: lock state, door, battery; DEVICE_LOGS: new log entries; DEVICE_AUTHS: "
        "authorizations changed.",
    ),
]
WebhookIdArg = Annotated[int, Field(ge=1, description="webhook_id from list_decentral_webhooks.")]
ApiKeyIdArg = Annotated[
    int | None,
    Field(
        ge=1,
        description="API key (list_api_keys); omit when the account has one.",
    ),
]
WebhookLogLimitArg = Annotated[int, Field(ge=1, le=MAX_WEBHOOK_LOG_PAGE)]
WebhookCursorArg = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="next_cursor of the previous page.",
    ),
]


class WebhookView(BaseModel):
    """One registered decentral webhook (its signing secret is never listed)."""

    webhook_id: int
    webhook_url: str
    webhook_features: list[str]


class WebhookList(BaseModel):
    webhooks: list[WebhookView]
    total: int


class CreateWebhookResult(WriteResult):
    webhook: WebhookView | None = None
    secret: str | None = Field(
        default=None,
        description="The signing secret of the new webhook (HMAC-SHA256 key for the X-Nuki-Signature-SHA256 "
        "header). Shown only this once",
    )
    note: str | None = None


class DeleteWebhookResult(WriteResult):
    webhook_id: int | None = None


class WebhookDeliveryView(BaseModel):
    """One delivery attempt of a webhook, without the request and response bodies."""

    log_id: str
    when: datetime | None = Field(default=None, description="When Nuki sent it")
    succeeded: bool | None = None
    response_status: int | None = Field(default=None, description="The HTTP status the receiver answered")
    duration_ms: int | None = None
    target_path: str | None = Field(default=None, description="The path the delivery was sent to")
    event: str | None = Field(
        default=None, description="The feature (DEVICE_STATUS, ...) or result type (UnlockAction, ...) delivered"
    )
    smartlock_id: int | None = None
    request_id: str | None = Field(default=None, description="Correlates with an Advanced API request_id")


class WebhookDeliveryPage(BaseModel):
    deliveries: list[WebhookDeliveryView] = Field(description="Newest first")
    next_cursor: str | None = Field(
        default=None, description="Pass it as cursor for older deliveries; None when there are no more"
    )


class ApiKeyView(BaseModel):
    """An API key (OAuth client registration) of the account; its credentials are never shown."""

    api_key_id: int
    description: str | None = None
    created: datetime | None = None
    redirect_uris: list[str] = Field(description="Where its OAuth logins may return to")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyView]
    total: int
    truncated: bool = Field(description="True when more exist than were returned (raise limit)")


def api_key_view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        api_key_id=key.api_key_id,
        description=key.description,
        created=key.creation_date,
        redirect_uris=list(key.redirect_uris or ()),
    )


async def only_api_key(client: NukiClient) -> int:
    """The account's one API key, or a ToolError naming the keys to choose from."""
    keys = await client.list_api_keys()
    if len(keys) == 1:
        return keys[0].api_key_id
    if not keys:
        raise ToolError("The account has no API key, so there are no webhook deliveries to read.")
    listed = ", ".join(f"{k.api_key_id} ({k.description or 'no description'})" for k in keys[:20])
    raise ToolError(f"The account has {len(keys)} API keys; give api_key_id, one of: {listed}.")


def webhook_view(webhook: DecentralWebhook) -> WebhookView:
    return WebhookView(
        webhook_id=webhook.id, webhook_url=webhook.webhook_url, webhook_features=list(webhook.webhook_features)
    )


def check_webhook_url(url: str) -> str:
    """The URL stripped, or a ToolError unless it is a plain, absolute https:// URL."""
    value = url.strip()
    if any(is_invisible(ch) for ch in value):
        # A right-to-left override or a control character makes the URL the human confirms look like another.
        raise ToolError(
            f"webhook_url {escape_invisible(value)!r} contains invisible control or bidi characters; "
            "type the URL again with plain characters only."
        )
    if not value.lower().startswith("https://"):
        raise ToolError(f"webhook_url must start with https:// (Nuki only calls https URLs), not {url!r}.")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    valid = parts is not None and port_ok and bool(parts.hostname) and not (parts.username or parts.password)
    if not valid or any(ch.isspace() for ch in value):
        raise ToolError(
            f"webhook_url {url!r} is not a valid https URL; give one like https://example.com/nuki/webhook "
            "(a host name, a valid port if any, no spaces, no user:password@)."
        )
    return value


def _features(features: list[WebhookFeature]) -> list[str]:
    return list(dict.fromkeys(features))


@dataclass(frozen=True)
class CreateWebhookPlan(WritePlan):
    request: DecentralWebhookCreate = field(kw_only=True)


@dataclass(frozen=True)
class DeleteWebhookPlan(WritePlan):
    webhook_id: int = field(kw_only=True)


async def perform_create_webhook(
    ctx: Context[AppState], plan: CreateWebhookPlan, confirmed_by: str
) -> CreateWebhookResult:
    created = await app_state(ctx).client.create_decentral_webhook(plan.request)
    return CreateWebhookResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        webhook=webhook_view(created),
        secret=created.secret,
        note="Store the secret now (e.g. in the receiver's configuration): it verifies the "
        "X-Nuki-Signature-SHA256 header and is never shown again.",
    )


async def perform_delete_webhook(
    ctx: Context[AppState], plan: DeleteWebhookPlan, confirmed_by: str
) -> DeleteWebhookResult:
    await app_state(ctx).client.delete_decentral_webhook(plan.webhook_id)
    return DeleteWebhookResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, webhook_id=plan.webhook_id
    )


@write_tool(title="Create a webhook", destructive=True, idempotent=False, perform=perform_create_webhook)
async def create_decentral_webhook(
    ctx: Context[AppState], webhook_url: WebhookUrlArg, webhook_features: WebhookFeaturesArg
) -> CreateWebhookPlan:
    """Register a webhook: Nuki POSTs the chosen events of every device to an https URL. The result shows the signing
    secret once: tell the user to store it. Not for testing a URL: each call adds another webhook.
    """
    url = check_webhook_url(webhook_url)
    features = _features(webhook_features)
    state = app_state(ctx)
    if state.guard.allow_list.entries:
        devices = await state.client.list_smartlocks()
        hidden = [d for d in devices if not state.guard.allow_list.allows(d.smartlock_id, d.name)]
        if hidden:
            raise ToolError(
                f"Refused: a decentral webhook receives the events of every device of the account, and "
                f"{len(hidden)} of its {len(devices)} devices are outside this server's allow-list (NUKI_DEVICES); "
                "register the webhook in Nuki Web instead, or run nuki-mcp without NUKI_DEVICES."
            )
    existing = [w for w in await state.client.list_decentral_webhooks() if w.webhook_url == url]
    duplicate = (
        f" A webhook to this URL already exists (webhook_id {existing[0].id}); this adds another one."
        if existing
        else ""
    )
    return CreateWebhookPlan(
        tool="create_decentral_webhook",
        summary=f"Register a decentral webhook: Nuki will POST {', '.join(features)} events of every device of "
        f"the account to {url}.{duplicate}",
        request=DecentralWebhookCreate(webhook_url=url, webhook_features=features),
    )


@write_tool(title="Delete a webhook", destructive=True, idempotent=True, perform=perform_delete_webhook)
async def delete_decentral_webhook(ctx: Context[AppState], webhook_id: WebhookIdArg) -> DeleteWebhookPlan:
    """Unregister a decentral webhook (webhook_id from list_decentral_webhooks); Nuki stops sending events to
    its URL."""
    webhooks = await app_state(ctx).client.list_decentral_webhooks()
    match = next((w for w in webhooks if w.id == webhook_id), None)
    if match is None:
        known = ", ".join(str(w.id) for w in webhooks) or "none"
        raise ToolError(f"There is no decentral webhook with webhook_id {webhook_id} (registered: {known}).")
    return DeleteWebhookPlan(
        tool="delete_decentral_webhook",
        summary=f"Delete decentral webhook {webhook_id} ({match.webhook_url}, {', '.join(match.webhook_features)}); "
        "Nuki stops sending these events to it.",
        webhook_id=webhook_id,
    )


_BODY = TypeAdapter(dict[str, JsonValue])
# Device-triggered payloads carry the device id at the top (DEVICE_STATUS) or in their object.
_NESTED_OBJECTS = ("smartlockLog", "smartlockAuth", "smartlock")


def _body(log: WebhookLog) -> dict[str, JsonValue]:
    body = log.request.body if log.request else None
    if not body:
        return {}
    try:
        return _BODY.validate_python(body)
    except ValidationError:
        return {}


def _text(body: Mapping[str, JsonValue], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _smartlock_id(body: Mapping[str, JsonValue]) -> int | None:
    for holder in (body, *(body.get(key) for key in _NESTED_OBJECTS)):
        if isinstance(holder, dict):
            value = holder.get("smartlockId")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def delivery_view(log: WebhookLog) -> WebhookDeliveryView:
    body = _body(log)
    return WebhookDeliveryView(
        log_id=log.id,
        when=log.created or (log.request.timestamp if log.request else None),
        succeeded=log.succeeded,
        response_status=log.response_status,
        duration_ms=log.duration,
        target_path=log.request.path if log.request else None,
        event=_text(body, "feature") or _text(body, "type"),
        smartlock_id=_smartlock_id(body),
        request_id=log.request_id or _text(body, "requestId"),
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List webhooks", annotations=READ)
    @nuki_errors
    async def list_decentral_webhooks(ctx: Context[AppState]) -> WebhookList:
        """List the account's decentral webhooks: id, URL and the events (features) Nuki sends. Signing secrets are
        never shown (only once, at creation).
        """
        webhooks = await app_state(ctx).client.list_decentral_webhooks()
        return WebhookList(webhooks=[webhook_view(w) for w in webhooks], total=len(webhooks))

    @register_tool(server, title="Read webhook deliveries", annotations=READ)
    @nuki_errors
    async def get_webhook_logs(
        ctx: Context[AppState],
        api_key_id: ApiKeyIdArg = None,
        limit: WebhookLogLimitArg = 50,
        cursor: WebhookCursorArg = None,
    ) -> WebhookDeliveryPage:
        """An API key's recent webhook deliveries (Nuki keeps 300), newest first: time, 2xx or not, status, duration,
        event (no bodies). Older ones: repeat with cursor=next_cursor.
        """
        state = app_state(ctx)
        key = api_key_id if api_key_id is not None else await only_api_key(state.client)
        raw = await state.client.get_webhook_logs(key, before_id=cursor, limit=limit)
        deliveries = [delivery_view(log) for log in raw]
        if state.guard.allow_list.entries:
            visible = {d.smartlock_id for d in await visible_devices(state)}
            deliveries = [d for d in deliveries if d.smartlock_id is None or d.smartlock_id in visible]
        return WebhookDeliveryPage(deliveries=deliveries, next_cursor=raw[-1].id if raw and len(raw) >= limit else None)

    @register_tool(server, title="List API keys", annotations=READ)
    @nuki_errors
    async def list_api_keys(ctx: Context[AppState], limit: LimitArg = 50) -> ApiKeyList:
        """List the account's API keys by id and description, e.g. for get_webhook_logs' api_key_id. Read-only: keys
        are managed in Nuki Web only.
        """
        keys = await app_state(ctx).client.list_api_keys()
        return ApiKeyList(
            api_keys=[api_key_view(k) for k in keys[:limit]], total=len(keys), truncated=len(keys) > limit
        )

    register_writes(server, settings, (create_decentral_webhook, delete_decentral_webhook))
