"""Toolset `account`: the account, its account users, integrations and sub-accounts.

Account users are the people and companies app authorizations are given to; they are named by id,
e-mail address or name. Integrations (apps, devices, API tokens) can be listed and revoked, never
created: nuki-mcp manages doors, not credentials, so passwords, e-mail and 2FA changes, sub-account
logins and API tokens stay in Nuki Web.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Final, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import FieldChange, WritePlan
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.errors import NukiError, NukiNotFoundError
from nuki_mcp.nuki.models import (
    AccountIntegration,
    AccountUser,
    AccountUserCreate,
    AccountUserUpdate,
    MyAccount,
    Smartlock,
    SmartlockAuth,
    SubAccount,
)
from nuki_mcp.tools.common import READ, LimitArg, device_ref, nuki_errors, register_tool, visible_devices
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

# REFERENCE §5.12: `MyAccount.type` and `AccountUser.type` (codes.py has no account enums yet).
_ACCOUNT_TYPES: Final[Mapping[int, str]] = MappingProxyType({0: "user", 1: "company", 2: "caretaker"})
_ACCOUNT_USER_TYPES: Final[Mapping[int, str]] = MappingProxyType({0: "user", 1: "company"})

# Nuki clamps `limit` on /account/user to an undocumented maximum, so pages are read until an
# empty one arrives; the page cap bounds the work on a very large account.
ACCOUNT_USER_PAGE = 100
MAX_ACCOUNT_USER_PAGES = 50

EmailFilterArg = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=200, description="Only this e-mail address."),
]


class AccountView(BaseModel):
    """The Nuki Web account that owns the API token (no secrets, PINs or profile data)."""

    account_id: int
    name: str
    email: str
    email_verified: bool | None = None
    type: str = Field(description="user, company or caretaker")
    language: str | None = None
    subscription_type: str | None = Field(
        default=None, description="Smart Hosting subscription: STANDARD, BUSINESS, BUSINESS_PLUS, API_ONLY"
    )
    master_account_id: int | None = Field(default=None, description="Set when this is a sub-account")
    created: datetime | None = None
    two_factor_enabled: bool | None = Field(
        default=None, description="Whether the login has two-factor authentication (null: Nuki did not say)"
    )


class AccountUserRow(BaseModel):
    """A person or company that can receive app authorizations."""

    account_user_id: int
    name: str
    email: str
    type: str = Field(description="user or company")
    language: str | None = None


class AccountUserList(BaseModel):
    users: list[AccountUserRow]
    total: int = Field(description="How many account users match")
    truncated: bool = Field(description="True when more account users exist than were returned (raise limit)")


def account_type_name(code: int) -> str:
    return _ACCOUNT_TYPES.get(code, f"unknown_{code}")


def account_user_type_name(code: int) -> str:
    return _ACCOUNT_USER_TYPES.get(code, f"unknown_{code}")


def account_view(account: MyAccount) -> AccountView:
    return AccountView(
        account_id=account.account_id,
        name=account.name,
        email=account.email,
        email_verified=account.email_verified,
        type=account_type_name(account.type),
        language=account.language,
        subscription_type=account.shs_subscription_type,
        master_account_id=account.master_account_id,
        created=account.creation_date,
        two_factor_enabled=None if account.config is None else account.config.otp_enabled_date is not None,
    )


def account_user_row(user: AccountUser) -> AccountUserRow:
    return AccountUserRow(
        account_user_id=user.account_user_id,
        name=user.name,
        email=user.email,
        type=account_user_type_name(user.type),
        language=user.language,
    )


async def fetch_account_users(client: NukiClient, *, email: str | None = None) -> list[AccountUser]:
    """Every account user (matching `email`), read page by page until Nuki returns an empty page."""
    users: list[AccountUser] = []
    seen: set[int] = set()
    for _ in range(MAX_ACCOUNT_USER_PAGES):
        page = await client.list_account_users(email=email, offset=len(users), limit=ACCOUNT_USER_PAGE)
        fresh = [u for u in page if u.account_user_id not in seen]
        if not fresh:
            break
        seen.update(u.account_user_id for u in fresh)
        users.extend(fresh)
    return users


# --- account users: who they are ----------------------------------------------------------------

AccountUserRefArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="account_user_id, e-mail or name.",
    ),
]
NewEmailArg = Annotated[str | None, Field(default=None, min_length=3, max_length=200)]
NewUserNameArg = Annotated[str | None, Field(default=None, min_length=1, max_length=100)]
LanguageName = Literal["en", "de", "es", "fr", "it", "nl", "cs", "sk"]
NewLanguageArg = Annotated[
    LanguageName | None, Field(default=None, description="New language of Nuki's e-mails to them.")
]
EmailArg = Annotated[
    str, Field(min_length=3, max_length=200, description="Their e-mail address (Nuki's invitations go there).")
]
UserNameArg = Annotated[str, Field(min_length=1, max_length=100, description="Their name as it shows in Nuki.")]
LanguageArg = Annotated[
    LanguageName | None,
    Field(default=None, description="Of Nuki's e-mails to them (default: the account's)."),
]
AccountUserKind = Literal["person", "company"]
AccountUserKindArg = Annotated[
    AccountUserKind, Field(description="person, or company (e.g. a cleaning service that shares one login).")
]


class HeldAuthView(BaseModel):
    """One authorization an account user holds."""

    auth_id: str
    smartlock_id: int
    device_name: str
    name: str
    enabled: bool


class AccountUserDetails(AccountUserRow):
    """An account user with the authorizations they hold on the devices this server can see."""

    created: datetime | None = None
    updated: datetime | None = None
    pending: bool = Field(description="True while Nuki is still applying a change (e.g. a deletion)")
    authorizations: list[HeldAuthView] = Field(description="Their authorizations; empty = no access to any device")


class AccountUserWriteResult(WriteResult):
    account_user: AccountUserRow | None = None


def _email_ok(email: str) -> str:
    value = email.strip()
    local, _, domain = value.partition("@")
    if not local or "." not in domain.strip(".") or any(ch.isspace() for ch in value) or value.count("@") != 1:
        raise ToolError(f"{email!r} is not an e-mail address; give one like lena@example.com.")
    return value


def _user_label(user: AccountUser) -> str:
    return f"{user.name!r} ({user.email}, account_user_id {user.account_user_id})"


async def find_account_user(client: NukiClient, wanted: str) -> AccountUser:
    """The account user an agent named by id, e-mail address or name (exact first, then a unique part)."""
    key = wanted.strip()
    if key.isascii() and key.isdigit():
        try:
            return await client.get_account_user(int(key))
        except NukiNotFoundError:
            raise ToolError(f"There is no account user with account_user_id {key}; see list_account_users.") from None
    folded = key.casefold()
    users = await fetch_account_users(client)
    rules: list[Callable[[AccountUser], bool]] = [
        lambda u: u.email.strip().casefold() == folded,
        lambda u: u.name.strip().casefold() == folded,
        lambda u: folded in u.name.casefold() or folded in u.email.casefold(),
    ]
    for rule in rules:
        hits = [u for u in users if rule(u)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(_user_label(u) for u in hits[:10])
            raise ToolError(f"{wanted!r} matches several account users: {names}; name one by e-mail or id.")
    raise ToolError(f"No account user matches {wanted!r}; list_account_users shows them, create_account_user adds one.")


async def _held_auths(state: AppState, user: AccountUser) -> tuple[list[SmartlockAuth], list[Smartlock], int]:
    """The user's authorizations on visible devices, those devices, and how many authorizations are elsewhere."""
    devices = await visible_devices(state)
    visible = {d.smartlock_id: d for d in devices}
    auths = await state.client.list_account_auths(account_user_id=user.account_user_id)
    mine = [a for a in auths if a.account_user_id == user.account_user_id]
    seen = [a for a in mine if a.smartlock_id in visible]
    held = [visible[i] for i in dict.fromkeys(a.smartlock_id for a in seen)]
    return seen, held, len(mine) - len(seen)


