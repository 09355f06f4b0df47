"""The API token never reaches the agent, a log line or the audit trail through Nuki's own words.

A proxy or a verbose error page may echo the request's `Authorization` header back in its body; the
client redacts the token (and any `Bearer …` credential) from everything Nuki says, in one place.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.nuki.errors import NukiApiError
from tests.simulated_client import CANARY_TOKEN as CLIENT_CANARY_TOKEN
from tests.simulated_client import simulated_nuki
from tests.support import CANARY_TOKEN, Harness, call_error, call_ok, dumps, rows

pytestmark = pytest.mark.anyio

ECHOING_FAULTS = [
    Fault.json(400, f"Header 'Authorization: Bearer {CANARY_TOKEN}' is not valid", times=10),
    Fault.json(403, f"Token {CANARY_TOKEN} may not access this smartlock", times=10),
    Fault.json(404, f"No such object for token {CANARY_TOKEN}", times=10),
    Fault(
        status=502,
        body=f"<html><pre>Authorization: Bearer {CANARY_TOKEN}</pre></html>",
        content_type="text/html",
        times=10,
    ),
    Fault(status=500, body=f"upstream said: authorization=bearer {CANARY_TOKEN}", content_type="text/plain", times=10),
]
ECHOING_IDS = ["400-bearer-json", "403-bare-token-json", "404-bare-token-json", "502-html", "500-text"]


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(record) for record in caplog.records)


@pytest.mark.parametrize("fault", ECHOING_FAULTS, ids=ECHOING_IDS)
async def test_a_read_error_echoing_the_token_shows_it_neither_to_the_agent_nor_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: Fault
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(tmp_path)
    async with harness.client() as client:
        harness.sim.add_fault(fault)
        error = await call_error(client, "list_smartlocks")
    assert CANARY_TOKEN not in error
    assert CANARY_TOKEN not in _logged(caplog)


@pytest.mark.parametrize("fault", ECHOING_FAULTS, ids=ECHOING_IDS)
async def test_a_write_error_echoing_the_token_keeps_it_out_of_the_answer_the_log_and_the_audit_trail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: Fault
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(tmp_path, confirm="off")
    async with harness.client() as client:
        harness.sim.add_fault(replace(fault, method="POST", path=f"/smartlock/{CELLAR_ID}/action/lock"))
        result = await client.call_tool("lock_smartlock", {"smartlock": "Cellar", "wait": False})
    assert harness.audit_lines() != []
    assert CANARY_TOKEN not in dumps(result.model_dump())
    assert CANARY_TOKEN not in harness.audit_path.read_text()
    assert CANARY_TOKEN not in _logged(caplog)


async def test_nukis_detail_message_is_still_quoted_with_the_token_replaced() -> None:
    async with simulated_nuki() as nuki:
        detail = f"Header 'Authorization: Bearer {CLIENT_CANARY_TOKEN}' is not valid"
        nuki.sim.add_fault(Fault.json(400, detail, method="GET"))
        with pytest.raises(NukiApiError) as caught:
            await nuki.client.get_smartlock(FRONT_DOOR_ID)
    assert caught.value.detail == "Header 'Authorization: Bearer [redacted]' is not valid"
    assert "Nuki said: Header 'Authorization: Bearer [redacted]' is not valid" in caught.value.message


async def test_any_bearer_credential_in_nukis_words_is_redacted_not_only_this_servers_token() -> None:
    async with simulated_nuki() as nuki:
        nuki.sim.add_fault(Fault.json(401, "Rejected Authorization: Bearer 0123456789abcdef0123", method="GET"))
        nuki.sim.add_fault(Fault.json(409, "conflict for BEARER a1b2c3d4e5f6a7b8 here", method="POST"))
        with pytest.raises(NukiApiError) as read:
            await nuki.client.get_smartlock(FRONT_DOOR_ID)
        with pytest.raises(NukiApiError) as write:
            await nuki.client.sync_smartlock(FRONT_DOOR_ID)
    assert read.value.detail == "Rejected Authorization: Bearer [redacted]"
    assert write.value.detail == "conflict for BEARER [redacted] here"
    assert "a1b2c3d4e5f6a7b8" not in write.value.message


async def test_a_successful_answer_that_contains_the_token_is_shown_redacted(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_device_fields(CELLAR_ID, name=f"Cellar {CANARY_TOKEN}")
    async with harness.client() as client:
        listing = await call_ok(client, "list_smartlocks")
    names = [device["name"] for device in rows(listing, "devices")]
    assert CANARY_TOKEN not in dumps(listing)
    assert "Cellar [redacted]" in names


async def test_a_device_name_that_merely_mentions_a_bearer_is_left_alone(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_device_fields(CELLAR_ID, name="Bearer of keys")
    async with harness.client() as client:
        details = await call_ok(client, "get_smartlock", {"smartlock": str(CELLAR_ID)})
    assert details["name"] == "Bearer of keys"


# --- over a real socket: a fake Nuki that echoes the Authorization header it received ---------------


class _EchoingNuki(BaseHTTPRequestHandler):
    """Answers every request with a 400 whose detailMessage quotes the request's Authorization header."""

    def do_GET(self) -> None:
        header = self.headers.get("Authorization", "")
        status, kind = 400, "application/json"
        body = json.dumps({"detailMessage": f"Invalid header Authorization: {header}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def echoing_nuki() -> Generator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingNuki)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


@pytest.mark.parametrize("command", ["check", "audit"])
def test_the_cli_never_prints_the_token_that_nuki_echoed_back(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), NUKI_API_TOKEN=CANARY_TOKEN)
    with echoing_nuki() as url:
        done = subprocess.run(
            [sys.executable, "-m", "nuki_mcp", command, "--api-url", url, "--timeout", "5"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert "Invalid header Authorization: Bearer [redacted]" in done.stderr
    assert CANARY_TOKEN not in done.stderr + done.stdout
