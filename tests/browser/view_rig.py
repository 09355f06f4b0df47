"""A test host for the MCP Apps views: real server, real headless Chromium, the official app-bridge.

`view_host` connects an Apps-capable in-memory `mcp.Client` to the real server (simulated account) and opens
tests/browser/view_host.html, which embeds a view in a sandboxed `srcdoc` iframe and relays the ext-apps
protocol with `@modelcontextprotocol/ext-apps`'s `AppBridge` (pinned in tools/ext-apps-host). A `tools/call`
from the view reaches the server through that client, as a host's would. Screenshots land in the git-ignored
`test-artifacts/views/`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import anyio
from mcp import Client
from mcp.client import advertise
from mcp.types import CallToolResult, TextResourceContents
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import FrameLocator, Page, ViewportSize
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.server import create_server
from scripts.ext_apps_host import bundle
from tests.browser.rig import ACTION_TIMEOUT_MS, ARTIFACTS, TEST_DEADLINE_S
from tests.support import Harness

HOST_PAGE: Final = Path(__file__).with_name("view_host.html")
APP_MIME: Final = "text/html;profile=mcp-app"
Theme = Literal["light", "dark"]
WIDE: Final = ViewportSize(width=1000, height=700)
NARROW: Final = ViewportSize(width=380, height=700)
# What Claude-like hosts offer a view; `updateModelContext` is left out to test the `ui/message` fallback.
HOST_CAPABILITIES: Final[dict[str, JsonValue]] = {
    "openLinks": {},
    "serverTools": {},
    "updateModelContext": {"text": {}},
    "message": {"text": {}},
}
_JSON: Final = TypeAdapter(dict[str, JsonValue])
_LOG: Final = TypeAdapter(list[dict[str, JsonValue]])
_TWO_FRAMES: Final = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def result_json(result: CallToolResult) -> dict[str, JsonValue]:
    """A tool result as it travels on the wire (camelCase, `_meta`), which is what a host hands a view."""
    return _JSON.validate_python(result.model_dump(mode="json", by_alias=True, exclude_none=True))


@dataclass
class ViewHost:
    page: Page
    client: Client
    harness: Harness
    calls: list[tuple[str, dict[str, JsonValue]]] = field(default_factory=list[tuple[str, dict[str, JsonValue]]])
    requested: list[str] = field(default_factory=list[str])

    def outside_requests(self) -> list[str]:
        """Every request of the page or the view beyond the host page itself and the bridge script."""
        return [url for url in self.requested if not url.startswith(("file://", "about:", "data:"))]

    @property
    def view(self) -> FrameLocator:
        return self.page.frame_locator("#view")

    async def show(
        self,
        uri: str,
        tool_input: dict[str, JsonValue],
        tool_result: dict[str, JsonValue],
        *,
        theme: Theme = "light",
        capabilities: dict[str, JsonValue] | None = None,
    ) -> FrameLocator:
        """Render the view `uri` (read from the server) for one tool call's input and result."""
        read = await self.client.read_resource(uri)
        (content,) = read.contents
        assert isinstance(content, TextResourceContents)
        assert content.mime_type == APP_MIME
        await self.page.goto(HOST_PAGE.as_uri())
        await self.page.add_script_tag(path=str(bundle()))
        await self.page.evaluate(
            "options => window.startView(options)",
            {
                "html": content.text,
                "toolInput": tool_input,
                "toolResult": tool_result,
                "theme": theme,
                "capabilities": HOST_CAPABILITIES if capabilities is None else capabilities,
            },
        )
        await self.page.wait_for_function("() => window.hostLog.initialized")
        return self.view

    async def call_and_show(
        self, uri: str, tool: str, arguments: dict[str, JsonValue], *, theme: Theme = "light"
    ) -> FrameLocator:
        """Call a tool the way the model would, then render its result in the view, as a host does."""
        result = await self.client.call_tool(tool, arguments)
        return await self.show(uri, arguments, result_json(result), theme=theme)

    async def host_log(self, key: str) -> list[dict[str, JsonValue]]:
        return _LOG.validate_python(await self.page.evaluate(f"() => window.hostLog.{key}"))

    async def wait_for_calls(self, count: int) -> list[dict[str, JsonValue]]:
        await self.page.wait_for_function(f"() => window.hostLog.calls.length >= {count}")
        return await self.host_log("calls")

    async def screenshot(self, name: str) -> Path:
        await self.settled()
        folder = ARTIFACTS / "views"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        # A full-page capture does not paint an out-of-process iframe below the viewport: make the viewport as
        # tall as the view instead (the width stays, so the view keeps its layout).
        viewport = self.page.viewport_size or WIDE
        height = await self.page.evaluate(
            "() => Math.ceil(document.getElementById('view').getBoundingClientRect().height)"
        )
        await self.page.set_viewport_size({"width": viewport["width"], "height": max(int(height), 100)})
        # Let the view's own process paint the newly visible part before the capture.
        await self.view.locator("html").evaluate(_TWO_FRAMES)
        await self.page.evaluate(_TWO_FRAMES)
        await self.page.screenshot(path=str(path))
        await self.page.set_viewport_size(viewport)
        return path

    async def settled(self) -> None:
        """Wait until the iframe is as tall as the view says it is (the view reports, the host resizes)."""
        while True:
            sizes = await self.page.evaluate("() => window.hostLog.sizes")
            wanted = await self.view.locator("html").evaluate("h => Math.ceil(h.getBoundingClientRect().height)")
            shown = await self.page.evaluate("() => document.getElementById('view').getBoundingClientRect().height")
            if sizes and round(shown) == wanted:
                return
            await self.page.wait_for_function(f"() => window.hostLog.sizes > {sizes}")

    async def screenshots(self, name: str) -> None:
        """The shown view, wide and narrow, in the current theme."""
        await self.screenshot(f"{name}-wide")
        await self.page.set_viewport_size(NARROW)
        await self.screenshot(f"{name}-narrow")
        await self.page.set_viewport_size(WIDE)


@asynccontextmanager
async def view_host(browser: PlaywrightBrowser, harness: Harness) -> AsyncGenerator[ViewHost]:
    """An Apps-capable client on the real server, and a host page whose views call tools through it."""
    with anyio.fail_after(TEST_DEADLINE_S):
        server = create_server(harness.settings(), transport=harness.sim.transport(), clock=harness.clock)
        apps = advertise("io.modelcontextprotocol/ui", {"mimeTypes": [APP_MIME]})
        async with Client(server, extensions=[apps]) as client:
            context = await browser.new_context(viewport=WIDE)
            try:
                context.set_default_timeout(ACTION_TIMEOUT_MS)
                page = await context.new_page()
                host = ViewHost(page, client, harness)

                async def call_tool(name: str, arguments: dict[str, JsonValue]) -> dict[str, JsonValue]:
                    host.calls.append((name, arguments))
                    return result_json(await client.call_tool(name, arguments))

                page.on("request", lambda request: host.requested.append(request.url))
                await page.expose_function("mcpCallTool", call_tool)  # pyright: ignore[reportUnknownMemberType]
                yield host
            finally:
                await context.close()
