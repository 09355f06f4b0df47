"""The one path every write tool takes: plan -> confirm -> audit attempt -> perform -> audit outcome.

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

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Annotated, Any, Generic, Literal, NoReturn, TypeVar, get_type_hints

import anyio
from mcp.server.apps import client_supports_apps
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, InputRequiredResult, ListToolsResult, PaginatedRequestParams, TextContent, Tool
from pydantic import BaseModel, Field, JsonValue, PrivateAttr, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from nuki_mcp import views
from nuki_mcp.argument_seal import ArgumentSeal
from nuki_mcp.compact_schemas import CompactSchemaServer
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import (
    AuditUnavailable,
    ConfirmForm,
    GuardRefusal,
    NotAsked,
    WritePlan,
    canonical_json,
    escape_invisible,
)
from nuki_mcp.nuki.errors import NukiError, NukiLockedError
from nuki_mcp.tools.common import ConfirmationTokenArg, register_tool, write_annotations

logger = logging.getLogger(__name__)

APPROVAL_META = "nuki/approval"  # the result `_meta` key the card reads (APPROVALS.md)

WriteStatus = Literal["done", "not_done", "confirmation_required"]
ConfirmOutcome = ElicitationResult[ConfirmForm]

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
    approval_url: str | None = Field(default=None, description="Passkey approval page to show the user")
    confirmed_by: str | None = Field(default=None, description="elicitation, token, passkey, card, off or not_required")
    # For the MCP Apps confirmation card: travels in the result's `_meta`, never in content the model reads.
    _approval: dict[str, JsonValue] | None = PrivateAttr(default=None)

    def audit_outcome(self) -> str:
        return self.status


class RecordedToolError(ToolError):
    """A write tool's refusal that is already in the audit trail."""


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
        if guard.confirm == "passkey" and plan.risk == "opening":
            return NotAsked(method="passkey")
        if client_can_elicit_form(ctx):
            binding = write_binding(plan, call_arguments(ctx), guard.seal)
            guard.questions.asked(binding, answering=ctx.input_responses is not None)
            return Elicit(plan.question(guard.questions.ttl_s), ConfirmForm)
        if guard.confirm == "elicit":
            return NotAsked(method="refused")
        return NotAsked(method="token")  # auto, and securing writes under passkey

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


@dataclass(frozen=True)
class PasskeyAnswer:
    """Where a passkey approval stands after the wait: granted, or what to tell the agent."""

    status: Literal["granted", "not_done", "confirmation_required"]
    reason: str | None = None
    approval_id: str | None = None
    url: str | None = None
    expires_in_s: int | None = None