def _is_owner(user: AccountUser, account: MyAccount) -> bool:
    return bool(account.email) and user.email.strip().casefold() == account.email.strip().casefold()


@dataclass(frozen=True)
class CreateAccountUserPlan(WritePlan):
    request: AccountUserCreate = field(kw_only=True)


async def perform_create_account_user(
    ctx: Context[AppState], plan: CreateAccountUserPlan, confirmed_by: str
) -> AccountUserWriteResult:
    created = await app_state(ctx).client.create_account_user(plan.request)
    return AccountUserWriteResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, account_user=account_user_row(created)
    )


@write_tool(title="Add an account user", destructive=True, idempotent=False, perform=perform_create_account_user)
async def create_account_user(
    ctx: Context[AppState],
    email: EmailArg,
    name: UserNameArg,
    language: LanguageArg = None,
    type: AccountUserKindArg = "person",
) -> CreateAccountUserPlan:
    """Add a person or company as an account user, the step before app access (then create_smartlock_auth with type
    app); it grants no access itself. Reuse existing ones (list_account_users).
    """
    address = _email_ok(email)
    client = app_state(ctx).client
    existing = [u for u in await client.list_account_users(email=address) if u.email.casefold() == address.casefold()]
    if existing:
        raise ToolError(f"{address} already is an account user: {_user_label(existing[0])}; use that account user.")
    request = AccountUserCreate(type=1 if type == "company" else 0, email=address, name=name.strip(), language=language)
    said = f", language {language}" if language else ""
    return CreateAccountUserPlan(
        tool="create_account_user",
        summary=f"Add the account user {name.strip()!r} ({address}, {type}{said}) to the Nuki account. This grants no "
        "access yet; an app authorization (create_smartlock_auth) invites them.",
        request=request,
    )


