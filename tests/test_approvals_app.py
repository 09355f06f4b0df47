"""The approval app over real HTTP on loopback, without a browser: routes, headers and request checks.

The ceremonies themselves are driven in a real browser in tests/browser/.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyStore
from nuki_mcp.approvals.store import Approval, ApprovalDevice, ApprovalRequest, MemoryApprovalStore
from nuki_mcp.clock import ManualClock

pytestmark = pytest.mark.anyio


@dataclass
class Served:
    base_url: str
    store: MemoryApprovalStore
    approval: Approval
    client: httpx2.AsyncClient

    async def post(self, path: str, body: str = "{}", **headers: str) -> httpx2.Response:
        sent = {"Origin": self.base_url, "Content-Type": "application/json", **headers}
        return await self.client.post(self.base_url + path, content=body, headers=sent)


@asynccontextmanager
async def served(tmp_path: Path, *, enrolment: bool = False) -> AsyncGenerator[Served]:
    clock = ManualClock()
    store = MemoryApprovalStore(clock)
    passkeys = PasskeyStore(tmp_path)
    server = LoopbackServer(0)
    app = build_approval_app(
        port=server.port,
        passkeys=passkeys,
        clock=clock,
        approvals=store,
        enrolment=Enrolment(label="laptop", passkeys=passkeys) if enrolment else None,
    )
    approval = await store.create(
        ApprovalRequest(
            tool="unlock_smartlock",
            devices=(ApprovalDevice(17001, "Front Door"),),
            binding="b",
            summary="Unlock 'Front Door' (id 17001).",
        )
    )
    async with server.running(app), httpx2.AsyncClient() as client:
        yield Served(server.base_url, store, approval, client)


async def test_the_approval_page_is_served_with_a_strict_csp_and_no_store(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        response = await app.client.get(f"{app.base_url}/approve/{app.approval.id}")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"
    nonce = csp.split("script-src 'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.text
    assert "http://" not in response.text.replace(app.base_url, "")
    assert "https://" not in response.text


async def test_each_page_gets_a_fresh_nonce(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        first = await app.client.get(f"{app.base_url}/approve/{app.approval.id}")
        second = await app.client.get(f"{app.base_url}/approve/{app.approval.id}")
    assert first.headers["content-security-policy"] != second.headers["content-security-policy"]


async def test_requests_naming_another_host_are_refused(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        page = await app.client.get(f"{app.base_url}/approve/{app.approval.id}", headers={"Host": "evil.example"})
        deny = await app.post(f"/approve/{app.approval.id}/deny", Host="evil.example:80")
        assert (page.status_code, deny.status_code) == (421, 421)
        assert (await app.store.get(app.approval.id)) == app.approval


async def test_a_decision_posted_from_another_origin_or_without_json_is_refused(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        other_origin = await app.post(f"/approve/{app.approval.id}/deny", Origin="http://evil.example")
        no_origin = await app.client.post(
            f"{app.base_url}/approve/{app.approval.id}/deny", headers={"Content-Type": "application/json"}
        )
        form = await app.post(f"/approve/{app.approval.id}/deny", **{"Content-Type": "text/plain"})
        assert (other_origin.status_code, no_origin.status_code, form.status_code) == (403, 403, 415)
        assert (await app.store.get(app.approval.id)) == app.approval
        denied = await app.post(f"/approve/{app.approval.id}/deny")
        assert denied.status_code == 200
        assert denied.headers["cache-control"] == "no-store"


async def test_options_ask_for_user_verification_with_a_fresh_challenge_each_time(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        first = (await app.post(f"/approve/{app.approval.id}/options")).json()
        second = (await app.post(f"/approve/{app.approval.id}/options")).json()
    assert first["rpId"] == "localhost"
    assert first["userVerification"] == "required"
    assert first["challenge"] != second["challenge"]


async def test_a_verify_without_an_open_challenge_is_refused(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        answer = await app.post(f"/approve/{app.approval.id}/verify", '{"id": "x"}')
        assert answer.status_code == 409
        assert (await app.store.get(app.approval.id)) == app.approval


async def test_a_garbage_answer_is_refused_and_uses_up_the_challenge(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        await app.post(f"/approve/{app.approval.id}/options")
        garbage = await app.post(f"/approve/{app.approval.id}/verify", "not json at all")
        again = await app.post(f"/approve/{app.approval.id}/verify", "not json at all")
        assert (garbage.status_code, again.status_code) == (400, 409)
        current = await app.store.get(app.approval.id)
        assert current is not None
        assert current.state == "pending"


async def test_the_approval_server_has_no_enrolment_routes(tmp_path: Path) -> None:
    async with served(tmp_path) as app:
        page = await app.client.get(f"{app.base_url}/passkeys/enrol")
        options = await app.post("/passkeys/enrol/options")
        assert (page.status_code, options.status_code) == (404, 404)
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_registration_options_ask_for_a_resident_key_and_user_verification(tmp_path: Path) -> None:
    async with served(tmp_path, enrolment=True) as app:
        options = (await app.post("/passkeys/enrol/options")).json()
    assert options["rp"] == {"id": "localhost", "name": "nuki-mcp"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"


async def test_the_loopback_server_knows_its_real_port_before_it_serves() -> None:
    server = LoopbackServer(0)
    try:
        assert server.port > 0
        assert server.base_url == f"http://localhost:{server.port}"
    finally:
        server.close()
