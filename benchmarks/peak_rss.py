"""Peak RSS of the `nuki-mcp --demo` server process after an audit, against the SDK floor.

The server runs over stdio; after `initialize` and one `audit_smartlocks` call (every device of the
simulated household and its authorizations, logs and webhooks), its VmHWM (the peak resident set
size) is read from /proc before the session closes. The baseline is the SDK floor (a minimal
`MCPServer`, one tool) after one call, measured the same way in the same run. Reported, no target.

Run: `.venv/bin/python benchmarks/peak_rss.py`
"""

from __future__ import annotations

import sys

from _report import Row, report
from _stdio import StdioSession, nuki_mcp_command, sdk_floor_command
from cold_start import child_env

AUDIT_TOOL = "audit_smartlocks"
FALLBACK_TOOL = "list_smartlocks"


def _tool_names(session: StdioSession) -> set[str]:
    tools = session.request("tools/list").get("tools")
    assert isinstance(tools, list)
    return {str(tool.get("name")) for tool in tools if isinstance(tool, dict)}


def measure() -> tuple[int, int, int, str]:
    """KiB: (nuki-mcp after initialize, nuki-mcp after the audit, SDK floor after a call), tool used."""
    with StdioSession([*nuki_mcp_command(), "--demo", "--audit-log", "-"], child_env()) as product:
        product.initialize()
        started = product.peak_rss_kib()
        tool = AUDIT_TOOL if AUDIT_TOOL in _tool_names(product) else FALLBACK_TOOL
        product.call_tool(tool)
        after = product.peak_rss_kib()
    with StdioSession(sdk_floor_command(), child_env()) as floor:
        floor.initialize()
        floor.call_tool("echo", {"text": "x"})
        floor_kib = floor.peak_rss_kib()
    return started, after, floor_kib, tool


def run() -> list[Row]:
    started, after, floor, tool = measure()
    note = "" if tool == AUDIT_TOOL else f" ({AUDIT_TOOL} absent: {tool} instead)"
    return [
        Row(
            what=f"peak RSS of nuki-mcp --demo after {tool}{note}",
            figure=f"{after / 1024:.1f} MiB",
            baseline=f"{floor / 1024:.1f} MiB (SDK floor after one call)",
            ratio=f"{after / floor:.2f}x",
            target="—",
            met=None,
        ),
        Row(
            what="  of which before the audit (after initialize)",
            figure=f"{started / 1024:.1f} MiB",
            baseline=f"{floor / 1024:.1f} MiB",
            ratio=f"{started / floor:.2f}x",
            target="—",
            met=None,
        ),
    ]


if __name__ == "__main__":
    sys.exit(report(run()))
