"""The official MCP Apps host bridge for the view tests, bundled into one browser script.

`tools/ext-apps-host/package-lock.json` pins `@modelcontextprotocol/ext-apps` (its `app-bridge`, the reference
host side of the ext-apps protocol), its peer SDK packages and esbuild. `python -m scripts.ext_apps_host` runs
`npm ci` there on the venv's Node (only when the lock file changed) and bundles the bridge into
`tools/ext-apps-host/node_modules/.bundle/app-bridge.js`, which tests/browser/view_rig.py loads into its host page.
`make browser` (so `make test`) runs it; the browser tests build it themselves when it is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from scripts.node_tools import (
    CheckFailed,
    child_env,
    last_lines,
    node_executable,
    npm_cli,
    require_node,
    run_bounded,
)

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
HOST_DIR: Final = REPO_ROOT / "tools" / "ext-apps-host"
BUNDLE: Final = HOST_DIR / "node_modules" / ".bundle" / "app-bridge.js"
_INSTALLED: Final = HOST_DIR / "node_modules" / ".installed"
_TIMEOUT_S: Final = 600.0


def _newer(path: Path, than: Path) -> bool:
    return path.is_file() and path.stat().st_mtime >= than.stat().st_mtime


def bundle() -> Path:
    """The bundled app-bridge script, installed and built first when the pins changed or it is missing."""
    lock = HOST_DIR / "package-lock.json"
    sources = [lock, HOST_DIR / "entry.js", HOST_DIR / "build.mjs"]
    if all(_newer(BUNDLE, source) for source in sources) and _newer(_INSTALLED, lock):
        return BUNDLE
    require_node()
    if not _newer(_INSTALLED, lock):
        command = [str(node_executable()), str(npm_cli()), "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
        completed = run_bounded([*command, "--loglevel=error"], timeout=_TIMEOUT_S, env=child_env(), cwd=HOST_DIR)
        if completed.returncode != 0:
            raise CheckFailed(f"{completed.describe()}\n{last_lines(completed.stderr or completed.stdout)}")
        _INSTALLED.touch()
    BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    command = [str(node_executable()), str(HOST_DIR / "build.mjs"), str(BUNDLE)]
    completed = run_bounded(command, timeout=_TIMEOUT_S, env=child_env(), cwd=HOST_DIR)
    if completed.returncode != 0 or not BUNDLE.is_file():
        raise CheckFailed(f"{completed.describe()}\n{last_lines(completed.stderr or completed.stdout)}")
    return BUNDLE


def main() -> int:
    try:
        path = bundle()
    except CheckFailed as exc:
        print(f"ext-apps-host: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"MCP Apps host bridge: {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
