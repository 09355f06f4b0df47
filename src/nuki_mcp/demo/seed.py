"""Builds the simulated account: always the owner's account, and with `seed` the whole household."""

from __future__ import annotations

from datetime import datetime

from nuki_mcp.clock import Clock
from nuki_mcp.demo import activity, hosting, household
from nuki_mcp.demo.state import SimulatedAccount


def build_account(clock: Clock, *, seed: bool) -> SimulatedAccount:
    now = clock.now().replace(microsecond=0)
    state = SimulatedAccount(clock, household.account(now), household.owner(now))
    # The token the simulator is called with is always one of the account's integrations.
    state.this_token = household.this_token(now)
    state.integrations.append(state.this_token)
    if seed:
        _populate(state, now)
    return state


def _populate(state: SimulatedAccount, now: datetime) -> None:
    for user in household.other_account_users(now):
        state.account_users[user.account_user_id] = user
    for device in household.devices(now):
        state.devices[device.smartlock_id] = device
    for auth in household.auths(now):
        state.auths[auth.id] = auth
    state.logs = activity.logs(now, state.ids)
    # An authorization's lastActiveDate is its newest log entry, where the log reaches back far enough.
    for log in state.logs:  # oldest first, so the newest entry wins
        auth = state.auths.get(log.auth_id or "")
        if auth is not None:
            auth.last_active_date = log.date
    webhook = household.webhook()
    state.webhooks[webhook.id] = webhook
    api_key = household.api_key(now)
    state.api_keys[api_key.api_key_id] = api_key
    state.integrations.extend(household.integrations(now))
    state.sub_accounts.extend(household.sub_accounts(now))
    state.webhook_logs = activity.webhook_deliveries(state.logs, state.ids)
    hosting.seed(state.hosting, now)