async def _passkey_approval(
    ctx: Context[AppState], plan: WritePlan, binding: str, token: str | None
) -> PasskeyAnswer | str:
    """Get the owner's passkey approval of this exact call (APPROVALS.md), or say why not.

    With a token: redeem the approval it names (a refusal comes back as the sentence to raise). Without:
    create an approval, point the user to its page (progress message, URL-mode elicitation where the
    client has it) and wait up to NUKI_APPROVAL_WAIT seconds for the decision.
    """
    from nuki_mcp.approvals.store import ApprovalDevice, ApprovalRefused, ApprovalRequest

    state = app_state(ctx)
    approvals = state.guard.approvals
    if approvals is None:  # create_server always builds them for NUKI_CONFIRM=passkey
        return "Passkey approvals are not running on this server; nothing was sent. Restart nuki-mcp."
    if token is not None:
        if state.guard.cards.cancelled(token):
            return "This change was cancelled in the confirmation card; nothing was sent to Nuki. Ask again."
        try:
            await approvals.redeem(token.strip(), binding)
        except ApprovalRefused as refused:
            return refused.message
        return PasskeyAnswer("granted")
    devices = tuple(
        ApprovalDevice(ref.smartlock_id, ref.name) for ref in (plan.device, *plan.devices) if ref is not None
    )
    params = ctx.session.client_params
    approval = await approvals.request(
        ApprovalRequest(
            tool=plan.tool,
            devices=tuple(dict.fromkeys(devices)),
            binding=binding,
            summary=escape_invisible(plan.summary),
            changes=tuple(escape_invisible(change.describe()) for change in plan.changes),
            client_name=None if params is None else params.client_info.name,
        )
    )
    url = approvals.url(approval.id)
    await ctx.report_progress(0, approvals.wait_s, f"Waiting for the owner to approve with a passkey at {url}")
    decided = approval
    async with anyio.create_task_group() as offers:
        if _client_can_open_urls(ctx):
            offers.start_soon(_offer_link, ctx, url, approval.id)
        decided = await approvals.wait(approval.id)
        offers.cancel_scope.cancel()
    if decided is not None and decided.state == "granted":
        if state.guard.cards.cancelled(approval.id):
            return PasskeyAnswer("not_done", "The user cancelled this in the confirmation card; nothing was sent.")
        try:
            await approvals.redeem(approval.id, binding)
        except ApprovalRefused as refused:
            return refused.message
        return PasskeyAnswer("granted")
    if decided is not None and decided.state == "denied":
        return PasskeyAnswer("not_done", "The owner denied this with their passkey; nothing was sent to Nuki.")
    if decided is None or decided.state != "pending":
        return PasskeyAnswer(
            "not_done", "The approval expired before the owner answered; nothing was sent to Nuki. Call again to ask."
        )
    return PasskeyAnswer(
        "confirmation_required",
        f"Nothing was sent to Nuki. Show the user this link and ask them to approve with their passkey: {url} - "
        "once they have, call this tool again with the same arguments plus confirmation_token.",
        approval_id=approval.id,
        url=url,
        expires_in_s=decided.seconds_left(state.clock.now()),
    )


def _client_can_open_urls(ctx: Context[AppState]) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities else None
    # URL-mode elicitation is pushed mid-call, which needs a back channel: never on the 2026-07-28 era, nor on a
    # legacy connection that is stateless or answers with plain JSON.
    return elicitation is not None and elicitation.url is not None and ctx.session.can_send_request


async def _offer_link(ctx: Context[AppState], url: str, approval_id: str) -> None:
    """Offer the approval page through the host as well; only the passkey on the page approves anything."""
    try:
        await ctx.elicit_url("Approve this change with your passkey on nuki-mcp's approval page.", url, approval_id)
    except Exception:  # the host may refuse or not answer: the link is in the progress message and the result
        logger.info("The client did not take the approval link by URL elicitation")


def write_binding(plan: WritePlan, raw_arguments: dict[str, JsonValue], seal: ArgumentSeal) -> str:
    """What a confirmation is bound to: the tool, the resolved devices and the normalized arguments.

    Naming a device by id or by name gives the same binding; renaming a device between the two calls
    of a token confirmation cannot redirect the write. Plans not declared with `write_tool` carry no
    normalized arguments and are bound to the arguments as sent. Keypad codes and PINs appear as keyed
    digests, since bindings may be stored in shared state.
    """
    arguments = raw_arguments if plan.arguments is None else dict(plan.arguments)
    bound = seal.digested(arguments)
    return canonical_json({"tool": plan.tool, "devices": list[JsonValue](plan.device_ids()), "arguments": bound})


