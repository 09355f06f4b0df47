"""Nuki's OAuth 2.0 authorization-code flow, simulated (REFERENCE.md §2.1-2.2).

`GET /oauth/authorize` stands for Nuki's consent page: the simulated person consents at once and the
browser is sent to `redirect_uri?code=…&state=…` (a wrong client id or redirect URI is refused with a
400 page, never redirected). `POST /oauth/token` trades a code (single use) or a refresh token for an
access token that expires after `ACCESS_TOKEN_TTL_S` on the simulator's clock; client credentials come
in the form or as HTTP Basic. Like the real endpoint, it answers JSON labelled `text/plain`.

The API then accepts the access tokens issued here beside the simulator's static token, and answers a
call its scopes do not cover with Nuki's 401 `Your access token is not authorized`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, urlencode

import httpx2

from nuki_mcp.clock import Clock

ACCESS_TOKEN_TTL_S: Final = 3600
CODE_TTL_S: Final = 600
ALL_SCOPES: Final = frozenset(
    {
        "account",
        "notification",
        "smartlock",
        "smartlock.readOnly",
        "smartlock.action",
        "smartlock.auth",
        "smartlock.config",
        "smartlock.log",
        "smartlock.create",
        "webhook.decentral",
    }
)
NOT_AUTHORIZED: Final = "Your access token is not authorized"

# §2.2: what an operation needs; every clause must be met, by any one scope of the clause.
_READ_DEVICES: Final = frozenset({"smartlock", "smartlock.readOnly"})
_DEVICE: Final = r"/smartlock/\d+"
_RULES: Final[tuple[tuple[str | None, re.Pattern[str], tuple[frozenset[str], ...]], ...]] = tuple(
    (method, re.compile(f"^{pattern}$"), clauses)
    for method, pattern, clauses in (
        ("GET", r"/smartlock", (_READ_DEVICES,)),
        ("GET", _DEVICE, (_READ_DEVICES,)),
        (None, _DEVICE, (frozenset({"smartlock"}),)),
        (None, _DEVICE + r"/(action|sync)(/.*)?", (frozenset({"smartlock.action"}),)),
        (None, r"/smartlock(/\d+)?/auth(/.*)?", (frozenset({"smartlock.auth"}),)),
        (None, _DEVICE + r"/(config|advanced/.*|web/config|admin/pin)", (frozenset({"smartlock.config"}),)),
        (None, r"/bulk-web-config", (frozenset({"smartlock.config"}),)),
        (None, r"/smartlock(/\d+)?/log", (frozenset({"smartlock.log"}),)),
        (None, r"/notification(/.*)?", (frozenset({"smartlock.log"}),)),
        (None, r"/account/user(/.*)?", (frozenset({"account"}), frozenset({"smartlock.auth"}))),
        (None, r"/(account|subscription|api/key|address|service)(/.*)?", (frozenset({"account"}),)),
        (None, r"/api/decentralWebhook(/.*)?", (frozenset({"webhook.decentral"}),)),
    )
)


def required_scopes(method: str, path: str) -> tuple[frozenset[str], ...]:
    """The scope clauses an OAuth token needs for `method path` (none: `/opener/*` and unknown paths)."""
    for rule_method, pattern, clauses in _RULES:
        if (rule_method is None or rule_method == method) and pattern.match(path):
            return clauses
    return ()


@dataclass(frozen=True)
class OAuthApp:
    """A client registered in Nuki Web (menu API → OAuth2): its credentials and exact redirect URIs."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class IssuedToken:
    """An access or refresh token: whose consent (`person`) and which scopes it carries."""

    client_id: str
    person: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class TokenUse:
    """One API call made with an OAuth access token."""

    token: str
    person: str
    method: str
    path: str


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    person: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class SimulatedOAuth:
    """The authorization server of the simulated account; tests register apps and script the consent.

    `person` is who sits at the consent page; `consent` the scopes that person allows (None: all asked).
    """

    clock: Clock
    apps: dict[str, OAuthApp] = field(default_factory=dict[str, OAuthApp])
    person: str = "owner"
    consent: frozenset[str] | None = None
    access_tokens: dict[str, IssuedToken] = field(default_factory=dict[str, IssuedToken])
    refresh_tokens: dict[str, IssuedToken] = field(default_factory=dict[str, IssuedToken])
    uses: list[TokenUse] = field(default_factory=list[TokenUse])
    _codes: dict[str, _Code] = field(default_factory=dict[str, _Code])

    def register_app(self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...]) -> OAuthApp:
        app = OAuthApp(client_id, client_secret, redirect_uris)
        self.apps[client_id] = app
        return app

    def handles(self, path: str) -> bool:
        return path in ("/oauth/authorize", "/oauth/token")

    def serve(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/oauth/authorize" and request.method == "GET":
            return self._authorize(dict(request.url.params.items()))
        if request.url.path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        return httpx2.Response(405, headers={"allow": "GET" if request.url.path.endswith("authorize") else "POST"})

    def token_scopes(self, token: str) -> frozenset[str] | None:
        """The scopes of a live access token issued here; None for any other token."""
        issued = self.access_tokens.get(token)
        if issued is None or issued.expires_at <= self.clock.now().timestamp():
            return None
        return issued.scopes

    def check_call(self, token: str, method: str, path: str) -> str | None:
        """None when the access token `token` may make this call; else Nuki's refusal text (401)."""
        scopes = self.token_scopes(token)
        if scopes is None or not all(clause & scopes for clause in required_scopes(method, path)):
            return NOT_AUTHORIZED
        self.uses.append(TokenUse(token, self.access_tokens[token].person, method, path))
        return None

    # --- the consent page ----------------------------------------------------------------------

    def _authorize(self, query: Mapping[str, str]) -> httpx2.Response:
        app = self.apps.get(query.get("client_id", ""))
        if app is None:
            return _page(400, "Unknown client_id: this application is not registered with Nuki.")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            return _page(400, "The redirect_uri does not match the ones registered for this application.")
        state = query.get("state")
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        asked = frozenset(query.get("scope", "").split())
        if not asked or not asked <= ALL_SCOPES:
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        granted = asked if self.consent is None else asked & self.consent
        if not granted:
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = secrets.token_urlsafe(24)
        expires = self.clock.now().timestamp() + CODE_TTL_S
        self._codes[code] = _Code(app.client_id, redirect_uri, self.person, granted, expires)
        return _redirect(redirect_uri, {"code": code, "state": state})

    # --- the token endpoint --------------------------------------------------------------------

    def _token(self, request: httpx2.Request) -> httpx2.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8", errors="replace")).items()}
        client_id, secret = _basic(request.headers.get("authorization", ""))
        client_id = client_id or form.get("client_id", "")
        secret = secret or form.get("client_secret", "")
        app = self.apps.get(client_id)
        if app is None or not secrets.compare_digest(secret.encode(), app.client_secret.encode()):
            return _token_error(401, "invalid_client", "Bad client credentials")
        grant_type = form.get("grant_type")
        now = self.clock.now().timestamp()
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)  # single use
            if code is None or code.expires_at <= now or code.client_id != client_id:
                return _token_error(400, "invalid_grant", "Invalid authorization code")
            if form.get("redirect_uri") != code.redirect_uri:
                return _token_error(400, "invalid_grant", "Redirect URI mismatch.")
            return self._issue(client_id, code.person, code.scopes)
        if grant_type == "refresh_token":
            issued = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if issued is None or issued.client_id != client_id:
                return _token_error(400, "invalid_grant", "Invalid refresh token")
            return self._issue(client_id, issued.person, issued.scopes)
        return _token_error(400, "unsupported_grant_type", "Unsupported grant type")

    def _issue(self, client_id: str, person: str, scopes: frozenset[str]) -> httpx2.Response:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock.now().timestamp()
        self.access_tokens[access] = IssuedToken(client_id, person, scopes, now + ACCESS_TOKEN_TTL_S)
        self.refresh_tokens[refresh] = IssuedToken(client_id, person, scopes, float("inf"))
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_TTL_S,
            "refresh_token": refresh,
            "scope": " ".join(sorted(scopes)),
        }
        # The real endpoint labels its JSON as text/plain (REFERENCE.md §2.1).
        return httpx2.Response(200, headers={"content-type": "text/plain;charset=UTF-8"}, content=json.dumps(body))


def _basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def _redirect(uri: str, params: Mapping[str, str | None]) -> httpx2.Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return httpx2.Response(302, headers={"location": f"{uri}{'&' if '?' in uri else '?'}{query}"})


def _page(status: int, text: str) -> httpx2.Response:
    return httpx2.Response(status, headers={"content-type": "text/html; charset=utf-8"}, content=f"<p>{text}</p>")


def _token_error(status: int, error: str, description: str) -> httpx2.Response:
    body = json.dumps({"error": error, "error_description": description})
    return httpx2.Response(status, headers={"content-type": "text/plain;charset=UTF-8"}, content=body)
