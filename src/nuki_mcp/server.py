"""The MCP server factory: `create_server(settings, transport=None)`.

The lifespan owns the Nuki client; the enabled toolsets, the resources and the prompts are registered
here. With `settings.demo` and no transport, the server talks to the built-in simulated account.
"""

from __future__ import annotations

import base64
import importlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

import httpx2
from mcp.server.apps import Apps
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.request_state import RequestStateSecurity
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, GetPromptResult, InputRequiredResult, ListToolsResult, PaginatedRequestParams
from mcp.types.jsonrpc import INVALID_PARAMS
from pydantic import ValidationError

from nuki_mcp import __version__, views
from nuki_mcp.argument_errors import argument_error
from nuki_mcp.argument_seal import ArgumentSeal
from nuki_mcp.clock import Clock, SystemClock
from nuki_mcp.config import Settings, SettingsError, ToolsetName
from nuki_mcp.context import AppState
from nuki_mcp.guard import (
    SECRET_ARGUMENTS,
    AuditTrail,
    CardApprovals,
    ConfirmationTokens,
    DeviceAllowList,
    Guard,
    QuestionTimes,
)
from nuki_mcp.nuki.client import BearerSource, NukiClient
from nuki_mcp.prompts import register_prompts
from nuki_mcp.resources import StateHolder, register_resources
from nuki_mcp.shared_state import SharedState, memory_shared_state
from nuki_mcp.tools import confirm_card
from nuki_mcp.tools.writes import WriteRecordingServer

if TYPE_CHECKING:
    from nuki_mcp.remote.nuki_oauth import NukiAccounts

logger = logging.getLogger(__name__)

SERVER_NAME: Final = "nuki-mcp"
INSTRUCTIONS: Final = (
    "Operate and audit Nuki smart locks, Openers and Smart Doors. Start with list_smartlocks to learn the "
    "device names; a smartlock argument takes a device's id or (a unique part of) its name. Actions are "
    "asynchronous at Nuki: report the tool's outcome (confirmed, pending, failed, unknown) as it is, never "
    "claim a door is locked unless the outcome is confirmed. Every change asks the user to confirm; when a "
    "tool returns status confirmation_required, show the summary to the user and repeat the same call with "
    "its confirmation_token only after they approve. Update tools change only the arguments given and keep "
    "the rest. Keypad codes are hidden unless the user asks to see them."
)

Registrar = Callable[[MCPServer[AppState], Settings], None]
# For the current request: a tool name -> why its caller may not use it (None: they may).
ToolGate = Callable[[], Awaitable[Callable[[str], str | None]]]
# Each toolset's module (its `register` adds the tools), imported only when the toolset is enabled, so
# start-up pays for the enabled toolsets alone.
TOOLSETS: Final[dict[ToolsetName, str]] = {
    "devices": "nuki_mcp.tools.devices",
    "actions": "nuki_mcp.tools.actions",
    "config": "nuki_mcp.tools.config",
    "auths": "nuki_mcp.tools.auths",
    "logs": "nuki_mcp.tools.logs",
    "webhooks": "nuki_mcp.tools.webhooks",
    "account": "nuki_mcp.tools.account",
    "advanced": "nuki_mcp.tools.advanced",
    "audit": "nuki_mcp.tools.audit",
    "properties": "nuki_mcp.tools.properties",
    "notifications": "nuki_mcp.tools.notifications",
    "intercom": "nuki_mcp.tools.intercom",
}


def register_toolsets(server: MCPServer[AppState], settings: Settings) -> None:
    """Register the tools of every enabled toolset, in TOOLSETS order, importing only their modules."""
    for toolset, module in TOOLSETS.items():
        if toolset in settings.toolsets:
            register = cast(Registrar, importlib.import_module(module).register)
            register(server, settings)


