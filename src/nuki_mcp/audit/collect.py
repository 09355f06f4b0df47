"""Fetching what the audit rules need in a constant number of requests, for the tool and the CLI alike.

Whatever the number of devices, the audit sends the same reads, all at the same time:
`GET /smartlock` (every device in full), `GET /smartlock/auth` (the authorizations of every device
of the account), the webhooks (`GET /api/decentralWebhook`), the apps, devices and tokens with
access (`GET /account/integration`) and the owner's identity and 2FA (`GET /account`, then
`GET /account/user`): six requests. The account-wide reads also fetch the notifications
(`GET /notification`) and the addresses (`GET /address`) with, for each address, its reservations
(`GET /address/{id}/reservation`): one more request per address, none per device. An audit narrowed
to some devices leaves the webhooks, integrations, notifications and addresses out (four requests).
The allow-list and the selection are applied to what comes back; what the responses say about other
devices is dropped unread, and an address or notification that reaches a device outside the
allow-list is not audited.

Only when the token may not read the account-wide authorizations (401/403) are they read device by
device (`GET /smartlock/{id}/auth`, at most `concurrency` at a time). A device whose authorizations
cannot be read that way either is named in the `auths-not-checked` finding. 401/403 on webhooks,
integrations or the account also mean "cannot check" (findings say so), not failure; on addresses,
reservations and notifications they mean there is nothing to audit there; any other Nuki error (after the
client's retries) ends the audit with that error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Final, TypeVar

import anyio

from nuki_mcp.audit.rules import (
    AccountFacts,
    AddressFacts,
    AuditContext,
    AuditReport,
    DeviceAudit,
    Owner,
    Severity,
    build_report,
)
from nuki_mcp.guard import DeviceAllowList
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiAuthError, NukiError, NukiForbiddenError, NukiNotFoundError
from nuki_mcp.nuki.models import AccountIntegration, DecentralWebhook, MyAccount, Smartlock, SmartlockAuth
from nuki_mcp.nuki.models_properties import AddressReservation, Notification

DEFAULT_CONCURRENCY: Final = 8
"""Devices whose authorizations are read at the same time, in the per-device fallback only."""
ADDRESS_CONCURRENCY: Final = 8
"""Addresses whose reservations are read at the same time."""

T = TypeVar("T")
ProgressCallback = Callable[[int, int, str], Awaitable[None]]
"""Called as each step completes: (steps done, steps in total, a short message).

The steps are the account-wide reads and the final check of the rules; in the per-device fallback
each device's read is one more step, so the total grows once, when the fallback starts.
"""
DeviceSelection = Callable[[list[Smartlock]], list[Smartlock]]
"""Narrows the visible devices to the ones to audit; may raise to refuse the selection."""


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    async def step(self, message: str) -> None:
        self.done += 1
        if self.callback is not None:
            await self.callback(self.done, self.total, f"{message} ({self.done}/{self.total})")


class _Reads:
    """What the account-wide reads returned; None where the token may not read it."""

    def __init__(self) -> None:
        self.devices: list[Smartlock] = []
        self.auths: list[SmartlockAuth] | None = None
        self.webhooks: list[DecentralWebhook] | None = None
        self.integrations: list[AccountIntegration] | None = None
        self.account: MyAccount | None = None
        self.owner = Owner()
        self.addresses: list[AddressFacts] = []
        self.notifications: list[Notification] = []


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
    """Read every visible device (or the `select`ed ones) and its authorizations, and audit them.

    Raises `NukiError`. `include_webhooks=False` leaves the account's webhooks out (for an audit of
    chosen devices). `concurrency` bounds the per-device fallback only.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    reads_count = 7 if include_webhooks else 3
    progress = _Progress(on_progress, total=reads_count + 1)  # the reads, then checking the rules
    reads = await _read_account(client, include_webhooks=include_webhooks, progress=progress)

    allowed = allow_list or DeviceAllowList()
    visible = [d for d in reads.devices if allowed.allows(d.smartlock_id, d.name)]
    chosen = select(visible) if select is not None else visible
    unchecked: list[Smartlock] = []
    if reads.auths is not None:
        wanted = {d.smartlock_id for d in chosen}
        auths_of: dict[int, list[SmartlockAuth]] = {smartlock_id: [] for smartlock_id in wanted}
        for auth in reads.auths:
            if auth.smartlock_id in wanted:
                auths_of[auth.smartlock_id].append(auth)
        audited = [DeviceAudit(d, auths_of[d.smartlock_id]) for d in chosen]
    else:
        audited, unchecked = await _read_each_device(client, chosen, concurrency, progress)

    visible_ids = {d.smartlock_id for d in visible}
    hides = bool(allowed.entries)
    account = AccountFacts(
        webhooks=reads.webhooks,
        devices_without_auths=sorted(unchecked, key=lambda d: (d.name.casefold(), d.smartlock_id)),
        include_webhooks=include_webhooks,
        addresses=[a for a in reads.addresses if not hides or all(i in visible_ids for i in a.address.smartlock_ids)],
        notifications=[
            n
            for n in reads.notifications
            if not hides or all(s.smartlock_id is None or s.smartlock_id in visible_ids for s in n.settings)
        ],
        integrations=reads.integrations,
        account=reads.account,
    )
    report = build_report(audited, account, AuditContext(now=now, owner=reads.owner), min_severity)
    counts = report.counts
    found = _plural(counts.critical + counts.warning + counts.info, "finding")
    await progress.step(f"Checked {_plural(len(audited), 'device')}: {found}")
    return report


