"""Passkey approvals in a real headless Chromium with a CDP virtual authenticator: the real ceremony, end to end.

Each test serves the approval app on http://localhost:PORT, enrols the virtual authenticator's passkey on the
enrolment page, and approves or refuses on the approval page exactly as a person would (Playwright clicks).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import httpx2
import pytest
from playwright.async_api import Browser as PlaywrightBrowser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from nuki_mcp.approvals.app import LoopbackServer
from nuki_mcp.approvals.store import ApprovalDevice, ApprovalRefused, ApprovalRequest, approval_binding
from scripts.browser import cached_npm_chromium, fetch_npm_chromium
from tests.browser.rig import ApprovalRig, approval_rig, assertion_parts, challenge_of, launched

pytestmark = pytest.mark.anyio

BINDING = approval_binding("unlock_smartlock", [17001], {"smartlock_id": 17001})


def unlock_request(name: str = "Front Door") -> ApprovalRequest:
    return ApprovalRequest(
        tool="unlock_smartlock",
        devices=(ApprovalDevice(17001, name),),
        binding=BINDING,
        summary=f"Unlock {name!r} (id 17001).",
        changes=("auto_lock: true -> false",),
        client_name="claude-ai",
    )


async def state_of(rig: ApprovalRig, approval_id: str) -> str:
    approval = await rig.store.get(approval_id)
    assert approval is not None
    return approval.state


def verify_bodies(rig: ApprovalRig) -> list[str]:
    return [body for url, body in rig.browser.posted if "/approve/" in url and url.endswith("/verify")]


async def post_as_page(rig: ApprovalRig, path: str, body: str) -> httpx2.Response:
    """What someone holding a captured answer could send: the page's own origin and content type."""
    async with httpx2.AsyncClient() as client:
        return await client.post(
            rig.url(path),
            content=body,
            headers={"Origin": rig.server.base_url, "Content-Type": "application/json"},
        )


async def test_approving_with_the_enrolled_passkey_grants_the_approval_and_records_the_credential(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "approve") as rig:
        credential_id = await rig.enrol()
        assert await rig.browser.authenticator.credential_ids() == [credential_id]
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        assert await rig.page.locator("#devices").inner_text() == "Front Door (id 17001)"
        assert await rig.page.locator("#summary").inner_text() == "Unlock 'Front Door' (id 17001)."
        assert await rig.page.locator("#changes").inner_text() == "auto_lock: true -> false"
        assert await rig.page.locator("#client").inner_text() == "claude-ai"
        assert await rig.page.locator("#left").inner_text() in {"5:00", "4:59"}
        assert await state_of(rig, approval.id) == "pending"

        await rig.page.get_by_role("button", name="Approve with passkey").click()
        assert "Approved" in await rig.browser.wait_for_status("Approved")

        granted = await rig.store.get(approval.id)
        assert granted is not None
        assert granted.state == "granted"
        assert granted.credential_id == credential_id
        assert [(e.kind, e.credential_id) for e in rig.events] == [("created", None), ("granted", credential_id)]
        (stored,) = rig.passkeys.enrolled()
        assert stored.last_used == rig.clock.now()
        assert stored.sign_count >= 1
        assert (await rig.store.redeem(approval.id, BINDING)).state == "redeemed"
        with pytest.raises(ApprovalRefused, match="already used"):
            await rig.store.redeem(approval.id, BINDING)
        # Every request the page made went to the approval server itself.
        assert all(url.startswith(rig.server.base_url + "/") for url in rig.browser.requested)


async def test_denying_needs_no_passkey_and_is_final(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "deny") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.page.get_by_role("button", name="Deny").click()
        await rig.browser.wait_for_status("Denied")
        assert await state_of(rig, approval.id) == "denied"
        assert await rig.page.get_by_role("button", name="Approve with passkey").is_disabled()
        # Reloading the page cannot approve a denied approval any more.
        await rig.page.reload()
        assert await rig.page.get_by_role("button", name="Approve with passkey").is_disabled()
        answer = await post_as_page(rig, f"/approve/{approval.id}/options", "{}")
        assert answer.status_code == 409
        assert await state_of(rig, approval.id) == "denied"
        assert [e.kind for e in rig.events] == ["created", "denied"]