async def run_write(
    ctx: Context[AppState],
    tool: "WriteTool[Any, Any]",
    plan: WritePlan,
    confirmation: ConfirmOutcome,
    confirmation_token: str | None,
) -> WriteResult:
    """Confirm `plan` as NUKI_CONFIRM says, then perform it with `perform_confirmed`, recording every step.

    Nothing is sent to Nuki unless the human accepted with `confirm: true` in time, a valid token was
    presented, the owner approved with a passkey, or confirmation is off. On a client that renders MCP
    Apps and cannot elicit, the approval waits for a click in the confirmation card instead of a token
    the model could replay. Every refusal is recorded too.
    """
    state = app_state(ctx)
    guard = state.guard
    arguments = call_arguments(ctx)
    binding = write_binding(plan, arguments, guard.seal)
    result_type = tool.result_type

    def decide(method: str, outcome: str, detail: str | None = None) -> None:
        guard.audit.decision(
            tool=plan.tool, device=plan.device, arguments=arguments, confirmation=method, outcome=outcome, detail=detail
        )

    def refuse(method: str, message: str) -> NoReturn:
        decide(method, "refused", message)
        raise RecordedToolError(message)

    def not_done(method: str, reason: str) -> WriteResult:
        decide(method, "not_done", reason)
        return result_type(status="not_done", summary=plan.describe(), reason=reason)

    if guard.read_only:
        refuse("none", "This server is read-only (NUKI_READ_ONLY=true); no changes can be made through it.")

    match confirmation:
        case AcceptedElicitation(data=NotAsked(method="refused")):
            refuse(
                "elicitation",
                "Refused: NUKI_CONFIRM=elicit requires an MCP client that can ask the user (elicitation), "
                "and this client cannot; use a client with elicitation support or set NUKI_CONFIRM=auto.",
            )
        case AcceptedElicitation(data=NotAsked(method="token")):
            if confirmation_token is None and client_supports_apps(ctx):
                card = guard.cards.add(plan.tool, binding, CardWrite(tool, plan, arguments))
                decide("card", "confirmation_required")
                waiting = result_type(
                    status="confirmation_required",
                    summary=plan.describe(),
                    reason="Nothing was sent to Nuki. The user approves or cancels it in the confirmation card "
                    "shown with this result; wait for their choice.",
                )
                return _in_card(waiting, plan, card.approval_id, guard.cards.seconds_left(card), None)
            if confirmation_token is None:
                issued = guard.tokens.issue(binding)
                decide("token", "confirmation_required")
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
                refuse("token", str(refusal))
            method = "token"
        case AcceptedElicitation(data=NotAsked(method="passkey")):
            answer = await _passkey_approval(ctx, plan, binding, confirmation_token)
            if isinstance(answer, str):
                refuse("passkey", answer)
            if answer.status != "granted":
                decide("passkey", answer.status, answer.reason)
                if answer.approval_id is not None and client_supports_apps(ctx) and not client_can_elicit_form(ctx):
                    # The card opens the approval page; approve_write performs it once the passkey said yes.
                    guard.cards.add(plan.tool, binding, CardWrite(tool, plan, arguments), answer.approval_id)
                    waiting = result_type(status=answer.status, summary=plan.describe(), reason=answer.reason)
                    return _in_card(waiting, plan, answer.approval_id, answer.expires_in_s, answer.url)
                return result_type(
                    status=answer.status,
                    summary=plan.describe(),
                    reason=answer.reason,
                    confirmation_token=answer.approval_id,
                    expires_in_s=answer.expires_in_s,
                    approval_url=answer.url,
                )
            method = "passkey"
        case AcceptedElicitation(data=NotAsked(method=method)):
            pass
        case AcceptedElicitation(data=ConfirmForm(confirm=True)):
            if not guard.questions.answered_in_time(binding):
                return not_done(
                    "elicitation",
                    f"The user's answer arrived after the {guard.questions.ttl_s:g} s the question was valid for; "
                    "nothing was sent to Nuki. Call the tool again to ask anew.",
                )
            method = "elicitation"
        case AcceptedElicitation():
            return not_done("elicitation", "The user did not confirm (confirm was not true); nothing was sent to Nuki.")
        case DeclinedElicitation():
            return not_done("elicitation", "The user declined; nothing was sent to Nuki.")
        case CancelledElicitation():
            return not_done("elicitation", "The user cancelled; nothing was sent to Nuki.")

    return await perform_confirmed(ctx, tool, plan, method, arguments, confirmation_token)


