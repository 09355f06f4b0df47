"""Start-up pays only for what is enabled: toolset modules and the simulator are imported on demand."""

from __future__ import annotations

import json
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
