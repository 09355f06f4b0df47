"""Per-user Nuki sign-in in remote mode, on real HTTP: nuki-mcp and the simulated Nuki each on a loopback port.

A person signs in to nuki-mcp with the owner's passkey, is sent on to Nuki's consent page (the simulator's
`/oauth/authorize`), comes back to `/nuki/callback`, and only then does the MCP client get its code.
Each MCP request then acts with that person's Nuki token, within that person's Nuki scopes.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncGenerator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Final

import httpx2
import pytest
import uvicorn
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from nuki_mcp.approvals.passkeys import default_state_dir
from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.demo.http import SimulatorApp
from nuki_mcp.demo.oauth import ACCESS_TOKEN_TTL_S, ALL_SCOPES
from nuki_mcp.http_app import build_http_app
from nuki_mcp.remote.oauth import ACCESS_TOKEN_TTL_S as MCP_ACCESS_TTL_S
from nuki_mcp.server import create_server
from nuki_mcp.shared_state import SharedState, memory_shared_state
from nuki_mcp.shared_state.redis_state import redis_shared_state, sync_client
from tests.http_server import uvicorn_in_thread
from tests.remote.redis_rig import RedisServer
from tests.remote.rig import (
    DEADLINE_S,
    REDIRECT_URI,
    Replica,
    authorize,
    enrol,
    enrolment_link,
    now_clock,
    pkce,
    query_of,
    register_client,
    sdk_oauth,
    sign_in,
)
from tests.remote.soft_authenticator import SoftAuthenticator
from tests.support import CANARY_TOKEN, ClientMode, Harness

pytestmark = pytest.mark.anyio

CLIENT_ID: Final = "nuki-mcp-test-app"
CLIENT_SECRET: Final = "app-secret-0f9e8d7c6b5a"
SECRET_KEY: Final = Fernet.generate_key().decode()
LOCKED, UNLOCKED = 1, 3


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("NUKI_MCP_REDIS_URL", raising=False)
    return default_state_dir()


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path, clock=now_clock())


@pytest.fixture
def api_url(harness: Harness) -> Iterator[str]:
    with uvicorn_in_thread(SimulatorApp(harness.sim), path="") as url:
        yield url


@contextmanager
def per_user_replica(
    harness: Harness,
    api_url: str,
    *,
    shared: SharedState | None = None,
    redis_url: str | None = None,
    owner_token: str | None = None,
    machine_token: str | None = None,
    public_url: str | None = None,
    secret_key: str = SECRET_KEY,
    account_budget: int = 1200,
) -> Generator[Replica]:
    """nuki-mcp in remote mode with per-user Nuki sign-in, built as `nuki-mcp --public-url …` builds it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port: int = sock.getsockname()[1]
    public_url = public_url or f"http://localhost:{port}"
    harness.sim.oauth.register_app(CLIENT_ID, CLIENT_SECRET, (public_url + "/nuki/callback",))
    settings = harness.settings().model_copy(
        update={
            "api_token": SecretStr(owner_token) if owner_token else None,
            "mcp_auth_token": SecretStr(machine_token) if machine_token else None,
            "api_url": api_url,
            "public_url": public_url,
            "redis_url": SecretStr(redis_url) if redis_url else None,
            "secret_key": SecretStr(secret_key),
            "nuki_oauth_client_id": CLIENT_ID,
            "nuki_oauth_client_secret": SecretStr(CLIENT_SECRET),
            "account_budget": account_budget,
        }
    )
    state = shared or memory_shared_state(harness.clock)
    server = create_server(settings, clock=harness.clock, shared=state)
    app = build_http_app(server, settings, "127.0.0.1", shared=state, clock=harness.clock, port=port)
    uv = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Replica(port=port, public_url=public_url, clock=harness.clock, state_dir=harness.tmp_path)
    finally:
        uv.should_exit = True
        thread.join(timeout=DEADLINE_S)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def replica(harness: Harness, api_url: str, state_dir: Path) -> Iterator[Replica]:
    with per_user_replica(harness, api_url) as running:
        yield running


@pytest.fixture
async def http(replica: Replica) -> AsyncGenerator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=replica.base, timeout=20) as client:
        yield client


@pytest.fixture
async def passkey(http: httpx2.AsyncClient, replica: Replica, state_dir: Path) -> SoftAuthenticator:
    owner = SoftAuthenticator()
    enrolled = await enrol(http, enrolment_link(replica, state_dir), owner, replica.public_url)
    assert enrolled.status_code == 200, enrolled.text
    return owner