async def test_a_user_who_is_not_verified_leaves_the_approval_pending(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "user-not-verified") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.browser.authenticator.set_user_verified(False)
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        await rig.browser.wait_for_status("Not approved")
        assert await state_of(rig, approval.id) == "pending"
        assert verify_bodies(rig) == []
        # Once the person is verified, the same page approves.
        await rig.browser.authenticator.set_user_verified(True)
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        await rig.browser.wait_for_status("Approved")
        assert await state_of(rig, approval.id) == "granted"


async def test_a_passkey_that_is_not_enrolled_is_refused(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "not-enrolled") as rig:
        credential_id = await rig.enrol()
        assert rig.passkeys.remove(credential_id)  # still in the authenticator, no longer enrolled
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        status = await rig.browser.wait_for_status("Not approved")
        assert "not enrolled" in status
        assert await state_of(rig, approval.id) == "pending"
        assert [e.kind for e in rig.events] == ["created"]


async def test_a_replayed_assertion_is_refused_for_the_same_and_for_another_approval(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "replay") as rig:
        await rig.enrol()
        first = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{first.id}"))
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        await rig.browser.wait_for_status("Approved")
        (captured,) = verify_bodies(rig)

        again = await post_as_page(rig, f"/approve/{first.id}/verify", captured)
        assert again.status_code == 409

        second = await rig.store.create(unlock_request())
        await post_as_page(rig, f"/approve/{second.id}/options", "{}")  # a fresh challenge is open for it
        replayed = await post_as_page(rig, f"/approve/{second.id}/verify", captured)
        assert replayed.status_code == 400
        assert "did not verify" in replayed.json()["error"]
        assert await state_of(rig, second.id) == "pending"


async def test_an_expired_approval_cannot_be_approved(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "expired") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        rig.clock.advance(300)
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        status = await rig.browser.wait_for_status("Not approved")
        assert "expired" in status
        assert await state_of(rig, approval.id) == "expired"
        assert [e.kind for e in rig.events] == ["created", "expired"]


async def test_an_answer_that_arrives_after_the_approval_expired_is_refused(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "expired-midway") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))

        async def expire_then_continue(route: object) -> None:
            from playwright.async_api import Route

            assert isinstance(route, Route)
            rig.clock.advance(300)
            await route.continue_()

        await rig.page.route("**/verify", expire_then_continue)
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        assert "expired" in await rig.browser.wait_for_status("Not approved")
        assert await state_of(rig, approval.id) == "expired"
        assert "granted" not in [e.kind for e in rig.events]


async def test_forged_and_truncated_approval_links_show_nothing_to_approve(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "forged") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        for forged in (approval.id[:-1], "A" * 32, approval.id + "x", "..%2F..%2Fpasskeys%2Fenrol"):
            response = await rig.page.goto(rig.url(f"/approve/{forged}"))
            assert response is not None
            assert response.status == 404
            assert await rig.page.get_by_role("button", name="Approve with passkey").count() == 0
            options = await post_as_page(rig, f"/approve/{forged}/options", "{}")
            assert options.status_code == 404
        assert await state_of(rig, approval.id) == "pending"


async def test_names_with_markup_or_bidi_characters_are_shown_as_text(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "escaping") as rig:
        await rig.enrol()
        name = 'Door<img src=x onerror="document.title=1">\u202eroodkcab'
        approval = await rig.store.create(unlock_request(name))
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        assert await rig.page.locator("img").count() == 0
        shown = await rig.page.locator("#devices").inner_text()
        assert shown == 'Door<img src=x onerror="document.title=1">U+202Eroodkcab (id 17001)'
        assert await rig.page.title() == "nuki-mcp: approve an action"


async def test_the_page_refuses_to_be_framed_and_is_never_cached(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "headers") as rig:
        approval = await rig.store.create(unlock_request())
        response = await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        assert response is not None
        headers = await response.all_headers()
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
        # The inline script ran under the CSP nonce: it enabled the buttons.
        assert await rig.page.get_by_role("button", name="Deny").is_enabled()


async def test_the_approval_page_fits_a_phone_screen(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "phone") as rig:
        await rig.page.set_viewport_size({"width": 360, "height": 740})
        approval = await rig.store.create(unlock_request("The very long name of the back door to the garden shed"))
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        assert await rig.page.evaluate("document.documentElement.scrollWidth") <= 360
        for name in ("Approve with passkey", "Deny"):
            box = await rig.page.get_by_role("button", name=name).bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 360
            assert box["height"] >= 44  # a comfortable touch target


