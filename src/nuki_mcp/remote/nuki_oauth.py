"""Per-user Nuki access in remote mode: Nuki's OAuth 2.0 authorization-code flow (REFERENCE.md §2.1).

With `NUKI_OAUTH_CLIENT_ID`/`NUKI_OAUTH_CLIENT_SECRET`, the MCP sign-in goes on after the passkey: the
browser is sent to Nuki's `/oauth/authorize` (on `NUKI_API_URL`'s origin) and comes back to
`<public URL>/nuki/callback`; the code is traded for the person's Nuki tokens, which are stored
encrypted (Fernet, `NUKI_MCP_SECRET_KEY`) in shared state under the MCP subject made for this sign-in.
Only then is the MCP authorization code issued. Every MCP request of that subject acts with those
tokens (`UserBearer`, asked by the Nuki client before each request), refreshed `REFRESH_MARGIN_S`
before expiry and once when Nuki answers 401; tools the granted scopes cannot use are not listed.

Two replicas may refresh the same tokens at once: the loser's refresh token is spent, so it re-reads
the store and uses what the winner saved.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode, urlsplit

import anyio
import httpx2
from cryptography.fernet import Fernet, InvalidToken
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import construct_redirect_uri
from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from nuki_mcp.approvals.page import message_page
from nuki_mcp.clock import Clock
from nuki_mcp.config import Settings
from nuki_mcp.nuki.errors import NukiAuthError, NukiConnectionError
from nuki_mcp.remote.nuki_scopes import missing_scope, scopes_to_request
from nuki_mcp.remote.oauth import SIGNIN_TTL_S, NukiAuthProvider
from nuki_mcp.remote.signin import BrowserContinuation
from nuki_mcp.shared_state.base import KeyValueStore

logger = logging.getLogger(__name__)

CALLBACK_PATH: Final = "/nuki/callback"
BROWSER_COOKIE: Final = "nuki_mcp_nuki_signin"
RENEW_ON_401_EVERY_S: Final = 60.0
SUBJECT_PREFIX: Final = "nuki-user:"
REFRESH_MARGIN_S: Final = 300
# Nuki does not say how long a refresh token lives; the record goes when unused for as long as an MCP grant.
RECORD_TTL_S: Final = 30 * 24 * 3600
SIGN_IN_AGAIN: Final = (
    "Your Nuki sign-in has expired or was revoked; sign in to nuki-mcp again from your app (reconnect the "
    "connector) and allow access on Nuki's page."
)


class NukiTokens(BaseModel):
    """One person's Nuki tokens, as stored (encrypted)."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    scopes: list[str]


@dataclass(frozen=True)
class TokenFailure:
    """Why Nuki's token endpoint gave no tokens, in a few words (never a secret)."""

    reason: str
    unreachable: bool = False


class _TokenAnswer(BaseModel):
    access_token: str
    refresh_token: str | None = None
    expires_in: float = 3600
    scope: str | None = None


_JSON_OBJECT: Final = TypeAdapter(dict[str, JsonValue])


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class TokenVault:
    """Nuki tokens by MCP subject, Fernet-encrypted, in shared state (memory or Redis)."""

    kv: KeyValueStore
    fernet: Fernet

    async def save(self, subject: str, tokens: NukiTokens) -> None:
        sealed = self.fernet.encrypt(tokens.model_dump_json().encode()).decode()
        await self.kv.put("nuki-oauth:tokens:" + _hash(subject), sealed, RECORD_TTL_S)

    async def load(self, subject: str) -> NukiTokens | None:
        sealed = await self.kv.get("nuki-oauth:tokens:" + _hash(subject))
        if sealed is None:
            return None
        try:
            return NukiTokens.model_validate_json(self.fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValidationError):  # another NUKI_MCP_SECRET_KEY: the person signs in again
            return None


