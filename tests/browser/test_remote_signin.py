"""Remote mode in a real headless Chromium: two replicas share one Redis, the owner enrols a passkey through a
one-time link and signs an MCP client in on the authorization page; the client is the SDK's own OAuth support.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Route as PlaywrightRoute

from nuki_mcp.approvals.passkeys import default_state_dir
from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
from nuki_mcp.shared_state.redis_state import redis_shared_state, sync_client
from tests.browser.rig import BrowserPage, browser_page
from tests.remote.conftest import redis_server, redis_session
from tests.remote.redis_rig import RedisServer
from tests.remote.rig import (
    MemoryTokenStorage,
    Replica,
    approved_unlock_performs_once,
    bearer_client,
    enrolment_link,
    now_clock,
    query_of,
    sdk_oauth,
    two_remote_replicas,
)
from tests.support import Harness, Json, call_ok

pytestmark = pytest.mark.anyio
__all__ = ["redis_server", "redis_session"]  # the remote suite's Redis fixtures, used here too


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return Harness(tmp_path, clock=now_clock(), confirm="auto")


@pytest.fixture
def replicas(harness: Harness, redis_server: RedisServer) -> Iterator[tuple[Replica, Replica]]:
    with two_remote_replicas(harness, redis_server.url) as both:
        yield both


async def enrol_in_browser(rig: BrowserPage, replica: Replica, redis_url: str) -> None:
    """The owner opens a one-time enrolment link (as `nuki-mcp passkey add --public-url` prints) and enrols."""
    secret = redis_shared_state(redis_url).secret("enrolment-links")
    await rig.page.goto(enrolment_link(replica, default_state_dir(), label="owner's phone", secret=secret))
    await rig.page.click("#enrol")
    await rig.wait_for_status("Passkey added")


async def sign_in_with_the_sdk(rig: BrowserPage, replica: Replica) -> tuple[MemoryTokenStorage, list[str], list[str]]:
    """The SDK's OAuth client signs in to `replica`; the owner signs in on the page with their passkey.

    Returns the client's token storage, the redirect URLs the browser came back to, and the tools listed.
    """
    page = rig.page
    came_back: list[str] = []
    arrived = anyio.Event()

    async def capture(route: PlaywrightRoute) -> None:
        came_back.append(route.request.url)
        arrived.set()
        await route.fulfill(status=200, body="signed in")

    await page.route("http://127.0.0.1:9/**", capture)

    async def owner(url: str) -> str:
        await page.goto(url)  # /authorize sends the browser on to the sign-in page
        assert "/signin/" in page.url
        await page.click("#signin")
        await arrived.wait()
        return came_back[-1]

    auth, storage, returned = sdk_oauth(replica, owner, client_name="browser agent")
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as authed,
        Client(streamable_http_client(replica.mcp_url, http_client=authed)) as client,
    ):
        tools = await client.list_tools()
    return storage, returned, [t.name for t in tools.tools]


async def test_the_owner_enrols_and_signs_an_sdk_client_in_with_a_passkey_and_both_replicas_serve_it(
    browser: PlaywrightBrowser, replicas: tuple[Replica, Replica], redis_server: RedisServer
) -> None:
    a, b = replicas
    with anyio.fail_after(90):
        async with browser_page(browser, "remote-signin") as rig:
            await enrol_in_browser(rig, a, redis_server.url)
            enrolled = RedisPasskeyStore(sync_client(redis_server.url)).enrolled()
            assert [p.label for p in enrolled] == ["owner's phone"]
            assert (await rig.authenticator.credential_ids()) == [enrolled[0].credential_id]
            storage, returned, tools = await sign_in_with_the_sdk(rig, a)
    assert "lock_smartlock" in tools
    assert query_of(returned[0])["iss"] == a.public_url
    assert storage.tokens is not None

    # The same token on the other replica: tokens, like passkeys, live in the shared Redis.
    async with bearer_client(b, storage.tokens.access_token) as on_b:
        asked = await call_ok(on_b, "lock_smartlock", {"smartlock": "Cellar"})
        assert asked["status"] == "confirmation_required"


@pytest.fixture
def passkey_harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return Harness(tmp_path, clock=now_clock(), confirm="passkey")


async def test_an_unlock_asked_on_one_replica_is_approved_in_the_browser_on_the_other_and_performed_there_once(
    browser: PlaywrightBrowser, passkey_harness: Harness, redis_server: RedisServer
) -> None:
    harness = passkey_harness
    with two_remote_replicas(harness, redis_server.url) as (a, b):
        arguments: Json = {"smartlock": "Front Door"}
        with anyio.fail_after(120):
            async with browser_page(browser, "remote-approval-on-another-replica") as rig:
                await enrol_in_browser(rig, a, redis_server.url)
                storage, _, _ = await sign_in_with_the_sdk(rig, a)
                assert storage.tokens is not None
                token = storage.tokens.access_token
                async with bearer_client(a, token) as on_a:
                    asked = await call_ok(on_a, "unlock_smartlock", arguments)
                assert asked["status"] == "confirmation_required"
                approval_url = str(asked["approval_url"])
                assert approval_url.startswith(f"{a.public_url}/approve/")
                assert harness.sim.writes() == []

                # The load balancer sends the owner's browser to replica B for everything on the public URL.
                served_by_b: list[str] = []

                async def to_b(route: PlaywrightRoute) -> None:
                    served_by_b.append(route.request.url)
                    url = route.request.url.replace(a.public_url, b.base, 1)
                    await route.fulfill(response=await route.fetch(url=url))

                await rig.page.route(f"{a.public_url}/approve/**", to_b)
                await rig.page.goto(approval_url)
                assert "Front Door" in (await rig.page.content())
                await rig.page.get_by_role("button", name="Approve with passkey").click()
                await rig.wait_for_status("Approved")
                assert any(url.endswith("/verify") for url in served_by_b)

        repeated = {**arguments, "confirmation_token": str(asked["confirmation_token"])}
        await approved_unlock_performs_once(b, token, harness, repeated)
