"""The Streamable HTTP app: the SDK's `/mcp` endpoint behind host checks and an optional bearer token.

Binding a loopback host keeps the SDK's DNS-rebinding protection (foreign Host -> 421, foreign
Origin -> 403). Any other host is reachable from the network, so it needs `NUKI_MCP_AUTH_TOKEN` and an
explicit `NUKI_MCP_ALLOWED_HOSTS` list; without them the SDK would accept any Host header.
"""

from __future__ import annotations

import errno
import hmac
import socket
from typing import TYPE_CHECKING, Final

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from nuki_mcp.config import Settings, SettingsError

if TYPE_CHECKING:  # importing `mcp` takes seconds; the CLI reports bad flags without it
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings

    from nuki_mcp.approvals.service import PasskeyApprovals
    from nuki_mcp.clock import Clock
    from nuki_mcp.context import AppState
    from nuki_mcp.shared_state import SharedState

MCP_PATH: Final = "/mcp"
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_LOOPBACK_HOST_HEADERS: Final = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    return host.strip().lower() in LOOPBACK_HOSTS


def endpoint_url(host: str, port: int) -> str:
    """The URL a client on this machine uses: `http://127.0.0.1:8000/mcp` (IPv6 in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{MCP_PATH}"


def transport_security(host: str, allowed_hosts: tuple[str, ...]) -> TransportSecuritySettings:
    """Host and Origin allow-lists: the loopback names when bound to loopback, plus every allowed host."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = [*_LOOPBACK_HOST_HEADERS] if is_loopback(host) else []
    names += [h for h in allowed_hosts if h not in names]
    hosts: list[str] = []
    origins: list[str] = []
    for name in names:
        hosts += [name, f"{name}:*"]
        origins += [f"http://{name}", f"http://{name}:*", f"https://{name}", f"https://{name}:*"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on every address of host:port, for uvicorn; or `SettingsError` in one line.

    Like asyncio's own `create_server(host=...)`: a name such as `localhost` gets a socket per
    address it resolves to (127.0.0.1 and ::1), so clients that try IPv6 first still connect.
    """
    where = endpoint_url(host, port).removesuffix(MCP_PATH)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise SettingsError(
            f"Cannot listen on {where}: {host!r} is not a known host name; use --host 127.0.0.1."
        ) from None
    listeners: list[socket.socket] = []
    try:
        for family, address in dict.fromkeys((family, address) for family, _, _, _, address in infos):
            listeners.append(socket.create_server(address, family=family))
    except OSError as exc:
        for listener in listeners:
            listener.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the port is already in use (another nuki-mcp, or another server); choose another with --port"
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = f"{host} is not an address of this machine; use --host 127.0.0.1"
        elif exc.errno == errno.EACCES:
            why = "ports below 1024 need administrator rights; choose another with --port"
        else:
            why = f"{exc.strerror or exc}; choose another --host or --port"
        raise SettingsError(f"Cannot listen on {where}: {why}.") from None
    return listeners


def check_http_settings(settings: Settings, host: str) -> None:
    """Refuse to expose the server beyond this machine without a bearer token and a host allow-list.

    Remote mode (a public URL) signs clients in with OAuth and knows its host name from the URL.
    """
    if is_loopback(host) or settings.public_url is not None:
        return
    if settings.mcp_auth_token is None:
        raise SettingsError(
            f"Binding {host} exposes the server to the network: set NUKI_MCP_AUTH_TOKEN to a long random "
            "secret (clients send it as a Bearer token), or bind 127.0.0.1."
        )
    if not settings.allowed_hosts:
        raise SettingsError(
            f"Binding {host} needs the host names clients use to reach it: set NUKI_MCP_ALLOWED_HOSTS "
            "(or --allowed-hosts), e.g. mcp.example.com,192.168.1.20."
        )


class BearerTokenGate:
    """ASGI wrapper: every HTTP request needs `Authorization: Bearer <token>`, else 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = token.encode()

    def __repr__(self) -> str:
        return "BearerTokenGate(token=***)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(Headers(scope=scope).get("authorization", "")):
            response = PlainTextResponse(
                "Missing or wrong bearer token: send Authorization: Bearer <NUKI_MCP_AUTH_TOKEN>.",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="nuki-mcp"'},
            )
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        scheme, _, credentials = header.strip().partition(" ")
        # compare_digest: the time taken must not reveal how much of the token was right.
        return hmac.compare_digest(credentials.strip().encode(), self._expected) and scheme.lower() == "bearer"


def build_http_app(
    server: MCPServer[AppState],
    settings: Settings,
    host: str,
    *,
    shared: SharedState | None = None,
    clock: Clock | None = None,
    port: int | None = None,
    approvals: PasskeyApprovals | None = None,
) -> ASGIApp:
    """The ASGI app to serve with uvicorn; raises `SettingsError` for an unsafe non-loopback bind.

    With `settings.public_url`: remote mode (OAuth for MCP clients, passkey sign-in), with `shared` state;
    `approvals` (NUKI_CONFIRM=passkey) then has its approval pages served by the same app.
    """
    check_http_settings(settings, host)
    if settings.public_url is not None:
        from nuki_mcp.approvals.passkeys import default_state_dir
        from nuki_mcp.clock import SystemClock
        from nuki_mcp.remote.app import build_remote_app, enrolment_secret, passkey_registry
        from nuki_mcp.shared_state import memory_shared_state

        clock = clock or SystemClock()
        shared = shared or memory_shared_state(clock)
        state_dir = default_state_dir()
        return build_remote_app(
            server,
            settings,
            shared=shared,
            passkeys=passkey_registry(settings, state_dir),
            enrolment_secret=enrolment_secret(settings, shared, state_dir),
            clock=clock,
            loopback_port=port if is_loopback(host) else None,
            approval_routes=approvals.routes(port or 0) if approvals is not None else (),
        )
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=transport_security(host, settings.allowed_hosts),
        host=host,
    )
    if settings.mcp_auth_token is not None:
        app = BearerTokenGate(app, settings.mcp_auth_token.get_secret_value())
    return app
