"""The simulated Nuki's OAuth 2.0 authorization-code flow (REFERENCE.md §2.1-2.2), through its transport."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Final
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.demo.household import FRONT_DOOR_ID
from nuki_mcp.demo.oauth import ACCESS_TOKEN_TTL_S

pytestmark = pytest.mark.anyio

APP_ID: Final = "app-1"
APP_SECRET: Final = "app-secret"
CALLBACK: Final = "https://mcp.example.test/nuki/callback"


@pytest.fixture
def sim() -> NukiSimulator:
    simulator = NukiSimulator(clock=ManualClock())
    simulator.oauth.register_app(APP_ID, APP_SECRET, (CALLBACK,))
    return simulator


@pytest.fixture
async def nuki(sim: NukiSimulator) -> AsyncGenerator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=sim.transport(), base_url="https://api.nuki.io") as client:
        yield client


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def _consent(nuki: httpx2.AsyncClient, scope: str, **changes: str) -> httpx2.Response:
    query = {"response_type": "code", "client_id": APP_ID, "redirect_uri": CALLBACK, "scope": scope, "state": "xyz"}
    return await nuki.get("/oauth/authorize", params={**query, **changes})


async def _code(nuki: httpx2.AsyncClient, scope: str = "smartlock.readOnly") -> str:
    answer = await _consent(nuki, scope)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    assert _query(location)["state"] == "xyz"
    return _query(location)["code"]


async def _trade(nuki: httpx2.AsyncClient, code: str, *, basic: bool = False) -> httpx2.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    if basic:
        return await nuki.post("/oauth/token", data=form, auth=(APP_ID, APP_SECRET))
    return await nuki.post("/oauth/token", data={**form, "client_id": APP_ID, "client_secret": APP_SECRET})


async def test_a_wrong_client_id_or_redirect_uri_is_refused_on_the_page_without_redirecting(
    nuki: httpx2.AsyncClient,
) -> None:
    for changes in ({"client_id": "someone-else"}, {"redirect_uri": "https://attacker.example/cb"}):
        answer = await _consent(nuki, "smartlock", **changes)
        assert answer.status_code == 400
        assert "location" not in answer.headers


async def test_the_code_is_traded_once_for_tokens_in_json_labelled_text_plain(
    sim: NukiSimulator, nuki: httpx2.AsyncClient
) -> None:
    code = await _code(nuki)
    answer = await _trade(nuki, code, basic=True)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    tokens = answer.json()
    assert tokens["expires_in"] == ACCESS_TOKEN_TTL_S
    assert tokens["scope"] == "smartlock.readOnly"
    replay = await _trade(nuki, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    wrong_secret = await nuki.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": await _code(nuki), "redirect_uri": CALLBACK},
        auth=(APP_ID, "guess"),
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"


async def test_access_tokens_expire_on_the_clock_and_the_refresh_token_renews_them_once(
    sim: NukiSimulator, nuki: httpx2.AsyncClient
) -> None:
    tokens = (await _trade(nuki, await _code(nuki))).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await nuki.get("/smartlock", headers=headers)).status_code == 200
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(ACCESS_TOKEN_TTL_S + 1)
    assert (await nuki.get("/smartlock", headers=headers)).status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    renewed = await nuki.post("/oauth/token", data={**form, "client_id": APP_ID, "client_secret": APP_SECRET})
    assert renewed.status_code == 200
    new_headers = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert (await nuki.get("/smartlock", headers=new_headers)).status_code == 200
    again = await nuki.post("/oauth/token", data={**form, "client_id": APP_ID, "client_secret": APP_SECRET})
    assert again.json()["error"] == "invalid_grant"


async def test_an_operation_the_tokens_scopes_do_not_cover_gets_nukis_401_and_changes_nothing(
    sim: NukiSimulator, nuki: httpx2.AsyncClient
) -> None:
    tokens = (await _trade(nuki, await _code(nuki, "smartlock.readOnly smartlock.auth"))).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    before = sim.device(FRONT_DOOR_ID)
    assert (await nuki.get(f"/smartlock/{FRONT_DOOR_ID}", headers=headers)).status_code == 200
    assert (await nuki.get("/smartlock/auth", headers=headers)).status_code == 200
    for method, path in [
        ("POST", f"/smartlock/{FRONT_DOOR_ID}/action/unlock"),
        ("GET", "/smartlock/log"),
        ("GET", "/account"),
        ("DELETE", f"/smartlock/{FRONT_DOOR_ID}"),
    ]:
        refused = await nuki.request(method, path, headers=headers)
        assert refused.status_code == 401, path
        assert refused.json()["detailMessage"] == "Your access token is not authorized"
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(60)
    assert sim.device(FRONT_DOOR_ID).state == before.state  # still there, not unlocked
    # The simulator's static token keeps every scope.
    static = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    assert (await nuki.get("/smartlock/log", headers=static)).status_code == 200
    assert (await nuki.get("/account", headers=static)).status_code == 200


async def test_the_person_at_the_consent_page_can_allow_less_than_asked_or_nothing(
    sim: NukiSimulator, nuki: httpx2.AsyncClient
) -> None:
    sim.oauth.consent = frozenset({"smartlock.readOnly"})
    tokens = (await _trade(nuki, await _code(nuki, "smartlock.readOnly smartlock.action"))).json()
    assert tokens["scope"] == "smartlock.readOnly"
    sim.oauth.consent = frozenset()
    denied = await _consent(nuki, "smartlock.action")
    assert _query(denied.headers["location"]) == {"error": "access_denied", "state": "xyz"}
