"""Audit fan-out: auditing many devices must take at most 1/8 of the sequential time.

Builds a simulated account with 200 devices (3 authorizations each) whose API answers after 50 ms,
then measures, in the same run and against the same simulator:

- the sequential floor: exactly the requests the audit makes, sent one after another;
- the audit itself (`collect_audit`, at most 8 devices at a time, device and authorizations together).

Prints both times and their ratio; exits 1 when the ratio is below the target (8).

    python benchmarks/audit_fanout.py [--devices 200] [--latency 0.05] [--target 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from nuki_mcp.audit.collect import DEFAULT_CONCURRENCY, collect_audit
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import (
    Smartlock,
    SmartlockAdvancedConfig,
    SmartlockAuth,
    SmartlockConfig,
    SmartlockState,
)

AUTHS_PER_DEVICE = 3


@dataclass(frozen=True)
class Measurement:
    seconds: float
    requests: int


def build_account(devices: int, latency: float) -> tuple[NukiSimulator, list[int]]:
    sim = NukiSimulator(seed=False)
    ids: list[int] = []
    for number in range(devices):
        smartlock_id = 0x4_1000_0000 + number
        name = f"Flat {number + 1:03d}"
        sim.add_device(
            Smartlock(
                smartlock_id=smartlock_id,
                type=4,
                name=name,
                config=SmartlockConfig(name=name, pairing_enabled=number % 17 == 0),
                advanced_config=SmartlockAdvancedConfig(
                    auto_lock=number % 5 != 0, auto_lock_timeout=300, auto_update_enabled=True
                ),
                state=SmartlockState(
                    mode=2, state=1, battery_critical=number % 50 == 0, battery_charge=5 + number % 90, door_state=2
                ),
            )
        )
        for auth_number in range(AUTHS_PER_DEVICE):
            sim.add_auth(
                SmartlockAuth(
                    id=sim.new_object_id(),
                    smartlock_id=smartlock_id,
                    type=13,
                    code=111111 + auth_number,
                    name=f"Guest {auth_number + 1}",
                    lock_count=auth_number,
                    allowed_week_days=None if auth_number == 0 else 124,
                )
            )
        ids.append(smartlock_id)
    sim.latency = latency
    return sim, ids


async def sequential_floor(client: NukiClient, ids: list[int]) -> None:
    """The audit's requests, one after another."""
    await client.list_smartlocks()
    for smartlock_id in ids:
        await client.get_smartlock(smartlock_id)
        await client.list_auths(smartlock_id)
    await client.list_decentral_webhooks()
    account = await client.get_account()
    await client.list_account_users(email=account.email)


async def measure(sim: NukiSimulator, run: Callable[[NukiClient], Awaitable[object]]) -> Measurement:
    before = len(sim.requests)
    async with NukiClient(DEMO_TOKEN, transport=sim.transport()) as client:
        started = time.perf_counter()
        await run(client)
        elapsed = time.perf_counter() - started
    return Measurement(elapsed, len(sim.requests) - before)


async def main(devices: int, latency: float, target: float) -> int:
    sim, ids = build_account(devices, latency)

    async def audit(client: NukiClient) -> object:
        return await collect_audit(client, now=datetime.now(UTC))

    concurrent = await measure(sim, audit)
    floor = await measure(sim, lambda client: sequential_floor(client, ids))
    ratio = floor.seconds / concurrent.seconds
    print(f"Audit fan-out: {devices} devices, {AUTHS_PER_DEVICE} authorizations each, {latency * 1000:g} ms latency")
    print(f"{'run':<34} {'requests':>8} {'seconds':>9}")
    print(f"{'sequential floor':<34} {floor.requests:>8} {floor.seconds:>9.2f}")
    print(
        f"{f'audit ({DEFAULT_CONCURRENCY} devices at a time)':<34} {concurrent.requests:>8} {concurrent.seconds:>9.2f}"
    )
    verdict = "ok" if ratio >= target else "MISSED"
    print(f"ratio sequential / audit: {ratio:.1f} (target >= {target:g}): {verdict}")
    return 0 if ratio >= target else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per simulated API answer")
    parser.add_argument("--target", type=float, default=8.0, help="minimum ratio sequential / audit")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    devices: int = options.devices
    latency: float = options.latency
    target: float = options.target
    sys.exit(anyio.run(main, devices, latency, target))
