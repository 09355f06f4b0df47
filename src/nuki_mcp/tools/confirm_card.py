"""The MCP Apps confirmation card's own tools: `approve_write` and `deny_write` (APPROVALS.md).

They are app-only (`_meta.ui.visibility: ["app"]`): the host offers them to the card, not to the model.
Approve performs the pending write exactly as it was planned, once; Cancel makes it impossible for good.
Under NUKI_CONFIRM=passkey a click is never enough for an opening write: `approve_write` performs it only
after the owner approved it with a passkey on the approval page.

With shared state (Redis) the click may reach a replica that did not show the card: that replica plans
the write anew and performs it only when it is exactly what the card showed (`_replanned`).
"""

import contextlib
from typing import Annotated, NoReturn

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from nuki_mcp import views
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import GuardRefusal, PendingCard
from nuki_mcp.tools.common import register_tool, write_annotations
from nuki_mcp.tools.writes import (
    CardWrite,
    RecordedToolError,
    WriteResult,
    perform_confirmed,
    replan,
    write_binding,
)

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
        write = card.write if isinstance(card.write, CardWrite) else await _replanned(ctx, card)
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
        try:
            guard.cards.take(card.approval_id)
        except GuardRefusal as refusal:  # another Approve or a Cancel, on any replica, came first
            raise ToolError(str(refusal)) from None
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
        summary = write.plan.describe() if isinstance(write, CardWrite) else card.record.summary
        reason = "The user cancelled it in the confirmation card; nothing was sent to Nuki."
        guard.audit.decision(
            tool=card.tool,
            device=write.plan.device if isinstance(write, CardWrite) else card.device(),
            arguments=write.arguments if isinstance(write, CardWrite) else card.record.arguments,
            confirmation="card",
            outcome="not_done",
            detail=reason,
        )
        if guard.approvals is not None:  # a passkey approval behind the card cannot be used any more either
            from nuki_mcp.approvals.store import ApprovalNotPending

            with contextlib.suppress(ApprovalNotPending):
                await guard.approvals.store.deny(card.approval_id)
        return WriteResult(status="not_done", summary=summary, reason=reason)


async def _replanned(ctx: Context[AppState], card: PendingCard) -> CardWrite:
    """The card's write planned anew on this replica (the card was shown by another), or a refusal.

    It is performed only when it is exactly what the human approved: the same binding (tool, resolved
    devices, normalized arguments) and the same summary, read from Nuki now.
    """
    guard = app_state(ctx).guard

    def refuse(message: str) -> NoReturn:
        guard.audit.decision(
            tool=card.tool,
            device=card.device(),
            arguments=card.record.arguments,
            confirmation="card",
            outcome="refused",
            detail=message,
        )
        raise RecordedToolError(message)

    try:
        arguments = guard.cards.arguments(card)
    except GuardRefusal as refusal:
        refuse(str(refusal))
    try:
        write = await replan(ctx, card.tool, arguments)
    except ToolError as exc:
        reason = str(exc).rstrip(".")
        refuse(f"This change cannot be made as approved any more ({reason}), so nothing was sent; ask for it again.")
    if write is None:
        refuse(f"This server does not offer {card.tool}, so it cannot make this change; nothing was sent.")
    if write_binding(write.plan, arguments, guard.seal) != card.binding or write.plan.describe() != card.record.summary:
        refuse(
            "This change differs from what was approved in the card (the device or its settings changed at Nuki "
            "since), so nothing was sent; ask for the change again."
        )
    return write
