"""Fetching what the audit rules need, concurrently but politely, for the tool and the CLI alike.

One `GET /smartlock` picks the devices (allow-list and optional selection applied); then every
device is fetched afresh together with its authorizations (`GET /smartlock/{id}` and
`GET /smartlock/{id}/auth` at the same time), at most `concurrency` devices at a time, while the
webhooks and the owner's identity (`GET /account`, `GET /account/user`) are read alongside. Every
request goes through the client's retry policy. 401/403 on webhooks, authorizations or the account
mean "cannot check" (findings say so), not failure; any other Nuki error ends the audit with that
error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final, TypeVar

import anyio

from nuki_mcp.audit.rules import AccountFacts, AuditContext, AuditReport, DeviceAudit, Owner, Severity, build_report
from nuki_mcp.guard import DeviceAllowList
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiAuthError, NukiError, NukiForbiddenError, NukiNotFoundError
from nuki_mcp.nuki.models import DecentralWebhook, Smartlock, SmartlockAuth

DEFAULT_CONCURRENCY: Final = 8

T = TypeVar("T")
ProgressCallback = Callable[[int, int, str], Awaitable[None]]
"""Called as each device completes: (devices done, devices in total, a short message)."""
DeviceSelection = Callable[[list[Smartlock]], list[Smartlock]]
"""Narrows the visible devices to the ones to audit; may raise to refuse the selection."""


class _Collected:
    """What the concurrent tasks gather; filled in as they finish."""

    def __init__(self) -> None:
        self.devices: dict[int, DeviceAudit] = {}
        self.without_auths: list[Smartlock] = []
        self.webhooks: list[DecentralWebhook] | None = None
        self.owner = Owner()
        self.error: NukiError | None = None
        self.done = 0


async def collect_audit(
    client: NukiClient,
    *,
    now: datetime,
    allow_list: DeviceAllowList | None = None,
    select: DeviceSelection | None = None,
    include_webhooks: bool = True,
    min_severity: Severity = "info",
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: ProgressCallback | None = None,
) -> AuditReport:
    """Fetch every visible device (or the `select`ed ones) and audit them. Raises `NukiError`.

    `include_webhooks=False` leaves the account's webhooks out (for an audit of chosen devices).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    allowed = allow_list or DeviceAllowList()
    visible = [d for d in await client.list_smartlocks() if allowed.allows(d.smartlock_id, d.name)]
    chosen = select(visible) if select is not None else visible
    collected = _Collected()
    limiter = anyio.CapacityLimiter(concurrency)
    total = len(chosen)

    async with anyio.create_task_group() as group:

        async def guarded(step: Callable[[], Awaitable[None]]) -> None:
            # The first Nuki error ends the audit: remember it and stop the other requests.
            try:
                await step()
            except NukiError as exc:
                if collected.error is None:
                    collected.error = exc
                group.cancel_scope.cancel()

        async def device_step(listed: Smartlock) -> None:
            async with limiter:
                entry = await _fetch_device(client, listed)
            collected.done += 1
            if entry is None:
                message = f"{listed.name} no longer exists ({collected.done}/{total})"
            else:
                device, auths = entry
                if auths is None:
                    collected.without_auths.append(device)
                collected.devices[device.smartlock_id] = DeviceAudit(device, auths or ())
                message = f"Audited {device.name} ({collected.done}/{total})"
            if on_progress is not None:
                await on_progress(collected.done, total, message)

        async def audit_one(listed: Smartlock) -> None:
            await guarded(lambda: device_step(listed))

        async def webhooks_step() -> None:
            collected.webhooks = await _unless_refused(client.list_decentral_webhooks)

        async def owner_step() -> None:
            collected.owner = await _owner(client)

        if include_webhooks:
            group.start_soon(guarded, webhooks_step)
        group.start_soon(guarded, owner_step)
        for listed in chosen:
            group.start_soon(audit_one, listed)

    if collected.error is not None:
        raise collected.error
    audited = [collected.devices[d.smartlock_id] for d in chosen if d.smartlock_id in collected.devices]
    account = AccountFacts(
        webhooks=collected.webhooks,
        devices_without_auths=sorted(collected.without_auths, key=lambda d: (d.name.casefold(), d.smartlock_id)),
        include_webhooks=include_webhooks,
    )
    return build_report(audited, account, AuditContext(now=now, owner=collected.owner), min_severity)


async def _fetch_device(client: NukiClient, listed: Smartlock) -> tuple[Smartlock, list[SmartlockAuth] | None] | None:
    """The device afresh and its authorizations (None: not readable), fetched at the same time.

    None when the device vanished since it was listed.
    """
    fresh: list[Smartlock] = []
    auths: list[list[SmartlockAuth] | None] = []
    errors: list[NukiError] = []

    async def device() -> None:
        try:
            fresh.append(await client.get_smartlock(listed.smartlock_id))
        except NukiNotFoundError:
            pass
        except NukiError as exc:  # raised below: a task group would wrap it in an ExceptionGroup
            errors.append(exc)

    async def authorizations() -> None:
        try:
            auths.append(await _unless_refused(lambda: client.list_auths(listed.smartlock_id)))
        except NukiNotFoundError:
            auths.append([])
        except NukiError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(device)
        group.start_soon(authorizations)
    if errors:
        raise errors[0]
    if not fresh:
        return None
    return fresh[0], auths[0]


async def _unless_refused(call: Callable[[], Awaitable[T]]) -> T | None:
    """The call's result, or None when the token may not read it (401/403)."""
    try:
        return await call()
    except (NukiAuthError, NukiForbiddenError):
        return None


async def _owner(client: NukiClient) -> Owner:
    account = await _unless_refused(client.get_account)
    if account is None:
        return Owner()
    email = account.email.strip().casefold()
    users = await _unless_refused(lambda: client.list_account_users(email=account.email)) if email else None
    ids = frozenset(u.account_user_id for u in users or () if u.email.strip().casefold() == email)
    return Owner(name=account.name or None, account_user_ids=ids)
