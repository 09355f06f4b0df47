"""Fixtures of the remote-mode suite: one real redis-server per session, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.remote.redis_rig import RedisServer, running_redis


@pytest.fixture(scope="session")
def redis_session() -> Iterator[RedisServer]:
    try:
        with running_redis() as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(f"No redis-server for the shared-state tests ({exc}).")


@pytest.fixture
def redis_server(redis_session: RedisServer) -> RedisServer:
    redis_session.flush()
    return redis_session