async def through_nuki(http: httpx2.AsyncClient, replica: Replica, nuki_consent_url: str) -> str:
    """The browser at Nuki's consent page and back at nuki-mcp's callback: where the callback sends it."""
    async with httpx2.AsyncClient(timeout=20) as browser:
        consented = await browser.get(nuki_consent_url)
    assert consented.status_code == 302, consented.text
    callback = consented.headers["location"]
    assert callback.startswith(replica.public_url + "/nuki/callback?")
    back = await http.get(callback.removeprefix(replica.public_url))
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert isinstance(location, str)
    return location


async def to_nuki_consent(
    http: httpx2.AsyncClient, replica: Replica, passkey: SoftAuthenticator
) -> tuple[str, str, str]:
    """Register an MCP client, authorize, pass the passkey: its client id, PKCE verifier and Nuki's consent URL."""
    client_id = await register_client(http, replica)
    verifier, challenge = pkce()
    authorized = await authorize(http, replica, client_id, challenge)
    nuki_page = await sign_in(http, authorized.headers["location"], passkey, replica.public_url)
    return client_id, verifier, nuki_page


async def sign_in_person(
    http: httpx2.AsyncClient, replica: Replica, passkey: SoftAuthenticator, api_url: str
) -> dict[str, str]:
    """Register, authorize, passkey, Nuki consent, callback, code exchange: the MCP token response."""
    client_id, verifier, nuki_page = await to_nuki_consent(http, replica, passkey)
    assert nuki_page.startswith(api_url + "/oauth/authorize?")
    redirect = await through_nuki(http, replica, nuki_page)
    assert redirect.startswith(REDIRECT_URI)
    answer = await http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(redirect)["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    return {k: str(v) for k, v in answer.json().items()} | {"client_id": client_id}


@asynccontextmanager
async def mcp_as(replica: Replica, access_token: str, mode: ClientMode = "auto") -> AsyncGenerator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {access_token}"}, timeout=20) as authed,
        Client(streamable_http_client(replica.mcp_url, http_client=authed), mode=mode) as client,
    ):
        yield client


def api_calls(harness: Harness) -> list[tuple[str, str, str]]:
    """(person, method, path) of every API call the simulated Nuki served with an OAuth token."""
    return [(use.person, use.method, use.path) for use in harness.sim.oauth.uses]


