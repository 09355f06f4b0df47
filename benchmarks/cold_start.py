"""Cold start: spawn -> `initialize` response of `nuki-mcp` over stdio, against the SDK's floor.

The floor is `sdk_floor_server.py` (a minimal `MCPServer` with one tool) on the same interpreter. The
product runs as an MCP host spawns it: `nuki-mcp` with `NUKI_API_TOKEN` set (Nuki is not contacted
before `initialize`), with the default toolsets and with `--toolsets all`; and, for comparison with
earlier runs, `nuki-mcp --demo`, which also imports and seeds the simulated account. Runs rotate
between the four (the order rotates too) after one discarded warm-up each, and the medians are
compared. Target: the default set at most 1.3x the floor (wall clock). The servers' own CPU time up to
the answer is reported too: unlike the wall clock, it does not grow when other processes compete for
the cores.

Run: `.venv/bin/python benchmarks/cold_start.py [runs]`
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Callable

from _report import Row, median_ms, report
from _stdio import nuki_mcp_command, sdk_floor_command, time_to_initialize

RUNS = 7
TARGET_RATIO = 1.3
PRODUCT_ARGS = ("--audit-log", "-")
ALL_ARGS = (*PRODUCT_ARGS, "--toolsets", "all")
DEMO_ARGS = ("--demo", *PRODUCT_ARGS)
# What a host's configuration gives the server; the URL is never contacted before `initialize`.
TOKEN_ENV = {"NUKI_API_TOKEN": "cold-start-benchmark-token", "NUKI_API_URL": "http://127.0.0.1:9"}

Samples = list[tuple[float, float]]


def child_env() -> dict[str, str]:
    """The children write and reuse bytecode caches, as an installed package does."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(runs: int = RUNS) -> tuple[Samples, Samples, Samples, Samples]:
    """(wall, CPU) seconds to `initialize`: nuki-mcp, the same with every toolset, with --demo, the SDK floor."""
    env = child_env()
    product_env = {**env, **TOKEN_ENV}
    commands: list[tuple[list[str], dict[str, str]]] = [
        ([*nuki_mcp_command(), *PRODUCT_ARGS], product_env),
        ([*nuki_mcp_command(), *ALL_ARGS], product_env),
        ([*nuki_mcp_command(), *DEMO_ARGS], env),
        (sdk_floor_command(), env),
    ]
    starts: list[Callable[[], tuple[float, float]]] = [
        lambda argv=argv, env=env: time_to_initialize(argv, env) for argv, env in commands
    ]
    for start in starts:
        start()
    samples: list[Samples] = [[] for _ in starts]
    for n in range(runs):
        for k in range(len(starts)):
            which = (n + k) % len(starts)
            samples[which].append(starts[which]())
    return samples[0], samples[1], samples[2], samples[3]


# Where the product's start-up time goes, phase by phase, in one child process (CPU seconds).
_PHASES = """
import gc, importlib, sys, time
gc.disable()  # as nuki-mcp builds its server (see `_starting_up` in nuki_mcp/__main__.py)
t = time.process_time
marks = [t()]
import mcp.server.mcpserver
marks.append(t())
import nuki_mcp.__main__, nuki_mcp.server
marks.append(t())
from nuki_mcp.demo import NukiSimulator
transport = NukiSimulator().transport()
marks.append(t())
from nuki_mcp.config import DEFAULT_TOOLSETS, CliOverrides, load_settings
for toolset in sorted(DEFAULT_TOOLSETS):
    importlib.import_module(nuki_mcp.server.TOOLSETS[toolset])
marks.append(t())
nuki_mcp.server.create_server(load_settings(flags=CliOverrides(demo=True, audit_log="-")), transport)
marks.append(t())
sys.stdout.write(" ".join(str(b - a) for a, b in zip(marks, marks[1:])))
"""
PHASES = (
    "import mcp.server.mcpserver (the SDK floor pays this too)",
    "import nuki_mcp's core (settings, Nuki client and models, guard, views, resources)",
    "--demo: import and seed the simulated account",
    "import the default toolsets' modules (their result models)",
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


def _rows(what: str, product_s: Samples, floor_s: Samples, target: bool) -> list[Row]:
    product, floor = median_ms([w for w, _ in product_s]), median_ms([w for w, _ in floor_s])
    product_cpu = statistics.median(c for _, c in product_s) * 1000
    floor_cpu = statistics.median(c for _, c in floor_s) * 1000
    ratio = product / floor
    return [
        Row(
            what=what,
            figure=f"{product:.0f} ms",
            baseline=f"{floor:.0f} ms (SDK floor: MCPServer, 1 tool)",
            ratio=f"{ratio:.2f}x",
            target=f"<= {TARGET_RATIO:.2f}x" if target else "—",
            met=ratio <= TARGET_RATIO if target else None,
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


def run(runs: int = RUNS) -> list[Row]:
    default_s, all_s, demo_s, floor_s = measure(runs)
    return [
        *_rows(
            f"cold start: spawn -> initialize, nuki-mcp (NUKI_API_TOKEN), default toolsets (median of {runs})",
            default_s,
            floor_s,
            True,
        ),
        *_rows("cold start, same with --toolsets all", all_s, floor_s, False),
        *_rows("cold start, nuki-mcp --demo (the simulated account imported and seeded)", demo_s, floor_s, False),
    ]


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    code = report(run(runs))
    print()
    print_breakdown(breakdown())
    return code


if __name__ == "__main__":
    sys.exit(main())
