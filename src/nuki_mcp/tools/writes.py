"""The one path every write tool takes: plan -> confirm -> perform -> audit.

A write tool declares two resolver parameters:

    plan: Annotated[WritePlan, Resolve(plan_x)]                  # what exactly will happen
    confirmation: Annotated[ConfirmOutcome, Resolve(confirm_x)]  # confirm_x = confirm_with(plan_x)

and its body is one call of `run_write`. The resolver asks the human through form elicitation when
the client supports it (on both protocol eras: the SDK pushes the question on 2025-11-25 and returns
it as input-required on 2026-07-28); otherwise `NUKI_CONFIRM` decides between the two-step token,
a refusal, or no confirmation.
"""

# No `from __future__ import annotations` here: the resolver built by `confirm_with` carries its
# plan function inside its annotation, which the SDK must be able to evaluate without module globals.

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, JsonValue, TypeAdapter, ValidationError

from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import ConfirmForm, GuardRefusal, NotAsked, WritePlan, canonical_json
from nuki_mcp.nuki.errors import NukiError

WriteStatus = Literal["done", "not_done", "confirmation_required"]
ConfirmOutcome = ElicitationResult[ConfirmForm]
W = TypeVar("W", bound="WriteResult")

_ARGUMENTS = TypeAdapter(dict[str, JsonValue])


class WriteResult(BaseModel):
    """Fields every write tool returns."""

    # These descriptions repeat in the output schema of every write tool, so each says only what its
    # name does not; `reason` spells out what to do next whenever there is something to do.
    status: WriteStatus = Field(description="confirmation_required: nothing was sent yet; reason says what to do")
    summary: str = Field(description="What this call does (or would do)")
    reason: str | None = Field(default=None, description="Why it was not done, or what to do next")
    confirmation_token: str | None = None
    expires_in_s: int | None = None
    confirmed_by: str | None = Field(default=None, description="elicitation, token, off or not_required")

    def audit_outcome(self) -> str:
        return self.status


def client_can_elicit_form(ctx: Context[AppState]) -> bool:
    # The SDK's own rule: a bare `elicitation: {}` counts as form support, URL-only does not.
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def confirm_with(
    plan_fn: Callable[..., Awaitable[WritePlan]],
) -> Callable[[WritePlan, Context[AppState]], Awaitable[Elicit[ConfirmForm] | ConfirmForm]]:
    """Build the confirmation resolver of one write tool from its plan resolver."""

    async def confirm(
        plan: Annotated[WritePlan, Resolve(plan_fn)], ctx: Context[AppState]
    ) -> Elicit[ConfirmForm] | ConfirmForm:
        guard = app_state(ctx).guard
        if not plan.needs_confirmation:
            return NotAsked(method="not_required")
        if guard.confirm == "off":
            return NotAsked(method="off")
        if client_can_elicit_form(ctx):
            return Elicit(plan.question(), ConfirmForm)
        if guard.confirm == "elicit":
            return NotAsked(method="refused")
        return NotAsked(method="token")

    return confirm


def call_arguments(ctx: Context[AppState]) -> dict[str, JsonValue]:
    """The arguments exactly as the client sent them, without the confirmation token."""
    params = ctx.request_context.params or {}
    try:
        arguments = _ARGUMENTS.validate_python(params.get("arguments") or {})
    except ValidationError:
        arguments = {}
    arguments.pop("confirmation_token", None)
    return arguments


async def run_write(
    ctx: Context[AppState],
    plan: WritePlan,
    confirmation: ConfirmOutcome,
    confirmation_token: str | None,
    result_type: type[W],
    perform: Callable[[str], Awaitable[W]],
) -> W:
    """Confirm `plan` as NUKI_CONFIRM says, then `perform(confirmed_by)` it, and audit the attempt.

    Nothing is sent to Nuki unless the human accepted with `confirm: true`, a valid token was
    presented, or confirmation is off. Every attempt, including refusals, is written to the audit log.
    """
    state = app_state(ctx)
    guard = state.guard
    arguments = call_arguments(ctx)

    def audit(method: str, outcome: str, detail: str | None = None) -> None:
        guard.audit.record(
            tool=plan.tool,
            device=plan.device,
            arguments=arguments,
            confirmation=method,
            outcome=outcome,
            detail=detail,
        )

    def not_done(method: str, reason: str) -> W:
        audit(method, "not_done", reason)
        return result_type(status="not_done", summary=plan.describe(), reason=reason)

    if guard.read_only:
        audit("none", "refused", "read-only mode")
        raise ToolError("This server is read-only (NUKI_READ_ONLY=true); no changes can be made through it.")

    match confirmation:
        case AcceptedElicitation(data=NotAsked(method="refused")):
            audit("elicitation", "refused", "client cannot elicit")
            raise ToolError(
                "Refused: NUKI_CONFIRM=elicit requires an MCP client that can ask the user (elicitation), "
                "and this client cannot; use a client with elicitation support or set NUKI_CONFIRM=auto."
            )
        case AcceptedElicitation(data=NotAsked(method="token")):
            binding = canonical_json(
                {
                    "tool": plan.tool,
                    "device": None if plan.device is None else plan.device.smartlock_id,
                    "arguments": arguments,
                }
            )
            if confirmation_token is None:
                issued = guard.tokens.issue(binding)
                audit("token", "confirmation_required")
                return result_type(
                    status="confirmation_required",
                    summary=plan.describe(),
                    reason="Nothing was sent to Nuki. Show the summary to the user; only if they approve, call "
                    "this tool again with the same arguments plus confirmation_token.",
                    confirmation_token=issued.token,
                    expires_in_s=issued.expires_in_s,
                )
            try:
                guard.tokens.redeem(binding, confirmation_token)
            except GuardRefusal as refusal:
                audit("token", "refused", str(refusal))
                raise ToolError(str(refusal)) from None
            method = "token"
        case AcceptedElicitation(data=NotAsked(method=method)):
            pass
        case AcceptedElicitation(data=ConfirmForm(confirm=True)):
            method = "elicitation"
        case AcceptedElicitation():
            return not_done("elicitation", "The user did not confirm (confirm was not true); nothing was sent to Nuki.")
        case DeclinedElicitation():
            return not_done("elicitation", "The user declined; nothing was sent to Nuki.")
        case CancelledElicitation():
            return not_done("elicitation", "The user cancelled; nothing was sent to Nuki.")

    try:
        result = await perform(method)
    except NukiError as exc:
        audit(method, "unknown" if exc.outcome_unknown else "error", str(exc))
        raise ToolError(str(exc)) from None
    except ToolError as exc:
        audit(method, "refused", str(exc))
        raise
    audit(method, result.audit_outcome())
    return result
