"""The simulated account's data and the device work in flight.

Nothing runs in the background: accepted actions and new authorizations become scheduled events,
and `advance()` applies every event that is due on the clock. The simulator calls it before it
answers a request or an inspection call, so state only ever moves when someone looks.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from pydantic import BaseModel, JsonValue

from nuki_mcp.clock import Clock
from nuki_mcp.demo import motion
from nuki_mcp.demo.hosting import HostingData
from nuki_mcp.demo.ids import ObjectIds
from nuki_mcp.demo.routing import ApiError
from nuki_mcp.nuki.models import (
    AccountIntegration,
    AccountUser,
    ApiKey,
    DecentralWebhook,
    MyAccount,
    OpenerLog,
    Smartlock,
    SmartlockAuth,
    SmartlockLog,
    SmartlockState,
    SubAccount,
    WebhookLog,
)

SERVER_OFFLINE = 4  # serverState: the device cannot be reached
TRIGGER_WEB = 4  # state.trigger / log trigger: Nuki Web
LOG_SUCCESS = 0  # log state: success
OPENER_SOURCE_APP = 2  # openerLog.source
DEFAULT_LNG_TIMEOUT = 20  # seconds, Nuki's default lock 'n' go timeout


def wire(model: BaseModel) -> JsonValue:
    """A model as Nuki sends it: camelCase names, RFC 3339 dates, absent fields left out."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    run: Callable[[float], None] = field(compare=False)