@dataclass
class NukiTokenEndpoint:
    """Nuki's `/oauth/authorize` and `/oauth/token` for this server's OAuth client."""

    origin: str
    client_id: str
    client_secret: str
    redirect_uri: str
    clock: Clock
    timeout: float = 10.0
    transport: httpx2.AsyncBaseTransport | None = None

    def authorize_url(self, state: str, scopes: list[str]) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        }
        return f"{self.origin}/oauth/authorize?{urlencode(query)}"

    async def exchange(self, code: str, asked: list[str]) -> NukiTokens | TokenFailure:
        """The tokens for `code` (`asked`: the scopes, when Nuki's answer does not list them)."""
        return await self._post(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}, asked
        )

    async def refresh(self, tokens: NukiTokens) -> NukiTokens | TokenFailure:
        if tokens.refresh_token is None:
            return TokenFailure("no refresh token")
        renewed = await self._post(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, tokens.scopes
        )
        if isinstance(renewed, NukiTokens) and renewed.refresh_token is None:
            renewed = renewed.model_copy(update={"refresh_token": tokens.refresh_token})
        return renewed

    async def _post(self, form: dict[str, str], asked: list[str]) -> NukiTokens | TokenFailure:
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            async with httpx2.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.post(
                    self.origin + "/oauth/token", data=form, headers={"Accept": "application/json"}
                )
        except httpx2.HTTPError:
            return TokenFailure("Nuki could not be reached", unreachable=True)
        # Nuki labels the JSON as text/plain: parse the body whatever its content type says.
        try:
            body = _JSON_OBJECT.validate_json(response.content)
        except ValidationError:
            body = None
        if not response.is_success or body is None:
            error = body.get("error") if body is not None else None
            said = f" ({error})" if isinstance(error, str) else ""
            # A busy or failing Nuki says nothing about the tokens: try again later, do not sign in again.
            passing = response.status_code == 429 or response.status_code >= 500
            return TokenFailure(f"Nuki answered {response.status_code}{said}", unreachable=passing)
        try:
            answer = _TokenAnswer.model_validate(body)
        except ValidationError:
            return TokenFailure("Nuki's answer had no access token")
        scopes = answer.scope.replace(",", " ").split() if answer.scope else asked
        return NukiTokens(
            access_token=answer.access_token,
            refresh_token=answer.refresh_token,
            expires_at=self.clock.now().timestamp() + answer.expires_in,
            scopes=sorted(scopes),
        )


