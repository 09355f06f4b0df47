"""Remote mode on real HTTP: nuki-mcp as the OAuth 2.1 authorization server of its own MCP endpoint.

The owner enrols a passkey through a one-time link, an MCP client registers, is sent to the sign-in
page, the owner signs in with the passkey, and the client trades the code (PKCE) for tokens bound to
`<public URL>/mcp`. Every bad input is refused with the error the specs name.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncGenerator, Iterator
from contextlib import redirect_stdout
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import JsonValue

from nuki_mcp.approvals.passkeys import PasskeyStore, default_state_dir
from nuki_mcp.cli_passkey import passkey_main
from nuki_mcp.remote.oauth import ACCESS_TOKEN_TTL_S, NukiAuthProvider
from nuki_mcp.shared_state import memory_shared_state
from tests.remote.rig import (
    REDIRECT_URI,
    Replica,
    authorize,
    bearer_client,
    enrol,
    enrolment_link,
    now_clock,
    pkce,
    query_of,
    register_client,
    remote_replica,
    sdk_oauth,
    sign_in,
    tokens,
)
from tests.remote.soft_authenticator import SoftAuthenticator
from tests.support import Harness

pytestmark = pytest.mark.anyio


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("NUKI_MCP_REDIS_URL", raising=False)
    return default_state_dir()


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path, clock=now_clock())


@pytest.fixture
def replica(harness: Harness, state_dir: Path) -> Iterator[Replica]:
    with remote_replica(harness) as running:
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


async def test_an_mcp_client_signs_in_with_the_sdks_oauth_support_and_the_owners_passkey(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    async def person(url: str) -> str:
        return await sign_in(http, url, passkey, replica.public_url)

    auth, storage, redirected = sdk_oauth(replica, person)
    async with (
        httpx2.AsyncClient(auth=auth, timeout=20) as authed,
        Client(streamable_http_client(replica.mcp_url, http_client=authed)) as client,
    ):
        tools = await client.list_tools()
        assert "list_smartlocks" in {t.name for t in tools.tools}
    assert len(redirected) == 1
    assert query_of(redirected[0])["iss"] == replica.public_url  # RFC 9207
    assert storage.tokens is not None
    assert storage.tokens.refresh_token
    assert storage.tokens.expires_in == ACCESS_TOKEN_TTL_S


async def test_the_endpoint_challenges_with_the_protected_resource_metadata(
    replica: Replica, http: httpx2.AsyncClient
) -> None:
    answer = await http.post("/mcp", json={})
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'resource_metadata="{replica.public_url}/.well-known/oauth-protected-resource/mcp"' in challenge
    prm = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert prm["resource"] == replica.public_url + "/mcp"
    assert prm["authorization_servers"] == [replica.public_url]
    metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == replica.public_url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["client_id_metadata_document_supported"] is True
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["registration_endpoint"] == replica.public_url + "/register"


async def _mcp_status(http: httpx2.AsyncClient, token: str) -> int:
    answer = await http.post(
        "/mcp",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
    )
    return answer.status_code


async def test_a_forged_token_is_refused_and_a_real_one_accepted(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    _, issued, _ = await tokens(http, replica, passkey)
    assert await _mcp_status(http, issued["access_token"]) != 401
    assert await _mcp_status(http, issued["access_token"][:-2] + "xx") == 401
    assert await _mcp_status(http, "forged-" + "a" * 40) == 401


async def test_an_expired_access_token_is_refused_and_the_refresh_token_gets_a_new_one(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id, issued, _ = await tokens(http, replica, passkey)
    replica.clock.advance(ACCESS_TOKEN_TTL_S + 1)
    assert await _mcp_status(http, issued["access_token"]) == 401
    refreshed = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": client_id}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert await _mcp_status(http, refreshed.json()["access_token"]) != 401
    # Rotation: the old refresh token works once.
    again = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": client_id}
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_revoked_token_is_refused(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id, issued, _ = await tokens(http, replica, passkey)
    # The SDK's revocation form wants the field even for a public client.
    revoked = await http.post(
        "/revoke", data={"token": issued["access_token"], "client_id": client_id, "client_secret": ""}
    )
    assert revoked.status_code == 200, revoked.text
    assert await _mcp_status(http, issued["access_token"]) == 401
    refreshed = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": client_id}
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_a_token_for_another_resource_is_refused(
    harness: Harness, state_dir: Path, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    # Another nuki-mcp (another public URL) sharing the same store: its tokens are not for this endpoint.
    shared = memory_shared_state(harness.clock)
    with (
        remote_replica(harness, shared=shared, public_url="http://localhost:1") as other,
        remote_replica(harness, shared=shared) as ours,
    ):
        async with httpx2.AsyncClient(base_url=other.base, timeout=20) as to_other:
            owner = SoftAuthenticator()
            link = enrolment_link(other, state_dir).removeprefix(other.public_url)
            assert (await enrol(to_other, link, owner, other.public_url)).status_code == 200
            _, issued, _ = await tokens(to_other, other, owner)
            assert await _mcp_status(to_other, issued["access_token"]) != 401
        async with httpx2.AsyncClient(base_url=ours.base, timeout=20) as to_ours:
            assert await _mcp_status(to_ours, issued["access_token"]) == 401


async def test_a_resource_indicator_for_another_server_gets_invalid_target(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id = await register_client(http, replica)
    _, challenge = pkce()
    answer = await authorize(http, replica, client_id, challenge, resource="https://elsewhere.example/mcp")
    assert answer.status_code == 302
    assert query_of(answer.headers["location"])["error"] == "invalid_target"


async def test_a_redirect_uri_that_was_not_registered_is_refused_without_redirecting(
    replica: Replica, http: httpx2.AsyncClient
) -> None:
    client_id = await register_client(http, replica)
    _, challenge = pkce()
    answer = await authorize(http, replica, client_id, challenge, redirect_uri="https://attacker.example/cb")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert "location" not in answer.headers


async def _code(http: httpx2.AsyncClient, replica: Replica, passkey: SoftAuthenticator) -> tuple[str, str, str]:
    client_id = await register_client(http, replica)
    verifier, challenge = pkce()
    authorized = await authorize(http, replica, client_id, challenge)
    redirect = await sign_in(http, authorized.headers["location"], passkey, replica.public_url)
    return client_id, query_of(redirect)["code"], verifier


def _exchange(client_id: str, code: str, verifier: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }


async def test_a_wrong_pkce_verifier_gets_invalid_grant(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id, code, verifier = await _code(http, replica, passkey)
    wrong = await http.post("/token", data=_exchange(client_id, code, verifier[::-1]))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    other_redirect = await http.post("/token", data=_exchange(client_id, code, verifier, "http://127.0.0.1:9/other"))
    assert other_redirect.json()["error"] == "invalid_request"


async def test_a_replayed_code_gets_invalid_grant_and_revokes_the_tokens_it_gave(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id, code, verifier = await _code(http, replica, passkey)
    first = await http.post("/token", data=_exchange(client_id, code, verifier))
    assert first.status_code == 200
    replayed = await http.post("/token", data=_exchange(client_id, code, verifier))
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    assert await _mcp_status(http, first.json()["access_token"]) == 401


async def test_without_an_enrolled_passkey_the_sign_in_page_says_how_to_enrol_and_no_code_is_issued(
    replica: Replica, http: httpx2.AsyncClient, state_dir: Path
) -> None:
    client_id = await register_client(http, replica)
    _, challenge = pkce()
    authorized = await authorize(http, replica, client_id, challenge)
    page = await http.get(authorized.headers["location"].removeprefix(replica.public_url))
    assert page.status_code == 503
    assert f"nuki-mcp passkey add --public-url {replica.public_url}" in page.text
    headers = {"Origin": replica.public_url, "Content-Type": "application/json"}
    path = authorized.headers["location"].removeprefix(replica.public_url)
    options = await http.post(path + "/options", headers=headers, content=b"{}")
    stranger = SoftAuthenticator()
    verify = await http.post(path + "/verify", headers=headers, content=stranger.sign(options.text, replica.public_url))
    assert verify.status_code == 400
    assert "not enrolled" in verify.json()["error"]
    assert PasskeyStore(state_dir).enrolled() == []


async def test_an_enrolment_link_from_the_cli_works_once(
    replica: Replica, http: httpx2.AsyncClient, state_dir: Path
) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert passkey_main(["add", "--public-url", replica.public_url, "--name", "work phone"]) == 0
    link = out.getvalue().strip()
    assert link.startswith(replica.public_url + "/passkeys/enrol/")
    path = link.removeprefix(replica.public_url)
    assert (await enrol(http, path, SoftAuthenticator(), replica.public_url)).status_code == 200
    again = await enrol(http, path, SoftAuthenticator(), replica.public_url)
    assert again.status_code == 409
    assert [p.label for p in PasskeyStore(state_dir).enrolled()] == ["work phone"]
    forged = await http.get(path[:-3] + "abc")
    assert forged.status_code == 404
    replica.clock.advance(601)
    assert (await http.get(path)).status_code == 404


async def test_foreign_host_names_get_421_and_sign_in_posts_need_the_public_origin(
    replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    assert (
        await http.get("/.well-known/oauth-authorization-server", headers={"Host": "evil.example"})
    ).status_code == 421
    client_id = await register_client(http, replica)
    _, challenge = pkce()
    authorized = await authorize(http, replica, client_id, challenge)
    path = authorized.headers["location"].removeprefix(replica.public_url)
    options = await http.post(
        path + "/options", headers={"Origin": "https://evil.example", "Content-Type": "application/json"}, content=b"{}"
    )
    assert options.status_code == 403
    assert "strict-transport-security" not in options.headers  # http://localhost: no HSTS


async def test_the_machine_token_still_works_beside_oauth(harness: Harness, state_dir: Path) -> None:
    with remote_replica(harness, machine_token="m" * 40) as running:
        async with httpx2.AsyncClient(base_url=running.base, timeout=20) as http:
            assert await _mcp_status(http, "m" * 40) != 401
            assert await _mcp_status(http, "m" * 39) == 401


async def test_a_user_over_the_rate_budget_gets_429_until_the_window_passes(harness: Harness, state_dir: Path) -> None:
    with remote_replica(harness, machine_token="m" * 40, user_budget=3) as running:
        async with httpx2.AsyncClient(base_url=running.base, timeout=20) as http:
            statuses = [await _mcp_status(http, "m" * 40) for _ in range(4)]
            assert statuses[:3] != [429] * 3
            assert statuses[3] == 429
            harness.clock.advance(61)
            assert await _mcp_status(http, "m" * 40) != 429


async def test_an_https_public_url_gets_hsts_and_its_host_name_is_accepted(harness: Harness, state_dir: Path) -> None:
    with remote_replica(harness, public_url="https://nuki.example.test") as running:
        async with httpx2.AsyncClient(base_url=running.base, timeout=20) as http:
            answer = await http.get("/.well-known/oauth-protected-resource/mcp", headers={"Host": "nuki.example.test"})
            assert answer.status_code == 200
            assert answer.json()["resource"] == "https://nuki.example.test/mcp"
            assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_a_client_id_metadata_document_names_a_client_without_registration(harness: Harness) -> None:
    url = "https://agent.example.test/oauth/client.json"
    documents: dict[str, dict[str, JsonValue]] = {
        url: {"client_id": url, "client_name": "CIMD agent", "redirect_uris": [REDIRECT_URI]},
        "https://agent.example.test/other.json": {"client_id": "https://elsewhere.test/x", "redirect_uris": []},
    }

    async def fetch(address: str) -> bytes | None:
        document = documents.get(address)
        return json.dumps(document).encode() if document is not None else None

    provider = NukiAuthProvider(
        kv=memory_shared_state(harness.clock).kv,
        clock=harness.clock,
        issuer="https://nuki.example.test",
        resource="https://nuki.example.test/mcp",
        fetch_document=fetch,
    )
    client = await provider.get_client(url)
    assert client is not None
    assert client.client_name == "CIMD agent"
    assert client.token_endpoint_auth_method == "none"
    assert [str(u) for u in client.redirect_uris or []] == [REDIRECT_URI]
    # A document whose client_id is not its own URL, or a URL with no document, names no client.
    assert await provider.get_client("https://agent.example.test/other.json") is None
    assert await provider.get_client("https://agent.example.test/missing.json") is None


async def test_the_audit_trail_names_the_passkey_and_the_client_behind_each_write(
    harness: Harness, replica: Replica, http: httpx2.AsyncClient, passkey: SoftAuthenticator
) -> None:
    client_id, issued, _ = await tokens(http, replica, passkey)
    async with bearer_client(replica, issued["access_token"]) as client:
        assert not (await client.call_tool("lock_smartlock", {"smartlock": "Front Door"})).is_error
    (attempt,) = [line for line in harness.audit_lines() if line["event"] == "attempt"]
    assert attempt["by"] == f"owner:{passkey.enrolled().credential_id} via client {client_id}"
