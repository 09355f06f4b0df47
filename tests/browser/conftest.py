"""The real browser of the browser suite: a headless Chromium, found or fetched, never skipped.

Order: $CHROME_BIN, then `chromium` on PATH, then the git-ignored cache (`scripts/browser.py`, which
`make test` runs first; here the pinned npm build is fetched when nothing else is there). When no browser
can be had the suite FAILS: a skipped browser suite proves nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from playwright.async_api import Browser as PlaywrightBrowser

from scripts.browser import Browser, BrowserUnavailable, fetch_npm_chromium, find_browser
from tests.browser.rig import launched


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # One event loop for the whole browser suite, so that one browser serves every test.
    return "asyncio"


@pytest.fixture(scope="session")
def chromium() -> Browser:
    try:
        found = find_browser()
        return found if found is not None else fetch_npm_chromium()
    except (BrowserUnavailable, OSError, RuntimeError) as exc:
        pytest.fail(f"No headless Chromium for the browser tests ({exc}); run `make browser` or set CHROME_BIN.")


@pytest.fixture(scope="session")
async def browser(chromium: Browser) -> AsyncGenerator[PlaywrightBrowser]:
    """One headless Chromium for the session; each test gets its own context and virtual authenticator."""
    async with launched(chromium) as running:
        yield running