async def test_an_mcp_client_signs_in_through_nukis_consent_page_and_calls_act_with_that_persons_token(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    async def person(url: str) -> str:
        nuki_page = await sign_in(http, url, passkey, replica.public_url)
        assert nuki_page.startswith(api_url + "/oauth/authorize?")
        asked = query_of(nuki_page)
        assert asked["client_id"] == CLIENT_ID
        assert asked["redirect_uri"] == replica.public_url + "/nuki/callback"
        assert "smartlock.action" in asked["scope"].split()
        assert CLIENT_SECRET not in nuki_page
        return await through_nuki(http, replica, nuki_page)

    harness.sim.oauth.person = "anna"
    auth, _, redirected = sdk_oauth(replica, person)
    async with (
        httpx2.AsyncClient(auth=auth, timeout=20) as authed,
        Client(streamable_http_client(replica.mcp_url, http_client=authed)) as client,
    ):
        devices = await client.call_tool("list_smartlocks", {})
        assert not devices.is_error
    assert len(redirected) == 1
    issued = set(harness.sim.oauth.access_tokens)
    assert len(issued) == 1
    # Every API call nuki-mcp made came with Anna's own Nuki token, none with an owner's token.
    assert ("anna", "GET", "/smartlock") in api_calls(harness)
    assert len(harness.sim.oauth.uses) == len(harness.sim.requests)
    assert {use.token for use in harness.sim.oauth.uses} == issued
    # Nothing on disk holds a Nuki token (the state directory: passkeys, keys; the audit trail).
    secrets = [*issued, *harness.sim.oauth.refresh_tokens]
    for path in [p for p in harness.tmp_path.rglob("*") if p.is_file()]:
        content = path.read_bytes()
        assert not any(secret.encode() in content for secret in secrets), path


async def test_the_nuki_token_endpoint_answers_json_labelled_text_plain_and_the_sign_in_still_works(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    harness.sim.oauth.register_app("probe", "probe-secret", ("http://127.0.0.1:9/cb",))
    async with httpx2.AsyncClient(timeout=20) as browser:
        consent = await browser.get(
            api_url + "/oauth/authorize",
            params={"response_type": "code", "client_id": "probe", "redirect_uri": "http://127.0.0.1:9/cb",
                    "scope": "smartlock.readOnly", "state": "s"},
        )  # fmt: skip
        code = query_of(consent.headers["location"])["code"]
        answer = await browser.post(
            api_url + "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/cb"},
            auth=("probe", "probe-secret"),
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.json()["expires_in"] == ACCESS_TOKEN_TTL_S
    issued = await sign_in_person(http, replica, passkey, api_url)
    async with mcp_as(replica, issued["access_token"]) as client:
        assert not (await client.call_tool("list_smartlocks", {})).is_error


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_person_whose_nuki_scopes_lack_smartlock_action_sees_no_lock_tools_and_gets_a_sentence(
    harness: Harness,
    replica: Replica,
    http: httpx2.AsyncClient,
    passkey: SoftAuthenticator,
    api_url: str,
    mode: ClientMode,
) -> None:
    harness.sim.oauth.person, harness.sim.oauth.consent = "ben", ALL_SCOPES - {"smartlock.action"}
    ben = await sign_in_person(http, replica, passkey, api_url)
    harness.sim.oauth.person, harness.sim.oauth.consent = "anna", None
    anna = await sign_in_person(http, replica, passkey, api_url)
    door = str(FRONT_DOOR_ID)
    harness.sim.set_state(FRONT_DOOR_ID, state=LOCKED)
    async with mcp_as(replica, ben["access_token"], mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "list_smartlocks" in names
        assert "list_smartlock_auths" in names
        assert not names & {"unlock_smartlock", "lock_smartlock", "smartlock_action", "sync_smartlock"}
        refused = await client.call_tool("unlock_smartlock", {"smartlock": door})
        assert refused.is_error
        text = refused.content[0].text if refused.content[0].type == "text" else ""
        assert "smartlock.action" in text
        assert len(text.strip().split(". ")) == 1
    assert not [c for c in api_calls(harness) if c[1] == "POST"]
    state = harness.sim.device(FRONT_DOOR_ID).state
    assert state is not None
    assert state.state == LOCKED
    async with mcp_as(replica, anna["access_token"], mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"unlock_smartlock", "lock_smartlock"} <= names
        done = await client.call_tool("unlock_smartlock", {"smartlock": door})
        assert not done.is_error
    assert ("anna", "POST", f"/smartlock/{FRONT_DOOR_ID}/action/unlock") in api_calls(harness)
    assert not [c for c in api_calls(harness) if c[0] == "ben" and c[1] == "POST"]


async def test_a_nuki_token_near_its_expiry_is_refreshed_and_a_401_gets_one_refresh(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    issued = await sign_in_person(http, replica, passkey, api_url)
    first = next(iter(harness.sim.oauth.access_tokens))
    harness.clock.advance(ACCESS_TOKEN_TTL_S - 60)  # the MCP token has expired too: the client refreshes it
    renewed = await http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": issued["client_id"],
        },
    )
    assert renewed.status_code == 200, renewed.text
    async with mcp_as(replica, renewed.json()["access_token"]) as client:
        assert not (await client.call_tool("list_smartlocks", {})).is_error
        second = [t for t in harness.sim.oauth.access_tokens if t != first]
        assert len(second) == 1
        assert {use.token for use in harness.sim.oauth.uses} == set(second)
        # Nuki revokes the token early: the 401 gets one refresh and the call goes through.
        del harness.sim.oauth.access_tokens[second[0]]
        assert not (await client.call_tool("list_smartlocks", {})).is_error
    third = harness.sim.oauth.uses[-1].token
    assert third in harness.sim.oauth.access_tokens
    assert third not in (first, second[0])
    assert MCP_ACCESS_TTL_S < ACCESS_TOKEN_TTL_S - 60


async def test_a_revoked_nuki_sign_in_is_one_sentence_telling_the_person_to_sign_in_again(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    issued = await sign_in_person(http, replica, passkey, api_url)
    harness.sim.oauth.access_tokens.clear()
    harness.sim.oauth.refresh_tokens.clear()
    async with mcp_as(replica, issued["access_token"]) as client:
        result = await client.call_tool("list_smartlocks", {})
    assert result.is_error
    text = result.content[0].text if result.content[0].type == "text" else ""
    assert "sign in" in text
    assert CANARY_TOKEN not in text
    assert "NUKI_API_TOKEN" not in text


async def test_a_callback_with_a_wrong_or_reused_state_is_refused_and_gives_no_code(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    _, _, nuki_page = await to_nuki_consent(http, replica, passkey)
    async with httpx2.AsyncClient(timeout=20) as browser:
        consented = await browser.get(nuki_page)
    callback = query_of(consented.headers["location"])
    forged = await http.get("/nuki/callback", params={"code": callback["code"], "state": "forged-state"})
    assert forged.status_code == 400
    assert "location" not in forged.headers
    assert "start signing in again" in forged.text
    assert not harness.sim.oauth.access_tokens  # the code was not even traded
    genuine = await http.get("/nuki/callback", params=callback)
    assert genuine.status_code == 302
    assert query_of(genuine.headers["location"])["state"] == "state-1"
    reused = await http.get("/nuki/callback", params=callback)
    assert reused.status_code == 400


async def test_a_person_who_allows_nothing_on_nukis_page_sends_the_client_access_denied(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    harness.sim.oauth.consent = frozenset()
    _, _, nuki_page = await to_nuki_consent(http, replica, passkey)
    redirect = await through_nuki(http, replica, nuki_page)
    assert redirect.startswith(REDIRECT_URI)
    assert query_of(redirect)["error"] == "access_denied"
    assert query_of(redirect)["iss"] == replica.public_url
    assert "code" not in query_of(redirect)


async def test_with_redis_the_nuki_tokens_are_stored_encrypted_and_a_second_replica_uses_them(
    harness: Harness, api_url: str, state_dir: Path, redis_server: RedisServer
) -> None:
    a_state, b_state = redis_shared_state(redis_server.url), redis_shared_state(redis_server.url)
    with per_user_replica(harness, api_url, shared=a_state, redis_url=redis_server.url) as a:
        async with httpx2.AsyncClient(base_url=a.base, timeout=20) as to_a:
            secret = a_state.secret("enrolment-links")
            owner = SoftAuthenticator()
            link = enrolment_link(a, state_dir, secret=secret).removeprefix(a.public_url)
            assert (await enrol(to_a, link, owner, a.public_url)).status_code == 200
            harness.sim.oauth.person = "carla"
            issued = await sign_in_person(to_a, a, owner, api_url)
    secrets = [*harness.sim.oauth.access_tokens, *harness.sim.oauth.refresh_tokens]
    store = sync_client(redis_server.url)
    keys: list[bytes] = [k for k in store.scan_iter() if isinstance(k, bytes)]  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    # Every value of every key, whatever its type, as Redis would write it to disk.
    stored = b"".join(value for key in keys if isinstance(value := store.dump(key), bytes))
    assert stored
    assert not any(secret.encode() in stored for secret in secrets)
    store.close()
    # Another replica (same public URL, same Redis, fresh memory) acts with Carla's token.
    with per_user_replica(harness, api_url, shared=b_state, redis_url=redis_server.url, public_url=a.public_url) as b:
        async with mcp_as(b, issued["access_token"]) as client:
            assert not (await client.call_tool("list_smartlocks", {})).is_error
    assert api_calls(harness)[-1][0] == "carla"


@pytest.mark.parametrize("owner_token", [CANARY_TOKEN, None])
async def test_machine_clients_act_with_the_owners_token_and_without_one_get_a_sentence(
    harness: Harness, api_url: str, state_dir: Path, owner_token: str | None
) -> None:
    machine = "m" * 40
    with per_user_replica(harness, api_url, owner_token=owner_token, machine_token=machine) as running:
        async with mcp_as(running, machine) as client:
            result = await client.call_tool("list_smartlocks", {})
    text = result.content[0].text if result.content[0].type == "text" else ""
    if owner_token is not None:
        assert not result.is_error, text
        assert not harness.sim.oauth.uses  # the owner's API token, not anyone's OAuth token
    else:
        assert result.is_error
        assert "NUKI_API_TOKEN" in text
        assert not harness.sim.requests


async def test_after_the_secret_key_changes_people_are_told_to_sign_in_again(
    harness: Harness, api_url: str, state_dir: Path
) -> None:
    shared = memory_shared_state(harness.clock)
    with per_user_replica(harness, api_url, shared=shared) as before:
        async with httpx2.AsyncClient(base_url=before.base, timeout=20) as http:
            owner = SoftAuthenticator()
            assert (await enrol(http, enrolment_link(before, state_dir), owner, before.public_url)).status_code == 200
            issued = await sign_in_person(http, before, owner, api_url)
    new_key = Fernet.generate_key().decode()
    with per_user_replica(harness, api_url, shared=shared, public_url=before.public_url, secret_key=new_key) as after:
        async with mcp_as(after, issued["access_token"]) as client:
            result = await client.call_tool("list_smartlocks", {})
    assert result.is_error
    text = result.content[0].text if result.content[0].type == "text" else ""
    assert "sign in to nuki-mcp again" in text
    assert not harness.sim.oauth.uses


async def test_each_persons_requests_spend_their_own_nuki_accounts_budget_not_everyones(
    harness: Harness, api_url: str, state_dir: Path
) -> None:
    with per_user_replica(harness, api_url, account_budget=3) as running:
        async with httpx2.AsyncClient(base_url=running.base, timeout=20) as http:
            owner = SoftAuthenticator()
            assert (await enrol(http, enrolment_link(running, state_dir), owner, running.public_url)).status_code == 200
            harness.sim.oauth.person = "dora"
            dora = await sign_in_person(http, running, owner, api_url)
            harness.sim.oauth.person = "emil"
            emil = await sign_in_person(http, running, owner, api_url)

            async def ping(token: str) -> int:
                answer = await http.post(
                    "/mcp",
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
                    json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                )
                return answer.status_code

            assert [await ping(dora["access_token"]) for _ in range(4)][3] == 429
            assert await ping(emil["access_token"]) != 429


async def test_two_people_signed_in_at_once_act_with_their_own_nuki_tokens_and_the_audit_trail_says_who(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    harness.sim.oauth.person = "anna"
    anna = await sign_in_person(http, replica, passkey, api_url)
    harness.sim.oauth.person = "ben"
    ben = await sign_in_person(http, replica, passkey, api_url)
    async with mcp_as(replica, anna["access_token"]) as as_anna, mcp_as(replica, ben["access_token"]) as as_ben:
        for client, person in ((as_anna, "anna"), (as_ben, "ben"), (as_anna, "anna"), (as_ben, "ben")):
            before = len(harness.sim.oauth.uses)
            result = await client.call_tool("get_smartlock", {"smartlock": "Front Door"})
            assert not result.is_error
            window = harness.sim.oauth.uses[before:]
            assert window, "the call reached Nuki"
            assert {use.person for use in window} == {person}
        # Each person's write is recorded under their own sign-in.
        for client in (as_anna, as_ben):
            asked = await client.call_tool("lock_smartlock", {"smartlock": "Front Door"})
            assert not asked.is_error
    attempts = [line for line in harness.audit_lines() if line["event"] == "attempt"]
    assert [line["tool"] for line in attempts] == ["lock_smartlock"] * 2
    by_anna, by_ben = (str(line["by"]) for line in attempts)
    assert by_anna.endswith(f" via client {anna['client_id']}")
    assert by_ben.endswith(f" via client {ben['client_id']}")
    assert by_anna.split(" via ")[0] != by_ben.split(" via ")[0]
    # Both signed in with the same passkey here, and `by` names it (`nuki-mcp passkey list` shows whose it is).
    assert passkey.enrolled().credential_id in by_anna
    assert passkey.enrolled().credential_id in by_ben


async def test_a_consent_link_handed_to_someone_else_cannot_finish_the_sign_in_with_their_nuki_account(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    # Eve passes the passkey in her browser but sends the Nuki consent link to Alice instead of opening it.
    _, _, nuki_page = await to_nuki_consent(http, replica, passkey)
    harness.sim.oauth.person = "alice"
    async with httpx2.AsyncClient(timeout=20) as alices_browser:
        consented = await alices_browser.get(nuki_page)
        assert consented.status_code == 302
        callback = consented.headers["location"]
        back = await alices_browser.get(callback)
    assert back.status_code == 400
    assert "started in another browser" in back.text
    assert "location" not in back.headers  # no code for Eve's client
    assert harness.sim.oauth.access_tokens == {}  # Alice's consent was never exchanged for her tokens
    # The sign-in is spent: Eve's own browser cannot finish it with the same link either.
    again = await http.get(str(callback).removeprefix(replica.public_url))
    assert again.status_code == 400


async def test_reads_refused_for_a_missing_scope_do_not_renew_the_sign_in_over_and_over(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator, api_url: str
) -> None:
    # Without `account` and `smartlock.log`, the audit's account-wide reads are refused with 401 at Nuki.
    harness.sim.oauth.person, harness.sim.oauth.consent = "ben", ALL_SCOPES - {"account", "smartlock.log"}
    ben = await sign_in_person(http, replica, passkey, api_url)
    async with mcp_as(replica, ben["access_token"]) as client:
        for _ in range(2):
            audit = await client.call_tool("audit_smartlocks", {})
            assert not audit.is_error
    allowed = {use.path for use in harness.sim.oauth.uses}
    refused = [r.path for r in harness.sim.requests if r.path in ("/account", "/account/integration", "/address")]
    assert len(refused) >= 6, "each audit tried the reads the scopes do not allow"
    assert not allowed & set(refused)
    # One sign-in, and at most one renewal for all those 401s (before: one per refused read).
    assert len(harness.sim.oauth.access_tokens) <= 2
