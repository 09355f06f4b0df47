"""Load benchmark of remote mode: 200 concurrent simulated agents against two replicas sharing one Redis,
compared with the same load on one replica alone (same run, same machine).

Each replica is a real `nuki-mcp --demo --transport http --public-url …` subprocess with NUKI_MCP_REDIS_URL
set; agents authenticate with the machine token (NUKI_MCP_AUTH_TOKEN), connect with the SDK's Streamable
HTTP client (2026-07-28 era: sessionless, any replica) and make CALLS `get_smartlock` calls each. Printed:
p50 and p99 call latency and the error count, one replica vs two, and their ratios. Not a test: on a
2-core machine the agents, both replicas and Redis share the same CPUs, so scaling out shows as much
in failure behaviour as in latency.

    .venv/bin/python benchmarks/remote_replicas.py [AGENTS] [CALLS]
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.remote.redis_rig import running_redis  # noqa: E402

MACHINE_TOKEN = "bench-" + "m" * 40
AGENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_replica(port: int, public_url: str, redis_url: str, state: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NUKI_MCP_REDIS_URL": redis_url,
        "NUKI_MCP_SECRET_KEY": "YmVuY2htYXJrIGtleSBvZiBudWtpLW1jcCByZXBsaWM=",
        "NUKI_MCP_AUTH_TOKEN": MACHINE_TOKEN,
        "NUKI_MCP_USER_BUDGET": "0",
        "NUKI_MCP_ACCOUNT_BUDGET": "0",
        "XDG_STATE_HOME": str(state),
        "NUKI_AUDIT_LOG": "-",
    }
    argv = [str(ROOT / ".venv" / "bin" / "nuki-mcp"), "--demo", "--transport", "http", "--port", str(port)]
    argv += ["--public-url", public_url]
    return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(port: int, deadline_s: float = 60.0) -> None:
    url = f"http://localhost:{port}/.well-known/oauth-protected-resource/mcp"
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx2.get(url, timeout=1.0).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"replica on port {port} did not start")


async def agent(url: str, latencies: list[float], errors: list[str]) -> None:
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {MACHINE_TOKEN}"}, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            for _ in range(CALLS):
                started = time.perf_counter()
                result = await client.call_tool("get_smartlock", {"smartlock": "Front Door"})
                latencies.append(time.perf_counter() - started)
                if result.is_error:
                    errors.append("tool error")
    except Exception as exc:  # a benchmark counts failures of any kind
        errors.append(type(exc).__name__)


async def load(urls: Sequence[str]) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for i in range(AGENTS):
            group.start_soon(agent, urls[i % len(urls)], latencies, errors)
    return latencies, errors, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    with running_redis() as redis, tempfile.TemporaryDirectory() as state:
        port_a, port_b = free_port(), free_port()
        public = f"http://localhost:{port_a}"
        replicas = [
            start_replica(port_a, public, redis.url, Path(state)),
            start_replica(port_b, public, redis.url, Path(state)),
        ]
        try:
            wait_ready(port_a)
            wait_ready(port_b)
            one = anyio.run(load, [f"http://localhost:{port_a}/mcp"])
            two = anyio.run(load, [f"http://localhost:{port_a}/mcp", f"http://localhost:{port_b}/mcp"])
        finally:
            for process in replicas:
                process.terminate()
            for process in replicas:
                process.wait(timeout=10)
    print(f"{AGENTS} concurrent agents x {CALLS} get_smartlock calls each (cores: {os.cpu_count()})")
    rows = [("one replica", one), ("two replicas + Redis", two)]
    for name, (latencies, errors, wall) in rows:
        print(
            f"  {name:22} p50 {pct(latencies, 0.5):7.1f} ms  p99 {pct(latencies, 0.99):7.1f} ms  "
            f"errors {len(errors):4d}  calls {len(latencies):5d}  wall {wall:5.1f} s  "
            f"mean {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.1f} ms"
        )
    (l1, e1, w1), (l2, e2, w2) = one, two
    print(
        f"  ratio two/one: p50 {pct(l2, 0.5) / pct(l1, 0.5):.2f}x  p99 {pct(l2, 0.99) / pct(l1, 0.99):.2f}x  "
        f"errors {len(e2)} vs {len(e1)}  wall {w2 / w1:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
