"""Per-call overhead of `get_smartlock` over stdio, against the SDK floor and a raw HTTP GET.

Set-up: the simulated Nuki account is served over real HTTP on 127.0.0.1 (`sim_http_server.py`); a
real `nuki-mcp` subprocess (no --demo: NUKI_API_URL points at the simulator) answers `get_smartlock`
over stdio. The simulator counts the upstream requests one `get_smartlock` makes. Then, in the same
run, interleaved in rounds whose order rotates:

- `get_smartlock` through `nuki-mcp`;
- the SDK floor (`sdk_floor_server.py`): `echo`, a trivial tool, and `fetch`, a trivial tool sending
  the same upstream GETs with httpx2 from inside its server process and decoding nothing;
- raw httpx2 GETs of `/smartlock` and `/smartlock/{id}` from the same simulator: an `AsyncClient`
  (the kind the server uses) and a sync `Client` for reference, both keep-alive.

The server's own work per call is get_smartlock - fetch: device resolution, decoding the answer,
building and validating the result. Target: at most 1 ms. Wall-clock figures are medians; the CPU
figures (from /proc: what the server processes themselves spent, which other load on the machine
inflates far less than the wall clock) are means over the timed calls.

Run: `.venv/bin/python benchmarks/call_overhead.py`
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2
from pydantic import JsonValue, TypeAdapter

from _report import Row, median_ms, report
from _stdio import BENCHMARKS, StdioSession, cpu_seconds, nuki_mcp_command, sdk_floor_command
from cold_start import child_env
from nuki_mcp.demo import DEMO_TOKEN
from nuki_mcp.nuki.models import Smartlock
from sim_http_server import COUNTS_PATH, free_port

ROUNDS = 20
CALLS_PER_ROUND = 10
WARM_UP_CALLS = 20
TARGET_OWN_WORK_MS = 1.0

Timing = tuple[float, float]  # (wall, CPU) seconds of one call


@contextmanager
def simulator_over_http(devices: int | None = None) -> Generator[str]:
    """Start `sim_http_server.py` on a free port; yield its base URL once it answers.

    `devices`: serve an account of that many flats (`_accounts.py`) instead of the demo household.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, str(BENCHMARKS / "sim_http_server.py"), str(port)]
    if devices is not None:
        argv.append(str(devices))
    process = subprocess.Popen(argv, env=child_env(), stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(f"{base_url}{COUNTS_PATH}", timeout=1)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the simulator did not start serving HTTP") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Measurement:
    upstream: list[str]  # the paths one get_smartlock call GETs from Nuki ("/smartlock/{id}" for the device)
    wall: dict[str, list[float]] = field(default_factory=dict[str, list[float]])  # seconds per call
    cpu: dict[str, float] = field(default_factory=dict[str, float])  # mean CPU seconds per call


class _Raw:
    """Raw GETs from the simulator: an async client on its own loop (timed inside it), and a sync one."""

    def __init__(self, base_url: str) -> None:
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}", "Accept": "application/json"}
        self.sync = httpx2.Client(base_url=base_url, headers=headers)
        self._async = httpx2.AsyncClient(base_url=base_url, headers=headers)
        self._loop = asyncio.new_event_loop()

    def get_async(self, path: str) -> Timing:
        async def timed() -> Timing:
            wall, cpu = time.perf_counter(), time.process_time()
            (await self._async.get(path)).raise_for_status()
            return time.perf_counter() - wall, time.process_time() - cpu

        return self._loop.run_until_complete(timed())

    def get_sync(self, path: str) -> Timing:
        wall, cpu = time.perf_counter(), time.process_time()
        self.sync.get(path).raise_for_status()
        return time.perf_counter() - wall, time.process_time() - cpu

    def counts(self) -> Counter[str]:
        return Counter(TypeAdapter(dict[str, int]).validate_json(self.sync.get(COUNTS_PATH).content))

    def close(self) -> None:
        self._loop.run_until_complete(self._async.aclose())
        self._loop.close()
        self.sync.close()


def _stdio_call(session: StdioSession, tool: str, arguments: dict[str, JsonValue]) -> Callable[[], Timing]:
    def call() -> Timing:
        wall, cpu = time.perf_counter(), cpu_seconds(session.pid)
        session.call_tool(tool, arguments)
        return time.perf_counter() - wall, cpu_seconds(session.pid) - cpu

    return call


