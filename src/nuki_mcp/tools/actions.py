"""Toolset `actions`: lock_smartlock, unlock_smartlock, smartlock_action.

Nuki accepts an action with 204 long before the device has moved. These tools therefore wait
(bounded, with progress notifications) until the device reports the target state, and say
`confirmed`, `pending` or `failed` — never "locked" when only "accepted" is known. After an ambiguous
transport failure the action is not sent again: the outcome is `unknown`, with the last known state.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.errors import NukiError
from nuki_mcp.nuki.models import Smartlock, SmartlockAction
from nuki_mcp.tools.common import (
    ConfirmationTokenArg,
    SmartlockArg,
    device_ref,
    find_device,
    nuki_errors,
    register_tool,
    write_annotations,
)
from nuki_mcp.tools.views import DeviceRefView, DeviceStateView, device_ref_view, device_state_view
from nuki_mcp.tools.writes import ConfirmOutcome, WriteResult, confirm_with, run_write

ACTION_WAIT_S = 30.0
POLL_INTERVAL_S = 2.0

ActionOutcome = Literal["confirmed", "pending", "failed", "unknown"]
WaitArg = Annotated[
    bool,
    Field(
        description="Wait (up to 30 s) until the device reports the target state. With false, the tool "
        "returns as soon as Nuki accepted the command (outcome pending)."
    ),
]
ActionArg = Annotated[
    codes.ActionName,
    Field(
        description="Locks and Smart Doors: unlock, lock, unlatch (opens the door), lock_n_go, "
        "lock_n_go_unlatch. Opener: activate_rto (ring to open), deactivate_rto, electric_strike_actuation "
        "(opens the door now), activate_continuous_mode (anyone who rings gets in), deactivate_continuous_mode."
    ),
]

_PHRASES: dict[str, str] = {
    "unlock": "Unlock",
    "lock": "Lock",
    "unlatch": "Unlatch (open the door of)",
    "lock_n_go": "Lock 'n' Go (unlock now, lock again shortly after)",
    "lock_n_go_unlatch": "Lock 'n' Go with unlatch (open now, lock again shortly after)",
    "activate_rto": "Activate Ring to Open on",
    "deactivate_rto": "Deactivate Ring to Open on",
    "electric_strike_actuation": "Buzz the door open with",
    "activate_continuous_mode": "Activate continuous mode (anyone who rings gets in) on",
    "deactivate_continuous_mode": "Deactivate continuous mode on",
}
_OPENS_DOOR = frozenset(
    {"unlock", "unlatch", "lock_n_go", "lock_n_go_unlatch", "activate_rto", "electric_strike_actuation"}
)
_IDEMPOTENT = frozenset(
    {
        "lock",
        "unlock",
        "activate_rto",
        "deactivate_rto",
        "activate_continuous_mode",
        "deactivate_continuous_mode",
    }
)


class ActionResult(WriteResult):
    """What happened to the device."""

    device: DeviceRefView | None = None
    action: str | None = Field(default=None, description="The action that was requested")
    outcome: ActionOutcome | None = Field(
        default=None,
        description="confirmed: the device reports the target state; pending: Nuki accepted the command but "
        "the device has not reported the target state yet (check again with get_smartlock); failed: the "
        "device reported an error; unknown: the command may or may not have reached Nuki (never resend "
        "blindly, check the state first)",
    )
    state_before: DeviceStateView | None = None
    state_after: DeviceStateView | None = Field(default=None, description="Last state the device reported")

    def audit_outcome(self) -> str:
        return self.outcome or self.status


def _plan(tool: str, device: Smartlock, action: str) -> WritePlan:
    if codes.action_code(device.type, action) is None:
        supported = ", ".join(codes.actions_for(device.type)) or "none"
        raise ToolError(
            f"{device.name!r} is a {codes.device_model_name(device.type)}, which has no action {action!r}; "
            f"it supports: {supported}."
        )
    warning = " Anyone at the door can then get in." if action in _OPENS_DOOR else ""
    return WritePlan(
        tool=tool,
        summary=f"{_PHRASES[action]} {device_ref(device).label()}.{warning}",
        device=device_ref(device),
    )


@nuki_errors
async def plan_lock(smartlock: SmartlockArg, ctx: Context[AppState]) -> WritePlan:
    device = await find_device(app_state(ctx), smartlock)
    if codes.is_opener(device.type):
        raise ToolError(
            f"{device.name!r} is an Opener, which cannot lock; use smartlock_action with deactivate_rto "
            "or deactivate_continuous_mode."
        )
    return _plan("lock_smartlock", device, "lock")


@nuki_errors
async def plan_unlock(smartlock: SmartlockArg, ctx: Context[AppState]) -> WritePlan:
    device = await find_device(app_state(ctx), smartlock)
    if codes.is_opener(device.type):
        raise ToolError(
            f"{device.name!r} is an Opener, which cannot unlock; use smartlock_action with "
            "electric_strike_actuation or activate_rto."
        )
    return _plan("unlock_smartlock", device, "unlock")


@nuki_errors
async def plan_action(smartlock: SmartlockArg, action: ActionArg, ctx: Context[AppState]) -> WritePlan:
    return _plan("smartlock_action", await find_device(app_state(ctx), smartlock), action)


confirm_lock = confirm_with(plan_lock)
confirm_unlock = confirm_with(plan_unlock)
confirm_action = confirm_with(plan_action)


async def _execute(
    ctx: Context[AppState],
    plan: WritePlan,
    action: str,
    send: Callable[[int], Awaitable[None]],
    wait: bool,
    confirmed_by: str,
) -> ActionResult:
    state = app_state(ctx)
    target_ref = plan.target()
    # Re-read rather than reuse the plan's device: on the 2025-11-25 era the plan was read before the
    # human answered, which may be minutes ago, and waiting for the target state needs the state now.
    before_device = await state.client.get_smartlock(target_ref.smartlock_id)
    before = device_state_view(before_device)
    result = ActionResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        device=device_ref_view(before_device),
        action=action,
        state_before=before,
        state_after=before,
    )
    try:
        await send(target_ref.smartlock_id)
    except NukiError as exc:
        if not exc.outcome_unknown:
            raise
        result.outcome = "unknown"
        result.reason = (
            f"Outcome unknown: {exc} The command was not sent again; state_after is the last known state. "
            "Check it with get_smartlock before deciding anything."
        )
        return result
    if not wait:
        result.outcome = "pending"
        result.reason = "Nuki accepted the command; the device has not confirmed it yet. Check with get_smartlock."
        return result
    return await _wait_for_target(ctx, before_device, action, result)


async def _wait_for_target(
    ctx: Context[AppState], before: Smartlock, action: str, result: ActionResult
) -> ActionResult:
    state = app_state(ctx)
    target = codes.action_target(before.type, action)
    before_state = before.state.state if before.state else None
    before_mode = before.state.mode if before.state else None
    already_there = before.state is not None and target.is_reached(before.state.state, before.state.mode)
    moved = False
    waited = 0.0
    await ctx.report_progress(0, ACTION_WAIT_S, f"{result.summary} Command accepted by Nuki; waiting for the device.")
    while waited < ACTION_WAIT_S:
        await state.clock.sleep(POLL_INTERVAL_S)
        waited += POLL_INTERVAL_S
        try:
            device = await state.client.get_smartlock(before.smartlock_id)
        except NukiError as exc:
            result.outcome = "pending"
            result.reason = f"Nuki accepted the command, but reading the device back failed: {exc}"
            return result
        view = device_state_view(device)
        result.state_after = view
        current = device.state
        if current is None or view is None:
            continue
        await ctx.report_progress(min(waited, ACTION_WAIT_S), ACTION_WAIT_S, f"{device.name}: {view.state}")
        moved = (
            moved
            or current.state != before_state
            or current.mode != before_mode
            or current.state in target.transient_states
        )
        pending_operation = view.pending_operation
        if target.has_failed(current.state) and moved:
            result.outcome = "failed"
            result.reason = f"The device reported {view.state}; the action did not complete."
            return result
        settled = moved or (already_there and action in _IDEMPOTENT)
        if target.is_reached(current.state, current.mode) and settled and not pending_operation:
            result.outcome = "confirmed"
            return result
    result.outcome = "pending"
    result.reason = (
        f"Nuki accepted the command, but the device did not report the target state within {ACTION_WAIT_S:g} s "
        "(it may be offline or slow); check again with get_smartlock."
    )
    return result


def register(server: MCPServer[AppState], settings: Settings) -> None:
    if settings.read_only:
        return

    @register_tool(server, title="Lock a door", annotations=write_annotations(destructive=False, idempotent=True))
    @nuki_errors
    async def lock_smartlock(
        smartlock: SmartlockArg,
        plan: Annotated[WritePlan, Resolve(plan_lock)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_lock)],
        ctx: Context[AppState],
        wait: WaitArg = True,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ActionResult:
        """Lock a smart lock or Smart Door, then wait until the device reports "locked" (outcome
        confirmed) or say it is still pending. The user is asked to confirm first. Not for Openers."""

        async def perform(confirmed_by: str) -> ActionResult:
            return await _execute(ctx, plan, "lock", app_state(ctx).client.lock, wait, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ActionResult, perform)

    @register_tool(server, title="Unlock a door", annotations=write_annotations(destructive=True, idempotent=True))
    @nuki_errors
    async def unlock_smartlock(
        smartlock: SmartlockArg,
        plan: Annotated[WritePlan, Resolve(plan_unlock)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_unlock)],
        ctx: Context[AppState],
        wait: WaitArg = True,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ActionResult:
        """Unlock a smart lock or Smart Door (anyone at the door can then open it). The user is
        asked to confirm first; only call it when the user asked for exactly this door. Waits until
        the device reports "unlocked". Not for Openers (use smartlock_action)."""

        async def perform(confirmed_by: str) -> ActionResult:
            return await _execute(ctx, plan, "unlock", app_state(ctx).client.unlock, wait, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ActionResult, perform)

    @register_tool(
        server, title="Run a device action", annotations=write_annotations(destructive=True, idempotent=False)
    )
    @nuki_errors
    async def smartlock_action(
        smartlock: SmartlockArg,
        action: ActionArg,
        plan: Annotated[WritePlan, Resolve(plan_action)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_action)],
        ctx: Context[AppState],
        wait: WaitArg = True,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ActionResult:
        """Run any action a device supports: unlatch (opens the door), Lock 'n' Go, or the Opener's
        Ring to Open, electric strike and continuous mode. The action must fit the device type
        (get_smartlock lists them). The user is asked to confirm first. For plain lock/unlock prefer
        lock_smartlock/unlock_smartlock."""

        async def send(smartlock_id: int) -> None:
            code = codes.action_code(plan.target().device_type, action)
            if code is None:  # the plan already refused this; kept for type narrowing
                raise ToolError(f"Action {action!r} is not supported by this device.")
            await app_state(ctx).client.action(smartlock_id, SmartlockAction(action=code))

        async def perform(confirmed_by: str) -> ActionResult:
            return await _execute(ctx, plan, action, send, wait, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ActionResult, perform)