async def perform_confirmed(
    ctx: Context[AppState],
    tool: "WriteTool[Any, Any]",
    plan: WritePlan,
    method: str,
    arguments: dict[str, JsonValue],
    confirmation_token: str | None = None,
) -> WriteResult:
    """Perform a confirmed write: refresh, attempt line (synced; none, no request), perform, outcome line.

    `refresh` re-reads the target and re-applies the confirmed changes on top of what is there now (so a
    change made at Nuki meanwhile is not overwritten); a refusal there sends nothing. The outcome line
    follows whatever happens, a cancelled call included.
    """
    guard = app_state(ctx).guard

    def refuse(message: str) -> NoReturn:
        guard.audit.decision(
            tool=plan.tool,
            device=plan.device,
            arguments=arguments,
            confirmation=method,
            outcome="refused",
            detail=message,
        )
        raise RecordedToolError(message)

    if tool.refresh is not None:
        try:
            plan = await tool.refresh(ctx, plan)
        except (NukiError, GuardRefusal, ToolError) as exc:
            refuse(str(exc))

    try:
        attempt_id = guard.audit.attempt(tool=plan.tool, device=plan.device, arguments=arguments, confirmation=method)
    except AuditUnavailable as unavailable:
        raise RecordedToolError(str(unavailable)) from None

    def finish(outcome: str, detail: str | None = None) -> None:
        guard.audit.outcome(
            attempt_id,
            tool=plan.tool,
            device=plan.device,
            arguments=arguments,
            confirmation=method,
            outcome=outcome,
            detail=detail,
        )

    try:
        result: WriteResult = await tool.perform(ctx, plan, method)
    except NukiLockedError as exc:
        # 423: Nuki did nothing, so the human's confirmation still stands for the same call.
        kept = ""
        if method == "token" and confirmation_token is not None:
            guard.tokens.release(confirmation_token)
            kept = " Nothing was changed; the same confirmation_token works again until it expires."
        finish("not_done", str(exc))
        raise RecordedToolError(f"{exc}{kept}") from None
    except NukiError as exc:
        finish("unknown" if exc.outcome_unknown else "error", str(exc))
        raise RecordedToolError(str(exc)) from None
    except ToolError as exc:
        finish("error", str(exc))
        raise RecordedToolError(str(exc)) from None
    except anyio.get_cancelled_exc_class():
        finish("unknown", "The call was cancelled before Nuki's answer was read; the request may have reached Nuki.")
        raise
    except BaseException as exc:
        finish("unknown", f"The server failed ({type(exc).__name__}) before Nuki's answer was read.")
        raise
    finish(result.audit_outcome(), result.reason)
    return result


@dataclass(frozen=True)
class CardWrite:
    """A planned write waiting in the confirmation card: performed exactly as planned, or not at all."""

    tool: "WriteTool[Any, Any]"
    plan: WritePlan
    arguments: dict[str, JsonValue]


def _in_card(
    result: WriteResult, plan: WritePlan, approval_id: str, expires_in_s: int | None, approval_url: str | None
) -> WriteResult:
    """Put the approval in the result's `_meta` for the card (APPROVALS.md), and out of what the model reads."""
    approval: dict[str, JsonValue] = {
        "approval_id": approval_id,
        "summary": plan.describe(),
        "changes": [change.describe() for change in plan.changes],
        "expires_in_s": expires_in_s,
    }
    if approval_url is not None:
        approval["approval_url"] = approval_url
    result._approval = approval  # pyright: ignore[reportPrivateUsage]
    return result


def as_call_result(result: WriteResult) -> WriteResult | CallToolResult:
    """The tool's answer: the result itself, or with the card's approval attached as `_meta`."""
    approval = result._approval  # pyright: ignore[reportPrivateUsage]
    if approval is None:
        return result
    return CallToolResult(
        content=[TextContent(type="text", text=result.model_dump_json())],
        structured_content=result.model_dump(mode="json"),
        _meta={APPROVAL_META: approval},
    )


