"""The remote-mode ASGI app: the SDK's authorization-server routes and resource-server pieces around `/mcp`.

    /.well-known/oauth-authorization-server       RFC 8414 metadata (+ CIMD and RFC 9207 `iss` support)
    /.well-known/oauth-protected-resource/mcp     RFC 9728 metadata of the MCP endpoint
    /authorize /token /register /revoke           the SDK's handlers over `NukiAuthProvider`
    /signin/{id}, /passkeys/enrol/{token}         the owner's passkey (signin.py)
    /mcp                                          Streamable HTTP behind bearer auth (401 + WWW-Authenticate)

Around everything: a Host allow-list (the public host name, plus loopback names when bound to loopback)
against DNS rebinding, HSTS when the public URL is https, and per-user and per-Nuki-account rate budgets
on `/mcp`. Request bodies are limited by the SDK (auth routes, `/mcp`) and by the sign-in routes.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.routes import (
    build_resource_metadata_url,
    cors_middleware,
    create_auth_routes,
    create_protected_resource_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthMetadata
from pydantic import AnyHttpUrl, ConfigDict, TypeAdapter
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuki_mcp.approvals.passkeys import PasskeyRegistry
from nuki_mcp.clock import Clock
from nuki_mcp.config import Settings
from nuki_mcp.context import AppState
from nuki_mcp.remote.nuki_oauth import SUBJECT_PREFIX as NUKI_SUBJECT_PREFIX
from nuki_mcp.remote.oauth import SCOPE, DocumentFetcher, NukiAuthProvider, RemoteTokenVerifier
from nuki_mcp.remote.signin import EnrolmentLinks, SignInRoutes
from nuki_mcp.server import NukiServer
from nuki_mcp.shared_state.base import RateBudget, SharedState

MCP_PATH: Final = "/mcp"
MAX_MCP_BODY_BYTES: Final = 1024 * 1024
HSTS: Final = "max-age=31536000; includeSubDomains"
# RFC 8414/9207 compare issuers as strings: keep `https://host` without the trailing slash pydantic adds.
_URL: Final = TypeAdapter(AnyHttpUrl, config=ConfigDict(url_preserve_empty_path=True))


class HostGate:
    """421 for any Host header that is not one of ours: a rebinding page cannot talk to the server."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str], *, hsts: bool) -> None:
        self._app = app
        self._hosts = hosts
        self._hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if Headers(scope=scope).get("host", "").lower() not in self._hosts:
            await PlainTextResponse("Unknown host name; use the server's public URL.", status_code=421)(
                scope, receive, send
            )
            return
        if not self._hsts:
            await self._app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"strict-transport-security", HSTS.encode())]
            await send(message)

        await self._app(scope, receive, send_with_hsts)


class BudgetGate:
    """429 when the signed-in user, or the Nuki account everyone shares, spent this minute's budget (0: none)."""

    def __init__(
        self,
        app: ASGIApp,
        budget: RateBudget,
        account: str,
        *,
        per_user: int,
        per_account: int,
        own_nuki_accounts: bool = False,
    ) -> None:
        self._app = app
        self._budget = budget
        self._account = account
        self._per_user = per_user
        self._per_account = per_account
        # Per-user Nuki sign-in: a person's requests spend their own Nuki account's budget, not the owner's.
        self._own_nuki_accounts = own_nuki_accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if scope["type"] == "http" and scope.get("method") == "POST" and isinstance(user, AuthenticatedUser):
            token = user.access_token
            who = f"user:{token.client_id}:{token.subject or ''}"
            if self._per_user and not await self._budget.spend(who, self._per_user, 60.0):
                await _too_many(f"You sent more than {self._per_user} requests this minute", scope, receive, send)
                return
            account = self._account
            if self._own_nuki_accounts and (token.subject or "").startswith(NUKI_SUBJECT_PREFIX):
                account = "nuki:" + hashlib.sha256((token.subject or "").encode()).hexdigest()[:16]
            if self._per_account and not await self._budget.spend(account, self._per_account, 60.0):
                await _too_many("The Nuki account's shared budget for this minute is spent", scope, receive, send)
                return
        await self._app(scope, receive, send)


