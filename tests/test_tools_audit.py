"""Toolset `audit`: audit_smartlocks through the in-memory MCP client, and the concurrent collector."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp.types import TextContent

from nuki_mcp.audit import SEVERITY_RANK
from nuki_mcp.audit.collect import DEFAULT_CONCURRENCY, collect_audit
from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import DEMO_TOKEN, Fault, NukiSimulator
from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID, GARAGE_ID, OPENER_ID, WEBHOOK_ID
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import Smartlock, SmartlockAuth, SmartlockState
from tests.support import ClientMode, Harness, Json, call_error, call_ok, obj, rows

pytestmark = pytest.mark.anyio

DEVICE_PATH = re.compile(r"^/smartlock/(\d+)(/auth)?$")


def findings(result: Json) -> list[Json]:
    return rows(result, "findings")


def device_name(finding: Json) -> str | None:
    return None if finding["device"] is None else str(obj(finding, "device")["name"])


def pairs(result: Json) -> set[tuple[str, str | None]]:
    """(rule_id, device name) of every listed finding."""
    return {(str(f["rule_id"]), device_name(f)) for f in findings(result)}


def requested_paths(harness: Harness) -> list[str]:
    return [r.path for r in harness.sim.requests if r.method == "GET"]


# --- the tool ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_demo_household_has_a_critical_cellar_battery_and_an_offline_garage(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await call_ok(client, "audit_smartlocks")
    critical = {(str(f["rule_id"]), device_name(f)) for f in findings(result) if f["severity"] == "critical"}
    assert critical == {("battery-critical", "Cellar Door"), ("device-offline", "Garage")}
    assert {
        ("auto-lock-off", "Cellar Door"),
        ("admin-pin-missing", "Cellar Door"),
        ("pairing-enabled", "Cellar Door"),
        ("auth-expired", "Front Door"),
        ("auth-disabled", "Front Door"),
        ("auth-never-used", "Cellar Door"),
    } <= pairs(result)
    assert len(rows(result, "devices")) == 5
    assert harness.sim.writes() == []


async def test_counts_match_the_findings_and_the_most_severe_come_first(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    listed = findings(result)
    counts = obj(result, "counts")
    for severity in ("critical", "warning", "info"):
        assert counts[severity] == sum(1 for f in listed if f["severity"] == severity)
    rank = {str(severity): index for severity, index in SEVERITY_RANK.items()}
    ranks = [rank[str(f["severity"])] for f in listed]
    assert ranks == sorted(ranks)
    cellar_fix = next(f["fix"] for f in listed if f["rule_id"] == "auto-lock-off")
    # The Cellar's timeout is 0, below Nuki's minimum of 2 s: the fix sets a sensible one too.
    assert cellar_fix == 'update_advanced_config(smartlock="Cellar Door", auto_lock=true, auto_lock_timeout=300)'


async def test_min_severity_lists_only_worse_findings_but_counts_them_all(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        everything = await call_ok(client, "audit_smartlocks")
        critical_only = await call_ok(client, "audit_smartlocks", {"min_severity": "critical"})
        warnings_up = await call_ok(client, "audit_smartlocks", {"min_severity": "warning"})
    assert {str(f["severity"]) for f in findings(critical_only)} == {"critical"}
    assert len(findings(critical_only)) == 2
    assert {str(f["severity"]) for f in findings(warnings_up)} == {"critical", "warning"}
    assert critical_only["counts"] == everything["counts"]
    assert critical_only["min_severity"] == "critical"


async def test_an_unknown_min_severity_is_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "audit_smartlocks", {"min_severity": "catastrophic"})
    assert "min_severity" in error


async def test_the_allow_list_keeps_other_devices_out_of_the_audit_and_unread(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door", str(GARAGE_ID)))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    assert {str(d["name"]) for d in rows(result, "devices")} == {"Front Door", "Garage"}
    assert {device_name(f) for f in findings(result)} <= {"Front Door", "Garage", None}
    assert ("device-offline", "Garage") in pairs(result)
    paths = requested_paths(harness)
    assert f"/smartlock/{CELLAR_ID}" not in paths
    assert f"/smartlock/{CELLAR_ID}/auth" not in paths


async def test_a_device_filter_audits_that_device_only_and_leaves_webhooks_out(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_state(OPENER_ID, mode=3)
    async with harness.client() as client:
        await call_ok(client, "delete_decentral_webhook", {"webhook_id": WEBHOOK_ID})
        harness.sim.requests.clear()
        result = await call_ok(client, "audit_smartlocks", {"smartlock": "cellar"})
    assert [d["name"] for d in rows(result, "devices")] == ["Cellar Door"]
    assert {device_name(f) for f in findings(result)} == {"Cellar Door"}
    assert "/api/decentralWebhook" not in requested_paths(harness)
    assert f"/smartlock/{OPENER_ID}" not in requested_paths(harness)


async def test_a_device_filter_that_matches_nothing_lists_the_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "audit_smartlocks", {"smartlock": "Attic"})
    assert "No device matches 'Attic'" in error
    assert "Cellar Door" in error


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_progress_is_reported_as_each_read_completes_and_ends_with_the_check(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    reports: list[tuple[float, float | None, str]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message or ""))

    async with harness.client(mode=mode) as client:
        result = await client.call_tool("audit_smartlocks", {}, progress_callback=on_progress)
    assert not result.is_error
    assert [p for p, _, _ in reports] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {t for _, t, _ in reports} == {8}
    messages = [message for _, _, message in reports]
    assert "Read 5 devices (" in " ".join(messages)
    assert messages[-1].startswith("Checked 5 devices: ")


async def test_seeded_problems_appear_with_their_severity(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.set_state(OPENER_ID, mode=3)  # continuous mode: anyone who rings gets in
    harness.sim.set_state(FRONT_DOOR_ID, door_state=3, state=3, keypad_battery_critical=True)
    harness.sim.set_device_fields(GARAGE_ID, server_state=0)
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    severities = {(str(f["rule_id"]), device_name(f)): f["severity"] for f in findings(result)}
    assert severities[("opener-continuous-mode", "Building Entrance")] == "critical"
    assert severities[("door-open", "Front Door")] == "warning"
    assert severities[("keypad-battery-critical", "Front Door")] == "warning"
    assert ("device-offline", "Garage") not in severities


async def test_no_registered_webhook_is_an_info_finding(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        before = await call_ok(client, "audit_smartlocks")
        await call_ok(client, "delete_decentral_webhook", {"webhook_id": WEBHOOK_ID})
        after = await call_ok(client, "audit_smartlocks")
    assert ("no-webhook", None) not in pairs(before)
    no_webhook = next(f for f in findings(after) if f["rule_id"] == "no-webhook")
    assert no_webhook["severity"] == "info"
    assert no_webhook["device"] is None


async def test_webhooks_the_token_may_not_read_are_an_info_finding_not_a_failure(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="GET", path="/api/decentralWebhook", status=403))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    assert ("webhooks-not-checked", None) in pairs(result)
    assert ("no-webhook", None) not in pairs(result)
    assert ("battery-critical", "Cellar Door") in pairs(result)


async def test_authorizations_the_token_may_not_read_at_all_are_named_in_one_finding(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=401))
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/*/auth", status=401, times=5))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    not_checked = [f for f in findings(result) if f["rule_id"] == "auths-not-checked"]
    assert len(not_checked) == 1
    evidence = obj(not_checked[0], "evidence")
    assert sorted(str(name) for name in rows_of(evidence["devices"])) == [
        "Back Door",
        "Building Entrance",
        "Cellar Door",
        "Front Door",
        "Garage",
    ]
    assert not any(str(f["rule_id"]).startswith("auth-") for f in findings(result))
    assert ("battery-critical", "Cellar Door") in pairs(result)


async def test_a_refused_account_wide_read_falls_back_to_each_device_and_names_only_the_unreadable_ones(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=403))
    harness.sim.add_fault(Fault(method="GET", path=f"/smartlock/{CELLAR_ID}/auth", status=403))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    per_device = sorted(p for p in requested_paths(harness) if DEVICE_PATH.match(p))
    every_device = (FRONT_DOOR_ID, CELLAR_ID, GARAGE_ID, OPENER_ID, BACK_DOOR_ID)
    assert per_device == sorted(f"/smartlock/{i}/auth" for i in every_device)
    assert ("auth-expired", "Front Door") in pairs(result)  # read device by device
    assert ("auth-never-used", "Cellar Door") not in pairs(result)
    not_checked = next(f for f in findings(result) if f["rule_id"] == "auths-not-checked")
    evidence = obj(not_checked, "evidence")
    assert rows_of(evidence["devices"]) == ["Cellar Door"]
    assert rows_of(evidence["device_ids"]) == [CELLAR_ID]
    assert len(rows(result, "devices")) == 5


async def test_the_fallback_reads_only_the_devices_the_allow_list_allows(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door", str(GARAGE_ID)))
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=403))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    per_device = sorted(p for p in requested_paths(harness) if DEVICE_PATH.match(p))
    assert per_device == sorted([f"/smartlock/{FRONT_DOOR_ID}/auth", f"/smartlock/{GARAGE_ID}/auth"])
    assert {device_name(f) for f in findings(result)} <= {"Front Door", "Garage", None}


def rows_of(value: object) -> list[object]:
    assert isinstance(value, list)
    return list(value)  # pyright: ignore[reportUnknownArgumentType]


async def test_a_transient_nuki_error_is_retried_and_the_audit_completes(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=503))
    async with harness.client() as client:
        result = await call_ok(client, "audit_smartlocks")
    assert requested_paths(harness).count("/smartlock/auth") == 2
    assert ("auth-expired", "Front Door") in pairs(result)


async def test_a_persistent_nuki_failure_is_one_actionable_error(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=503, times=10))
    async with harness.client() as client:
        error = await call_error(client, "audit_smartlocks")
    assert "Nuki's servers failed to answer (503)" in error
    assert "ExceptionGroup" not in error


async def test_the_audit_locks_prompt_asks_for_the_audit_and_a_fix_for_each_finding(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        prompt = await client.get_prompt("audit_locks")
    text = " ".join(m.content.text for m in prompt.messages if isinstance(m.content, TextContent))
    assert "audit_smartlocks" in text
    assert "fix" in text
    assert "do not change anything" in text


# --- the collector: bounded concurrency ----------------------------------------------------------


class CountingTransport(httpx2.AsyncBaseTransport):
    """Counts the devices with a request in flight; each request yields a few times first."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight: dict[int, int] = {}
        self.most_devices = 0
        self.most_per_device = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        match = DEVICE_PATH.match(request.url.path)
        device = int(match[1]) if match else None
        if device is not None:
            self.in_flight[device] = self.in_flight.get(device, 0) + 1
            self.most_devices = max(self.most_devices, len(self.in_flight))
            self.most_per_device = max(self.most_per_device, self.in_flight[device])
        try:
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            return await self.inner.handle_async_request(request)
        finally:
            if device is not None:
                self.in_flight[device] -= 1
                if not self.in_flight[device]:
                    del self.in_flight[device]