class SimulatedAccount:
    """One Nuki Web account: its devices, authorizations, logs, account users and webhooks."""

    def __init__(self, clock: Clock, account: MyAccount, owner: AccountUser) -> None:
        self.clock = clock
        self.ids = ObjectIds()
        self.account = account
        self.owner_account_user_id = owner.account_user_id
        self.account_users: dict[int, AccountUser] = {owner.account_user_id: owner}
        self.devices: dict[int, Smartlock] = {}
        self.auths: dict[str, SmartlockAuth] = {}
        self.logs: list[SmartlockLog] = []
        self.webhooks: dict[int, DecentralWebhook] = {}
        self.api_keys: dict[int, ApiKey] = {}
        self.integrations: list[AccountIntegration] = []
        self.this_token: AccountIntegration | None = None  # the integration of the token the simulator is called with
        self.sub_accounts: list[SubAccount] = []
        self.webhook_logs: list[WebhookLog] = []
        self.hosting = HostingData()
        self.action_delay = 1.0
        self.motion_time = 2.0
        self._events: list[_Event] = []
        self._seq = 0
        self._busy_until: dict[int, float] = {}

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return _to_millis(self.clock.now())

    def wall_time(self, monotonic: float) -> datetime:
        """The wall-clock time at which the clock's monotonic reading was (or will be) `monotonic`."""
        return _to_millis(self.clock.now() - timedelta(seconds=self.clock.monotonic() - monotonic))

    def schedule(self, due: float, run: Callable[[float], None]) -> None:
        self._seq += 1
        heapq.heappush(self._events, _Event(due, self._seq, run))

    def advance(self) -> None:
        """Apply every event that is due, in time order; events may schedule further events."""
        now = self.clock.monotonic()
        while self._events and self._events[0].due <= now:
            event = heapq.heappop(self._events)
            event.run(event.due)

    # --- lookups -------------------------------------------------------------------------------

    def device(self, smartlock_id: int) -> Smartlock:
        device = self.devices.get(smartlock_id)
        if device is None:
            raise ApiError(404, f"Smartlock {smartlock_id} not found")
        return device

    def auth(self, smartlock_id: int, auth_id: str) -> SmartlockAuth:
        self.device(smartlock_id)
        auth = self.auths.get(auth_id)
        if auth is None or auth.smartlock_id != smartlock_id:
            raise ApiError(404, f"Smartlock auth {auth_id} not found")
        return auth

    def device_auths(self, smartlock_id: int) -> list[SmartlockAuth]:
        return [a for a in self.auths.values() if a.smartlock_id == smartlock_id]

    def owner_auth(self, smartlock_id: int) -> SmartlockAuth | None:
        for auth in self.device_auths(smartlock_id):
            if auth.type == 0 and auth.account_user_id == self.owner_account_user_id:
                return auth
        return None

    def next_auth_number(self, smartlock_id: int) -> int:
        """The device-level `authId` for a new authorization on this device."""
        return max((a.auth_id or 0 for a in self.device_auths(smartlock_id)), default=0) + 1

    def logs_newest_first(self) -> list[SmartlockLog]:
        return sorted(self.logs, key=lambda log: log.id, reverse=True)

    # --- changes -------------------------------------------------------------------------------

    def remove_device(self, smartlock_id: int) -> None:
        self.device(smartlock_id)
        del self.devices[smartlock_id]
        self.auths = {k: a for k, a in self.auths.items() if a.smartlock_id != smartlock_id}
        self.logs = [log for log in self.logs if log.smartlock_id != smartlock_id]

    def token_revoked(self) -> bool:
        """True once the integration of the simulator's own token was revoked: every call is then a 401."""
        return self.this_token is not None and all(i is not self.this_token for i in self.integrations)

    def delete_account_user_later(self, user: AccountUser) -> None:
        """Nuki deletes an account user asynchronously: locked (`operationId`) until it is gone with its app access."""
        operation_id = self.ids.new(self.now())
        user.operation_id = operation_id
        due = self.clock.monotonic() + self.action_delay + self.motion_time
        self.schedule(due, partial(self._remove_account_user, user.account_user_id, operation_id))

    def _remove_account_user(self, account_user_id: int, operation_id: str, _due: float) -> None:
        user = self.account_users.get(account_user_id)
        if user is None or user.operation_id != operation_id:
            return
        del self.account_users[account_user_id]
        self.auths = {k: a for k, a in self.auths.items() if a.account_user_id != account_user_id}

    def add_pending_auth(self, auth: SmartlockAuth) -> None:
        """A new authorization: listed at once, locked (`operationId`) until the device confirmed it."""
        operation_id = self.ids.new(self.now())
        auth.operation_id = operation_id
        self.auths[auth.id] = auth
        due = self.clock.monotonic() + self.action_delay + self.motion_time
        self.schedule(due, partial(self._confirm_auth, auth.id, operation_id))

    def _confirm_auth(self, auth_id: str, operation_id: str, _due: float) -> None:
        auth = self.auths.get(auth_id)
        if auth is not None and auth.operation_id == operation_id:
            auth.operation_id = None

    def start_action(self, device: Smartlock, action: int) -> None:
        """Accept an action (already checked for the device type); the device moves later.

        An offline device keeps the action pending for ever: Nuki accepted it, nothing delivers it.
        Actions on one device run one after another, like a real command queue.
        """
        operation_id = self.ids.new(self.now())
        device.operation_id = operation_id
        if device.server_state == SERVER_OFFLINE:
            return
        now = self.clock.monotonic()
        at = max(now, self._busy_until.get(device.smartlock_id, now))
        steps = motion.plan(
            device.type,
            action,
            delay=self.action_delay,
            motion=self.motion_time,
            lng_timeout=_lng_timeout(device),
        )
        for index, step in enumerate(steps):
            at += step.after
            run = partial(self._apply_step, device.smartlock_id, action, operation_id, step, index == 0)
            self.schedule(at, run)
        self._busy_until[device.smartlock_id] = at

    def _apply_step(
        self, smartlock_id: int, action: int, operation_id: str, step: motion.Step, first: bool, due: float
    ) -> None:
        device = self.devices.get(smartlock_id)
        if device is None:
            return
        state = device.state or SmartlockState()
        device.state = state
        if first:
            state.trigger = TRIGGER_WEB
            last = motion.last_action(device.type, action)
            if last is not None:
                state.last_action = last
        if step.state is not None:
            state.state = step.state
        if step.mode is not None:
            state.mode = step.mode
        if device.type == motion.OPENER:
            self._update_ring_to_open(device, state, due)
        if step.completes:
            self._complete_action(device, action, operation_id, due)

    def _update_ring_to_open(self, device: Smartlock, state: SmartlockState, due: float) -> None:
        if state.state == 3:  # ring-to-open active
            minutes = (device.opener_advanced_config and device.opener_advanced_config.rto_timeout) or 20
            state.ring_to_open_end = self.wall_time(due) + timedelta(minutes=minutes)
            state.ring_to_open_timer = minutes * 60
        elif state.state == 1:  # online
            state.ring_to_open_end = None
            state.ring_to_open_timer = 0

    def _complete_action(self, device: Smartlock, action: int, operation_id: str, due: float) -> None:
        if device.operation_id == operation_id:
            device.operation_id = None
        when = self.wall_time(due)
        owner_auth = self.owner_auth(device.smartlock_id)
        if owner_auth is not None:
            owner_auth.lock_count += 1
            owner_auth.last_active_date = when
        opener_log = None
        if device.type == motion.OPENER and device.state is not None:
            opener_log = OpenerLog(
                active_cm=device.state.mode == 3,
                active_rto=device.state.state == 3,
                source=OPENER_SOURCE_APP,
                flag_geo_fence=False,
                flag_force=False,
                flag_doorbell_suppression=False,
            )
        self.logs.append(
            SmartlockLog(
                id=self.ids.new(when),
                smartlock_id=device.smartlock_id,
                device_type=device.type,
                account_user_id=self.owner_account_user_id,
                auth_id=owner_auth.id if owner_auth else None,
                name=self.account.name,
                action=action,
                trigger=TRIGGER_WEB,
                state=LOG_SUCCESS,
                auto_unlock=False,
                date=when,
                opener_log=opener_log,
                source=0,
            )
        )


def _lng_timeout(device: Smartlock) -> float:
    config = device.advanced_config or device.smartdoor_advanced_config
    return float((config and config.lng_timeout) or DEFAULT_LNG_TIMEOUT)


def _to_millis(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