async def test_no_challenge_or_assertion_material_reaches_a_log_line_or_an_audit_event(
    browser: PlaywrightBrowser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with approval_rig(browser, tmp_path, "canary") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        await rig.browser.wait_for_status("Approved")
        await rig.store.redeem(approval.id, BINDING)
        secrets = [
            part for url, body in rig.browser.posted if url.endswith("/verify") for part in assertion_parts(body)
        ]
        secrets += [challenge_of(body) for url, body in rig.browser.posted if url.endswith("/verify")]
        stored = (tmp_path / "passkeys.json").read_text()
    assert len(secrets) == 7  # enrolment: client data, attestation, challenge; approval: 3 parts and challenge
    logged = "\n".join(caplog.handler.format(r) for when in ("setup", "call") for r in caplog.get_records(when))
    audited = repr(rig.events) + json.dumps([e.kind for e in rig.events])
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited
        assert secret not in stored
        assert base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4)).hex() not in logged
    assert os.environ.get("NUKI_API_TOKEN", "") not in {*secrets}


async def test_the_passkey_file_is_private_and_holds_no_private_key(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "passkey-file") as rig:
        credential_id = await rig.enrol()
    path = tmp_path / "passkeys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    (entry,) = saved["passkeys"]
    assert entry["credential_id"] == credential_id
    assert entry["label"] == "test phone"
    assert set(entry) == {"credential_id", "public_key", "sign_count", "label", "created", "last_used"}
    assert os.listdir(tmp_path) == ["passkeys.json"]  # no temporary file left behind


async def test_the_pinned_npm_chromium_enrols_and_approves_too(tmp_path: Path) -> None:
    """The browser a machine without root or apt gets (scripts/browser.py), fetched into the cache if missing."""
    cached = cached_npm_chromium() or fetch_npm_chromium()
    async with launched(cached) as npm_browser, approval_rig(npm_browser, tmp_path, "npm-chromium") as rig:
        credential_id = await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.page.get_by_role("button", name="Approve with passkey").click()
        await rig.browser.wait_for_status("Approved")
        granted = await rig.store.get(approval.id)
        assert granted is not None
        assert (granted.state, granted.credential_id) == ("granted", credential_id)


# Runs navigator.credentials.get() with the given options in the page and returns the answer as the page posts it.
ASSERT_IN_PAGE = """async ([options, userVerification]) => {
  const unb64 = (t) => Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
  const b64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, "-").replace(/\\//g, "_")
    .replace(/=+$/, "");
  const publicKey = { ...options, challenge: unb64(options.challenge), userVerification };
  const c = await navigator.credentials.get({ publicKey });
  return JSON.stringify({ id: c.id, rawId: b64(c.rawId), type: c.type, clientExtensionResults: {},
    response: { clientDataJSON: b64(c.response.clientDataJSON), authenticatorData: b64(c.response.authenticatorData),
      signature: b64(c.response.signature), userHandle: b64(c.response.userHandle) } });
}"""


async def test_an_assertion_without_user_verification_is_refused_by_the_server(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    async with approval_rig(browser, tmp_path, "server-checks-uv") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        await rig.page.goto(rig.url(f"/approve/{approval.id}"))
        await rig.browser.authenticator.set_user_verified(False)
        options = (await post_as_page(rig, f"/approve/{approval.id}/options", "{}")).json()
        # A page that asks only for presence (as a tampered page might) gets an assertion without the UV flag.
        answer = await rig.page.evaluate(ASSERT_IN_PAGE, [options, "discouraged"])
        verified = await post_as_page(rig, f"/approve/{approval.id}/verify", answer)
        assert verified.status_code == 400
        assert await state_of(rig, approval.id) == "pending"


async def hello(_: Request) -> HTMLResponse:
    return HTMLResponse("<p>hello</p>")


async def test_an_assertion_made_on_another_origin_is_refused(browser: PlaywrightBrowser, tmp_path: Path) -> None:
    async with approval_rig(browser, tmp_path, "other-origin") as rig:
        await rig.enrol()
        approval = await rig.store.create(unlock_request())
        options = (await post_as_page(rig, f"/approve/{approval.id}/options", "{}")).json()
        # Another server on localhost (same RP id, other port) gets the owner to sign this approval's challenge.
        other = LoopbackServer(0)
        async with other.running(Starlette(routes=[Route("/", hello)])):
            await rig.page.goto(other.base_url + "/")
            answer = await rig.page.evaluate(ASSERT_IN_PAGE, [options, "required"])
        verified = await post_as_page(rig, f"/approve/{approval.id}/verify", answer)
        assert verified.status_code == 400
        assert await state_of(rig, approval.id) == "pending"
