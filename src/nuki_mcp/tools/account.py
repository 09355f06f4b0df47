"""Toolset `account`: get_account, list_account_users (read-only)."""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Final

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import AccountUser, MyAccount
from nuki_mcp.tools.common import READ, LimitArg, nuki_errors, register_tool

# REFERENCE §5.12: `MyAccount.type` and `AccountUser.type` (codes.py has no account enums yet).
_ACCOUNT_TYPES: Final[Mapping[int, str]] = MappingProxyType({0: "user", 1: "company", 2: "caretaker"})
_ACCOUNT_USER_TYPES: Final[Mapping[int, str]] = MappingProxyType({0: "user", 1: "company"})

# Nuki clamps `limit` on /account/user to an undocumented maximum, so pages are read until an
# empty one arrives; the page cap bounds the work on a very large account.
ACCOUNT_USER_PAGE = 100
MAX_ACCOUNT_USER_PAGES = 50

EmailFilterArg = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=200, description="Only account users with this e-mail address."),
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


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="Get the account", annotations=READ)
    @nuki_errors
    async def get_account(ctx: Context[AppState]) -> AccountView:
        """Show the Nuki Web account this server acts for: id, name, e-mail, account type,
        language and subscription. Use it to confirm which account the token belongs to."""
        return account_view(await app_state(ctx).client.get_account())

    @register_tool(server, title="List account users", annotations=READ)
    @nuki_errors
    async def list_account_users(
        ctx: Context[AppState], email: EmailFilterArg = None, limit: LimitArg = 50
    ) -> AccountUserList:
        """List the account users: the people and companies that can receive app authorizations
        (their account_user_id is what create_smartlock_auth needs for an app user). Filter by
        e-mail. Not the list of who has access to a door (use list_smartlock_auths)."""
        users = await fetch_account_users(app_state(ctx).client, email=email)
        return AccountUserList(
            users=[account_user_row(u) for u in users[:limit]], total=len(users), truncated=len(users) > limit
        )
