"""The owner's passkey sign-in on the authorization page, and one-time enrolment links for a remote host.

RP id is the public host name; the browser must be on the public origin. A challenge is made per attempt,
kept in shared state and taken by the first answer that presents it (on any replica).

Enrolment links (`nuki-mcp passkey add --public-url`) are `/passkeys/enrol/<token>`: the token carries its
expiry (10 minutes) and a nonce under an HMAC with a key the CLI and the server share (Redis, or a file in
the state directory); the first passkey registered through a link uses the link up.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from nuki_mcp.approvals.page import Page, enrol_page, message_page, signin_page
from nuki_mcp.approvals.passkeys import (
    PasskeyError,
    PasskeyRegistry,
    authentication_options,
    registration_options,
    verify_authentication,
    verify_registration,
)
from nuki_mcp.clock import Clock
from nuki_mcp.remote.oauth import SIGNIN_TTL_S, NukiAuthProvider
from nuki_mcp.shared_state.base import KeyValueStore, SingleUse

ENROL_LINK_TTL_S: Final = 600
MAX_BODY_BYTES: Final = 64 * 1024
OWNER: Final = "owner"
_NO_STORE: Final = {"Cache-Control": "no-store"}
_SECRET_FILE: Final = "remote-secret"


def file_secret(directory: Path) -> bytes:
    """The enrolment-link key of a single-host install: made once in the state directory, mode 0600."""
    path = directory / _SECRET_FILE
    try:
        return base64.urlsafe_b64decode(path.read_bytes().strip())
    except FileNotFoundError:
        pass
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".remote-secret-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))
        # link(): the first writer wins when two processes make the key at once.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return base64.urlsafe_b64decode(path.read_bytes().strip())


@dataclass(frozen=True)
class EnrolmentLinks:
    secret: bytes
    clock: Clock

    def issue(self, public_url: str, label: str) -> str:
        expires = int(self.clock.now().timestamp()) + ENROL_LINK_TTL_S
        body = f"{expires}.{secrets.token_urlsafe(12)}.{_b64(label.encode())}"
        return f"{public_url}/passkeys/enrol/{body}.{self._mac(body)}"

    def check(self, token: str) -> tuple[str, str] | None:
        """(nonce, label) of a genuine, unexpired link token; None otherwise."""
        body, _, mac = token.rpartition(".")
        parts = body.split(".")
        if len(parts) != 3 or not hmac.compare_digest(mac, self._mac(body)) or not parts[0].isdigit():
            return None
        if int(parts[0]) < self.clock.now().timestamp():
            return None
        try:
            label = base64.urlsafe_b64decode(parts[2] + "==").decode()
        except ValueError:
            return None
        return parts[1], label

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _page(page: Page, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(page.body, status_code=status_code, headers=page.headers)


def _error(message: str, status_code: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=_NO_STORE)


@dataclass(frozen=True)
class BrowserContinuation:
    """Where the browser goes after the passkey, and the cookie that proves it is the same browser later."""

    url: str
    cookie_name: str
    cookie_value: str
    cookie_path: str
    max_age_s: int


@dataclass
class SignInRoutes:
    provider: NukiAuthProvider
    passkeys: PasskeyRegistry
    kv: KeyValueStore
    single_use: SingleUse
    links: EnrolmentLinks
    clock: Clock
    public_url: str
    # Per-user Nuki sign-in: after the passkey, where the browser goes next (Nuki's consent page) instead
    # of back to the client with a code, and a cookie that ties the Nuki callback to this browser; the
    # callback issues the code.
    # Called with the sign-in's request id and the id of the passkey that signed in.
    continue_to: Callable[[str, str], Awaitable[BrowserContinuation]] | None = None

    @property
    def rp_id(self) -> str:
        return urlsplit(self.public_url).hostname or "localhost"

    def routes(self) -> list[Route]:
        return [
            Route("/signin/{request_id}", self.show, methods=["GET"]),
            Route("/signin/{request_id}/options", self.json(self.options), methods=["POST"]),
            Route("/signin/{request_id}/verify", self.json(self.verify), methods=["POST"]),
            Route("/passkeys/enrol/{token}", self.enrol, methods=["GET"]),
            Route("/passkeys/enrol/{token}/options", self.json(self.enrol_options), methods=["POST"]),
            Route("/passkeys/enrol/{token}/verify", self.json(self.enrol_verify), methods=["POST"]),
        ]

    def json(self, handler: Callable[[Request, str], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        """POSTs come from the page's own (public) origin with a small JSON body."""

        async def endpoint(request: Request) -> Response:
            if request.headers.get("origin") != self.public_url:
                return _error("This request did not come from nuki-mcp's own page.", 403)
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return _error("Send JSON.", 415)
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                return _error("The request is too large.", 413)
            return await handler(request, body.decode("utf-8", errors="replace"))

        return endpoint

    async def show(self, request: Request) -> Response:
        pending = await self.provider.signin_request(str(request.path_params["request_id"]))
        if pending is None:
            return _page(
                message_page("Sign-in expired", "This sign-in link is not valid any more; start again from your app."),
                404,
            )
        if not self.passkeys.enrolled():
            return _page(
                message_page(
                    "No passkey yet",
                    "No passkey is enrolled for this server, so nobody can sign in yet: on the server run "
                    f"`nuki-mcp passkey add --public-url {self.public_url}`, open the link it prints on your "
                    "phone or computer, then start signing in again from your app.",
                ),
                503,
            )
        return _page(signin_page(pending.client_name, self.rp_id))

    async def options(self, request: Request, body: str) -> Response:
        request_id = str(request.path_params["request_id"])
        if await self.provider.signin_request(request_id) is None:
            return _error("This sign-in link is not valid any more; start again from your app.", 404)
        challenge = secrets.token_bytes(32)
        await self.kv.put("oauth:signin-challenge:" + request_id, _b64(challenge), SIGNIN_TTL_S)
        return Response(authentication_options(challenge, rp_id=self.rp_id), media_type="application/json")

    async def verify(self, request: Request, body: str) -> Response:
        request_id = str(request.path_params["request_id"])
        stored = await self.kv.take("oauth:signin-challenge:" + request_id)
        if stored is None:
            return _error("There is no open passkey request for this sign-in; press Sign in again.", 409)
        try:
            passkey = verify_authentication(
                self.passkeys,
                body,
                challenge=base64.urlsafe_b64decode(stored + "=="),
                origin=self.public_url,
                clock=self.clock,
                rp_id=self.rp_id,
            )
        except PasskeyError as exc:
            return _error(str(exc), 400)
        if self.continue_to is not None:
            if await self.provider.signin_request(request_id) is None:
                return _error("This sign-in link is not valid any more; start again from your app.", 404)
            onward = await self.continue_to(request_id, passkey.credential_id)
            response = JSONResponse({"redirect": onward.url}, headers=_NO_STORE)
            response.set_cookie(
                onward.cookie_name,
                onward.cookie_value,
                max_age=onward.max_age_s,
                path=onward.cookie_path,
                secure=self.public_url.startswith("https://"),
                httponly=True,
                samesite="lax",  # sent when Nuki's page sends the browser back (a top-level GET)
            )
            return response
        # The subject names the passkey, so the audit trail's `by` says which of the owner's passkeys it was.
        redirect = await self.provider.complete_signin(request_id, f"{OWNER}:{passkey.credential_id}")
        if redirect is None:
            return _error("This sign-in link is not valid any more; start again from your app.", 404)
        return JSONResponse({"redirect": redirect}, headers=_NO_STORE)

    async def enrol(self, request: Request) -> Response:
        checked = self.links.check(str(request.path_params["token"]))
        if checked is None:
            return _page(
                message_page(
                    "Link not valid",
                    "This enrolment link is wrong or older than 10 minutes; run `nuki-mcp passkey add "
                    "--public-url` again for a new one.",
                ),
                404,
            )
        return _page(enrol_page(checked[1]))

    async def enrol_options(self, request: Request, body: str) -> Response:
        checked = self.links.check(str(request.path_params["token"]))
        if checked is None:
            return _error("This enrolment link is wrong or expired; ask for a new one.", 404)
        nonce, label = checked
        challenge = secrets.token_bytes(32)
        await self.kv.put("enrol-challenge:" + nonce, _b64(challenge), ENROL_LINK_TTL_S)
        try:
            options = registration_options(self.passkeys, challenge, label, rp_id=self.rp_id)
        except PasskeyError as exc:
            return _error(str(exc), 500)
        return Response(options, media_type="application/json")

    async def enrol_verify(self, request: Request, body: str) -> Response:
        checked = self.links.check(str(request.path_params["token"]))
        if checked is None:
            return _error("This enrolment link is wrong or expired; ask for a new one.", 404)
        nonce, label = checked
        stored = await self.kv.take("enrol-challenge:" + nonce)
        if stored is None:
            return _error("There is no open passkey request; press Add passkey again.", 409)
        if not self.single_use.claim("enrol-link:" + nonce, ENROL_LINK_TTL_S):
            return _error("This enrolment link was already used; run `nuki-mcp passkey add` for a new one.", 409)
        try:
            passkey = verify_registration(
                self.passkeys,
                body,
                challenge=base64.urlsafe_b64decode(stored + "=="),
                origin=self.public_url,
                label=label,
                clock=self.clock,
                rp_id=self.rp_id,
            )
        except PasskeyError as exc:
            self.single_use.release("enrol-link:" + nonce)
            return _error(str(exc), 400)
        return JSONResponse({"status": "enrolled", "credential_id": passkey.credential_id}, headers=_NO_STORE)
