"""The SDK's floor: a minimal `MCPServer` with one trivial tool, served on stdio.

The benchmarks spawn it on the same interpreter as `nuki-mcp` to measure what any server built on the
SDK costs (start-up, a tool call), so the product is compared with the floor it stands on:

- `echo` returns its argument: the cost of a tool call itself;
- with `--with-fetch`, also `fetch`: GET paths from NUKI_API_URL with an `httpx2.AsyncClient` (bearer
  NUKI_API_TOKEN) and return the bytes received, decoding nothing: a tool call plus the same upstream
  requests `nuki-mcp` makes, sent from inside a server process like `nuki-mcp`'s.

Both are async like every nuki-mcp tool (the SDK runs a sync tool on a worker thread, which costs more).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer

if TYPE_CHECKING:
    import httpx2

server = MCPServer("sdk-floor")
_clients: dict[str, httpx2.AsyncClient] = {}


@server.tool()
async def echo(text: str = "") -> str:
    """Return the text unchanged."""
    return text


async def fetch(paths: list[str]) -> int:
    """GET each path from NUKI_API_URL, one after another; return how many bytes came back."""
    import httpx2  # only when used: the cold-start floor stays minimal

    client = _clients.get("api")
    if client is None:
        token = os.environ.get("NUKI_API_TOKEN", "")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        client = _clients["api"] = httpx2.AsyncClient(base_url=os.environ["NUKI_API_URL"], headers=headers)
    received = 0
    for path in paths:
        received += len((await client.get(path)).raise_for_status().content)
    return received


if __name__ == "__main__":
    if "--with-fetch" in sys.argv:
        server.tool()(fetch)
    server.run()
