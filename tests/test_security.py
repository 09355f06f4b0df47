"""The guards hold for every tool the server lists, not only for the ones a test happened to name.

Each test walks the LIVE tool list (all toolsets): read-only mode, the device allow-list, the binding
of confirmation tokens to one exact call, and the API token that must never leak into any output,
log line or audit line. test_guards.py proves each guard on one tool; this file proves that no tool
is an exception. The HTTP transport checks that test_http.py does not make are at the end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextResourceContents, Tool
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from nuki_mcp.demo import Fault, NukiSimulator
from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID, GARAGE_ID, OPENER_ID
from nuki_mcp.http_app import build_http_app
from nuki_mcp.server import create_server
from tests.http_server import DEADLINE_S, uvicorn_in_thread
from tests.scenarios import READ_CALLS, WRITE_CALLS, removes_a_device, valid_arguments
from tests.support import CANARY_TOKEN, Harness, Json, call_ok, dumps, obj, text_of

pytestmark = pytest.mark.anyio

ALLOWED_DEVICE = "Front Door"
FOREIGN_DEVICES = {
    "Cellar Door": CELLAR_ID,
    "Building Entrance": OPENER_ID,
    "Back Door": BACK_DOOR_ID,
    "Garage": GARAGE_ID,
}


async def _tools(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


def _is_write(tool: Tool) -> bool:
    return tool.annotations is None or tool.annotations.read_only_hint is not True


def _properties(tool: Tool) -> Json:
    return obj(tool.input_schema, "properties")


def _needs_confirmation(tool: Tool) -> bool:
    return "confirmation_token" in _properties(tool)


def _error(result: CallToolResult) -> str | None:
    return text_of(result) if result.is_error else None


def _foreign_mentions(text: str, asked: str = "") -> list[str]:
    """Foreign devices that `text` names; an id the caller asked for may be echoed back."""
    return [
        f"{name} ({smartlock_id})"
        for name, smartlock_id in FOREIGN_DEVICES.items()
        if name in text or (str(smartlock_id) in text and str(smartlock_id) != asked)
    ]


async def test_every_listed_tool_has_a_scenario(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        tools = await _tools(client)
    assert {name for name, tool in tools.items() if _is_write(tool)} == set(WRITE_CALLS)
    assert {name for name, tool in tools.items() if not _is_write(tool)} == set(READ_CALLS)


async def test_foreign_device_names_and_ids_match_the_demo_household(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    devices = {d.name: d.smartlock_id for d in harness.sim.devices()}
    assert devices == {ALLOWED_DEVICE: FRONT_DOOR_ID, **FOREIGN_DEVICES}


# --- read-only -----------------------------------------------------------------------------------


async def test_read_only_mode_lists_no_write_tool_and_refuses_every_one_with_nothing_sent(tmp_path: Path) -> None:
    async with Harness(tmp_path / "full").client() as client:
        everything = await _tools(client)
    writes = sorted(name for name, tool in everything.items() if _is_write(tool))
    harness = Harness(tmp_path, read_only=True, confirm="off")
    async with harness.client() as client:
        listed = await _tools(client)
        refusals = {name: await client.call_tool(name, valid_arguments(name)) for name in writes}
        still_reads = await call_ok(client, "list_smartlocks")
    assert len(writes) == len(WRITE_CALLS)
    assert set(listed) == set(everything) - set(writes)
    assert not any(_is_write(tool) for tool in listed.values())
    refused = {name: result.is_error and name in text_of(result) for name, result in refusals.items()}
    assert refused == dict.fromkeys(writes, True)
    assert still_reads["total"] == 5
    assert harness.sim.writes() == []


# --- allow-list ----------------------------------------------------------------------------------


def _aimed_at(tool: Tool, arguments: Json, foreign: str) -> Json | None:
    """`arguments` with the device replaced by `foreign` (a list keeps the allowed one too), or None."""
    properties = _properties(tool)
    if "smartlock" in properties:
        return {**arguments, "smartlock": foreign}
    if "smartlocks" in properties:
        return {**arguments, "smartlocks": [ALLOWED_DEVICE, foreign]}
    return None


@pytest.mark.parametrize("foreign", ["Cellar", str(CELLAR_ID)], ids=["by-name", "by-id"])
async def test_no_tool_reaches_a_device_outside_the_allow_list(tmp_path: Path, foreign: str) -> None:
    harness = Harness(tmp_path, devices=(ALLOWED_DEVICE,), confirm="off")
    leaks: list[str] = []
    async with harness.client() as client:
        tools = await _tools(client)
        aimed = {name: _aimed_at(tool, valid_arguments(name), foreign) for name, tool in tools.items()}
        targeted = {name: arguments for name, arguments in aimed.items() if arguments is not None}
        for name, arguments in targeted.items():
            result = await client.call_tool(name, arguments)
            if not result.is_error:
                leaks.append(f"{name} accepted {foreign}: {text_of(result)[:200]}")
            elif mentions := _foreign_mentions(text_of(result), asked=foreign):
                leaks.append(f"{name} named {mentions} in its refusal")
    assert len(targeted) >= 20
    assert leaks == []
    assert harness.sim.writes() == []


async def test_account_wide_reads_and_resources_never_show_a_device_outside_the_allow_list(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=(ALLOWED_DEVICE,))
    outputs: dict[str, str] = {}
    async with harness.client() as client:
        tools = await _tools(client)
        for name, tool in tools.items():
            if _is_write(tool):
                continue
            arguments = valid_arguments(name)
            if "smartlock" not in tool.input_schema.get("required", []):
                arguments.pop("smartlock", None)  # account-wide: every device the server may see
            outputs[name] = dumps((await client.call_tool(name, arguments)).model_dump())
        listing = await client.read_resource("nuki://smartlocks")
        outputs["nuki://smartlocks"] = dumps(listing.model_dump())
        with pytest.raises(MCPError) as refused:
            await client.read_resource(f"nuki://smartlock/{CELLAR_ID}")
        outputs["nuki://smartlock/{foreign}"] = str(refused.value)
    assert outputs["nuki://smartlock/{foreign}"]
    mentions = {name: _foreign_mentions(text) for name, text in outputs.items()}
    mentions["nuki://smartlock/{foreign}"] = _foreign_mentions(
        outputs.pop("nuki://smartlock/{foreign}"), str(CELLAR_ID)
    )
    assert {name: found for name, found in mentions.items() if found} == {}
    assert ALLOWED_DEVICE in outputs["list_smartlocks"]
    assert ALLOWED_DEVICE in outputs["list_smartlock_logs"]
    assert ALLOWED_DEVICE in outputs["nuki://smartlocks"]
    assert isinstance(listing.contents[0], TextResourceContents)


# --- confirmation tokens -------------------------------------------------------------------------


async def test_a_confirmation_token_of_any_tool_is_refused_for_another_tool_device_or_argument_set(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    problems: list[str] = []
    async with harness.client() as client:
        tools = await _tools(client)
        confirmed = sorted((name for name, tool in tools.items() if _needs_confirmation(tool)), key=removes_a_device)
        assert len(confirmed) == len(WRITE_CALLS) - 1  # all but sync_smartlock
        for index, name in enumerate(confirmed):
            call = WRITE_CALLS[name]
            first = await call_ok(client, name, call.arguments)
            token = first["confirmation_token"]
            assert first["status"] == "confirmation_required", name
            assert isinstance(token, str), name
            neighbour = confirmed[(index + 1) % len(confirmed)]
            misuses: dict[str, tuple[str, Json]] = {"another tool": (neighbour, WRITE_CALLS[neighbour].arguments)}
            if call.other_device is not None:
                misuses["another device"] = (name, call.other_device)
            if call.other_arguments is not None:
                misuses["other arguments"] = (name, call.other_arguments)
            sent_before = len(harness.sim.writes())
            for misuse, (tool, arguments) in misuses.items():
                refusal = _error(await client.call_tool(tool, {**arguments, "confirmation_token": token}))
                if refusal is None or "does not match" not in refusal:
                    problems.append(f"{name} token, {misuse}: {refusal}")
            if len(harness.sim.writes()) != sent_before:
                problems.append(f"{name}: a misused token sent {harness.sim.writes()[sent_before:]}")
            genuine = await call_ok(client, name, {**call.arguments, "confirmation_token": token})
            if genuine["status"] != "done" or len(harness.sim.writes()) != sent_before + 1:
                problems.append(f"{name}: the genuine call did not send exactly one write: {genuine}")
            # A replay is refused: as "already used", or earlier when the change it asks for is already made.
            if _error(await client.call_tool(name, {**call.arguments, "confirmation_token": token})) is None:
                problems.append(f"{name}: a replayed token was accepted")
            if len(harness.sim.writes()) != sent_before + 1:
                problems.append(f"{name}: a replayed token sent {harness.sim.writes()[sent_before + 1 :]}")
    assert problems == []


# --- the API token never leaks --------------------------------------------------------------------


async def test_the_api_token_appears_in_no_output_log_line_or_audit_line_of_any_tool(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(tmp_path, confirm="auto")
    outputs: list[str] = []
    async with harness.client() as client:
        tools = await _tools(client)
        for name in sorted(tools, key=removes_a_device):
            arguments = valid_arguments(name)
            result = await client.call_tool(name, arguments)
            outputs.append(dumps(result.model_dump()))
            structured: Json = dict(result.structured_content or {})
            token = structured.get("confirmation_token")
            if isinstance(token, str):
                outputs.append(
                    dumps((await client.call_tool(name, {**arguments, "confirmation_token": token})).model_dump())
                )
            broken = {**arguments, "smartlock": "no such door"} if "smartlock" in arguments else {"limit": -1}
            outputs.append(dumps((await client.call_tool(name, broken)).model_dump()))
        echo = Fault.json(400, f"Invalid header Authorization: Bearer {CANARY_TOKEN}")
        for fault in (Fault(kind="timeout"), Fault(status=401), Fault.html(502, times=10), Fault(kind="drop"), echo):
            harness.sim.add_fault(fault)
            outputs.append(dumps((await client.call_tool("get_smartlock", {"smartlock": "Cellar"})).model_dump()))
            harness.sim.clear_faults()
        outputs.append(dumps((await client.read_resource("nuki://smartlocks")).model_dump()))
        outputs.append(dumps((await client.read_resource(f"nuki://smartlock/{FRONT_DOOR_ID}")).model_dump()))
        for prompt in (await client.list_prompts()).prompts:
            outputs.append(dumps((await client.get_prompt(prompt.name)).model_dump()))
    logged = "\n".join(caplog.handler.format(record) for record in caplog.records)
    audit = harness.audit_path.read_text()
    assert "HTTP Request: GET https://api.nuki.io/smartlock" in logged  # request logging was on
    assert len(harness.audit_lines()) >= len(WRITE_CALLS)
    assert [i for i, text in enumerate(outputs) if CANARY_TOKEN in text] == []
    assert CANARY_TOKEN not in logged
    assert CANARY_TOKEN not in audit


def _asgi_simulator(sim: NukiSimulator) -> ASGIApp:
    """The simulator as an ASGI app, so the server can reach it over a real socket."""
    transport = sim.transport()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        query = scope["query_string"].decode()
        request = httpx2.Request(
            scope["method"],
            f"{NukiSimulator.base_url}{scope['path']}" + (f"?{query}" if query else ""),
            headers=[(key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"]],
            content=body,
        )
        response = await transport.handle_async_request(request)
        content = await response.aread()
        headers = [(key.encode(), value.encode()) for key, value in response.headers.items()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app


async def test_request_logging_over_a_real_socket_never_prints_the_api_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(tmp_path, confirm="auto")
    with uvicorn_in_thread(_asgi_simulator(harness.sim), path="") as nuki_url, anyio.fail_after(DEADLINE_S):
        settings = harness.settings().model_copy(update={"api_url": nuki_url})
        async with Client(create_server(settings, clock=harness.clock)) as client:
            listing = await call_ok(client, "list_smartlocks")
            first = await call_ok(client, "lock_smartlock", {"smartlock": "Cellar", "wait": False})
            done = await call_ok(
                client,
                "lock_smartlock",
                {"smartlock": "Cellar", "wait": False, "confirmation_token": first["confirmation_token"]},
            )
    logged = "\n".join(caplog.handler.format(record) for record in caplog.records)
    assert listing["total"] == 5
    assert done["status"] == "done"
    assert f"HTTP Request: POST {nuki_url}/smartlock/{CELLAR_ID}/action/lock" in logged
    assert re.search(r"httpcore2?\.", logged) or "send_request_headers" in logged
    assert CANARY_TOKEN not in logged


# --- HTTP transport: what test_http.py leaves out -------------------------------------------------

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
AUTH_TOKEN = "http-auth-token-9d2e"


@asynccontextmanager
async def _served(tmp_path: Path, *, host: str = "127.0.0.1", **settings: object) -> AsyncGenerator[str]:
    harness = Harness(tmp_path)
    config = harness.settings().model_copy(update=settings)
    app = build_http_app(create_server(config, transport=harness.sim.transport(), clock=harness.clock), config, host)
    with uvicorn_in_thread(app) as url, anyio.fail_after(DEADLINE_S):
        yield url


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {AUTH_TOKEN[:-1]}",
        f"Bearer {AUTH_TOKEN}x",
        f"Bearer x{AUTH_TOKEN}",
        f"Token {AUTH_TOKEN}",
        "Bearer",
        "",
    ],
    ids=["prefix", "longer", "shifted", "other-scheme", "empty-bearer", "empty"],
)
async def test_every_method_without_the_exact_bearer_token_gets_401(tmp_path: Path, authorization: str) -> None:
    headers = {**MCP_HEADERS, "Authorization": authorization}
    async with _served(tmp_path, mcp_auth_token=SecretStr(AUTH_TOKEN)) as url, httpx2.AsyncClient(timeout=10) as http:
        post = await http.post(url, json=INITIALIZE, headers=headers)
        get = await http.get(url, headers={**headers, "Accept": "text/event-stream"})
        delete = await http.delete(url, headers={**headers, "Mcp-Session-Id": "any"})
        in_query = await http.post(f"{url}?access_token={AUTH_TOKEN}", json=INITIALIZE, headers=MCP_HEADERS)
    assert [post.status_code, get.status_code, delete.status_code, in_query.status_code] == [401] * 4


async def test_look_alike_host_and_origin_headers_are_refused_on_a_loopback_bind(tmp_path: Path) -> None:
    look_alikes = [
        {"Host": "localhost.evil.example"},
        {"Host": "127.0.0.1.nip.io"},
        {"Host": "evil.example@127.0.0.1"},
        {"Host": "127.0.0.2"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "http://127.0.0.1.nip.io:8000"},
        {"Origin": "null"},
    ]
    async with _served(tmp_path) as url, httpx2.AsyncClient(timeout=10) as http:
        statuses = [
            (await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **extra})).status_code
            for extra in look_alikes
        ]
        own = await http.post(url, json=INITIALIZE, headers=MCP_HEADERS)
    assert [status in (403, 421) for status in statuses] == [True] * len(look_alikes)
    assert own.status_code == 200


async def test_a_public_bind_refuses_a_foreign_origin_even_with_the_bearer_token(tmp_path: Path) -> None:
    bearer = {"Authorization": f"Bearer {AUTH_TOKEN}", "Host": "mcp.example.com"}
    async with (
        _served(
            tmp_path, host="0.0.0.0", mcp_auth_token=SecretStr(AUTH_TOKEN), allowed_hosts=("mcp.example.com",)
        ) as url,
        httpx2.AsyncClient(timeout=10) as http,
    ):
        foreign = await http.post(
            url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer, "Origin": "https://evil.example"}
        )
        own = await http.post(
            url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer, "Origin": "https://mcp.example.com"}
        )
    assert foreign.status_code == 403
    assert own.status_code == 200
