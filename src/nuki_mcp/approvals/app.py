"""The loopback web app of passkey approvals, and the server that runs it at http://localhost:PORT.

Routes (all answers `Cache-Control: no-store`):
- `GET /approve/{id}`: the approval page; `POST /approve/{id}/options`, `/verify`, `/deny`: its JSON calls.
- Only in the `nuki-mcp passkey add` process (`enrolment` given): `GET /passkeys/enrol` and
  `POST /passkeys/enrol/options`, `/passkeys/enrol/verify`. The MCP server never serves enrolment.

Requests must name the server as `localhost:PORT` (or a loopback address) in `Host`, which keeps DNS
rebinding out; POSTs must come from the page's own origin with a JSON body. A challenge is made per
attempt, bound to one approval (or to the enrolment) and consumed by the first answer that presents it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from nuki_mcp.approvals.page import Page, approval_page, enrol_page, message_page
from nuki_mcp.approvals.passkeys import (
    RP_ID,
    PasskeyError,
    PasskeyRegistry,
    StoredPasskey,
    authentication_options,
    origin_of,
    registration_options,
    verify_authentication,
    verify_registration,
)
from nuki_mcp.approvals.store import ApprovalNotPending, ApprovalStore, is_well_formed_id
from nuki_mcp.clock import Clock

logger = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 64 * 1024
_NO_STORE: Final = {"Cache-Control": "no-store"}
_LOOPBACK_HOSTS: Final = ("localhost", "127.0.0.1", "[::1]")


@dataclass
class Enrolment:
    """One run of `nuki-mcp passkey add`: the label, the open challenge, and whether it is done."""

    label: str
    passkeys: PasskeyRegistry
    challenge: bytes | None = field(default=None, repr=False)
    enrolled: StoredPasskey | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


def _page(page: Page, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(page.body, status_code=status_code, headers=page.headers)


def _json(payload: dict[str, str], status_code: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status_code, headers=_NO_STORE)


def _options(options_json: str) -> Response:
    return Response(options_json, media_type="application/json", headers=_NO_STORE)


def _error(message: str, status_code: int) -> JSONResponse:
    return _json({"error": message}, status_code)


def build_approval_app(
    *,
    port: int,
    passkeys: PasskeyRegistry,
    clock: Clock,
    approvals: ApprovalStore | None = None,
    enrolment: Enrolment | None = None,
    public_url: str | None = None,
) -> Starlette:
    """The Starlette app for a server listening on loopback `port` (its real port, never 0).

    `public_url` (remote mode): the pages are served under that origin instead, the passkey's RP id is its
    host name, and the Host header must name it (the remote app's own host gate checks the rest).
    """
    origin = public_url or origin_of(port)
    rp_id = urlsplit(public_url).hostname or RP_ID if public_url else RP_ID
    allowed_hosts = frozenset(f"{host}:{port}" for host in _LOOPBACK_HOSTS)
    if public_url:
        parts = urlsplit(public_url)
        allowed_hosts |= {parts.netloc.lower(), f"{parts.hostname}:{443 if parts.scheme == 'https' else 80}"}

    async def json_body(request: Request) -> str | Response:
        if request.headers.get("host", "").lower() not in allowed_hosts:
            return _error("Open this page at " + origin + ".", 421)
        if request.headers.get("origin") != origin:
            return _error("This request did not come from the approval page.", 403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error("Send JSON.", 415)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error("The request is too large.", 413)
        return body.decode("utf-8", errors="replace")

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if request.headers.get("host", "").lower() not in allowed_hosts:
                return _page(message_page("Wrong address", f"Open this page at {origin}."), 421)
            return await handler(request)

        return endpoint

    routes: list[Route] = []

    if approvals is not None:
        store = approvals

        async def approval_id_of(request: Request) -> str | None:
            approval_id = str(request.path_params["approval_id"])
            return approval_id if is_well_formed_id(approval_id) else None

        async def show(request: Request) -> Response:
            approval_id = await approval_id_of(request)
            approval = await store.get(approval_id) if approval_id else None
            if approval is None:
                page = message_page(
                    "Unknown approval", "This approval link is not valid; nothing can be approved here."
                )
                return _page(page, 404)
            return _page(approval_page(approval, clock.now()))

        async def approve_options(request: Request) -> Response:
            body = await json_body(request)
            if isinstance(body, Response):
                return body
            approval_id = await approval_id_of(request)
            if approval_id is None or await store.get(approval_id) is None:
                return _error("This approval link is not valid.", 404)
            challenge = secrets.token_bytes(32)
            try:
                await store.new_challenge(approval_id, challenge)
            except ApprovalNotPending as exc:
                return _not_pending(exc)
            return _options(authentication_options(challenge, rp_id=rp_id))

        async def approve_verify(request: Request) -> Response:
            body = await json_body(request)
            if isinstance(body, Response):
                return body
            approval_id = await approval_id_of(request)
            approval = await store.get(approval_id) if approval_id else None
            if approval_id is None or approval is None:
                return _error("This approval link is not valid.", 404)
            if approval.state != "pending":
                return _not_pending(ApprovalNotPending(approval))
            challenge = await store.take_challenge(approval_id)
            if challenge is None:
                return _error("There is no open passkey request for this approval; press Approve again.", 409)
            try:
                passkey = verify_authentication(
                    passkeys, body, challenge=challenge, origin=origin, clock=clock, rp_id=rp_id
                )
                await store.grant(approval_id, passkey.credential_id)
            except PasskeyError as exc:
                return _error(str(exc), 400)
            except ApprovalNotPending as exc:
                return _not_pending(exc)
            return _json({"status": "granted"})

        async def deny(request: Request) -> Response:
            body = await json_body(request)
            if isinstance(body, Response):
                return body
            approval_id = await approval_id_of(request)
            if approval_id is None or await store.get(approval_id) is None:
                return _error("This approval link is not valid.", 404)
            try:
                await store.deny(approval_id)
            except ApprovalNotPending as exc:
                return _not_pending(exc)
            return _json({"status": "denied"})

        routes += [
            Route("/approve/{approval_id}", guarded(show), methods=["GET"]),
            Route("/approve/{approval_id}/options", approve_options, methods=["POST"]),
            Route("/approve/{approval_id}/verify", approve_verify, methods=["POST"]),
            Route("/approve/{approval_id}/deny", deny, methods=["POST"]),
        ]

    if enrolment is not None:
        session = enrolment

        async def enrol(request: Request) -> Response:
            return _page(enrol_page(session.label))

        async def enrol_options(request: Request) -> Response:
            body = await json_body(request)
            if isinstance(body, Response):
                return body
            if session.enrolled is not None:
                return _error("A passkey was already added in this run; close this page.", 409)
            session.challenge = secrets.token_bytes(32)
            try:
                return _options(registration_options(session.passkeys, session.challenge, session.label))
            except PasskeyError as exc:
                return _error(str(exc), 500)

        async def enrol_verify(request: Request) -> Response:
            body = await json_body(request)
            if isinstance(body, Response):
                return body
            challenge, session.challenge = session.challenge, None
            if challenge is None or session.enrolled is not None:
                return _error("There is no open passkey request; press Add passkey again.", 409)
            try:
                passkey = verify_registration(
                    session.passkeys, body, challenge=challenge, origin=origin, label=session.label, clock=clock
                )
            except PasskeyError as exc:
                return _error(str(exc), 400)
            session.enrolled = passkey
            session.done.set()
            return _json({"status": "enrolled", "credential_id": passkey.credential_id})

        routes += [
            Route("/passkeys/enrol", guarded(enrol), methods=["GET"]),
            Route("/passkeys/enrol/options", enrol_options, methods=["POST"]),
            Route("/passkeys/enrol/verify", enrol_verify, methods=["POST"]),
        ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _page(message_page("Not found", "There is nothing here; check the link nuki-mcp gave you."), 404)

    return Starlette(routes=routes, exception_handlers={404: not_found})


def _not_pending(exc: ApprovalNotPending) -> JSONResponse:
    state = exc.approval.state if exc.approval is not None else "gone"
    words = {
        "granted": "already approved",
        "redeemed": "already approved and used",
        "denied": "denied",
        "expired": "expired",
    }.get(state, "no longer open")
    return _error(f"This approval is {words}; nothing more to decide.", 409)


class _Server(uvicorn.Server):
    # The process that embeds this server (the MCP server, the CLI) handles signals itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class LoopbackServer:
    """A listening socket on 127.0.0.1 (the port is known at once, even for port 0) and the app it serves."""

    def __init__(self, port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(("127.0.0.1", port))
            # Listening now: a browser that connects before uvicorn runs waits in the backlog.
            self._socket.listen(64)
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        return origin_of(self.port)

    @contextlib.asynccontextmanager
    async def running(self, app: Starlette) -> AsyncGenerator[None]:
        """Serve `app` while the block runs; on exit, let open requests finish and close the socket."""
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=2, ws="none"
        )
        server = _Server(config)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(server.serve, [self._socket])
                try:
                    yield
                finally:
                    server.should_exit = True
        finally:
            self._socket.close()

    def close(self) -> None:
        self._socket.close()
