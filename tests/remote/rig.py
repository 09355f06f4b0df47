"""A remote-mode nuki-mcp replica on real HTTP (uvicorn on 127.0.0.1 in a thread) against the simulator.

The replica is built the way `nuki-mcp --transport http --public-url …` builds it (`create_server` and
`build_http_app`), with the state directory in the test's tmp path. `signin_code` walks the sign-in page
with a software passkey, as a browser would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import uvicorn
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl, SecretStr

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.http_app import build_http_app
from nuki_mcp.remote.signin import EnrolmentLinks, file_secret
from nuki_mcp.server import create_server
from nuki_mcp.shared_state import SharedState, memory_shared_state
from nuki_mcp.shared_state.redis_state import redis_shared_state
from tests.remote.soft_authenticator import SoftAuthenticator
from tests.support import Harness, Json, call_error, call_ok

DEADLINE_S: Final = 30.0
# NUKI_MCP_SECRET_KEY of the replicas that share a Redis (a Fernet key: 32 bytes, url-safe base64).
SECRET_KEY: Final = "bnVraS1tY3AgdGVzdCBrZXksIG5vdCBhIHNlY3JldCE="
REDIRECT_URI: Final = "http://127.0.0.1:9/callback"  # never contacted: the test reads the redirect


@dataclass
class Replica:
    port: int
    public_url: str
    clock: ManualClock
    state_dir: Path

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"


def now_clock() -> ManualClock:
    # The SDK's handlers compare expiries with the real time: start the manual clock at it.
    return ManualClock(start=datetime.now(UTC))


@contextmanager
def remote_replica(
    harness: Harness,
    *,
    public_url: str | None = None,
    shared: SharedState | None = None,
    machine_token: str | None = None,
    redis_url: str | None = None,
    user_budget: int = 600,
    approval_wait: float | None = None,
) -> Generator[Replica]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port: int = sock.getsockname()[1]
    url = public_url or f"http://localhost:{port}"
    settings = harness.settings().model_copy(
        update={
            "public_url": url,
            "mcp_auth_token": SecretStr(machine_token) if machine_token else None,
            "redis_url": SecretStr(redis_url) if redis_url else None,
            "secret_key": SecretStr(SECRET_KEY) if redis_url else None,
            "user_budget": user_budget,
        }
        | ({} if approval_wait is None else {"approval_wait": approval_wait})
    )
    clock = harness.clock
    state = shared or memory_shared_state(clock)
    server = create_server(settings, transport=harness.sim.transport(), clock=clock, shared=state)
    # As `nuki-mcp --transport http` does: the server's own passkey approvals (NUKI_CONFIRM=passkey) get pages.
    approvals = server.guard.approvals
    app = build_http_app(server, settings, "127.0.0.1", shared=state, clock=clock, port=port, approvals=approvals)
    uv = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Replica(port=port, public_url=url, clock=clock, state_dir=harness.tmp_path)
    finally:
        uv.should_exit = True
        thread.join(timeout=DEADLINE_S)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def enrolment_link(replica: Replica, state_dir: Path, label: str = "test phone", secret: bytes | None = None) -> str:
    """A link as `nuki-mcp passkey add --public-url` prints it (`secret`: the shared one, with Redis)."""
    key = secret if secret is not None else file_secret(state_dir)
    return EnrolmentLinks(key, replica.clock).issue(replica.public_url, label)


async def enrol(http: httpx2.AsyncClient, link: str, passkey: SoftAuthenticator, origin: str) -> httpx2.Response:
    headers = {"Origin": origin, "Content-Type": "application/json"}
    options = await http.post(link + "/options", headers=headers, content=b"{}")
    assert options.status_code == 200, options.text
    return await http.post(link + "/verify", headers=headers, content=passkey.register(options.text, origin).encode())


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def register_client(http: httpx2.AsyncClient, replica: Replica, redirect_uri: str = REDIRECT_URI) -> str:
    answer = await http.post(
        replica.base + "/register",
        json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none", "client_name": "test agent"},
    )
    assert answer.status_code == 201, answer.text
    client_id = answer.json()["client_id"]
    assert isinstance(client_id, str)
    return client_id


async def authorize(
    http: httpx2.AsyncClient,
    replica: Replica,
    client_id: str,
    challenge: str,
    *,
    redirect_uri: str = REDIRECT_URI,
    resource: str | None = None,
) -> httpx2.Response:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "state-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "nuki",
        "resource": resource or replica.public_url + "/mcp",
    }
    return await http.get(replica.base + "/authorize?" + urlencode(query))


async def sign_in(http: httpx2.AsyncClient, url: str, passkey: SoftAuthenticator, origin: str) -> str:
    """Walk /authorize and the sign-in page like a browser; the URL the page sends the browser back to."""
    parts = urlsplit(url)
    local = parts.path + (f"?{parts.query}" if parts.query else "")
    page = await http.get(local)
    if page.status_code == 302:  # /authorize sends the browser on to the sign-in page
        local = urlsplit(page.headers["location"]).path
        page = await http.get(local)
    assert page.status_code == 200, page.text
    headers = {"Origin": origin, "Content-Type": "application/json"}
    options = await http.post(f"{local}/options", headers=headers, content=b"{}")
    assert options.status_code == 200, options.text
    done = await http.post(f"{local}/verify", headers=headers, content=passkey.sign(options.text, origin).encode())
    assert done.status_code == 200, done.text
    redirect = done.json()["redirect"]
    assert isinstance(redirect, str)
    return redirect


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def tokens(
    http: httpx2.AsyncClient, replica: Replica, passkey: SoftAuthenticator
) -> tuple[str, dict[str, str], str]:
    """Register, authorize and sign in; (client id, token response, code verifier)."""
    client_id = await register_client(http, replica)
    verifier, challenge = pkce()
    authorized = await authorize(http, replica, client_id, challenge)
    assert authorized.status_code == 302, authorized.text
    redirect = await sign_in(http, authorized.headers["location"], passkey, replica.public_url)
    code = query_of(redirect)["code"]
    answer = await http.post(
        replica.base + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    return client_id, {k: str(v) for k, v in answer.json().items()}, code


@contextmanager
def two_remote_replicas(harness: Harness, redis_url: str) -> Generator[tuple[Replica, Replica]]:
    """Two replicas on loopback sharing one Redis and A's public URL, as behind one load balancer."""
    a_state, b_state = redis_shared_state(redis_url), redis_shared_state(redis_url)
    try:
        with remote_replica(harness, shared=a_state, redis_url=redis_url) as a, remote_replica(
            harness, shared=b_state, redis_url=redis_url, public_url=a.public_url
        ) as b:  # fmt: skip
            yield a, b
    finally:
        a_state.close()
        b_state.close()


