"""Shared pytest configuration."""

import logging
from collections.abc import Iterator

import pytest

from tests.simulated_client import CANARY_TOKEN as CLIENT_CANARY_TOKEN
from tests.support import CANARY_TOKEN

CANARY_TOKENS = (CANARY_TOKEN, CLIENT_CANARY_TOKEN)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_canary_token_in_any_log_line(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test of the suite, not only the security tests, proves that the API token never reaches a log line.

    The tests give the server a canary as the Nuki API token; whatever they do, no log record of the
    test (at DEBUG, from any library) may contain it.
    """
    caplog.set_level(logging.DEBUG)
    yield
    # At teardown caplog.text is the teardown phase's; the records of the earlier phases are kept.
    logged = [caplog.handler.format(record) for when in ("setup", "call") for record in caplog.get_records(when)]
    leaks = [line for line in logged for token in CANARY_TOKENS if token in line]
    assert leaks == [], f"the API token reached a log line: {leaks[:3]}"
