"""Audit requests and time at 20, 200 and 2,000 devices, against the naive sequential floor.

For each size, a simulated account whose devices have 3 authorizations each, and whose API answers
after 50 ms, is audited with `collect_audit` (median of a few runs). In the same run and against the
same simulator, the naive sequential floor sends what an audit needs when it reads device by device:
`GET /smartlock`, then `GET /smartlock/{id}` and `GET /smartlock/{id}/auth` for every device, then the
webhooks, the account, the account users, the integrations, the notifications and the addresses, one
request after another (7 + 2 x devices requests).

Targets: at most 8 requests at every size (the same number whatever the size), and at least x50 faster
than the floor at 200 devices. The request count the fast-at-any-size issue set (at most 6) was for the
reads it named: devices, account-wide authorizations, webhooks, account and account users (5). The
account-coverage issue's rules added three more reads, each once per account: integrations
(`integration-unused`, `api-token-broad`), notifications (`notification-failed`) and addresses (the
reservation rules; each address's reservations are one more request, and these accounts have none). So
the ceiling is 8. The floor at 2,000 devices takes about 200 s (4,007 requests at 50 ms); `--sizes 20
200` skips it.

    python benchmarks/audit_fanout.py [--sizes 20 200 2000] [--latency 0.05] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from _accounts import AUTHS_PER_DEVICE, build_account
from _report import Row, report
from nuki_mcp.audit.collect import collect_audit
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.nuki.client import NukiClient

# 5 reads the fast-at-any-size issue named + 3 the account-coverage issue's rules need (see above).
MAX_REQUESTS = 8
TARGET_RATIO = 50.0
TARGET_SIZE = 200


@dataclass(frozen=True)
class Measurement:
    seconds: float
    requests: int


async def naive_sequential(client: NukiClient, ids: list[int]) -> None:
    """What the audit needs, read device by device, one request after another."""
    await client.list_smartlocks()
    for smartlock_id in ids:
        await client.get_smartlock(smartlock_id)
        await client.list_auths(smartlock_id)
    await client.list_decentral_webhooks()
    account = await client.get_account()
    await client.list_account_users(email=account.email)
    await client.list_account_integrations()
    await client.list_notifications()
    await client.list_addresses()


async def measure(sim: NukiSimulator, run: Callable[[NukiClient], Awaitable[object]]) -> Measurement:
    before = len(sim.requests)
    async with NukiClient(DEMO_TOKEN, transport=sim.transport()) as client:
        started = time.perf_counter()
        await run(client)
        elapsed = time.perf_counter() - started
    return Measurement(elapsed, len(sim.requests) - before)


async def audit(client: NukiClient) -> object:
    return await collect_audit(client, now=datetime.now(UTC))


async def measure_size(devices: int, latency: float, runs: int) -> Row:
    sim, ids = build_account(devices, latency=latency)
    audits = [await measure(sim, audit) for _ in range(runs)]
    floor = await measure(sim, lambda client: naive_sequential(client, ids))
    seconds = statistics.median(m.seconds for m in audits)
    requests = max(m.requests for m in audits)
    ratio = floor.seconds / seconds
    in_target = requests <= MAX_REQUESTS and (devices != TARGET_SIZE or ratio >= TARGET_RATIO)
    target = f"≤ {MAX_REQUESTS} requests" + (f", ≥ {TARGET_RATIO:g}x" if devices == TARGET_SIZE else "")
    return Row(
        what=f"Audit, {devices:,} devices x {AUTHS_PER_DEVICE} authorizations, {latency * 1000:g} ms latency "
        f"(median of {runs})",
        figure=f"{requests} requests, {seconds:.2f} s",
        baseline=f"{floor.requests:,} requests, {floor.seconds:.2f} s (naive, one at a time)",
        ratio=f"{ratio:.0f}x faster",
        target=target,
        met=in_target,
    )


async def main(sizes: list[int], latency: float, runs: int) -> int:
    rows = [await measure_size(devices, latency, runs) for devices in sizes]
    return report(rows)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000], help="numbers of devices")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per simulated API answer")
    parser.add_argument("--runs", type=int, default=5, help="audits per size (the median is reported)")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    sizes: list[int] = options.sizes
    latency: float = options.latency
    runs: int = options.runs
    sys.exit(anyio.run(main, sizes, latency, runs))
