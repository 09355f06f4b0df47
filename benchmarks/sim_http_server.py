"""The built-in simulated Nuki account served over real HTTP on 127.0.0.1, for the benchmarks.

`nuki_mcp.demo.http` serves the simulator as an ASGI app, run here under uvicorn, so a real `nuki-mcp`
(NUKI_API_URL=http://127.0.0.1:PORT, NUKI_API_TOKEN=nuki-demo-token) and a raw httpx2 client read the
same simulated account through the same sockets.

Run: `.venv/bin/python benchmarks/sim_http_server.py PORT [DEVICES]` (DEVICES: an account of that many
flats, as `_accounts.py` builds it, instead of the demo household)
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from _accounts import build_account
from nuki_mcp.demo import NukiSimulator
from nuki_mcp.demo.http import COUNTS_PATH, SimulatorApp

__all__ = ["COUNTS_PATH", "SimulatorApp", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    port = int(sys.argv[1])
    simulator = build_account(int(sys.argv[2]))[0] if len(sys.argv) > 2 else NukiSimulator()
    app = SimulatorApp(simulator)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
