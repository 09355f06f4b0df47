"""Cold start: spawn -> `initialize` response of `nuki-mcp --demo` over stdio, against the SDK's floor.

The floor is `sdk_floor_server.py` (a minimal `MCPServer` with one tool) on the same interpreter.
Runs alternate between the two (which one goes first alternates too) after one discarded warm-up
each, and the medians are compared. Target: at most 1.15x the floor (wall clock). The servers' own
CPU time up to the answer is reported too: unlike the wall clock, it does not grow when other
processes compete for the cores.

Run: `.venv/bin/python benchmarks/cold_start.py [runs]`
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from _report import Row, median_ms, report
from _stdio import nuki_mcp_command, sdk_floor_command, time_to_initialize

RUNS = 7
TARGET_RATIO = 1.15
PRODUCT_ARGS = ("--demo", "--audit-log", "-")


def child_env() -> dict[str, str]:
    """The children write and reuse bytecode caches, as an installed package does."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(runs: int = RUNS) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(wall, CPU) seconds to `initialize` for nuki-mcp --demo and the SDK floor, `runs` interleaved each."""
    env = child_env()

    def product() -> tuple[float, float]:
        return time_to_initialize([*nuki_mcp_command(), *PRODUCT_ARGS], env)

    def floor() -> tuple[float, float]:
        return time_to_initialize(sdk_floor_command(), env)

    product()
    floor()
    product_s: list[tuple[float, float]] = []
    floor_s: list[tuple[float, float]] = []
    for n in range(runs):
        if n % 2 == 0:
            product_s.append(product())
            floor_s.append(floor())
        else:
            floor_s.append(floor())
            product_s.append(product())
    return product_s, floor_s


# Where the product's start-up time goes, phase by phase, in one child process (CPU seconds).
_PHASES = """
import sys, time
t = time.process_time
marks = [t()]
import mcp.server.mcpserver
marks.append(t())
import nuki_mcp.__main__, nuki_mcp.server
marks.append(t())
from nuki_mcp.demo import NukiSimulator
transport = NukiSimulator().transport()
marks.append(t())
from nuki_mcp.config import CliOverrides, load_settings
nuki_mcp.server.create_server(load_settings(flags=CliOverrides(demo=True, audit_log="-")), transport)
marks.append(t())
sys.stdout.write(" ".join(str(b - a) for a, b in zip(marks, marks[1:])))
"""
PHASES = (
    "import mcp.server.mcpserver (the SDK floor pays this too)",
    "import nuki_mcp's modules (pydantic models of the Nuki API and the tools)",
    "--demo: import and seed the simulated account",
    "create_server: register the tools (the SDK builds their schemas), resources, prompts",
)


def breakdown(runs: int = 3) -> list[tuple[str, float]]:
    """Median CPU milliseconds of each start-up phase of nuki-mcp --demo, measured in a child process."""
    samples: list[list[float]] = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PHASES], env=child_env(), capture_output=True, text=True, check=True
        ).stdout
        samples.append([float(x) for x in out.split()])
    return [(phase, statistics.median(s[i] for s in samples) * 1000) for i, phase in enumerate(PHASES)]


def print_breakdown(phases: list[tuple[str, float]]) -> None:
    width = max(len(phase) for phase, _ in phases)
    print(f"{'start-up phase of nuki-mcp --demo (CPU, median of 3)'.ljust(width)}  ms")
    for phase, ms in phases:
        print(f"{phase.ljust(width)}  {ms:.0f}")


def run(runs: int = RUNS) -> list[Row]:
    product_s, floor_s = measure(runs)
    product, floor = median_ms([w for w, _ in product_s]), median_ms([w for w, _ in floor_s])
    product_cpu = statistics.median(c for _, c in product_s) * 1000
    floor_cpu = statistics.median(c for _, c in floor_s) * 1000
    ratio = product / floor
    return [
        Row(
            what=f"cold start: spawn -> initialize, nuki-mcp --demo (median of {runs})",
            figure=f"{product:.0f} ms",
            baseline=f"{floor:.0f} ms (SDK floor: MCPServer, 1 tool)",
            ratio=f"{ratio:.2f}x",
            target=f"<= {TARGET_RATIO:.2f}x",
            met=ratio <= TARGET_RATIO,
        ),
        Row(
            what="  same, the server's CPU time until it answered",
            figure=f"{product_cpu:.0f} ms",
            baseline=f"{floor_cpu:.0f} ms",
            ratio=f"{product_cpu / floor_cpu:.2f}x",
            target="—",
            met=None,
        ),
    ]


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    code = report(run(runs))
    print()
    print_breakdown(breakdown())
    return code


if __name__ == "__main__":
    sys.exit(main())
