"""Toolset `actions`: lock_smartlock, unlock_smartlock, smartlock_action.

Nuki accepts an action with 204 long before the device has moved. These tools therefore wait
(bounded by time, with progress notifications) until the device reports the target state, and say
`confirmed`, `pending` or `failed` — never "locked" when only "accepted" is known. After an ambiguous
transport failure the action is not sent again: the outcome is `unknown`, with the last known state.
"""

from dataclasses import dataclass, field
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.errors import NukiError
from nuki_mcp.nuki.models import Smartlock, SmartlockAction
from nuki_mcp.tools.common import SmartlockArg, device_ref, find_device
from nuki_mcp.tools.views import DeviceRefView, DeviceStateView, device_ref_view, device_state_view
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

ACTION_WAIT_S = 30.0
OFFLINE_WAIT_S = 6.0
POLL_INTERVAL_S = 2.0
SERVER_STATE_OK = 0

ActionOutcome = Literal["confirmed", "pending", "failed", "unknown"]
WaitArg = Annotated[
    bool,
    Field(description="false: return once Nuki accepts (outcome pending)."),
]
ActionArg = Annotated[
    codes.ActionName,
    Field(
        description="Locks and Smart Doors: unlatch opens the door, lock_n_go*. Openers: *_rto (Ring to Open), "
        "electric_strike_actuation (opens now), *_continuous_mode (anyone who rings gets in)."
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
# Pulses: the device passes through the target state for a few seconds and returns, so a poll can
# miss it; the new entry in the device's activity log proves them as well.
_PULSES = frozenset({"unlatch", "electric_strike_actuation"})


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


@dataclass(frozen=True)
class ActionPlan(WritePlan):
    """An action on one device: which one, whether to wait, and how long the wait may be."""

    action: str = field(kw_only=True)
    wait: bool = field(kw_only=True)
    wait_s: float = field(kw_only=True)


def _plan(tool: str, device: Smartlock, action: str, wait: bool) -> ActionPlan:
    if codes.action_code(device.type, action) is None:
        supported = ", ".join(codes.actions_for(device.type)) or "none"
        raise ToolError(
            f"{device.name!r} is a {codes.device_model_name(device.type)}, which has no action {action!r}; "
            f"it supports: {supported}."
        )
    warnings: list[str] = []
    if action in _OPENS_DOOR:
        warnings.append("Anyone at the door can then get in.")
    online = device.server_state == SERVER_STATE_OK
    if not online:
        warnings.append(f"{device.name} is offline: the command may not arrive.")
    return ActionPlan(
        tool=tool,
        summary=" ".join([f"{_PHRASES[action]} {device_ref(device).label()}.", *warnings]),
        device=device_ref(device),
        risk="securing" if action == "lock" else "opening",
        action=action,
        wait=wait,
        wait_s=ACTION_WAIT_S if online else OFFLINE_WAIT_S,
    )


async def perform_action(ctx: Context[AppState], plan: ActionPlan, confirmed_by: str) -> ActionResult:
    state = app_state(ctx)
    target_ref = plan.target()
    # Re-read rather than reuse the plan's device: on the 2025-11-25 era the plan was read before the
    # human answered, which may be minutes ago, and waiting for the target state needs the state now.
    before = await state.client.get_smartlock(target_ref.smartlock_id)
    before_view = device_state_view(before)
    result = ActionResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        device=device_ref_view(before),
        action=plan.action,
        state_before=before_view,
        state_after=before_view,
    )
    seen_logs = await _log_ids(ctx, before, plan.action)
    try:
        await _send(ctx, before, plan)
    except NukiError as exc:
        if not exc.outcome_unknown:
            raise
        result.outcome = "unknown"
        result.reason = (
            f"Outcome unknown: {exc} The command was not sent again; state_after is the last known state. "
            "Check it with get_smartlock before deciding anything."
        )
        return result
    if not plan.wait:
        result.outcome = "pending"
        result.reason = "Nuki accepted the command; the device has not confirmed it yet. Check with get_smartlock."
        return result
    return await _wait_for_target(ctx, before, plan, seen_logs, result)


async def _send(ctx: Context[AppState], device: Smartlock, plan: ActionPlan) -> None:
    client = app_state(ctx).client
    if plan.tool == "lock_smartlock":
        await client.lock(device.smartlock_id)
    elif plan.tool == "unlock_smartlock":
        await client.unlock(device.smartlock_id)
    else:
        code = codes.action_code(device.type, plan.action)
        if code is None:  # the plan already refused this; kept for type narrowing
            raise ToolError(f"Action {plan.action!r} is not supported by this device.")
        await client.action(device.smartlock_id, SmartlockAction(action=code))


async def _log_ids(ctx: Context[AppState], device: Smartlock, action: str) -> frozenset[str] | None:
    """The ids of the newest log entries of a pulse action's device (None for other actions)."""
    if action not in _PULSES:
        return None
    try:
        logs = await app_state(ctx).client.list_smartlock_logs(device.smartlock_id, limit=10)
    except NukiError:
        return None  # no proof from the log then; the states still count
    return frozenset(log.id for log in logs)


async def _logged(ctx: Context[AppState], device: Smartlock, action: str, seen: frozenset[str] | None) -> bool:
    """Whether the device logged `action` since `seen` was read."""
    code = codes.action_code(device.type, action)
    if seen is None or code is None:
        return False
    try:
        logs = await app_state(ctx).client.list_smartlock_logs(device.smartlock_id, limit=10)
    except NukiError:
        return False
    return any(log.id not in seen and log.action == code for log in logs)


async def _wait_for_target(
    ctx: Context[AppState], before: Smartlock, plan: ActionPlan, seen_logs: frozenset[str] | None, result: ActionResult
) -> ActionResult:
    state = app_state(ctx)
    clock = state.clock
    action = plan.action
    target = codes.action_target(before.type, action)
    before_state = before.state.state if before.state else None
    before_mode = before.state.mode if before.state else None
    # An operation already pending before this command belongs to something else and cannot hold it.
    unrelated_operations = {before.operation_id, before.state.operation_id if before.state else None}
    already_there = before.state is not None and target.is_reached(before.state.state, before.state.mode)
    moved = False
    started = clock.monotonic()
    deadline = started + plan.wait_s
    await ctx.report_progress(0, plan.wait_s, f"{result.summary} Command accepted by Nuki; waiting for the device.")
    while clock.monotonic() < deadline:
        await clock.sleep(min(POLL_INTERVAL_S, deadline - clock.monotonic()))
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
        elapsed = min(clock.monotonic() - started, plan.wait_s)
        await ctx.report_progress(elapsed, plan.wait_s, f"{device.name}: {view.state}")
        moved = (
            moved
            or current.state != before_state
            or current.mode != before_mode
            or current.state in target.transient_states
        )
        if target.has_failed(current.state) and moved:
            result.outcome = "failed"
            result.reason = f"The device reported {view.state}; the action did not complete."
            return result
        ours_pending = {device.operation_id, current.operation_id} - unrelated_operations - {None}
        settled = moved or (already_there and action in _IDEMPOTENT)
        if target.is_reached(current.state, current.mode) and settled and not ours_pending:
            result.outcome = "confirmed"
            return result
        if await _logged(ctx, device, action, seen_logs):
            result.outcome = "confirmed"
            result.reason = f"The device logged the {action}; it has already returned to {view.state}."
            return result
    result.outcome = "pending"
    result.reason = (
        f"Nuki accepted the command, but the device did not report the target state within {plan.wait_s:g} s "
        "(it may be offline or slow); check again with get_smartlock."
    )
    return result


@write_tool(title="Lock a door", destructive=False, idempotent=True, perform=perform_action)
async def lock_smartlock(ctx: Context[AppState], smartlock: SmartlockArg, wait: WaitArg = True) -> ActionPlan:
    """Lock a smart lock or Smart Door and wait (up to 30 s) until it reports "locked" (outcome confirmed), else say it
    is pending. Not for Openers.
    """
    device = await find_device(app_state(ctx), smartlock)
    if codes.is_opener(device.type):
        raise ToolError(
            f"{device.name!r} is an Opener, which cannot lock; use smartlock_action with deactivate_rto "
            "or deactivate_continuous_mode."
        )
    return _plan("lock_smartlock", device, "lock", wait)


@write_tool(title="Unlock a door", destructive=True, idempotent=True, perform=perform_action)
async def unlock_smartlock(ctx: Context[AppState], smartlock: SmartlockArg, wait: WaitArg = True) -> ActionPlan:
    """Unlock a smart lock or Smart Door (anyone at the door can then open it), only when the user asked for exactly
    this door; waits (up to 30 s) until it reports "unlocked". Openers: smartlock_action.
    """
    device = await find_device(app_state(ctx), smartlock)
    if codes.is_opener(device.type):
        raise ToolError(
            f"{device.name!r} is an Opener, which cannot unlock; use smartlock_action with "
            "electric_strike_actuation or activate_rto."
        )
    return _plan("unlock_smartlock", device, "unlock", wait)


@write_tool(title="Run a device action", destructive=True, idempotent=False, perform=perform_action)
async def smartlock_action(
    ctx: Context[AppState], smartlock: SmartlockArg, action: ActionArg, wait: WaitArg = True
) -> ActionPlan:
    """Run any action a device supports: unlatch (opens the door), Lock 'n' Go, the Opener's Ring to Open, electric
    strike and continuous mode (get_smartlock lists a device's actions). Plain lock/unlock:
    lock_smartlock/unlock_smartlock.
    """
    return _plan("smartlock_action", await find_device(app_state(ctx), smartlock), action, wait)


async def plan_action(smartlock: str, action: str, ctx: Context[AppState]) -> ActionPlan:
    """The plan of `action` on the named device, for the advanced action tools."""
    return _plan("smartlock_action", await find_device(app_state(ctx), smartlock), action, wait=True)


def register(server: MCPServer[AppState], settings: Settings) -> None:
    register_writes(server, settings, (lock_smartlock, unlock_smartlock, smartlock_action))
