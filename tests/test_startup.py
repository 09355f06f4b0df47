"""Start-up pays only for what is enabled: toolset modules and the simulator are imported on demand."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

# Builds the server the way the CLI does, in a fresh interpreter, and reports which modules it loaded.
_CHILD = """
import json, sys
from nuki_mcp.config import CliOverrides, load_settings
from nuki_mcp.server import create_server
create_server(load_settings(flags=CliOverrides(**json.loads(sys.argv[1])), env={"NUKI_API_TOKEN": "t"}))
sys.stdout.write(json.dumps(sorted(m for m in sys.modules if m.startswith("nuki_mcp."))))
"""


def _modules_loaded_by_a_server_with(**flags: object) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps({"audit_log": "-", **flags})],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return set(json.loads(out))


def test_a_server_with_the_default_toolsets_imports_neither_the_advanced_toolset_nor_the_simulator() -> None:
    loaded = _modules_loaded_by_a_server_with()

    assert "nuki_mcp.tools.devices" in loaded
    assert "nuki_mcp.tools.advanced" not in loaded
    assert not any(m == "nuki_mcp.demo" or m.startswith("nuki_mcp.demo.") for m in loaded)


def test_a_server_with_only_the_devices_toolset_imports_no_other_toolset_module() -> None:
    loaded = _modules_loaded_by_a_server_with(toolsets="devices")

    other_toolsets = {"actions", "config", "auths", "logs", "webhooks", "account", "advanced", "audit"}
    assert loaded.isdisjoint(f"nuki_mcp.tools.{name}" for name in other_toolsets)


def test_enabling_the_advanced_toolset_imports_it_and_demo_imports_the_simulator() -> None:
    loaded = _modules_loaded_by_a_server_with(toolsets="all", demo=True)

    assert {"nuki_mcp.tools.advanced", "nuki_mcp.demo"} <= loaded


# Runs the CLI in a fresh interpreter up to the point where it would serve, and reports the collector's state.
_SERVE_CHILD = """
import gc, json, sys
import anyio, uvicorn
from nuki_mcp.__main__ import main

def report(*args, **kwargs):
    sys.stdout.write(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))

anyio.run = report
uvicorn.Server.run = report
sys.exit(main(json.loads(sys.argv[1])))
"""


def _collector_when_serving(*args: str) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", _SERVE_CHILD, json.dumps(["--demo", "--audit-log", "-", *args])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_server_serves_with_the_garbage_collector_on_and_its_start_up_objects_frozen() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = str(probe.getsockname()[1])
    for transport in (["--transport", "stdio"], ["--transport", "http", "--port", free_port]):
        state = _collector_when_serving(*transport)
        assert state["enabled"] is True, transport
        frozen = state["frozen"]
        assert isinstance(frozen, int)
        assert frozen > 10_000, transport