def _upstream_paths(made: Counter[str], calls: int) -> list[str]:
    paths: list[str] = []
    for key, count in sorted(made.items()):
        method, path = key.split(" ", 1)
        if method != "GET" or count % calls:
            raise RuntimeError(f"get_smartlock sent {count} x {key} in {calls} calls; this benchmark expects GETs")
        paths += [path] * (count // calls)
    return paths


def measure() -> Measurement:
    with simulator_over_http() as base_url:
        env = {**child_env(), "NUKI_API_URL": base_url, "NUKI_API_TOKEN": DEMO_TOKEN, "NUKI_AUDIT_LOG": "-"}
        raw = _Raw(base_url)
        try:
            with (
                StdioSession(nuki_mcp_command(), env) as product,
                StdioSession([*sdk_floor_command(), "--with-fetch"], env) as floor,
            ):
                devices = TypeAdapter(list[Smartlock]).validate_json(raw.sync.get("/smartlock").content)
                smartlock_id = str(devices[0].smartlock_id)
                product.initialize()
                floor.initialize()
                get_smartlock = _stdio_call(product, "get_smartlock", {"smartlock": smartlock_id})
                before = raw.counts()
                for _ in range(WARM_UP_CALLS):
                    get_smartlock()
                upstream = _upstream_paths(raw.counts() - before, WARM_UP_CALLS)
                device_paths = [path.replace(f"/{smartlock_id}", "/{id}") for path in upstream]
                calls: dict[str, Callable[[], Timing]] = {
                    "get_smartlock": get_smartlock,
                    "echo": _stdio_call(floor, "echo", {"text": smartlock_id}),
                    "fetch": _stdio_call(floor, "fetch", {"paths": list[JsonValue](upstream)}),
                    "raw_list": lambda: raw.get_async("/smartlock"),
                    "raw_get": lambda: raw.get_async(f"/smartlock/{smartlock_id}"),
                    "raw_list_sync": lambda: raw.get_sync("/smartlock"),
                }
                for call in calls.values():
                    for _ in range(WARM_UP_CALLS):
                        call()
                result = Measurement(device_paths, wall={name: [] for name in calls})
                cpu_total = dict.fromkeys(calls, 0.0)
                names = list(calls)
                for n in range(ROUNDS):
                    for name in names[n % len(names) :] + names[: n % len(names)]:
                        for _ in range(CALLS_PER_ROUND):
                            wall, cpu = calls[name]()
                            result.wall[name].append(wall)
                            cpu_total[name] += cpu
                result.cpu = {name: total / (ROUNDS * CALLS_PER_ROUND) for name, total in cpu_total.items()}
                return result
        finally:
            raw.close()


def run() -> list[Row]:
    measured = measure()
    wall = {name: median_ms(samples) for name, samples in measured.wall.items()}
    cpu = {name: seconds * 1000 for name, seconds in measured.cpu.items()}
    upstream = " + ".join(f"GET {path}" for path in measured.upstream) or "none"
    own, own_cpu = wall["get_smartlock"] - wall["fetch"], cpu["get_smartlock"] - cpu["fetch"]
    n = len(measured.wall["get_smartlock"])
    return [
        Row(
            what=f"get_smartlock over stdio, per call (median of {n})",
            figure=f"{wall['get_smartlock']:.2f} ms",
            baseline=f"{wall['echo']:.2f} ms (SDK floor: trivial tool)",
            ratio=f"{wall['get_smartlock'] / wall['echo']:.2f}x",
            target="—",
            met=None,
        ),
        Row(
            what="  raw httpx2 GET /smartlock/{id} from the simulator (async client)",
            figure=f"{wall['raw_get']:.2f} ms",
            baseline=f"{wall['raw_list']:.2f} ms GET /smartlock (sync client {wall['raw_list_sync']:.2f} ms)",
            ratio="—",
            target="—",
            met=None,
        ),
        Row(
            what=f"  SDK floor tool sending get_smartlock's upstream ({upstream})",
            figure=f"{wall['fetch']:.2f} ms",
            baseline=f"{wall['echo']:.2f} ms (trivial tool)",
            ratio="—",
            target="—",
            met=None,
        ),
        Row(
            what="server's own work per call: get_smartlock - that floor tool",
            figure=f"{own:.2f} ms",
            baseline=f"{wall['fetch']:.2f} ms",
            ratio=f"{wall['get_smartlock'] / wall['fetch']:.2f}x",
            target=f"<= {TARGET_OWN_WORK_MS:g} ms",
            met=own <= TARGET_OWN_WORK_MS,
        ),
        Row(
            what="  same in server CPU time per call",
            figure=f"{own_cpu:.2f} ms",
            baseline=f"{cpu['fetch']:.2f} ms (echo {cpu['echo']:.2f} ms)",
            ratio=f"{cpu['get_smartlock'] / cpu['fetch']:.2f}x",
            target="—",
            met=None,
        ),
    ]


if __name__ == "__main__":
    sys.exit(report(run()))
