"""The MCP Apps confirmation card's own tools: `approve_write` and `deny_write` (APPROVALS.md).

They are app-only (`_meta.ui.visibility: ["app"]`): the host offers them to the card, not to the model.
Approve performs the pending write exactly as it was planned, once; Cancel makes it impossible for good.
Under NUKI_CONFIRM=passkey a click is never enough for an opening write: `approve_write` performs it only
after the owner approved it with a passkey on the approval page.
"""

import contextlib
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from nuki_mcp import views
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import GuardRefusal
from nuki_mcp.tools.common import register_tool, write_annotations
from nuki_mcp.tools.writes import CardWrite, RecordedToolError, WriteResult, perform_confirmed

ApprovalIdArg = Annotated[
    str, Field(min_length=1, max_length=64, description="The approval_id the card received in the result's _meta.")
]
_APP_ONLY = views.ui_meta(views.CONFIRM_URI, app_only=True)


def register(server: MCPServer[AppState], settings: Settings) -> None:
    if settings.read_only:
        return

    @register_tool(
        server,
        title="Approve a change (confirmation card)",
        annotations=write_annotations(destructive=True, idempotent=False),
        meta=_APP_ONLY,
    )
    async def approve_write(approval_id: ApprovalIdArg, ctx: Context[AppState]) -> WriteResult:
        """Only for nuki-mcp's confirmation card, when the user clicked Approve: performs the change
        the card shows, exactly as planned, once."""
        guard = app_state(ctx).guard
        try:
            card = guard.cards.peek(approval_id)
        except GuardRefusal as refusal:
            raise ToolError(str(refusal)) from None
        write = card.write
        if not isinstance(write, CardWrite):  # only run_write puts cards there
            raise ToolError("This approval holds no change; nothing was sent.")
        method = "card"
        if guard.confirm == "passkey" and write.plan.risk == "opening":
            method = "passkey"
            approvals = guard.approvals
            if approvals is None:
                raise ToolError("Passkey approvals are not running on this server; nothing was sent.")
            from nuki_mcp.approvals.store import ApprovalRefused

            try:
                await approvals.redeem(card.approval_id, card.binding)
            except ApprovalRefused as refused:
                message = (
                    "A click is not enough for this change: the owner approves it with their passkey on the "
                    f"approval page first. {refused.message}"
                )
                guard.audit.decision(
                    tool=write.plan.tool,
                    device=write.plan.device,
                    arguments=write.arguments,
                    confirmation="card",
                    outcome="refused",
                    detail=message,
                )
                raise RecordedToolError(message) from None
        guard.cards.take(card.approval_id)
        return await perform_confirmed(ctx, write.tool, write.plan, method, write.arguments)

    @register_tool(
        server,
        title="Cancel a change (confirmation card)",
        annotations=write_annotations(destructive=False, idempotent=True),
        meta=_APP_ONLY,
    )
    async def deny_write(approval_id: ApprovalIdArg, ctx: Context[AppState]) -> WriteResult:
        """Only for nuki-mcp's confirmation card, when the user clicked Cancel: the change is not made
        and can never be approved."""
        guard = app_state(ctx).guard
        try:
            card = guard.cards.deny(approval_id)
        except GuardRefusal as refusal:
            raise ToolError(str(refusal)) from None
        write = card.write
        summary = write.plan.describe() if isinstance(write, CardWrite) else card.tool
        reason = "The user cancelled it in the confirmation card; nothing was sent to Nuki."
        guard.audit.decision(
            tool=card.tool,
            device=write.plan.device if isinstance(write, CardWrite) else None,
            arguments=write.arguments if isinstance(write, CardWrite) else {},
            confirmation="card",
            outcome="not_done",
            detail=reason,
        )
        if guard.approvals is not None:  # a passkey approval behind the card cannot be used any more either
            from nuki_mcp.approvals.store import ApprovalNotPending

            with contextlib.suppress(ApprovalNotPending):
                await guard.approvals.store.deny(card.approval_id)
        return WriteResult(status="not_done", summary=summary, reason=reason)
