"""MCP Apps views (`io.modelcontextprotocol/ui`): the lock dashboard, the audit report, the confirmation card.

Each view is one self-contained HTML document (inline script and style, nothing loaded from anywhere),
served as `text/html;profile=mcp-app` under a `ui://nuki/...` URI. A host that renders MCP Apps shows it in
a sandboxed iframe next to the result of a tool whose `_meta.ui.resourceUri` names it, and relays the
view's JSON-RPC (`ui/initialize`, `tools/call`, `ui/update-model-context`, `ui/open-link`) over postMessage.
Hosts without Apps never read these resources: their results are unchanged.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

from mcp.server.apps import APP_MIME_TYPE, Apps
from mcp.server.mcpserver import MCPServer
from pydantic import JsonValue

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState

DASHBOARD_URI: Final = "ui://nuki/dashboard"
AUDIT_URI: Final = "ui://nuki/audit"
CONFIRM_URI: Final = "ui://nuki/confirm"
MIME_TYPE: Final = APP_MIME_TYPE
# The ext-apps spec's default CSP (what a host applies to a resource that declares no domains), repeated
# in each document so that the view loads nothing from outside whatever the host does.
CSP: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self' data:; connect-src 'none'"
)

_VIEWS: Final = {
    DASHBOARD_URI: ("dashboard.html", "Nuki devices", "One card per device: state, door, batteries, Lock and Unlock."),
    AUDIT_URI: ("audit.html", "Nuki audit", "The configuration audit's findings by device and severity."),
    CONFIRM_URI: ("confirm.html", "Confirm a change", "The pending change with Approve and Cancel."),
}


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def view_html(uri: str) -> str:
    """The complete HTML document of a view, with the shared style and protocol code inlined."""
    filename = _VIEWS[uri][0]
    return (
        _read(filename)
        .replace("@CSP@", CSP)
        .replace("/*@COMMON_CSS@*/", _read("common.css"))
        # Inside an inline <script>, `</` would end the element early.
        .replace("/*@COMMON_JS@*/", _read("common.js").replace("</", "<\\/"))
    )


def ui_meta(resource_uri: str, *, app_only: bool = False) -> dict[str, JsonValue]:
    """A tool's `_meta` linking it to a view; `app_only` adds `visibility: ["app"]` (hidden from the model)."""
    ui: dict[str, JsonValue] = {"resourceUri": resource_uri}
    if app_only:
        ui["visibility"] = ["app"]
    return {"ui": ui}


def confirm_meta() -> dict[str, JsonValue]:
    """The `_meta` every write tool carries: its result renders in the confirmation card."""
    return ui_meta(CONFIRM_URI)


def register(server: MCPServer[AppState], settings: Settings) -> None:
    """Serve the three views as `ui://` resources (read-only servers too: the dashboard and audit still apply)."""
    del settings  # the same views for every configuration; the tools decide which links exist
    apps = Apps()
    for uri, (_, title, description) in _VIEWS.items():
        # No `csp`: no outside domain is needed, so the host applies the spec's default, restrictive CSP.
        apps.add_html_resource(
            uri, view_html(uri), name=f"nuki-{uri.rsplit('/', 1)[-1]}", title=title, description=description
        )
    for binding in apps.resources():
        server.add_resource(binding.resource)
