"""A `redis-server` for the tests of shared state, obtained on a fresh machine the way scripts/browser.py gets Chromium.

Order: `$REDIS_SERVER`, then `redis-server` on PATH, then Debian's `/usr/bin/redis-server`. When none is there,
`python -m scripts.redis` installs Debian's `redis-server` package through apt when running as root (the
package's own service is not started: the tests run their own server on a free loopback port).

`make test` runs this before pytest; tests/redis_rig.py uses `find_redis_server` and fails without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

_APT_PACKAGES: Final = ("redis-server",)
_DEBIAN_PATH: Final = Path("/usr/bin/redis-server")


class RedisUnavailable(Exception):
    """No redis-server could be found or installed; the message says why."""


def find_redis_server(environ: dict[str, str] | None = None) -> Path | None:
    """The redis-server to run, without installing anything."""
    env = dict(os.environ if environ is None else environ)
    configured = env.get("REDIS_SERVER", "").strip()
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise RedisUnavailable(f"REDIS_SERVER={configured} is not an executable file; fix or unset it.")
        return path
    on_path = shutil.which("redis-server", path=env.get("PATH"))
    if on_path:
        return Path(on_path)
    return _DEBIAN_PATH if _DEBIAN_PATH.is_file() else None


def install_debian_redis() -> Path | None:
    """Debian's redis-server through apt (a few seconds); None when not root or apt is missing or fails."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    # policy-rc.d exit 101: the package must not start (or enable) its own system-wide service.
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *_APT_PACKAGES],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            sys.stderr.write(f"redis: `{' '.join(command)}` failed: {done.stderr.strip()[-300:]}\n")
            return None
    return find_redis_server()


def ensure_redis_server() -> Path:
    found = find_redis_server() or install_debian_redis()
    if found is None:
        raise RedisUnavailable(
            "no redis-server on PATH and it cannot be installed here (needs root and apt-get); "
            "install Redis 7 or set REDIS_SERVER to its redis-server binary"
        )
    return found


def main() -> int:
    try:
        path = ensure_redis_server()
    except (RedisUnavailable, subprocess.SubprocessError, OSError) as exc:
        sys.stderr.write(f"redis: no redis-server for the tests: {exc}\n")
        return 1
    sys.stderr.write(f"redis: {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