def create_server(
    settings: Settings,
    transport: httpx2.AsyncBaseTransport | None = None,
    *,
    clock: Clock | None = None,
    state_dir: Path | None = None,
    shared: SharedState | None = None,
) -> NukiServer:
    """Build the MCP server. `transport` and `clock` let tests and `--demo` run without a network.

    `state_dir` is where enrolled passkeys are read (NUKI_CONFIRM=passkey); default: the state directory.
    `shared`: state every replica shares (NUKI_MCP_REDIS_URL); without it, this process's memory.
    """
    clock = clock or SystemClock()
    shared = shared or memory_shared_state(clock)
    if transport is None and settings.demo:
        from nuki_mcp.demo import NukiSimulator

        transport = NukiSimulator(clock=clock).transport()
    accounts: NukiAccounts | None = None
    token: str | BearerSource
    if settings.nuki_oauth_client_id is not None and settings.public_url is not None:
        from nuki_mcp.remote.nuki_oauth import NukiAccounts

        # Per-user Nuki sign-in: each request acts with the Nuki token of whoever made it.
        accounts = NukiAccounts.from_settings(settings, shared.kv, clock, transport)
        token = accounts.bearer
    else:
        token = _token(settings)
    audit = (shared.audit_trail or AuditTrail)(settings.audit_log, clock)
    if settings.public_url is not None:
        from nuki_mcp.remote.oauth import signed_in_actor

        audit.actor = signed_in_actor
    try:
        audit.check_writable()
    except Exception as exc:
        raise SettingsError(str(exc)) from None
    approvals = None
    if settings.confirm == "passkey" and not settings.read_only:
        from nuki_mcp.approvals.service import PasskeyApprovals

        approvals = PasskeyApprovals.from_settings(settings, clock, events=audit.approval, state_dir=state_dir)
    seal = ArgumentSeal(_seal_key(settings, shared), SECRET_ARGUMENTS)
    guard = Guard(
        read_only=settings.read_only,
        confirm=settings.confirm,
        allow_list=DeviceAllowList(settings.devices),
        tokens=ConfirmationTokens(
            clock=clock,
            ttl_s=settings.confirmation_ttl_s,
            secret=shared.secret("confirmation-tokens"),
            used=shared.single_use,
            wall_clock=shared.where != "memory",
        ),
        questions=QuestionTimes(
            clock=clock, ttl_s=settings.confirmation_ttl_s, log=shared.questions, wall_clock=shared.where != "memory"
        ),
        audit=audit,
        cards=CardApprovals(clock=clock, log=shared.cards, wall_clock=shared.where != "memory", seal=seal),
        seal=seal,
        approvals=approvals,
    )
    holder = StateHolder()

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        async with (
            NukiClient(
                token, base_url=settings.api_url, timeout=settings.timeout, transport=transport, clock=clock
            ) as client,
            approvals.running() if approvals is not None else nullcontext(),
        ):
            state = AppState(settings=settings, client=client, guard=guard, clock=clock)
            holder.state = state
            try:
                yield state
            finally:
                holder.state = None

    # Replicas unseal each other's MRTR request_state only with one key ring (and the same server name).
    state_keys = None if shared.where == "memory" else [shared.secret("request-state")]
    server = NukiServer(
        settings,
        lifespan,
        guard,
        request_state_keys=state_keys,
        tool_gate=accounts.tool_refusals if accounts is not None else None,
    )
    register_toolsets(server, settings)
    confirm_card.register(server, settings)
    register_resources(server, holder)
    register_prompts(server, settings)
    views.register(server, settings)
    if accounts is not None:
        accounts.request_scopes_for(server.tool_names())
        server.nuki_accounts = accounts
    return server


def _seal_key(settings: Settings, shared: SharedState) -> bytes:
    """NUKI_MCP_SECRET_KEY, which never goes to Redis; else a key of this state's own (one process: random)."""
    if settings.secret_key is not None:
        return base64.urlsafe_b64decode(settings.secret_key.get_secret_value().encode())
    return shared.secret("argument-seal")


