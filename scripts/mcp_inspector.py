"""The MCP Inspector CLI against the stdio server: `nuki-mcp --demo --audit-log -`.

Two calls, each a fresh Inspector process that spawns the server, as a user's client would:
`tools/list --strict` (the Inspector's schema portability check fails on errors) and
`tools/call list_smartlocks`, whose structured result must list the demo account's devices.

Run from the repository root: `python -m scripts.mcp_inspector` (or `make inspector`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from scripts.demo_server import nuki_mcp_command
from scripts.node_tools import (
    CheckFailed,
    Completed,
    child_env,
    last_lines,
    node_executable,
    package_bin,
    package_version,
    require_node,
    run_bounded,
)

PACKAGE: Final = "@modelcontextprotocol/inspector"
CALL_TIMEOUT: Final = 90.0
# Tools of the default toolsets that any client must see; the full catalogue is pinned by pytest.
EXPECTED_TOOLS: Final = frozenset({"list_smartlocks", "get_smartlock", "lock_smartlock", "unlock_smartlock"})

Model = TypeVar("Model", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class ListedTool(_Lenient):
    name: str
    description: str
    inputSchema: dict[str, JsonValue]


class ToolList(_Lenient):
    tools: list[ListedTool]


class Device(_Lenient):
    smartlock_id: int
    name: str


class DeviceList(_Lenient):
    devices: list[Device]
    total: int


class CallResult(_Lenient):
    isError: bool = False
    structuredContent: DeviceList


def inspector(*method_args: str) -> Completed:
    cli = package_bin(PACKAGE, "mcp-inspector")
    server = [str(nuki_mcp_command()), "--demo", "--audit-log", "-"]
    command = [str(node_executable()), str(cli), "--cli", *server, *method_args]
    completed = run_bounded(command, timeout=CALL_TIMEOUT, env=child_env())
    if completed.returncode != 0:
        raise CheckFailed(f"{completed.describe()}\n{last_lines(completed.stderr or completed.stdout)}")
    return completed


def check_tools_list() -> str:
    completed = inspector("--method", "tools/list", "--strict")
    listed = _parse(ToolList, completed)
    names = {tool.name for tool in listed.tools}
    missing = EXPECTED_TOOLS - names
    if missing:
        raise CheckFailed(f"tools/list lacks {sorted(missing)}; it listed {sorted(names)}")
    return f"{len(names)} tools, schemas portable ({completed.seconds:.1f} s)"


def check_list_smartlocks() -> str:
    completed = inspector("--method", "tools/call", "--tool-name", "list_smartlocks")
    result = _parse(CallResult, completed)
    devices = result.structuredContent.devices
    if result.isError or not devices or result.structuredContent.total != len(devices):
        raise CheckFailed(f"list_smartlocks returned an unexpected result:\n{last_lines(completed.stdout)}")
    return f"{len(devices)} demo devices: {', '.join(d.name for d in devices)} ({completed.seconds:.1f} s)"


def _parse(model: type[Model], completed: Completed) -> Model:
    try:
        return model.model_validate_json(completed.stdout)
    except ValidationError as exc:
        raise CheckFailed(
            f"{completed.describe()} but its output is not a valid {model.__name__}: "
            f"{exc.errors()[0]['msg']}\n{last_lines(completed.stdout)}"
        ) from None


CHECKS: Final[Sequence[tuple[str, Callable[[], str]]]] = (
    ("tools/list --strict", check_tools_list),
    ("tools/call list_smartlocks", check_list_smartlocks),
)


def main() -> int:
    started = time.monotonic()
    try:
        node = require_node()
        print(f"MCP Inspector CLI {PACKAGE}@{package_version(PACKAGE)} (Node {node}) against stdio nuki-mcp --demo")
    except CheckFailed as exc:
        print(f"inspector: FAILED: {exc}", file=sys.stderr)
        return 1
    for label, check in CHECKS:
        try:
            print(f"  PASS  {label}: {check()}")
        except CheckFailed as exc:
            print(f"  FAIL  {label}", flush=True)
            print(f"inspector: FAILED: {label}: {exc}", file=sys.stderr)
            return 1
    print(f"inspector: {len(CHECKS)} of {len(CHECKS)} calls passed; {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
