"""Playwright over a real headless Chromium with a CDP virtual authenticator, and the approval app on loopback.

`launched` starts the browser (launch 30 s; once per session, see conftest.py); `browser_page` gives a page
in a fresh context (actions 15 s) whose WebAuthn calls are answered by its own virtual platform authenticator
(resident keys, user verification). `approval_rig` bounds a whole test by one deadline. Every page leaves a
screenshot under the git-ignored `test-artifacts/`.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import anyio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import CDPSession, Page, Request, async_playwright
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyStore
from nuki_mcp.approvals.store import ApprovalEvent, MemoryApprovalStore
from nuki_mcp.clock import ManualClock
from scripts.browser import REPO_ROOT, Browser

TEST_DEADLINE_S: Final = 90.0
LAUNCH_TIMEOUT_MS: Final = 30_000
ACTION_TIMEOUT_MS: Final = 15_000
ARTIFACTS: Final = REPO_ROOT / "test-artifacts"
# Per the machine notes: without these Chromium keeps calling out to Google's services, which fail here.
CHROMIUM_FLAGS: Final = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)
_JSON_OBJECT: Final = TypeAdapter(dict[str, JsonValue])


async def cdp_call(cdp: CDPSession, method: str, params: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """One CDP command, with its untyped answer validated as a JSON object."""
    answer: object = await cdp.send(method, params)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return _JSON_OBJECT.validate_python(answer)


@dataclass
class Authenticator:
    """A CDP virtual authenticator attached to one page."""

    cdp: CDPSession
    authenticator_id: str

    async def set_user_verified(self, verified: bool) -> None:
        await cdp_call(
            self.cdp, "WebAuthn.setUserVerified", {"authenticatorId": self.authenticator_id, "isUserVerified": verified}
        )

    async def credential_ids(self) -> list[str]:
        answer = await cdp_call(self.cdp, "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})
        credentials = answer.get("credentials")
        found: list[str] = []
        if isinstance(credentials, list):
            for credential in credentials:
                if isinstance(credential, dict) and isinstance(credential.get("credentialId"), str):
                    # CDP spells ids in standard base64; WebAuthn (and nuki-mcp) in base64url.
                    raw = base64.b64decode(str(credential["credentialId"]))
                    found.append(base64.urlsafe_b64encode(raw).decode().rstrip("="))
        return found


@dataclass
class BrowserPage:
    page: Page
    authenticator: Authenticator
    posted: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    requested: list[str] = field(default_factory=list[str])

    async def status(self) -> str:
        return (await self.page.locator("#status").text_content()) or ""

    async def wait_for_status(self, text: str) -> str:
        await self.page.wait_for_function(
            "text => document.getElementById('status').textContent.includes(text)", arg=text
        )
        return await self.status()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


@asynccontextmanager
async def launched(chromium: Browser) -> AsyncGenerator[PlaywrightBrowser]:
    """The headless Chromium, launched by Playwright with the flags this machine needs."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium.executable),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            env={**os.environ, **chromium.env},
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def browser_page(browser: PlaywrightBrowser, artifact_name: str) -> AsyncGenerator[BrowserPage]:
    """A page in a fresh browser context with its own virtual authenticator; a screenshot when done."""
    context = await browser.new_context()
    try:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp_call(cdp, "WebAuthn.enable", {"enableUI": False})
        added = await cdp_call(
            cdp,
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        rig = BrowserPage(page, Authenticator(cdp, str(added["authenticatorId"])))

        def on_request(request: Request) -> None:
            rig.requested.append(request.url)
            if request.method == "POST":
                rig.posted.append((request.url, request.post_data or ""))

        page.on("request", on_request)
        try:
            yield rig
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"{_safe_name(artifact_name)}.png"), full_page=True)
    finally:
        await context.close()


@dataclass
class ApprovalRig:
    """The approval app (with an enrolment route for the tests) on loopback, and a browser page next to it."""

    server: LoopbackServer
    clock: ManualClock
    store: MemoryApprovalStore
    passkeys: PasskeyStore
    events: list[ApprovalEvent]
    browser: BrowserPage

    @property
    def page(self) -> Page:
        return self.browser.page

    def url(self, path: str) -> str:
        return self.server.base_url + path

    async def enrol(self, label: str = "test phone") -> str:
        """Enrol the virtual authenticator's new passkey through the enrolment page; its credential id."""
        await self.page.goto(self.url("/passkeys/enrol"))
        await self.page.click("#enrol")
        await self.browser.wait_for_status("Passkey added")
        (passkey,) = [p for p in self.passkeys.enrolled() if p.label == label]
        return passkey.credential_id


@asynccontextmanager
async def approval_rig(browser: PlaywrightBrowser, state_dir: Path, artifact_name: str) -> AsyncGenerator[ApprovalRig]:
    """Everything a browser approval test needs, under one deadline for the whole test."""
    with anyio.fail_after(TEST_DEADLINE_S):
        clock = ManualClock()
        events: list[ApprovalEvent] = []
        store = MemoryApprovalStore(clock, events=events.append)
        passkeys = PasskeyStore(state_dir)
        server = LoopbackServer(0)
        app = build_approval_app(
            port=server.port,
            passkeys=passkeys,
            clock=clock,
            approvals=store,
            enrolment=Enrolment(label="test phone", passkeys=passkeys),
        )
        async with server.running(app), browser_page(browser, artifact_name) as page:
            yield ApprovalRig(server, clock, store, passkeys, events, page)


def assertion_parts(posted_body: str) -> list[str]:
    """The pieces of a posted WebAuthn answer that must never be logged: client data, authenticator data, signature."""
    answer = _JSON_OBJECT.validate_json(posted_body)
    response = answer.get("response")
    assert isinstance(response, dict)
    parts = [response.get(k) for k in ("clientDataJSON", "authenticatorData", "signature", "attestationObject")]
    return [p for p in parts if isinstance(p, str) and p]


def challenge_of(posted_body: str) -> str:
    """The challenge (base64url) inside a posted answer's client data."""
    client_data = assertion_parts(posted_body)[0]
    decoded = json.loads(base64.urlsafe_b64decode(client_data + "=" * (-len(client_data) % 4)))
    return str(decoded["challenge"])