_USER_FIELDS = ("email", "name", "language")


@dataclass(frozen=True)
class UpdateAccountUserPlan(WritePlan):
    account_user_id: int = field(kw_only=True)
    wanted: tuple[tuple[str, str], ...] = field(kw_only=True)  # (field, value) the caller asked for
    request: AccountUserUpdate | None = field(default=None, kw_only=True)


def _user_changes(user: AccountUser, wanted: tuple[tuple[str, str], ...]) -> tuple[FieldChange, ...]:
    current = {"email": user.email, "name": user.name, "language": user.language}
    return tuple(FieldChange(f, current[f], v) for f, v in wanted if current[f] != v)


async def refresh_update_account_user(ctx: Context[AppState], plan: UpdateAccountUserPlan) -> UpdateAccountUserPlan:
    """Re-read the account user right before sending; refuse if it changed since the summary was made."""
    current = await app_state(ctx).client.get_account_user(plan.account_user_id)
    if _user_changes(current, plan.wanted) != plan.changes:
        raise ToolError(
            "The account user changed at Nuki since the summary was made; nothing was sent. "
            "Call update_account_user again to see the current differences."
        )
    values = {"email": current.email, "name": current.name, "language": current.language, **dict(plan.wanted)}
    return replace(plan, request=AccountUserUpdate.model_validate(values))


async def perform_update_account_user(
    ctx: Context[AppState], plan: UpdateAccountUserPlan, confirmed_by: str
) -> AccountUserWriteResult:
    if plan.request is None:  # refresh_update_account_user builds it; run_write always refreshes first
        raise ToolError("The update was not prepared; nothing was sent. Call update_account_user again.")
    client = app_state(ctx).client
    after = await client.update_account_user(plan.account_user_id, plan.request)
    result = AccountUserWriteResult(status="done", summary=plan.describe(), confirmed_by=confirmed_by)
    if after is None:
        try:
            after = await client.get_account_user(plan.account_user_id)
        except NukiError:
            return result
    result.account_user = account_user_row(after)
    return result