async def _too_many(why: str, scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(f"{why}; wait a minute and try again.", status_code=429, headers={"Retry-After": "60"})
    await response(scope, receive, send)


def _allowed_hosts(public_url: str, settings: Settings, loopback_port: int | None) -> frozenset[str]:
    parts = urlsplit(public_url)
    hosts = {parts.netloc.lower()}
    if parts.port is None:
        hosts.add(f"{parts.hostname}:{443 if parts.scheme == 'https' else 80}")
    hosts.update(settings.allowed_hosts)
    if loopback_port is not None:
        hosts.update(f"{name}:{loopback_port}" for name in ("127.0.0.1", "localhost", "[::1]"))
    return frozenset(hosts)


def build_remote_app(
    server: MCPServer[AppState],
    settings: Settings,
    *,
    shared: SharedState,
    passkeys: PasskeyRegistry,
    enrolment_secret: bytes,
    clock: Clock,
    loopback_port: int | None = None,
    fetch_document: DocumentFetcher | None = None,
    approval_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """The app for `settings.public_url`; `loopback_port`: also answer on loopback names at that port."""
    from mcp.server.transport_security import TransportSecuritySettings

    public_url = settings.public_url
    if public_url is None:
        raise ValueError("remote mode needs a public URL")
    resource = public_url + MCP_PATH
    provider = NukiAuthProvider(kv=shared.kv, clock=clock, issuer=public_url, resource=resource)
    if fetch_document is not None:
        provider.fetch_document = fetch_document
    machine = settings.mcp_auth_token.get_secret_value() if settings.mcp_auth_token is not None else None
    verifier = RemoteTokenVerifier(provider, machine)
    hosts = _allowed_hosts(public_url, settings, loopback_port)

    # The MCP app's own rebinding check sees the same Host; Origins: the public origin and loopback pages.
    origins = [public_url, *(f"http://{h}" for h in hosts)]
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=sorted(hosts), allowed_origins=origins
        ),
        max_request_body_size=MAX_MCP_BODY_BYTES,
    )
    issuer = _URL.validate_python(public_url)
    routes: list[BaseRoute] = []
    for route in create_auth_routes(
        provider,
        issuer,
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
        ),
        revocation_options=RevocationOptions(enabled=True),
    ):
        if route.path == "/.well-known/oauth-authorization-server":
            routes.append(_metadata_route(route, public_url))
        else:
            routes.append(route)
    routes += create_protected_resource_routes(
        AnyHttpUrl(resource), [issuer], scopes_supported=[SCOPE], resource_name="nuki-mcp"
    )
    signin = SignInRoutes(
        provider=provider,
        passkeys=passkeys,
        kv=shared.kv,
        single_use=shared.single_use,
        links=EnrolmentLinks(enrolment_secret, clock),
        clock=clock,
        public_url=public_url,
    )
    accounts = server.nuki_accounts if isinstance(server, NukiServer) else None
    if accounts is not None:
        signin.continue_to = accounts.begin
        routes.append(accounts.callback_route(provider))
    routes += signin.routes()
    routes += approval_routes  # passkey approvals (PasskeyApprovals.routes), on the public URL too
    token = settings.api_token.get_secret_value() if settings.api_token is not None else "demo"
    account = "nuki:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    guarded_mcp = RequireAuthMiddleware(
        BudgetGate(
            mcp_app,
            shared.budget,
            account,
            per_user=settings.user_budget,
            per_account=settings.account_budget,
            own_nuki_accounts=accounts is not None,
        ),
        [SCOPE],
        build_resource_metadata_url(AnyHttpUrl(resource)),
    )
    routes.append(Route(MCP_PATH, endpoint=guarded_mcp))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncGenerator[None]:
        async with server.session_manager.run():
            yield

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                AuthenticationMiddleware,
                backend=BearerAuthBackend(verifier, resource_server_url=AnyHttpUrl(resource)),
            ),
            Middleware(AuthContextMiddleware),
        ],
        lifespan=lifespan,
    )
    return HostGate(app, hosts, hsts=public_url.startswith("https://"))


def _metadata_route(route: Route, public_url: str) -> Route:
    """The SDK's RFC 8414 document, plus what this server also supports: CIMD and RFC 9207 `iss`."""
    from mcp.server.auth.routes import build_metadata

    metadata: OAuthMetadata = build_metadata(
        _URL.validate_python(public_url),
        None,
        ClientRegistrationOptions(enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]),
        RevocationOptions(enabled=True),
    )
    metadata.client_id_metadata_document_supported = True
    metadata.authorization_response_iss_parameter_supported = True
    metadata.token_endpoint_auth_methods_supported = ["none", "client_secret_post", "client_secret_basic"]
    return Route(
        route.path,
        endpoint=cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
        methods=["GET", "OPTIONS"],
    )


def passkey_registry(settings: Settings, state_dir: Path) -> PasskeyRegistry:
    """The owner's passkeys: in Redis when replicas share one, else `passkeys.json` in the state directory."""
    if settings.redis_url is not None:
        from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
        from nuki_mcp.shared_state.redis_state import sync_client

        return RedisPasskeyStore(sync_client(settings.redis_url.get_secret_value()))
    from nuki_mcp.approvals.passkeys import PasskeyStore

    return PasskeyStore(state_dir)


def enrolment_secret(settings: Settings, shared: SharedState, state_dir: Path) -> bytes:
    """The key of enrolment links, shared with `nuki-mcp passkey add`: in Redis, or a file in the state directory."""
    if settings.redis_url is not None:
        return shared.secret("enrolment-links")
    from nuki_mcp.remote.signin import file_secret

    return file_secret(state_dir)
