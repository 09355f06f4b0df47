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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Generic, Literal, NoReturn, TypeVar, get_type_hints

import anyio
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
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import BaseModel, Field, JsonValue, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from nuki_mcp.compact_schemas import CompactSchemaServer
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import AuditUnavailable, ConfirmForm, GuardRefusal, NotAsked, WritePlan, canonical_json
from nuki_mcp.nuki.errors import NukiError, NukiLockedError
from nuki_mcp.tools.common import ConfirmationTokenArg, register_tool, write_annotations

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
        if client_can_elicit_form(ctx):
            guard.questions.asked(write_binding(plan, call_arguments(ctx)), answering=ctx.input_responses is not None)
            return Elicit(plan.question(guard.questions.ttl_s), ConfirmForm)
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


def write_binding(plan: WritePlan, raw_arguments: dict[str, JsonValue]) -> str:
    """What a confirmation is bound to: the tool, the resolved devices and the normalized arguments.

    Naming a device by id or by name gives the same binding; renaming a device between the two calls
    of a token confirmation cannot redirect the write. Plans not declared with `write_tool` carry no
    normalized arguments and are bound to the arguments as sent.
    """
    arguments = raw_arguments if plan.arguments is None else dict(plan.arguments)
    return canonical_json({"tool": plan.tool, "devices": list[JsonValue](plan.device_ids()), "arguments": arguments})


async def run_write(
    ctx: Context[AppState],
    plan: WritePlan,
    confirmation: ConfirmOutcome,
    confirmation_token: str | None,
    result_type: type[W],
    perform: Callable[[str], Awaitable[W]],
    refresh: Callable[[], Awaitable[WritePlan]] | None = None,
) -> W:
    """Confirm `plan` as NUKI_CONFIRM says, then `perform(confirmed_by)` it, recording every step.

    `refresh`, once the write is confirmed, re-reads the target and re-applies the confirmed changes
    on top of what is there now (so a change made at Nuki meanwhile is not overwritten); a refusal
    there sends nothing.

    Nothing is sent to Nuki unless the human accepted with `confirm: true` in time, a valid token was
    presented, or confirmation is off. An attempt line is synced to the audit trail before `perform`
    runs (no record, no request) and an outcome line follows whatever happens, cancellation included;
    every refusal is recorded too.
    """
    state = app_state(ctx)
    guard = state.guard
    arguments = call_arguments(ctx)
    binding = write_binding(plan, arguments)

    def decide(method: str, outcome: str, detail: str | None = None) -> None:
        guard.audit.decision(
            tool=plan.tool, device=plan.device, arguments=arguments, confirmation=method, outcome=outcome, detail=detail
        )

    def refuse(method: str, message: str) -> NoReturn:
        decide(method, "refused", message)
        raise RecordedToolError(message)

    def not_done(method: str, reason: str) -> W:
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

    if refresh is not None:
        try:
            plan = await refresh()
        except (NukiError, GuardRefusal, ToolError) as exc:
            refuse(method, str(exc))

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
        result = await perform(method)
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

    def _is_write_tool(self, name: str) -> bool:
        tool = self._tool_manager.get_tool(name)
        return tool is not None and not (tool.annotations is not None and tool.annotations.read_only_hint)


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


def register_writes(server: MCPServer[AppState], settings: Settings, tools: Iterable[WriteTool[Any, Any]]) -> None:
    """Register each write tool, unless the server is read-only (then they are neither listed nor callable)."""
    if settings.read_only:
        return
    for tool in tools:
        annotations = write_annotations(destructive=tool.destructive, idempotent=tool.idempotent)
        register_tool(server, title=tool.title, annotations=annotations)(_tool_function(tool))


def _tool_function(tool: WriteTool[Any, Any]) -> Callable[..., Awaitable[WriteResult]]:
    """The function the SDK registers: the plan's arguments plus the plan and confirmation resolvers."""
    hints = get_type_hints(tool.plan, include_extras=True)
    arguments = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[parameter.name])
        for parameter in inspect.signature(tool.plan).parameters.values()
    ]
    result_type: type[WriteResult] = get_type_hints(tool.perform)["return"]

    async def plan(**kwargs: Any) -> WritePlan:
        try:
            planned = await tool.plan(**kwargs)
        except (NukiError, GuardRefusal) as exc:
            raise ToolError(str(exc)) from None
        return replace(planned, arguments=_normalized(kwargs))

    _sign(plan, f"plan_{tool.name}", arguments, WritePlan)
    confirm = confirm_with(plan)

    async def run(**kwargs: Any) -> WriteResult:
        ctx: Context[AppState] = kwargs["ctx"]
        current: WritePlan = kwargs["plan"]

        async def refresh() -> WritePlan:
            nonlocal current
            if tool.refresh is not None:
                current = await tool.refresh(ctx, current)
            return current

        async def perform(confirmed_by: str) -> WriteResult:
            return await tool.perform(ctx, current, confirmed_by)

        token: str | None = kwargs.get("confirmation_token")
        return await run_write(ctx, current, kwargs["confirmation"], token, result_type, perform, refresh)

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
