"""Which Nuki OAuth scopes each tool needs (REFERENCE.md §2.2), for per-user Nuki sign-in.

A tool's need is a tuple of clauses: every clause must be met, each by any one of its scopes. Tools
that name a device first read the device list (`smartlock` or `smartlock.readOnly`). A tool missing
from the table needs no scope (the Opener intercom database, the confirmation card's app-only tools).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

Clauses = tuple[frozenset[str], ...]

READ: Final = frozenset({"smartlock.readOnly", "smartlock"})
_ACTION: Final = frozenset({"smartlock.action"})
_AUTH: Final = frozenset({"smartlock.auth"})
_CONFIG: Final = frozenset({"smartlock.config"})
_LOG: Final = frozenset({"smartlock.log"})
_ACCOUNT: Final = frozenset({"account"})
_MANAGE: Final = frozenset({"smartlock"})
_WEBHOOK: Final = frozenset({"webhook.decentral"})


def _each(names: str, clauses: Clauses) -> dict[str, Clauses]:
    return dict.fromkeys(names.split(), clauses)


TOOL_SCOPES: Final[dict[str, Clauses]] = {
    **_each("list_smartlocks get_smartlock audit_smartlocks", (READ,)),
    **_each(
        "sync_smartlock lock_smartlock unlock_smartlock smartlock_action action_smartlock_advanced "
        "lock_smartlock_advanced unlock_smartlock_advanced",
        (READ, _ACTION),
    ),
    **_each("update_smartlock delete_smartlock", (_MANAGE,)),
    **_each(
        "update_config update_advanced_config update_opener_advanced_config update_smartdoor_advanced_config "
        "update_web_config bulk_web_config update_admin_pin",
        (READ, _CONFIG),
    ),
    **_each(
        "list_smartlock_auths get_smartlock_auth create_smartlock_auth update_smartlock_auth delete_smartlock_auth "
        "create_smartlock_auth_advanced",
        (READ, _AUTH),
    ),
    **_each("list_smartlock_logs", (READ, _LOG)),
    **_each("list_decentral_webhooks create_decentral_webhook delete_decentral_webhook", (_WEBHOOK,)),
    **_each("get_webhook_logs list_api_keys", (_ACCOUNT,)),
    **_each("get_account list_account_integrations revoke_account_integration list_sub_accounts", (_ACCOUNT,)),
    **_each(
        "list_account_users get_account_user create_account_user update_account_user delete_account_user",
        (_ACCOUNT, _AUTH),
    ),
    **_each(
        "list_addresses create_address update_address delete_address list_address_units create_address_unit "
        "delete_address_units list_reservations issue_reservation_access revoke_reservation_access "
        "update_reservation_access_times list_address_tokens list_services sync_service",
        (_ACCOUNT, READ),
    ),
    **_each("list_notifications create_notification update_notification delete_notification", (READ, _LOG)),
}


def missing_scope(tool: str, granted: frozenset[str]) -> str | None:
    """The first clause of `tool` that `granted` does not meet, as "a or b"; None when the tool may run."""
    for clause in TOOL_SCOPES.get(tool, ()):
        if not clause & granted:
            return " or ".join(sorted(clause, key=lambda s: (s != "smartlock", s)))
    return None


def scopes_to_request(tools: Iterable[str]) -> list[str]:
    """The fewest scopes that let every tool in `tools` run (read-only device access where that is enough)."""
    clauses = {clause for tool in tools for clause in TOOL_SCOPES.get(tool, ())}
    chosen: set[str] = set()
    for clause in sorted(clauses, key=len):  # single-scope needs first: `smartlock` also covers reading
        if not clause & chosen:
            chosen.add("smartlock.readOnly" if clause == READ else min(clause))
    return sorted(chosen)
