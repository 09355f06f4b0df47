"""Peak RSS of the `nuki-mcp` server process after an audit, against the SDK floor.

Two servers over stdio, each measured after `initialize` and after one `audit_smartlocks` call:

- `nuki-mcp --demo` (the simulated household: 5 devices);
- `nuki-mcp` against a simulated account of 2,000 devices with 3 authorizations each, served over
  HTTP on 127.0.0.1 by `sim_http_server.py` (its memory is its own process's, not counted here).

The figure is VmHWM (the peak resident set size) read from /proc before the session closes. The
baseline is the SDK floor (a minimal `MCPServer`, one tool) after one call, measured the same way in
the same run. Reported, no target.

Run: `.venv/bin/python benchmarks/peak_rss.py [--devices 2000]`
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from _report import Row, report
from _stdio import StdioSession, nuki_mcp_command, sdk_floor_command
from call_overhead import simulator_over_http
from cold_start import child_env
from nuki_mcp.demo import DEMO_TOKEN

AUDIT_TOOL = "audit_smartlocks"
FALLBACK_TOOL = "list_smartlocks"
LARGE_ACCOUNT_DEVICES = 2000


def _tool_names(session: StdioSession) -> set[str]:
    tools = session.request("tools/list").get("tools")
    assert isinstance(tools, list)
    return {str(tool.get("name")) for tool in tools if isinstance(tool, dict)}


def _audit_rss(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, int, str]:
    """KiB: (after initialize, after the audit), and the tool used."""
    with StdioSession(argv, env) as product:
        product.initialize()
        started = product.peak_rss_kib()
        tool = AUDIT_TOOL if AUDIT_TOOL in _tool_names(product) else FALLBACK_TOOL
        product.call_tool(tool)
        return started, product.peak_rss_kib(), tool


def _floor_rss() -> int:
    with StdioSession(sdk_floor_command(), child_env()) as floor:
        floor.initialize()
        floor.call_tool("echo", {"text": "x"})
        return floor.peak_rss_kib()


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def run(devices: int) -> list[Row]:
    demo_started, demo_after, tool = _audit_rss([*nuki_mcp_command(), "--demo", "--audit-log", "-"], child_env())
    with simulator_over_http(devices) as base_url:
        env = {**child_env(), "NUKI_API_URL": base_url, "NUKI_API_TOKEN": DEMO_TOKEN, "NUKI_AUDIT_LOG": "-"}
        _, large_after, large_tool = _audit_rss(nuki_mcp_command(), env)
    floor = _floor_rss()
    note = "" if tool == AUDIT_TOOL else f" ({AUDIT_TOOL} absent: {tool} instead)"
    floor_label = f"{_mib(floor)} (SDK floor after one call)"
    return [
        Row(
            what=f"peak RSS of nuki-mcp --demo after {tool}{note}",
            figure=_mib(demo_after),
            baseline=floor_label,
            ratio=f"{demo_after / floor:.2f}x",
            target="—",
            met=None,
        ),
        Row(
            what="  of which before the audit (after initialize)",
            figure=_mib(demo_started),
            baseline=_mib(floor),
            ratio=f"{demo_started / floor:.2f}x",
            target="—",
            met=None,
        ),
        Row(
            what=f"peak RSS of nuki-mcp after {large_tool}, {devices:,} devices x 3 authorizations (over HTTP)",
            figure=_mib(large_after),
            baseline=floor_label,
            ratio=f"{large_after / floor:.2f}x",
            target="—",
            met=None,
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=LARGE_ACCOUNT_DEVICES, help="devices of the large account")
    devices: int = parser.parse_args().devices
    sys.exit(report(run(devices)))
