"""The built-in simulated Nuki account served over real HTTP on 127.0.0.1, for the benchmarks.

`NukiSimulator` is an httpx2 transport; this wraps it in a small ASGI app under uvicorn, so a real
`nuki-mcp` (NUKI_API_URL=http://127.0.0.1:PORT, NUKI_API_TOKEN=nuki-demo-token) and a raw httpx2
client read the same simulated account through the same sockets.

Run: `.venv/bin/python benchmarks/sim_http_server.py PORT [DEVICES]` (DEVICES: an account of that many
flats, as `_accounts.py` builds it, instead of the demo household)
"""

from __future__ import annotations

import json
import socket
import sys
from collections import Counter

import httpx2
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from _accounts import build_account
from nuki_mcp.demo import NukiSimulator

_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "content-encoding"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


COUNTS_PATH = "/__benchmark__/counts"


class SimulatorApp:
    """ASGI app: every HTTP request goes to the simulator's transport, its answer comes back as is.

    `GET /__benchmark__/counts` answers how many requests each "METHOD path" received so far, so a
    benchmark can see which upstream requests one tool call makes.
    """

    def __init__(self, simulator: NukiSimulator) -> None:
        self._transport = simulator.transport()
        self._counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == COUNTS_PATH:
            content = json.dumps(dict(self._counts)).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        self._counts[f"{scope['method']} {scope['path']}"] += 1
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        query = scope["query_string"].decode("latin-1")
        url = f"{NukiSimulator.base_url}{scope['path']}" + (f"?{query}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        request = httpx2.Request(scope["method"], url, headers=headers, content=body)
        try:
            response = await self._transport.handle_async_request(request)
        except httpx2.TransportError:  # a simulated network fault: drop the connection
            await send({"type": "http.response.start", "status": 502, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        content = await response.aread()
        out_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.items()
            if k.lower() not in _HOP_BY_HOP
        ]
        out_headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out_headers})
        await send({"type": "http.response.body", "body": content})


def main() -> None:
    port = int(sys.argv[1])
    simulator = build_account(int(sys.argv[2]))[0] if len(sys.argv) > 2 else NukiSimulator()
    app = SimulatorApp(simulator)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