class MemoryTokenStorage(TokenStorage):
    """Where the SDK's OAuth client keeps its registration and tokens: here, for the test to look at."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def sdk_oauth(
    replica: Replica, browser: Callable[[str], Awaitable[str]], *, client_name: str = "sdk agent"
) -> tuple[OAuthClientProvider, MemoryTokenStorage, list[str]]:
    """The SDK's own OAuth client for `replica`, as an `httpx2` auth.

    `browser` plays the person: it gets the authorization URL and returns the URL the browser is sent
    back to (the client's redirect URI with code, state and iss). Returns the auth, its token storage
    and every URL the browser came back to.
    """
    returned: list[str] = []

    async def on_redirect(url: str) -> None:
        returned.append(await browser(url))

    async def on_callback() -> AuthorizationCodeResult:
        answer = query_of(returned[-1])
        return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))

    storage = MemoryTokenStorage()
    auth = OAuthClientProvider(
        server_url=replica.mcp_url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[AnyUrl(REDIRECT_URI)],
            client_name=client_name,
            scope="nuki",
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=on_redirect,
        callback_handler=on_callback,
    )
    return auth, storage, returned


@asynccontextmanager
async def bearer_client(replica: Replica, access_token: str) -> AsyncGenerator[Client]:
    """An MCP client of `replica` sending `access_token` as its bearer token."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {access_token}"}, timeout=30) as http,
        Client(streamable_http_client(replica.mcp_url, http_client=http)) as client,
    ):
        yield client


async def approved_unlock_performs_once(replica: Replica, access_token: str, harness: Harness, call: Json) -> None:
    """The approved unlock, repeated on `replica` with its token, unlocks the Front Door once, then is used up."""
    async with bearer_client(replica, access_token) as client:
        done = await call_ok(client, "unlock_smartlock", call)
        again = await call_error(client, "unlock_smartlock", call)
    assert done["status"] == "done"
    assert done["confirmed_by"] == "passkey"
    assert "already used" in again
    assert [request.path for request in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/action/unlock"]