@write_tool(
    title="Change an account user",
    destructive=True,
    idempotent=True,
    perform=perform_update_account_user,
    refresh=refresh_update_account_user,
)
async def update_account_user(
    ctx: Context[AppState],
    account_user: AccountUserRefArg,
    email: NewEmailArg = None,
    name: NewUserNameArg = None,
    language: NewLanguageArg = None,
) -> UpdateAccountUserPlan:
    """Change an account user's e-mail, name or language. Their authorizations stay as they are (those:
    update_smartlock_auth).
    """
    client = app_state(ctx).client
    user = await find_account_user(client, account_user)
    wanted: list[tuple[str, str]] = []
    if email is not None:
        address = _email_ok(email)
        others = [
            u
            for u in await client.list_account_users(email=address)
            if u.email.casefold() == address.casefold() and u.account_user_id != user.account_user_id
        ]
        if others:
            raise ToolError(f"{address} already belongs to the account user {_user_label(others[0])}.")
        wanted.append(("email", address))
    if name is not None:
        wanted.append(("name", name.strip()))
    if language is not None:
        wanted.append(("language", language))
    changes = _user_changes(user, tuple(wanted))
    if not changes:
        raise ToolError(f"The account user {_user_label(user)} already has these values; nothing to change.")
    return UpdateAccountUserPlan(
        tool="update_account_user",
        summary=f"Change the account user {_user_label(user)}; everything else about them stays as it is.",
        changes=changes,
        account_user_id=user.account_user_id,
        wanted=tuple((c.field, str(c.after)) for c in changes),
    )


@dataclass(frozen=True)
class DeleteAccountUserPlan(WritePlan):
    account_user_id: int = field(kw_only=True)


async def perform_delete_account_user(
    ctx: Context[AppState], plan: DeleteAccountUserPlan, confirmed_by: str
) -> AccountUserWriteResult:
    await app_state(ctx).client.delete_account_user(plan.account_user_id)
    return AccountUserWriteResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        reason="Nuki deletes the account user asynchronously; list_account_users shows when they are gone.",
    )


@write_tool(title="Remove an account user", destructive=True, idempotent=True, perform=perform_delete_account_user)
async def delete_account_user(ctx: Context[AppState], account_user: AccountUserRefArg) -> DeleteAccountUserPlan:
    """Remove an account user from the account, ending the app access they hold through it. To take away one device
    only, use delete_smartlock_auth.
    """
    state = app_state(ctx)
    user = await find_account_user(state.client, account_user)
    if _is_owner(user, await state.client.get_account()):
        raise ToolError(
            f"{_user_label(user)} is the account owner's own account user; nuki-mcp does not remove it "
            "(the owner would lose app access to every device)."
        )
    seen, held, hidden = await _held_auths(state, user)
    if hidden:
        raise ToolError(
            f"Refused: {_user_label(user)} holds {hidden} authorization(s) on devices outside this server's "
            "allow-list (NUKI_DEVICES); remove the account user in Nuki Web instead."
        )
    access = (
        f" Their {len(seen)} authorization(s) on {', '.join(repr(d.name) for d in held)} stop working."
        if seen
        else " They hold no authorization on any device."
    )
    return DeleteAccountUserPlan(
        tool="delete_account_user",
        summary=f"Remove the account user {_user_label(user)} from the Nuki account.{access}",
        devices=tuple(device_ref(d) for d in held),
        account_user_id=user.account_user_id,
    )


# --- integrations and sub-accounts ----------------------------------------------------------------

IntegrationArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="integration_id from list_account_integrations, or the name.",
    ),
]


class IntegrationRow(BaseModel):
    """An app, device or API token with access to the account."""

    integration_id: str = Field(description="Pass it to revoke_account_integration")
    name: str
    kind: str = Field(description="device (a phone or tablet with the Nuki app), app (an integration) or api_token")
    vendor: str = Field(description="Nuki's key for it: IOS, ANDROID, ALEXA, HOME_ASSISTANT, API_TOKEN, ...")
    description: str | None = None
    scopes: list[str] = Field(description="What it may do (smartlock.action operates doors, smartlock.auth grants)")
    created: datetime | None = None
    last_active: datetime | None = None
    inactive_days: int | None = Field(default=None, description="Days since it was last active")
    sub_account: str | None = Field(default=None, description="The sub-account it acts for, if any")
    legacy: bool = Field(description="True for an old-style integration Nuki warns about")


class IntegrationList(BaseModel):
    integrations: list[IntegrationRow]
    total: int
    truncated: bool = Field(description="True when more exist than were returned (raise limit)")


class RevokeIntegrationResult(WriteResult):
    integration_id: str | None = None