def many_devices(sim: NukiSimulator, count: int) -> list[int]:
    ids: list[int] = []
    for number in range(count):
        smartlock_id = 0x4_0000_0000 + number
        sim.add_device(
            Smartlock(
                smartlock_id=smartlock_id,
                type=4,
                name=f"Flat {number + 1:02d}",
                state=SmartlockState(mode=2, state=1, battery_critical=number == 0, battery_charge=50, door_state=2),
            )
        )
        sim.add_auth(
            SmartlockAuth(id=sim.new_object_id(), smartlock_id=smartlock_id, type=0, name="Tenant", lock_count=3)
        )
        ids.append(smartlock_id)
    return ids


@pytest.mark.parametrize("concurrency", [DEFAULT_CONCURRENCY, 3])
async def test_the_per_device_fallback_reads_a_bounded_number_of_devices_at_a_time(concurrency: int) -> None:
    clock = ManualClock()
    sim = NukiSimulator(clock=clock, seed=False)
    ids = many_devices(sim, 20)
    sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=403))
    transport = CountingTransport(sim.transport())
    async with NukiClient(DEMO_TOKEN, transport=transport, clock=clock) as client:
        report = await collect_audit(client, now=clock.now(), concurrency=concurrency)
    assert transport.most_devices == concurrency
    assert transport.most_per_device == 1
    assert sorted(d.id for d in report.devices) == ids
    assert report.counts.critical == 1


async def test_a_device_deleted_during_the_fallback_is_left_out_and_progress_still_completes() -> None:
    clock = ManualClock()
    sim = NukiSimulator(clock=clock)
    sim.add_fault(Fault(method="GET", path="/smartlock/auth", status=403))
    sim.add_fault(Fault(method="GET", path=f"/smartlock/{GARAGE_ID}/auth", status=404))
    progress: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int, message: str) -> None:
        progress.append((done, total))

    async with NukiClient(DEMO_TOKEN, transport=sim.transport(), clock=clock) as client:
        report = await collect_audit(client, now=clock.now(), on_progress=on_progress)
    assert GARAGE_ID not in {d.id for d in report.devices}
    assert len(report.devices) == 4
    assert [done for done, _ in progress] == list(range(1, 14))
    assert progress[-1] == (13, 13)  # 7 reads, 5 devices one by one, the check
