"""MCP Apps views: the read tools link them, the server serves them as self-contained `mcp-app` HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.types import TextResourceContents

from nuki_mcp.server import create_server
from nuki_mcp.views import AUDIT_URI, CONFIRM_URI, CSP, DASHBOARD_URI, confirm_meta, ui_meta, view_html
from tests.support import Harness

pytestmark = pytest.mark.anyio

APP_MIME = "text/html;profile=mcp-app"
VIEWS = (DASHBOARD_URI, AUDIT_URI, CONFIRM_URI)
# The ext-apps spec (2026-01-26) default CSP for a resource that declares no domains.
SPEC_DEFAULT_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'", "data:"],
    "connect-src": ["'none'"],
}


def apps_client(harness: Harness) -> Client:
    server = create_server(harness.settings(), transport=harness.sim.transport(), clock=harness.clock)
    return Client(server, extensions=[advertise("io.modelcontextprotocol/ui", {"mimeTypes": [APP_MIME]})])


async def read_view(client: Client, uri: str) -> TextResourceContents:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert isinstance(content, TextResourceContents)
    return content


def parse_csp(policy: str) -> dict[str, list[str]]:
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


async def test_the_device_tools_render_in_the_dashboard_and_the_audit_in_the_audit_view(tmp_path: Path) -> None:
    async with apps_client(Harness(tmp_path)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name, uri in (
        ("list_smartlocks", DASHBOARD_URI),
        ("get_smartlock", DASHBOARD_URI),
        ("audit_smartlocks", AUDIT_URI),
    ):
        meta = tools[name].meta
        assert meta is not None, f"{name} links no view"
        assert meta["ui"] == {"resourceUri": uri}


async def test_every_view_is_listed_and_read_as_mcp_app_html(tmp_path: Path) -> None:
    async with apps_client(Harness(tmp_path)) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        for uri in VIEWS:
            assert listed[uri].mime_type == APP_MIME
            content = await read_view(client, uri)
            assert content.mime_type == APP_MIME
            assert content.text.lstrip().lower().startswith("<!doctype html>")
            assert content.text.rstrip().endswith("</html>")


async def test_the_views_are_served_to_clients_without_apps_too_and_their_read_results_do_not_change(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with apps_client(harness) as with_apps:
        listed_with = await with_apps.call_tool("list_smartlocks", {})
        audit_with = await with_apps.call_tool("audit_smartlocks", {})
    async with harness.client() as plain:
        listed_plain = await plain.call_tool("list_smartlocks", {})
        audit_plain = await plain.call_tool("audit_smartlocks", {})
        assert (await read_view(plain, DASHBOARD_URI)).mime_type == APP_MIME
    assert listed_with.structured_content == listed_plain.structured_content
    assert listed_with.content == listed_plain.content
    assert listed_with.meta == listed_plain.meta
    assert audit_with.structured_content is not None
    assert audit_plain.structured_content is not None
    assert audit_with.structured_content["findings"] == audit_plain.structured_content["findings"]
    assert audit_with.meta == audit_plain.meta


async def test_no_view_loads_anything_from_outside(tmp_path: Path) -> None:
    async with apps_client(Harness(tmp_path)) as client:
        for uri in VIEWS:
            html = (await read_view(client, uri)).text
            assert not re.search(r"https?://|wss?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE), uri
            assert not re.search(r"<(link|iframe|img|object|embed|base)\b", html, re.IGNORECASE), uri
            assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE), uri
            assert not re.search(r"@import|url\(", html, re.IGNORECASE), uri
            assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon", html), uri


async def test_every_view_holds_the_spec_default_csp_and_declares_no_outside_domains(tmp_path: Path) -> None:
    assert parse_csp(CSP) == SPEC_DEFAULT_CSP
    async with apps_client(Harness(tmp_path)) as client:
        for uri in VIEWS:
            content = await read_view(client, uri)
            (policy,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', content.text)
            assert parse_csp(policy) == SPEC_DEFAULT_CSP, uri
            ui = (content.meta or {}).get("ui", {})
            assert isinstance(ui, dict)
            assert "csp" not in ui, f"{uri} asks the host for outside domains"


def test_no_inline_script_can_end_early() -> None:
    # `</` inside an inline <script> would close it: each document has exactly one script element.
    for uri in VIEWS:
        html = view_html(uri)
        assert html.count("<script>") == 1
        assert html.count("</script>") == 1, uri


def test_the_write_tool_link_and_the_app_only_link_point_at_the_confirmation_card() -> None:
    assert confirm_meta() == {"ui": {"resourceUri": "ui://nuki/confirm"}}
    assert ui_meta(CONFIRM_URI, app_only=True) == {"ui": {"resourceUri": "ui://nuki/confirm", "visibility": ["app"]}}
