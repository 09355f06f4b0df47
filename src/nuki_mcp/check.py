"""`nuki-mcp check`: does the token work, whose account is it, and which toolsets do its scopes allow?

One cheap GET per readable toolset, all at the same time; 401 and 403 mean "this token's scopes do
not allow it". The write-only toolsets cannot be probed without changing something, so the report
says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

import anyio

from nuki_mcp.config import ToolsetName
from nuki_mcp.guard import DeviceAllowList
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiAuthError, NukiError, NukiForbiddenError
from nuki_mcp.nuki.models import MyAccount, Smartlock

T = TypeVar("T")

PROBES: Final[dict[ToolsetName, str]] = {
    "devices": "GET /smartlock",
    "auths": "GET /smartlock/auth",
    "logs": "GET /smartlock/log",
    "webhooks": "GET /api/decentralWebhook",
    "account": "GET /account",
    "properties": "GET /address",
    "notifications": "GET /notification",
    "intercom": "GET /opener/brand",
}
NOT_PROBED: Final[tuple[ToolsetName, ...]] = ("actions", "config", "advanced")


@dataclass(frozen=True)
class CheckReport:
    """What the probes found; `allowed` has one entry per probed toolset."""

    api_url: str
    demo: bool
    account_name: str | None = None
    account_email: str | None = None
    device_count: int | None = None
    allowed: dict[ToolsetName, bool] = field(default_factory=dict[ToolsetName, bool])
    allow_list: tuple[str, ...] = ()
    account_device_count: int | None = None
    allow_list_problems: tuple[str, ...] = ()

    @property
    def token_works(self) -> bool:
        """Nuki accepted the token for at least one read; every probe refused means it was rejected."""
        return any(self.allowed.values())

    def lines(self) -> list[str]:
        where = "the simulated demo account" if self.demo else self.api_url
        if not self.token_works:
            return [
                f"Nuki rejected the API token at {where} (401/403 on every probe): create a token in "
                "Nuki Web (menu API) with the scopes you need and set NUKI_API_TOKEN."
            ]
        if self.account_name is None:
            account = "not readable (the token lacks the account scope)"
        else:
            email = f" <{self.account_email}>" if self.account_email else ""
            account = f"{self.account_name or '(no name)'}{email}"
        if self.device_count is None:
            devices = "not readable (the token lacks the smartlock scope)"
        elif self.allow_list:
            devices = f"{self.device_count} (NUKI_DEVICES allows {self.device_count} of the account's "
            devices += f"{self.account_device_count})"
        else:
            devices = str(self.device_count)
        width = max(len(name) for name in PROBES)
        lines = [
            f"The Nuki API token works ({where}).",
            f"Account: {account}",
            f"Devices: {devices}",
            *self.allow_list_problems,
            "Toolsets the token's scopes allow:",
        ]
        for name, probe in PROBES.items():
            verdict = "yes" if self.allowed.get(name) else "no "
            lines.append(f"  {name:<{width}}  {verdict}  ({probe})")
        lines.append(
            "Not probed because probing them would change something: "
            + ", ".join(NOT_PROBED)
            + "; audit reads what the toolsets above can read."
        )
        return lines


@dataclass
class _Reads:
    devices: list[Smartlock] | None = None
    account: MyAccount | None = None


async def check_token(
    client: NukiClient, *, api_url: str, demo: bool = False, allow_list: tuple[str, ...] = ()
) -> CheckReport:
    """Probe the Nuki API with one read per toolset. Errors other than 401/403 propagate as `NukiError`.

    Devices are counted within the allow-list (`allow_list`, NUKI_DEVICES), and its entries that name
    no device or several are reported.
    """
    allowed: dict[ToolsetName, bool] = {}
    reads = _Reads()
    errors: list[NukiError] = []

    async with anyio.create_task_group() as group:

        async def probe(toolset: ToolsetName, call: Callable[[], Awaitable[T]]) -> T | None:
            try:
                result = await _probe(call)
            except NukiError as exc:  # raised below: a task group would wrap it in an ExceptionGroup
                errors.append(exc)
                group.cancel_scope.cancel()
                return None
            allowed[toolset] = result is not None
            return result

        async def read_devices() -> None:
            reads.devices = await probe("devices", client.list_smartlocks)

        async def read_account() -> None:
            reads.account = await probe("account", client.get_account)

        group.start_soon(read_devices)
        group.start_soon(read_account)
        group.start_soon(probe, "auths", client.list_account_auths)
        group.start_soon(probe, "logs", lambda: client.list_account_logs(limit=1))
        group.start_soon(probe, "webhooks", client.list_decentral_webhooks)
        group.start_soon(probe, "properties", client.list_addresses)
        group.start_soon(probe, "notifications", client.list_notifications)
        group.start_soon(probe, "intercom", client.list_intercom_brands)
    if errors:
        raise errors[0]
    everything, account = reads.devices, reads.account
    devices = (
        None
        if everything is None
        else [d for d in everything if DeviceAllowList(allow_list).allows(d.smartlock_id, d.name)]
    )
    return CheckReport(
        api_url=api_url,
        demo=demo,
        account_name=None if account is None else account.name,
        account_email=None if account is None else account.email,
        device_count=None if devices is None else len(devices),
        allow_list=allow_list,
        account_device_count=None if everything is None else len(everything),
        allow_list_problems=() if everything is None else tuple(allow_list_problems(allow_list, everything)),
        allowed={toolset: allowed.get(toolset, False) for toolset in PROBES},
    )


async def _probe(call: Callable[[], Awaitable[T]]) -> T | None:
    try:
        return await call()
    except (NukiAuthError, NukiForbiddenError):
        return None


def allow_list_problems(allow_list: Sequence[str], devices: Sequence[Smartlock]) -> list[str]:
    """One sentence per NUKI_DEVICES entry that names no device of the account, or several."""
    problems: list[str] = []
    for entry in allow_list:
        hits = [d for d in devices if _names(entry, d)]
        if len(hits) > 1:
            problems.append(
                f"NUKI_DEVICES entry {entry!r} names {len(hits)} devices ({_listing(hits)}), so it allows "
                "all of them; name the one you mean by its id."
            )
        elif not hits:
            folded = entry.strip().casefold()
            close = [d for d in devices if folded and folded in d.name.casefold()]
            hint = f"did you mean {_listing(close)}?" if close else f"the devices are: {_listing(devices)}."
            problems.append(
                f"NUKI_DEVICES entry {entry!r} names no device (an entry is a whole name or an id), so "
                f"nothing is allowed through it; {hint}"
            )
    return problems


def _names(entry: str, device: Smartlock) -> bool:
    return DeviceAllowList((entry,)).allows(device.smartlock_id, device.name)


def _listing(devices: Sequence[Smartlock], most: int = 8) -> str:
    shown = ", ".join(f"{d.name} ({d.smartlock_id})" for d in devices[:most]) or "none"
    return shown + (f" and {len(devices) - most} more" if len(devices) > most else "")
