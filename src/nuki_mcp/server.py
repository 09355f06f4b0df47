"""The MCP server factory: `create_server(settings, transport=None)`.

The lifespan owns the Nuki client; the enabled toolsets, the resources and the prompts are registered
here. With `settings.demo` and no transport, the server talks to the built-in simulated account.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Final

import httpx2
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity

from nuki_mcp import __version__
from nuki_mcp.clock import Clock, SystemClock
from nuki_mcp.config import Settings, SettingsError, ToolsetName
from nuki_mcp.context import AppState
from nuki_mcp.guard import AuditTrail, ConfirmationTokens, DeviceAllowList, Guard, QuestionTimes
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.prompts import register_prompts
from nuki_mcp.resources import StateHolder, register_resources
from nuki_mcp.tools import account, actions, advanced, audit, auths, config, devices, logs, webhooks
from nuki_mcp.tools.writes import WriteRecordingServer

logger = logging.getLogger(__name__)

SERVER_NAME: Final = "nuki-mcp"
INSTRUCTIONS: Final = (
    "Operate and audit Nuki smart locks, Openers and Smart Doors. Start with list_smartlocks to learn the "
    "device names; a device can be named by id or (part of) its name. Actions are asynchronous at Nuki: "
    "report the tool's outcome (confirmed, pending, failed, unknown) as it is, never claim a door is locked "
    "unless the outcome is confirmed. Every change asks the user to confirm; when a tool returns "
    "status confirmation_required, show the summary to the user and repeat the call with the "
    "confirmation_token only after they approve. Keypad codes are hidden unless the user asks to see them."
)

Registrar = Callable[[MCPServer[AppState], Settings], None]
TOOLSETS: Final[dict[ToolsetName, Registrar]] = {
    "devices": devices.register,
    "actions": actions.register,
    "config": config.register,
    "auths": auths.register,
    "logs": logs.register,
    "webhooks": webhooks.register,
    "account": account.register,
    "advanced": advanced.register,
    "audit": audit.register,
}


def create_server(
    settings: Settings,
    transport: httpx2.AsyncBaseTransport | None = None,
    *,
    clock: Clock | None = None,
) -> MCPServer[AppState]:
    """Build the MCP server. `transport` and `clock` let tests and `--demo` run without a network."""
    clock = clock or SystemClock()
    token = _token(settings)
    if transport is None and settings.demo:
        from nuki_mcp.demo import NukiSimulator

        transport = NukiSimulator(clock=clock).transport()
    audit = AuditTrail(settings.audit_log, clock)
    try:
        audit.check_writable()
    except Exception as exc:
        raise SettingsError(str(exc)) from None
    guard = Guard(
        read_only=settings.read_only,
        confirm=settings.confirm,
        allow_list=DeviceAllowList(settings.devices),
        tokens=ConfirmationTokens(clock=clock, ttl_s=settings.confirmation_ttl_s),
        questions=QuestionTimes(clock=clock, ttl_s=settings.confirmation_ttl_s),
        audit=audit,
    )
    holder = StateHolder()

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        async with NukiClient(
            token, base_url=settings.api_url, timeout=settings.timeout, transport=transport, clock=clock
        ) as client:
            state = AppState(settings=settings, client=client, guard=guard, clock=clock)
            holder.state = state
            try:
                yield state
            finally:
                holder.state = None

    server = WriteRecordingServer(
        SERVER_NAME,
        title="Nuki smart locks",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        # An elicitation answered on the 2026-07-28 era comes back in a retry carrying this sealed state;
        # it expires with the question, so a late yes fails there as well as in `QuestionTimes`.
        request_state_security=RequestStateSecurity.ephemeral(ttl=settings.confirmation_ttl_s),
    )
    for name, register in TOOLSETS.items():
        if name in settings.toolsets:
            register(server, settings)
    register_resources(server, holder)
    register_prompts(server, settings)
    return server


def _token(settings: Settings) -> str:
    if settings.api_token is not None:
        return settings.api_token.get_secret_value()
    if settings.demo:
        from nuki_mcp.demo import DEMO_TOKEN

        return DEMO_TOKEN
    raise SettingsError("NUKI_API_TOKEN is not set; set it, or try the simulated account with --demo.")