@dataclass
class NukiAccounts:
    """Everything per-user Nuki access needs: the Nuki endpoint, the vault, and the fallback token.

    `fallback` is `NUKI_API_TOKEN` (optional here): what machine clients (`NUKI_MCP_AUTH_TOKEN`) act with.
    """

    endpoint: NukiTokenEndpoint
    vault: TokenVault
    kv: KeyValueStore
    clock: Clock
    fallback: str | None = None
    scopes: list[str] = field(default_factory=lambda: ["smartlock.readOnly"])
    _locks: dict[str, anyio.Lock] = field(default_factory=dict[str, anyio.Lock])
    _renewed_at: dict[str, float] = field(default_factory=dict[str, float])

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        kv: KeyValueStore,
        clock: Clock,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> NukiAccounts:
        if settings.nuki_oauth_client_id is None or settings.nuki_oauth_client_secret is None:
            raise ValueError("per-user Nuki sign-in needs NUKI_OAUTH_CLIENT_ID and NUKI_OAUTH_CLIENT_SECRET")
        if settings.secret_key is None or settings.public_url is None:
            raise ValueError("per-user Nuki sign-in needs NUKI_MCP_SECRET_KEY and a public URL")
        api = urlsplit(settings.api_url)
        endpoint = NukiTokenEndpoint(
            origin=f"{api.scheme}://{api.netloc}",
            client_id=settings.nuki_oauth_client_id,
            client_secret=settings.nuki_oauth_client_secret.get_secret_value(),
            redirect_uri=settings.public_url + CALLBACK_PATH,
            clock=clock,
            timeout=settings.timeout,
            transport=transport,
        )
        vault = TokenVault(kv, Fernet(settings.secret_key.get_secret_value().encode()))
        fallback = settings.api_token.get_secret_value() if settings.api_token is not None else None
        return cls(endpoint=endpoint, vault=vault, kv=kv, clock=clock, fallback=fallback)

    def request_scopes_for(self, tools: list[str]) -> None:
        """Ask Nuki for what the server's tools need, and no more."""
        self.scopes = scopes_to_request(tools) or ["smartlock.readOnly"]

    # --- sign-in -------------------------------------------------------------------------------

    async def begin(self, request_id: str, passkey_id: str) -> BrowserContinuation:
        """After the passkey: where to send the browser (Nuki's consent page), bound to `request_id` by `state`
        and to the browser that passed the passkey by a cookie, so a consent link handed to someone else
        cannot finish this sign-in with their Nuki account."""
        state = secrets.token_urlsafe(32)
        browser = secrets.token_urlsafe(32)
        stored = f"{request_id} {_hash(browser)} {passkey_id}"
        await self.kv.put("nuki-oauth:state:" + _hash(state), stored, SIGNIN_TTL_S)
        return BrowserContinuation(
            url=self.endpoint.authorize_url(state, self.scopes),
            cookie_name=BROWSER_COOKIE,
            cookie_value=browser,
            cookie_path=CALLBACK_PATH,
            max_age_s=int(SIGNIN_TTL_S),
        )

    def callback_route(self, provider: NukiAuthProvider) -> Route:
        async def callback(request: Request) -> Response:
            return await self._callback(request, provider)

        return Route(CALLBACK_PATH, callback, methods=["GET"])

    async def _callback(self, request: Request, provider: NukiAuthProvider) -> Response:
        state = request.query_params.get("state", "")
        stored = await self.kv.take("nuki-oauth:state:" + _hash(state)) if state else None
        request_id, _, rest = (stored or "").partition(" ")
        browser, _, passkey_id = rest.partition(" ")
        pending = await provider.signin_request(request_id) if request_id else None
        if not request_id or pending is None:
            return _message(
                "Sign-in not valid",
                "This Nuki sign-in did not start here or has expired; start signing in again from your app.",
                400,
            )
        if not hmac.compare_digest(browser, _hash(request.cookies.get(BROWSER_COOKIE, ""))):
            await provider.drop_signin(request_id)
            return _message(
                "Sign-in not valid",
                "This Nuki sign-in was started in another browser; start signing in again from your app, and "
                "allow access on Nuki's page in the browser you signed in with.",
                400,
            )
        code = request.query_params.get("code")
        if code is None:
            # The person declined on Nuki's page: the MCP client hears access_denied, as OAuth says.
            await provider.drop_signin(request_id)
            denied = construct_redirect_uri(
                str(pending.params.redirect_uri),
                error="access_denied",
                error_description="Nuki access was not allowed",
                state=pending.params.state,
                iss=provider.issuer,
            )
            return RedirectResponse(denied, status_code=302, headers={"Cache-Control": "no-store"})
        tokens = await self.endpoint.exchange(code, self.scopes)
        if isinstance(tokens, TokenFailure):
            logger.warning("Nuki sign-in failed: %s", tokens.reason)
            return _message(
                "Nuki sign-in failed",
                f"Signing in with Nuki failed ({tokens.reason}); start signing in again from your app.",
                502,
            )
        # Its own subject per sign-in; it names the passkey, so the audit trail's `by` says whose it was.
        subject = f"{SUBJECT_PREFIX}{passkey_id}:{secrets.token_urlsafe(16)}"
        await self.vault.save(subject, tokens)
        redirect = await provider.complete_signin(request_id, subject)
        if redirect is None:
            return _message(
                "Sign-in expired", "This sign-in is not valid any more; start signing in again from your app.", 404
            )
        return RedirectResponse(redirect, status_code=302, headers={"Cache-Control": "no-store"})

    # --- each MCP request ----------------------------------------------------------------------

    @property
    def bearer(self) -> UserBearer:
        return UserBearer(self)

    async def tool_refusals(self) -> Callable[[str], str | None]:
        """For the current MCP request: the refusal of a tool its user's Nuki scopes cannot use."""
        subject = _subject()
        tokens = await self.vault.load(subject) if subject is not None else None
        if tokens is None:
            return lambda _tool: None  # the machine token's NUKI_API_TOKEN, or a sign-in that needs renewing

        granted = frozenset(tokens.scopes)

        def refusal(tool: str) -> str | None:
            missing = missing_scope(tool, granted)
            if missing is None:
                return None
            return (
                f"{tool} needs the Nuki scope {missing}, which your Nuki sign-in did not allow; sign in again from "
                "your app and allow it on Nuki's page, or ask the owner for access."
            )

        return refusal

    async def current_token(self) -> str:
        subject = _subject()
        if subject is None or not subject.startswith(SUBJECT_PREFIX):
            if self.fallback is None:
                raise NukiAuthError(
                    "This server has no NUKI_API_TOKEN for machine clients; sign in with OAuth from an MCP client "
                    "to act with your own Nuki account, or ask the owner to set NUKI_API_TOKEN.",
                    status=401,
                )
            return self.fallback
        tokens = await self.vault.load(subject)
        if tokens is None:
            raise NukiAuthError(SIGN_IN_AGAIN, status=401)
        if tokens.expires_at - self.clock.now().timestamp() > REFRESH_MARGIN_S:
            return tokens.access_token
        return (await self._refresh(subject, tokens.access_token)).access_token

    async def renew(self, rejected: str) -> bool:
        subject = _subject()
        if subject is None or not subject.startswith(SUBJECT_PREFIX):
            return False
        # Nuki also answers 401 when a token lacks a scope (an audit meets several such reads): refreshing
        # cannot cure that, so a sign-in is renewed for a 401 at most once a minute on this replica.
        now = self.clock.monotonic()
        if now - self._renewed_at.get(subject, -RENEW_ON_401_EVERY_S) < RENEW_ON_401_EVERY_S:
            return False
        self._renewed_at[subject] = now
        try:
            renewed = await self._refresh(subject, rejected)
        except NukiAuthError:
            return False
        return renewed.access_token != rejected

    async def _refresh(self, subject: str, stale: str) -> NukiTokens:
        lock = self._locks.setdefault(subject, anyio.Lock())
        async with lock:
            tokens = await self.vault.load(subject)
            if tokens is None:
                raise NukiAuthError(SIGN_IN_AGAIN, status=401)
            fresh = tokens.expires_at - self.clock.now().timestamp() > REFRESH_MARGIN_S
            if tokens.access_token != stale and fresh:
                return tokens  # renewed meanwhile, here or on another replica
            renewed = await self.endpoint.refresh(tokens)
            if isinstance(renewed, NukiTokens):
                await self.vault.save(subject, renewed)
                return renewed
            if renewed.unreachable:
                raise NukiConnectionError(
                    f"Could not renew your Nuki sign-in just now ({renewed.reason}); nothing was sent, try again "
                    "in a minute."
                )
            again = await self.vault.load(subject)  # another replica may have spent the refresh token first
            if again is not None and again.access_token != tokens.access_token:
                return again
            logger.warning("Renewing a user's Nuki tokens failed: %s", renewed.reason)
            raise NukiAuthError(SIGN_IN_AGAIN, status=401)


@dataclass(frozen=True)
class UserBearer:
    """The Nuki client's `BearerSource` in per-user mode: the token of whoever made this MCP request."""

    accounts: NukiAccounts

    async def token(self) -> str:
        return await self.accounts.current_token()

    async def rejected(self, token: str) -> bool:
        return await self.accounts.renew(token)

    def unauthorized(self) -> str:
        return (
            "Nuki rejected your Nuki sign-in (401): it was revoked or does not allow this call; sign in again "
            "from your app and allow access on Nuki's page."
        )


def _subject() -> str | None:
    access = get_access_token()
    return access.subject if access is not None else None


def _message(title: str, text: str, status_code: int) -> HTMLResponse:
    page = message_page(title, text)
    return HTMLResponse(page.body, status_code=status_code, headers={**page.headers, "Cache-Control": "no-store"})
