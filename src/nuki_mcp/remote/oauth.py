"""The authorization server for MCP clients, built from the SDK's provider interface, over shared state.

Authorization code with PKCE (S256, checked by the SDK's token handler), dynamic client registration and
Client ID Metadata Documents (an https `client_id` naming its own metadata), RFC 9207 `iss` on the
redirect, access tokens for `ACCESS_TOKEN_TTL_S` with rotating refresh tokens, all bound to the one
resource this server is (`<public URL>/mcp`). Codes and tokens are 256-bit random strings; only their
SHA-256 is stored, so a copy of Redis holds nothing a client could present.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl, BaseModel, ValidationError

from nuki_mcp.clock import Clock
from nuki_mcp.shared_state.base import KeyValueStore

SCOPE: Final = "nuki"
ACCESS_TOKEN_TTL_S: Final = 900
REFRESH_TOKEN_TTL_S: Final = 30 * 24 * 3600
CODE_TTL_S: Final = 300
SIGNIN_TTL_S: Final = 600
CLIENT_TTL_S: Final = 365 * 24 * 3600
METADATA_DOCUMENT_TTL_S: Final = 3600
MAX_METADATA_DOCUMENT_BYTES: Final = 16 * 1024

# Fetches a Client ID Metadata Document: the URL in, the body out (or None when it cannot be had).
DocumentFetcher = Callable[[str], Awaitable[bytes | None]]


async def fetch_metadata_document(url: str) -> bytes | None:
    """GET a client's metadata document: https only, no redirects, 5 s, at most 16 KiB; None on any failure."""
    import httpx2

    if not url.startswith("https://"):
        return None
    try:
        async with (
            httpx2.AsyncClient(timeout=5.0, follow_redirects=False) as http,
            http.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                return None
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_METADATA_DOCUMENT_BYTES:
                    return None
            return body
    except httpx2.HTTPError:
        return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInRequest(BaseModel):
    """An /authorize request waiting for the owner's passkey."""

    client_id: str
    client_name: str | None
    params: AuthorizationParams
    challenge: str | None = None  # base64url of the current WebAuthn challenge


class _Grant(BaseModel):
    """What a code, access token or refresh token stands for (stored under the token's hash)."""

    client_id: str
    scopes: list[str]
    expires_at: int
    resource: str
    subject: str
    family: str  # the code's grant: revoking one token revokes every token of it


class _Code(BaseModel):
    grant: _Grant
    code_challenge: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool


@dataclass
class NukiAuthProvider:
    """`OAuthAuthorizationServerProvider` for the MCP endpoint at `resource` (the public URL + /mcp)."""

    kv: KeyValueStore
    clock: Clock
    issuer: str
    resource: str
    fetch_document: DocumentFetcher | None = fetch_metadata_document

    # --- clients -------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        stored = await self.kv.get("oauth:client:" + token_hash(client_id))
        if stored is not None:
            return OAuthClientInformationFull.model_validate_json(stored)
        if client_id.startswith("https://") and self.fetch_document is not None:
            return await self._metadata_document_client(client_id)
        return None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        await self.kv.put(
            "oauth:client:" + token_hash(client_info.client_id), client_info.model_dump_json(), CLIENT_TTL_S
        )

    async def _metadata_document_client(self, url: str) -> OAuthClientInformationFull | None:
        """A client whose id is the https URL of its own metadata (CIMD); cached for an hour."""
        assert self.fetch_document is not None
        body = await self.fetch_document(url)
        if body is None or len(body) > MAX_METADATA_DOCUMENT_BYTES:
            return None
        try:
            raw: object = json.loads(body)
            if not isinstance(raw, dict) or raw.get("client_id") != url:  # pyright: ignore[reportUnknownMemberType]
                return None
            metadata = OAuthClientMetadata.model_validate(raw)
        except (ValueError, ValidationError):
            return None
        if metadata.token_endpoint_auth_method not in (None, "none"):
            return None  # a document cannot carry a secret: only public clients
        client = OAuthClientInformationFull(
            **metadata.model_dump(exclude={"token_endpoint_auth_method"}),
            client_id=url,
            token_endpoint_auth_method="none",
        )
        await self.kv.put("oauth:client:" + token_hash(url), client.model_dump_json(), METADATA_DOCUMENT_TTL_S)
        return client

    # --- authorization -------------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and params.resource.rstrip("/") != self.resource:
            raise AuthorizeError("invalid_target", f"This server issues tokens only for {self.resource}.")
        request_id = secrets.token_urlsafe(24)
        pending = SignInRequest(client_id=client.client_id, client_name=client.client_name, params=params)
        await self.kv.put("oauth:signin:" + request_id, pending.model_dump_json(), SIGNIN_TTL_S)
        return f"{self.issuer}/signin/{request_id}"

    async def signin_request(self, request_id: str) -> SignInRequest | None:
        stored = await self.kv.get("oauth:signin:" + request_id)
        return SignInRequest.model_validate_json(stored) if stored is not None else None

    async def save_signin_request(self, request_id: str, pending: SignInRequest) -> None:
        await self.kv.put("oauth:signin:" + request_id, pending.model_dump_json(), SIGNIN_TTL_S)

    async def drop_signin(self, request_id: str) -> None:
        """Forget a waiting request that will not be completed (the person declined)."""
        await self.kv.delete("oauth:signin:" + request_id)

    async def complete_signin(self, request_id: str, subject: str) -> str | None:
        """The owner signed in: a code for the waiting request (used up), and the client's redirect URL."""
        stored = await self.kv.take("oauth:signin:" + request_id)
        if stored is None:
            return None
        pending = SignInRequest.model_validate_json(stored)
        params = pending.params
        code = secrets.token_urlsafe(32)
        grant = _Grant(
            client_id=pending.client_id,
            scopes=params.scopes or [SCOPE],
            expires_at=int(self.clock.now().timestamp()) + CODE_TTL_S,
            resource=self.resource,
            subject=subject,
            family=secrets.token_urlsafe(16),
        )
        record = _Code(
            grant=grant,
            code_challenge=params.code_challenge,
            redirect_uri=str(params.redirect_uri),
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
        )
        await self.kv.put("oauth:code:" + token_hash(code), record.model_dump_json(), CODE_TTL_S)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state, iss=self.issuer)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        key = token_hash(authorization_code)
        stored = await self.kv.get("oauth:code:" + key)
        if stored is None:
            # RFC 6749 §4.1.2 / OAuth 2.1: a code presented twice revokes what it was exchanged for.
            family = await self.kv.get("oauth:used-code:" + key)
            if family is not None:
                await self._revoke_family(family)
            return None
        record = _Code.model_validate_json(stored)
        if not hmac.compare_digest(record.grant.client_id, client.client_id):
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=record.grant.scopes,
            expires_at=float(record.grant.expires_at),
            client_id=record.grant.client_id,
            code_challenge=record.code_challenge,
            redirect_uri=AnyUrl(record.redirect_uri),
            redirect_uri_provided_explicitly=record.redirect_uri_provided_explicitly,
            resource=record.grant.resource,
            subject=record.grant.subject,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        key = token_hash(authorization_code.code)
        stored = await self.kv.take("oauth:code:" + key)  # of two concurrent exchanges, one gets it
        if stored is None:
            raise TokenError("invalid_grant", "authorization code was already used")
        grant = _Code.model_validate_json(stored).grant
        await self.kv.put("oauth:used-code:" + key, grant.family, CODE_TTL_S * 2)
        return await self._issue(grant)

    # --- tokens --------------------------------------------------------------------------------------

    async def _issue(self, grant: _Grant) -> OAuthToken:
        now = int(self.clock.now().timestamp())
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        access_grant = grant.model_copy(update={"expires_at": now + ACCESS_TOKEN_TTL_S})
        refresh_grant = grant.model_copy(update={"expires_at": now + REFRESH_TOKEN_TTL_S})
        await self.kv.put("oauth:access:" + token_hash(access), access_grant.model_dump_json(), ACCESS_TOKEN_TTL_S)
        await self.kv.put("oauth:refresh:" + token_hash(refresh), refresh_grant.model_dump_json(), REFRESH_TOKEN_TTL_S)
        await self.kv.put(
            f"oauth:family:{grant.family}", f"{token_hash(access)} {token_hash(refresh)}", REFRESH_TOKEN_TTL_S
        )
        return OAuthToken(
            access_token=access, expires_in=ACCESS_TOKEN_TTL_S, scope=" ".join(grant.scopes), refresh_token=refresh
        )

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        grant = await self._grant("oauth:refresh:", refresh_token)
        if grant is None or not hmac.compare_digest(grant.client_id, client.client_id):
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=grant.scopes,
            expires_at=grant.expires_at,
            resource=grant.resource,
            subject=grant.subject,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        stored = await self.kv.take("oauth:refresh:" + token_hash(refresh_token.token))  # rotation: used once
        if stored is None:
            raise TokenError("invalid_grant", "refresh token was already used")
        grant = _Grant.model_validate_json(stored)
        await self._revoke_family(grant.family)  # the old access token goes with the old refresh token
        return await self._issue(grant.model_copy(update={"scopes": scopes, "family": secrets.token_urlsafe(16)}))

    async def load_access_token(self, token: str) -> AccessToken | None:
        grant = await self._grant("oauth:access:", token)
        if grant is None:
            return None
        return AccessToken(
            token=token,
            client_id=grant.client_id,
            scopes=grant.scopes,
            expires_at=grant.expires_at,
            resource=grant.resource,
            subject=grant.subject,
            claims={"iss": self.issuer},
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        for prefix in ("oauth:access:", "oauth:refresh:"):
            grant = await self._grant(prefix, token.token)
            if grant is not None:
                await self._revoke_family(grant.family)

    async def _grant(self, prefix: str, token: str) -> _Grant | None:
        stored = await self.kv.get(prefix + token_hash(token))
        if stored is None:
            return None
        grant = _Grant.model_validate_json(stored)
        return grant if grant.expires_at > self.clock.now().timestamp() else None

    async def _revoke_family(self, family: str) -> None:
        hashes = await self.kv.take(f"oauth:family:{family}")
        if hashes is None:
            return
        access, refresh = hashes.split(" ")
        await self.kv.delete("oauth:access:" + access)
        await self.kv.delete("oauth:refresh:" + refresh)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: object) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "The JWT bearer grant is not supported by this server.")


@dataclass
class RemoteTokenVerifier:
    """The MCP endpoint's `TokenVerifier`: tokens this server issued, or the machine token NUKI_MCP_AUTH_TOKEN."""

    provider: NukiAuthProvider
    machine_token: str | None = None

    async def verify_token(self, token: str) -> AccessToken | None:
        if self.machine_token is not None and hmac.compare_digest(token.encode(), self.machine_token.encode()):
            return AccessToken(
                token=token,
                client_id="machine",
                scopes=[SCOPE],
                resource=self.provider.resource,
                subject="machine",
                claims={"iss": self.provider.issuer},
            )
        return await self.provider.load_access_token(token)


def signed_in_actor() -> str | None:
    """Who sent the MCP request being handled, for the audit trail: `subject via client id` (None outside one)."""
    token = get_access_token()
    if token is None:
        return None
    return f"{token.subject or 'unknown'} via client {token.client_id}"
