"""Toolset `audit`: audit_smartlocks, the read-only configuration audit (rules in `nuki_mcp/audit/rules.py`)."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from nuki_mcp.audit import AuditReport, Severity
from nuki_mcp.audit.collect import collect_audit
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.nuki.models import Smartlock
from nuki_mcp.tools.common import READ, match_device, nuki_errors, register_tool
from nuki_mcp.views import AUDIT_URI, ui_meta

AuditSmartlockArg = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only this device; omit for every device and the account.",
    ),
]
MinSeverityArg = Annotated[
    Severity,
    Field(description="Only findings this severe or worse."),
]


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="Audit the configuration", annotations=READ, meta=ui_meta(AUDIT_URI))
    @nuki_errors
    async def audit_smartlocks(
        ctx: Context[AppState],
        smartlock: AuditSmartlockArg = None,
        min_severity: MinSeverityArg = "info",
    ) -> AuditReport:
        """Audit security and health: batteries, connectivity, admin PIN, motor, door sensor, auto-lock, pairing,
        updates, Opener modes, risky or unused authorizations and integrations, webhooks, two-factor. Findings come
        most severe first, with evidence and the tool call that fixes each. Read-only: fix only when the user asks.
        One device's state: get_smartlock.
        """
        state = app_state(ctx)
        select = None
        if smartlock is not None:
            wanted = smartlock

            def select_one(devices: list[Smartlock]) -> list[Smartlock]:
                return [match_device(devices, wanted)]

            select = select_one

        async def progress(done: int, total: int, message: str) -> None:
            await ctx.report_progress(done, total, message)

        return await collect_audit(
            state.client,
            now=state.clock.now(),
            allow_list=state.guard.allow_list,
            select=select,
            include_webhooks=smartlock is None,
            min_severity=min_severity,
            on_progress=progress,
        )