def integration_id(integration: AccountIntegration) -> str:
    return f"{integration.client_id}/{integration.token_id}" if integration.token_id else integration.client_id


def integration_kind(integration: AccountIntegration) -> str:
    if integration.token_id or integration.vendor_key == "API_TOKEN":
        return "api_token"
    return "device" if integration.device else "app"


def integration_row(integration: AccountIntegration, now: datetime) -> IntegrationRow:
    last = integration.last_active_at
    return IntegrationRow(
        integration_id=integration_id(integration),
        name=integration.name,
        kind=integration_kind(integration),
        vendor=integration.vendor_key,
        description=integration.description,
        scopes=list(integration.scopes or ()),
        created=integration.created_at,
        last_active=last,
        inactive_days=None if last is None else max(0, (now - last).days),
        sub_account=integration.sub_account_name,
        legacy=bool(integration.warning),
    )


@dataclass(frozen=True)
class RevokeIntegrationPlan(WritePlan):
    integration_id: str = field(kw_only=True)
    api_key_id: int | None = field(kw_only=True)
    token_id: int | None = field(kw_only=True)


async def perform_revoke_integration(
    ctx: Context[AppState], plan: RevokeIntegrationPlan, confirmed_by: str
) -> RevokeIntegrationResult:
    await app_state(ctx).client.revoke_account_integration(api_key_id=plan.api_key_id, token_id=plan.token_id)
    return RevokeIntegrationResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, integration_id=plan.integration_id
    )