class WriteRecordingServer(CompactSchemaServer):
    """Records the refusals of write tools that happen before a tool's body runs.

    Planning (device outside the allow-list, a type mismatch, a bad argument) and the confirmation
    round trip (an elicitation answer that cannot be read) run as resolvers, before `run_write` can
    see the call; their refusal is recorded here, once, like every other refusal of a write.
    """

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # The SDK re-raises a tool's own ToolError wrapped in one that names the tool.
            recorded = isinstance(exc, RecordedToolError) or isinstance(exc.__cause__, RecordedToolError)
            if not recorded and self._is_write_tool(name):
                self.record_refusal(name, arguments, context, _refusal_detail(exc))
            raise
        except MCPError as exc:  # the client failed to answer the confirmation question
            if self._is_write_tool(name):
                self.record_refusal(name, arguments, context, exc.error.message)
            raise

    def record_refusal(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None, detail: str
    ) -> None:
        """Record that the write tool `name` was refused before anything was sent."""
        if context is not None:
            app_state(context).guard.audit.decision(
                tool=name,
                device=None,
                arguments=_recordable(arguments),
                confirmation="none",
                outcome="refused",
                detail=detail,
            )

    async def _handle_list_tools(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, ctx: ServerRequestContext[AppState], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """The tool list; the confirmation card's app-only tools only for a client that renders MCP Apps.

        A host without Apps sees no change at all (PRODUCT.md §6), and never offers them to its model.
        """
        listed = await super()._handle_list_tools(ctx, params)
        if client_supports_apps(ctx):
            return listed
        return listed.model_copy(update={"tools": [tool for tool in listed.tools if not is_app_only(tool)]})

    def offers_write_tool(self, name: str) -> bool:
        return self._is_write_tool(name)

    def _is_write_tool(self, name: str) -> bool:
        tool = self._tool_manager.get_tool(name)
        return tool is not None and not (tool.annotations is not None and tool.annotations.read_only_hint)


def is_app_only(tool: Tool) -> bool:
    """Whether a listed tool is for MCP Apps views only (`_meta.ui.visibility: ["app"]`)."""
    ui = _ARGUMENTS.validate_python((tool.meta or {}).get("ui") or {})
    return ui.get("visibility") == ["app"]


def _recordable(arguments: dict[str, Any]) -> dict[str, JsonValue]:
    try:
        recorded = _ARGUMENTS.validate_python(arguments)
    except ValidationError:
        return {}
    recorded.pop("confirmation_token", None)
    return recorded


def _refusal_detail(exc: ToolError) -> str:
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        # Field names only: the rejected values may be secrets (a keypad code, the admin PIN).
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in cause.errors()})
        return f"Invalid arguments: {', '.join(fields)}."
    return str(cause if isinstance(cause, ToolError) else exc)


# --- declaring a write tool once ------------------------------------------------------------------

PlanT = TypeVar("PlanT", bound=WritePlan)
ResultT = TypeVar("ResultT", bound=WriteResult)

# Arguments that name devices: a confirmation binds the devices they resolved to, not their text.
_DEVICE_ARGUMENTS = frozenset({"smartlock", "smartlocks"})


@dataclass(frozen=True)
class WriteTool(Generic[PlanT, ResultT]):
    """One write tool, declared once.

    `plan` is an async function named like the tool, whose parameters besides `ctx` are the tool's
    arguments and whose docstring is the tool's description for the model. It reads what it needs
    and returns exactly what will happen, sending nothing. `perform` sends that plan once it is
    confirmed. `refresh`, where given, re-reads the target right before sending and re-applies only
    the confirmed changes on top of what is there now.

    Registration, read-only filtering, confirmation, the refresh, the audit lines and error
    translation are `register_writes`' and `run_write`'s, the same for every write tool.
    """

    plan: Callable[..., Awaitable[PlanT]]
    perform: Callable[[Context[AppState], PlanT, str], Awaitable[ResultT]]
    title: str
    destructive: bool
    idempotent: bool
    refresh: Callable[[Context[AppState], PlanT], Awaitable[PlanT]] | None = None
    confirms: bool = True  # False: never asks (the plan says needs_confirmation=False), so takes no token

    @property
    def name(self) -> str:
        return self.plan.__name__

    @cached_property  # read on every call of the tool; the annotations never change
    def result_type(self) -> type[WriteResult]:
        """What `perform` returns: the tool's structured result model."""
        returned: type[WriteResult] = get_type_hints(self.perform)["return"]
        return returned


def write_tool(
    *,
    title: str,
    destructive: bool,
    idempotent: bool,
    perform: Callable[[Context[AppState], PlanT, str], Awaitable[ResultT]],
    refresh: Callable[[Context[AppState], PlanT], Awaitable[PlanT]] | None = None,
    confirms: bool = True,
) -> Callable[[Callable[..., Awaitable[PlanT]]], WriteTool[PlanT, ResultT]]:
    """Declare a write tool by its plan function (see `WriteTool`)."""

    def declare(plan: Callable[..., Awaitable[PlanT]]) -> WriteTool[PlanT, ResultT]:
        return WriteTool(plan, perform, title, destructive, idempotent, refresh, confirms)

    return declare