async def _read_account(client: NukiClient, *, include_webhooks: bool, progress: _Progress) -> _Reads:
    """The account-wide reads, all at the same time; the first Nuki error (other than 401/403) ends them."""
    reads = _Reads()
    errors: list[NukiError] = []

    async with anyio.create_task_group() as group:

        async def guarded(step: Callable[[], Awaitable[None]]) -> None:
            try:
                await step()
            except NukiError as exc:  # raised below: a task group would wrap it in an ExceptionGroup
                errors.append(exc)
                group.cancel_scope.cancel()

        async def devices() -> None:
            reads.devices = await client.list_smartlocks()
            await progress.step(f"Read {_plural(len(reads.devices), 'device')}")

        async def auths() -> None:
            reads.auths = await _unless_refused(client.list_account_auths)
            if reads.auths is None:
                await progress.step("The token may not read the account's authorizations: reading them per device")
            else:
                await progress.step(f"Read {_plural(len(reads.auths), 'authorization')}")

        async def webhooks() -> None:
            reads.webhooks = await _unless_refused(client.list_decentral_webhooks)
            if reads.webhooks is None:
                await progress.step("The token may not read the webhooks")
            else:
                await progress.step(f"Read {_plural(len(reads.webhooks), 'webhook')}")

        async def integrations() -> None:
            reads.integrations = await _unless_refused(client.list_account_integrations)
            if reads.integrations is None:
                await progress.step("The token may not read the account's integrations")
            else:
                await progress.step(f"Read {_plural(len(reads.integrations), 'integration')}")

        async def owner() -> None:
            reads.owner, reads.account = await _owner(client)
            await progress.step("Read the account owner")

        async def addresses() -> None:
            reads.addresses = await _addresses(client)
            count = sum(len(a.reservations) for a in reads.addresses)
            await progress.step(f"Read {_plural(len(reads.addresses), 'address')} and {_plural(count, 'reservation')}")

        async def notifications() -> None:
            reads.notifications = await _unless_refused(client.list_notifications) or []
            await progress.step(f"Read {_plural(len(reads.notifications), 'notification')}")

        group.start_soon(guarded, devices)
        group.start_soon(guarded, auths)
        if include_webhooks:
            group.start_soon(guarded, webhooks)
            group.start_soon(guarded, addresses)
            group.start_soon(guarded, notifications)
            group.start_soon(guarded, integrations)
        group.start_soon(guarded, owner)

    if errors:
        raise errors[0]
    return reads


async def _read_each_device(
    client: NukiClient, chosen: Sequence[Smartlock], concurrency: int, progress: _Progress
) -> tuple[list[DeviceAudit], list[Smartlock]]:
    """The fallback: each device's authorizations on its own, at most `concurrency` at a time.

    Returns the devices to audit (a device deleted since it was listed is left out) and the devices
    whose authorizations the token may not read (audited without them).
    """
    progress.total += len(chosen)
    limiter = anyio.CapacityLimiter(concurrency)
    found: dict[int, DeviceAudit] = {}
    unchecked: list[Smartlock] = []
    errors: list[NukiError] = []

    async with anyio.create_task_group() as group:

        async def read(device: Smartlock) -> None:
            try:
                async with limiter:
                    auths = await _unless_refused(lambda: client.list_auths(device.smartlock_id))
            except NukiNotFoundError:
                await progress.step(f"{device.name} no longer exists")
                return
            except NukiError as exc:
                errors.append(exc)
                group.cancel_scope.cancel()
                return
            if auths is None:
                unchecked.append(device)
                await progress.step(f"The token may not read the authorizations of {device.name}")
            else:
                await progress.step(f"Read the authorizations of {device.name}")
            found[device.smartlock_id] = DeviceAudit(device, auths or ())

        for device in chosen:
            group.start_soon(read, device)

    if errors:
        raise errors[0]
    return [found[d.smartlock_id] for d in chosen if d.smartlock_id in found], unchecked


async def _unless_refused(call: Callable[[], Awaitable[T]]) -> T | None:
    """The call's result, or None when the token may not read it (401/403)."""
    try:
        return await call()
    except (NukiAuthError, NukiForbiddenError):
        return None


async def _addresses(client: NukiClient) -> list[AddressFacts]:
    """Every address with its reservations, read at most `ADDRESS_CONCURRENCY` at a time."""
    found = await _unless_refused(client.list_addresses) or []
    reservations: dict[int, list[AddressReservation]] = {}
    limiter = anyio.CapacityLimiter(ADDRESS_CONCURRENCY)
    errors: list[NukiError] = []

    async with anyio.create_task_group() as group:

        async def read(address_id: int) -> None:
            async with limiter:
                try:
                    reservations[address_id] = await _unless_refused(lambda: client.list_reservations(address_id)) or []
                except NukiNotFoundError:  # deleted since it was listed
                    reservations[address_id] = []
                except NukiError as exc:  # raised below: a task group would wrap it in an ExceptionGroup
                    errors.append(exc)
                    group.cancel_scope.cancel()

        for address in found:
            group.start_soon(read, address.address_id)
    if errors:
        raise errors[0]
    return [AddressFacts(a, reservations.get(a.address_id, [])) for a in found]


async def _owner(client: NukiClient) -> tuple[Owner, MyAccount | None]:
    account = await _unless_refused(client.get_account)
    if account is None:
        return Owner(), None
    email = account.email.strip().casefold()
    users = await _unless_refused(lambda: client.list_account_users(email=account.email)) if email else None
    ids = frozenset(u.account_user_id for u in users or () if u.email.strip().casefold() == email)
    return Owner(name=account.name or None, account_user_ids=ids), account


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