class NukiServer(WriteRecordingServer):
    """The SDK's server, with the refusals an agent can act on where the SDK's own would mislead it.

    Arguments that do not fit the schema get one sentence instead of pydantic's text (which quotes the
    rejected value, perhaps an admin PIN); a write tool called in read-only mode is refused as such,
    not as an unknown tool; a prompt called with an argument it does not take is invalid params.
    """

    def __init__(
        self,
        settings: Settings,
        lifespan: Callable[[MCPServer[AppState]], AbstractAsyncContextManager[AppState]],
        guard: Guard,
        request_state_keys: list[bytes] | None = None,
        tool_gate: ToolGate | None = None,
    ) -> None:
        super().__init__(
            SERVER_NAME,
            title="Nuki smart locks",
            version=__version__,
            instructions=INSTRUCTIONS,
            lifespan=lifespan,
            # An elicitation answered on the 2026-07-28 era comes back in a retry carrying this sealed state;
            # it expires with the question, so a late yes fails there as well as in `QuestionTimes`.
            request_state_security=RequestStateSecurity.ephemeral(ttl=settings.confirmation_ttl_s)
            if request_state_keys is None
            else RequestStateSecurity(keys=request_state_keys, ttl=settings.confirmation_ttl_s),
            # Announces MCP Apps (io.modelcontextprotocol/ui); the views and their tools register themselves.
            extensions=[Apps()],
        )
        self.guard = guard
        self._nuki_settings = settings
        self._hidden_writes: frozenset[str] | None = None
        self._tool_gate = tool_gate
        # Per-user Nuki sign-in (remote mode with NUKI_OAUTH_CLIENT_ID): the remote app serves its callback.
        self.nuki_accounts: NukiAccounts | None = None

    def tool_names(self) -> list[str]:
        return [tool.name for tool in self._tool_manager.list_tools()]

    async def _handle_list_tools(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, ctx: ServerRequestContext[AppState], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """The tool list; with per-user Nuki sign-in, only the tools the caller's Nuki scopes allow."""
        listed = await super()._handle_list_tools(ctx, params)
        if self._tool_gate is None:
            return listed
        refusal = await self._tool_gate()
        return listed.model_copy(update={"tools": [tool for tool in listed.tools if refusal(tool.name) is None]})

    async def call_tool(
        self, name: str, arguments: dict[str, object], context: Context[AppState, object] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self._tool_gate is not None:
            refused = (await self._tool_gate())(name)
            if refused is not None:
                if self._is_write_tool(name):
                    self.record_refusal(name, arguments, context, refused)
                raise ToolError(refused)
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc, UnexpectedToolError):
                raise
            # Only argument validation ends in a ToolError caused by a ValidationError (see `Tool.run`).
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(await self._argument_error(name, exc.__cause__)) from exc.__cause__
            if str(exc) == f"Unknown tool: {name}" and name in await self._write_tools_hidden_by_read_only():
                refusal = (
                    f"This server is read-only (NUKI_READ_ONLY), so {name} and every other change are "
                    "switched off; only reading tools work."
                )
                self.record_refusal(name, arguments, context, refusal)
                raise ToolError(refusal) from None
            raise

    async def get_prompt(
        self, name: str, arguments: dict[str, object] | None = None, context: Context[AppState, object] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        prompts = {prompt.name: prompt for prompt in await self.list_prompts()}
        prompt = prompts.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt {name!r}; the prompts are: {', '.join(sorted(prompts))}.")
        known = {argument.name for argument in prompt.arguments or []}
        unknown = sorted(set(arguments or {}) - known)
        if unknown:
            takes = f"only {', '.join(sorted(known))}" if known else "no arguments"
            raise MCPError(
                INVALID_PARAMS, f"Prompt {name} takes {takes}, not {', '.join(unknown)}; call it without them."
            )
        return await super().get_prompt(name, arguments, context)

    async def _argument_error(self, tool: str, error: ValidationError) -> str:
        schemas = {t.name: t.input_schema for t in await self.list_tools()}
        return argument_error(tool, error.errors(include_url=False, include_input=False), schemas.get(tool, {}))

    async def _write_tools_hidden_by_read_only(self) -> frozenset[str]:
        """The write tools the enabled toolsets would list without read-only mode (worked out on first need)."""
        if not self._nuki_settings.read_only:
            return frozenset()
        if self._hidden_writes is None:
            writable = self._nuki_settings.model_copy(update={"read_only": False})
            scratch = MCPServer[AppState]("scratch")
            register_toolsets(scratch, writable)
            self._hidden_writes = frozenset(
                tool.name
                for tool in await scratch.list_tools()
                if tool.annotations is not None and tool.annotations.read_only_hint is False
            )
        return self._hidden_writes


def _token(settings: Settings) -> str:
    if settings.api_token is not None:
        return settings.api_token.get_secret_value()
    if settings.demo:
        from nuki_mcp.demo import DEMO_TOKEN

        return DEMO_TOKEN
    raise SettingsError("NUKI_API_TOKEN is not set; set it, or try the simulated account with --demo.")
