"""`nuki-mcp passkey add` as a real process, enrolled in a real headless Chromium, then used to approve."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from anyio.streams.text import TextReceiveStream
from playwright.async_api import Browser as PlaywrightBrowser

from nuki_mcp.approvals.app import LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyStore
from nuki_mcp.approvals.store import ApprovalDevice, ApprovalRequest, MemoryApprovalStore, approval_binding
from nuki_mcp.clock import SystemClock
from tests.browser.rig import TEST_DEADLINE_S, browser_page

pytestmark = pytest.mark.anyio


async def test_a_passkey_enrolled_with_passkey_add_approves_on_the_approval_page(
    browser: PlaywrightBrowser, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), BROWSER="true")
    command = [sys.executable, "-m", "nuki_mcp", "passkey", "add", "--name", "Kitchen phone", "--timeout", "60"]
    with anyio.fail_after(TEST_DEADLINE_S):
        async with (
            await anyio.open_process(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE) as process,
            browser_page(browser, "passkey-add") as tab,
        ):
            assert process.stderr is not None
            stderr = TextReceiveStream(process.stderr)
            said = ""
            while (found := re.search(r"http://localhost:\d+/passkeys/enrol", said)) is None:
                said += await stderr.receive()
            await tab.page.goto(found.group(0))
            assert await tab.page.locator("#label").inner_text() == "Kitchen phone"
            await tab.page.get_by_role("button", name="Add passkey").click()
            await tab.wait_for_status("Passkey added")
            assert await process.wait() == 0
            async for rest in stderr:
                said += rest
            assert "Added the passkey 'Kitchen phone'" in said

            passkeys = PasskeyStore(tmp_path / "state" / "nuki-mcp")
            (passkey,) = passkeys.enrolled()
            assert passkey.label == "Kitchen phone"
            assert await tab.authenticator.credential_ids() == [passkey.credential_id]

            clock = SystemClock()
            store = MemoryApprovalStore(clock)
            server = LoopbackServer(0)
            app = build_approval_app(port=server.port, passkeys=passkeys, clock=clock, approvals=store)
            binding = approval_binding("unlatch_smartlock", [17001], {"smartlock_id": 17001})
            approval = await store.create(
                ApprovalRequest(
                    tool="unlatch_smartlock",
                    devices=(ApprovalDevice(17001, "Front Door"),),
                    binding=binding,
                    summary="Unlatch 'Front Door' (id 17001): the door opens.",
                )
            )
            async with server.running(app):
                await tab.page.goto(f"{server.base_url}/approve/{approval.id}")
                await tab.page.get_by_role("button", name="Approve with passkey").click()
                await tab.wait_for_status("Approved")
                # The enrolment page exists only in `passkey add`, never beside the approvals.
                response = await tab.page.goto(f"{server.base_url}/passkeys/enrol")
                assert response is not None
                assert response.status == 404
            granted = await store.get(approval.id)
            assert granted is not None
            assert (granted.state, granted.credential_id) == ("granted", passkey.credential_id)

    listed = await anyio.run_process([sys.executable, "-m", "nuki_mcp", "passkey", "list"], env=env)
    (row,) = listed.stdout.decode().splitlines()[1:]
    assert passkey.credential_id in row
    assert not row.endswith("never")
