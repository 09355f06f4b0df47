"""Every request to Nuki counts against its rate limit and takes a round trip: tools send no more than they need."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.demo.hosting import HOLIDAY_FLAT_ADDRESS_ID, HOME_ADDRESS_ID
from nuki_mcp.demo.household import CELLAR_ID
from nuki_mcp.nuki.models import Smartlock, SmartlockAuth
from tests.support import Harness, call_ok, rows

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("smartlock", ["Cellar", str(CELLAR_ID)])
async def test_get_smartlock_answers_from_a_single_request_to_nuki(tmp_path: Path, smartlock: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        before = len(harness.sim.requests)
        details = await call_ok(client, "get_smartlock", {"smartlock": smartlock})
        sent = harness.sim.requests[before:]
    assert details["smartlock_id"] == CELLAR_ID
    assert [(r.method, r.path) for r in sent] == [("GET", "/smartlock")]


def add_flats(harness: Harness, count: int) -> None:
    """`count` more smart locks on the account, each with three keypad codes."""
    for number in range(count):
        smartlock_id = 0x4_2000_0000 + number
        harness.sim.add_device(Smartlock(smartlock_id=smartlock_id, type=4, name=f"Flat {number + 1:03d}"))
        for code in range(3):
            harness.sim.add_auth(
                SmartlockAuth(
                    id=harness.sim.new_object_id(),
                    smartlock_id=smartlock_id,
                    type=13,
                    code=240000 + code,
                    name=f"Guest {code + 1}",
                )
            )


async def audit_requests(tmp_path: Path, extra_devices: int) -> tuple[list[tuple[str, str]], int]:
    """The requests `audit_smartlocks` sends to Nuki (sorted) and the number of devices it audited."""
    harness = Harness(tmp_path / str(extra_devices))
    add_flats(harness, extra_devices)
    async with harness.client() as client:
        before = len(harness.sim.requests)
        report = await call_ok(client, "audit_smartlocks")
        sent = harness.sim.requests[before:]
    return sorted((r.method, r.path) for r in sent), len(rows(report, "devices"))


async def test_the_audit_sends_the_same_few_requests_for_3_or_50_more_devices(tmp_path: Path) -> None:
    few, few_devices = await audit_requests(tmp_path, 3)
    many, many_devices = await audit_requests(tmp_path, 50)
    assert (few_devices, many_devices) == (5 + 3, 5 + 50)
    assert few == many
    assert few == [
        ("GET", "/account"),
        ("GET", "/account/integration"),
        ("GET", "/account/user"),
        ("GET", "/address"),
        ("GET", f"/address/{HOLIDAY_FLAT_ADDRESS_ID}/reservation"),  # one per address, none per device
        ("GET", f"/address/{HOME_ADDRESS_ID}/reservation"),
        ("GET", "/api/decentralWebhook"),
        ("GET", "/notification"),
        ("GET", "/smartlock"),
        ("GET", "/smartlock/auth"),
    ]


async def test_reading_the_device_resource_sends_one_request_whatever_the_number_of_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    add_flats(harness, 50)
    async with harness.client() as client:
        before = len(harness.sim.requests)
        await client.read_resource("nuki://smartlocks")
        sent = harness.sim.requests[before:]
    assert [(r.method, r.path) for r in sent] == [("GET", "/smartlock")]
