"""Many agents at once: concurrent tool calls over Streamable HTTP (uvicorn on 127.0.0.1) all come back right."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from nuki_mcp.http_app import build_http_app
from nuki_mcp.server import create_server
from tests.http_server import DEADLINE_S, uvicorn_in_thread
from tests.support import Harness, Json, call_ok, rows

pytestmark = pytest.mark.anyio

CALLS = 50
SESSIONS = 5
# The SDK client compiles a tool's output-schema validator on its first call of that tool, and a
# burst of first calls compiles it once per call; each session calls each tool once before the burst.
WARM_UP: list[tuple[str, Json]] = [
    ("list_smartlocks", {}),
    ("get_smartlock", {"smartlock": "Front Door"}),
    ("list_smartlock_logs", {"limit": 1}),
    ("audit_smartlocks", {"min_severity": "critical"}),
]
Check = Callable[[Json], None]


def _expect_device(name: str, smartlock_id: int) -> Check:
    def check(result: Json) -> None:
        assert (result["name"], result["smartlock_id"]) == (name, smartlock_id)

    return check


def _expect_logs_of(smartlock_id: int) -> Check:
    def check(result: Json) -> None:
        entries = rows(result, "entries")
        assert entries
        assert [entry["smartlock_id"] for entry in entries] == [smartlock_id] * len(entries)

    return check


def _expect_listing(result: Json) -> None:
    assert result["total"] == 5
    assert len(rows(result, "devices")) == 5


def _expect_audit(result: Json) -> None:
    assert rows(result, "findings")


async def test_fifty_concurrent_calls_over_http_all_return_their_own_correct_result(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    devices = [(d.name, d.smartlock_id) for d in harness.sim.devices()]
    plan: list[tuple[str, Json, Check]] = []
    for index in range(CALLS):
        name, smartlock_id = devices[(index // 5) % len(devices)]
        match index % 5:
            case 0:
                plan.append(("list_smartlocks", {}, _expect_listing))
            case 1 | 2:
                plan.append(("get_smartlock", {"smartlock": str(smartlock_id)}, _expect_device(name, smartlock_id)))
            case 3:
                plan.append(("list_smartlock_logs", {"smartlock": name, "limit": 5}, _expect_logs_of(smartlock_id)))
            case _ if index % 10 == 4:
                plan.append(("audit_smartlocks", {}, _expect_audit))
            case _:
                plan.append(("get_smartlock", {"smartlock": name}, _expect_device(name, smartlock_id)))
    settings = harness.settings()
    app = build_http_app(
        create_server(settings, transport=harness.sim.transport(), clock=harness.clock), settings, "127.0.0.1"
    )
    results: dict[int, Json] = {}
    with uvicorn_in_thread(app) as url, anyio.fail_after(DEADLINE_S):
        async with httpx2.AsyncClient(timeout=DEADLINE_S) as http:

            async def session(calls: list[int]) -> None:
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    for tool, arguments in WARM_UP:
                        await call_ok(client, tool, arguments)
                    async with anyio.create_task_group() as group:
                        for index in calls:
                            group.start_soon(_run, client, index)

            async def _run(client: Client, index: int) -> None:
                tool, arguments, _check = plan[index]
                results[index] = await call_ok(client, tool, arguments)

            async with anyio.create_task_group() as sessions:
                per_session = CALLS // SESSIONS
                for first in range(0, CALLS, per_session):
                    sessions.start_soon(session, list(range(first, first + per_session)))
    assert sorted(results) == list(range(CALLS))
    for index, (_tool, _arguments, check) in enumerate(plan):
        check(results[index])
    assert harness.sim.writes() == []