_DECLARED: dict[str, WriteTool[Any, Any]] = {}  # every write tool any server registered, by name


def register_writes(server: MCPServer[AppState], settings: Settings, tools: Iterable[WriteTool[Any, Any]]) -> None:
    """Register each write tool, unless the server is read-only (then they are neither listed nor callable)."""
    if settings.read_only:
        return
    for tool in tools:
        _DECLARED[tool.name] = tool
        annotations = write_annotations(destructive=tool.destructive, idempotent=tool.idempotent)
        meta = views.confirm_meta() if tool.confirms else None
        register_tool(server, title=tool.title, annotations=annotations, meta=meta)(_tool_function(tool))


def _tool_function(tool: WriteTool[Any, Any]) -> Callable[..., Awaitable[WriteResult | CallToolResult]]:
    """The function the SDK registers: the plan's arguments plus the plan and confirmation resolvers."""
    hints = get_type_hints(tool.plan, include_extras=True)
    arguments = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[parameter.name])
        for parameter in inspect.signature(tool.plan).parameters.values()
    ]
    result_type = tool.result_type

    async def plan(**kwargs: Any) -> WritePlan:
        return await _planned(tool, kwargs)

    _sign(plan, f"plan_{tool.name}", arguments, WritePlan)
    confirm = confirm_with(plan)

    async def run(**kwargs: Any) -> WriteResult | CallToolResult:
        token: str | None = kwargs.get("confirmation_token")
        result = await run_write(kwargs["ctx"], tool, kwargs["plan"], kwargs["confirmation"], token)
        return as_call_result(result)

    resolvers = [
        inspect.Parameter("plan", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[WritePlan, Resolve(plan)]),
        inspect.Parameter(
            "confirmation", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[ConfirmOutcome, Resolve(confirm)]
        ),
    ]
    if tool.confirms:
        resolvers.append(
            inspect.Parameter(
                "confirmation_token", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfirmationTokenArg
            )
        )
    _sign(run, tool.name, [*arguments, *resolvers], result_type)
    run.__doc__ = tool.plan.__doc__
    return run


async def _planned(tool: WriteTool[Any, Any], kwargs: dict[str, Any]) -> WritePlan:
    try:
        planned = await tool.plan(**kwargs)
    except (NukiError, GuardRefusal) as exc:
        raise ToolError(str(exc)) from None
    return replace(planned, arguments=_normalized(kwargs))


async def replan(ctx: Context[AppState], name: str, arguments: dict[str, JsonValue]) -> CardWrite | None:
    """The write `name` planned anew (reading Nuki now) from `arguments` as the client sent them.

    For the confirmation card's Approve on a replica that did not show the card. None when this server does
    not offer `name`; a `ToolError` when the arguments do not plan any more.
    """
    tool = _DECLARED.get(name)
    server = ctx.mcp_server
    if tool is None or not isinstance(server, WriteRecordingServer) or not server.offers_write_tool(name):
        return None
    try:
        kwargs = func_metadata(tool.plan, skip_names=("ctx",), structured_output=False).validate_arguments(
            dict(arguments)
        )
    except ValidationError:
        raise ToolError(f"its arguments no longer fit {name}") from None
    # The plan reads the call's arguments (which were sent, `call_arguments`) as if the write tool had been called.
    params = {**(ctx.request_context.params or {}), "arguments": arguments}
    as_called = Context[AppState](request_context=replace(ctx.request_context, params=params), mcp_server=server)
    return CardWrite(tool, await _planned(tool, {**kwargs, "ctx": as_called}), arguments)


def _sign(fn: Callable[..., object], name: str, parameters: list[inspect.Parameter], returns: object) -> None:
    """Give a generated function the signature and annotations the SDK reads."""
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": returns}


def _normalized(arguments: Mapping[str, object]) -> dict[str, JsonValue]:
    """The validated arguments as JSON, without the device names (a plan binds their resolved ids)."""
    return {
        name: to_jsonable_python(value)
        for name, value in arguments.items()
        if name != "ctx" and name not in _DEVICE_ARGUMENTS
    }