def _match_integration(integrations: list[AccountIntegration], wanted: str) -> AccountIntegration:
    key = wanted.strip().casefold()
    rules: list[Callable[[AccountIntegration], bool]] = [
        lambda i: integration_id(i).casefold() == key,
        lambda i: i.name.strip().casefold() == key,
        lambda i: key in i.name.casefold(),
    ]
    for rule in rules:
        hits = [i for i in integrations if rule(i)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(f"{i.name!r} ({integration_id(i)})" for i in hits[:10])
            raise ToolError(f"{wanted!r} matches several integrations: {names}; name one by its integration_id.")
    known = ", ".join(f"{i.name!r} ({integration_id(i)})" for i in integrations[:20]) or "none"
    raise ToolError(f"No integration matches {wanted!r}; the integrations are: {known}.")


@write_tool(title="Revoke an integration", destructive=True, idempotent=True, perform=perform_revoke_integration)
async def revoke_account_integration(ctx: Context[AppState], integration: IntegrationArg) -> RevokeIntegrationPlan:
    """Revoke an app's, device's or API token's access to the account and every device at once (see
    list_account_integrations), e.g. one no longer used.
    """
    state = app_state(ctx)
    found = _match_integration(await state.client.list_account_integrations(), integration)
    token_id = found.token_id
    if token_id is not None and not (token_id.isascii() and token_id.isdigit()):
        raise ToolError(f"{found.name!r} cannot be revoked through the API; revoke it in Nuki Web (menu API).")
    client_id = found.client_id
    if token_id is None and not (client_id.isascii() and client_id.isdigit()):
        raise ToolError(f"{found.name!r} cannot be revoked through the API; revoke it in Nuki Web (Integrations).")
    kind = integration_kind(found)
    last = found.last_active_at
    active = f", last active {last.date().isoformat()}" if last else ""
    warning = (
        " If it is the token nuki-mcp itself runs with, nuki-mcp stops working until it is given a new one."
        if kind == "api_token"
        else ""
    )
    return RevokeIntegrationPlan(
        tool="revoke_account_integration",
        summary=f"Revoke {kind.replace('_', ' ')} {found.name!r} ({found.vendor_key}{active}): it loses all access to "
        f"the Nuki account and its devices.{warning}",
        risk="securing",
        integration_id=integration_id(found),
        api_key_id=None if token_id is not None else int(client_id),
        token_id=int(token_id) if token_id is not None else None,
    )


# Read rights of a sub-account (spec `Account.rights`; REFERENCE §5.12).
_SUB_ACCOUNT_RIGHTS: Final[tuple[tuple[int, str], ...]] = (
    (1, "manage_devices"),
    (2, "operate_devices"),
    (4, "manage_device_config"),
    (8, "manage_authorizations"),
    (16, "view_logs"),
    (32, "manage_sub_accounts"),
    (64, "create_devices"),
)


class SubAccountRow(BaseModel):
    """A sub-account: its own Nuki Web login under this account, with limited rights."""

    account_id: int
    name: str
    email: str
    email_verified: bool | None = None
    rights: list[str] = Field(description="What the login may do, decoded from Nuki's rights bitmask")
    language: str | None = None
    created: datetime | None = None


class SubAccountList(BaseModel):
    sub_accounts: list[SubAccountRow]
    total: int
    truncated: bool = Field(description="True when more exist than were returned (raise limit)")


def sub_account_row(account: SubAccount) -> SubAccountRow:
    rights = account.rights or 0
    return SubAccountRow(
        account_id=account.account_id,
        name=account.name,
        email=account.email,
        email_verified=account.email_verified,
        rights=[name for bit, name in _SUB_ACCOUNT_RIGHTS if rights & bit],
        language=account.language,
        created=account.creation_date,
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="Get the account", annotations=READ)
    @nuki_errors
    async def get_account(ctx: Context[AppState]) -> AccountView:
        """The Nuki Web account this server acts for: id, name, e-mail, type, language, subscription."""
        return account_view(await app_state(ctx).client.get_account())

    @register_tool(server, title="List account users", annotations=READ)
    @nuki_errors
    async def list_account_users(
        ctx: Context[AppState], email: EmailFilterArg = None, limit: LimitArg = 50
    ) -> AccountUserList:
        """List the account users: the people and companies that can receive app authorizations (create_smartlock_auth
        with type app). Not who has access to a door (list_smartlock_auths).
        """
        users = await fetch_account_users(app_state(ctx).client, email=email)
        return AccountUserList(
            users=[account_user_row(u) for u in users[:limit]], total=len(users), truncated=len(users) > limit
        )

    @register_tool(server, title="Get an account user", annotations=READ)
    @nuki_errors
    async def get_account_user(account_user: AccountUserRefArg, ctx: Context[AppState]) -> AccountUserDetails:
        """One account user (by id, e-mail or name) and the authorizations they hold, e.g. whether someone has app
        access already.
        """
        state = app_state(ctx)
        user = await find_account_user(state.client, account_user)
        seen, held, _ = await _held_auths(state, user)
        names = {d.smartlock_id: d.name for d in held}
        return AccountUserDetails(
            **account_user_row(user).model_dump(),
            created=user.creation_date,
            updated=user.update_date,
            pending=user.operation_id is not None,
            authorizations=[
                HeldAuthView(
                    auth_id=a.id,
                    smartlock_id=a.smartlock_id,
                    device_name=names[a.smartlock_id],
                    name=a.name,
                    enabled=a.enabled,
                )
                for a in seen
            ],
        )

    @register_tool(server, title="List integrations", annotations=READ)
    @nuki_errors
    async def list_account_integrations(ctx: Context[AppState], limit: LimitArg = 50) -> IntegrationList:
        """List who can reach the account: Nuki app phones, integrations (Alexa, Home Assistant, ...) and API tokens,
        with scopes, created and last active. To revoke one: revoke_account_integration.
        """
        state = app_state(ctx)
        found = await state.client.list_account_integrations()
        now = state.clock.now()
        return IntegrationList(
            integrations=[integration_row(i, now) for i in found[:limit]],
            total=len(found),
            truncated=len(found) > limit,
        )

    @register_tool(server, title="List sub-accounts", annotations=READ)
    @nuki_errors
    async def list_sub_accounts(
        ctx: Context[AppState], email: EmailFilterArg = None, limit: LimitArg = 50
    ) -> SubAccountList:
        """List the sub-accounts: separate Nuki Web logins under this account and what each may do. Read-only: they are
        managed in Nuki Web only.
        """
        found = await app_state(ctx).client.list_sub_accounts(email=email)
        return SubAccountList(
            sub_accounts=[sub_account_row(a) for a in found[:limit]], total=len(found), truncated=len(found) > limit
        )

    register_writes(
        server,
        settings,
        (create_account_user, update_account_user, delete_account_user, revoke_account_integration),
    )
