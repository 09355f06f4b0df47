"""Every request to Nuki counts against its rate limit and takes a round trip: tools send no more than they need."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.demo.household import CELLAR_ID
from tests.support import Harness, call_ok

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("smartlock", ["Cellar", str(CELLAR_ID)])
async def test_get_smartlock_answers_from_a_single_request_to_nuki(tmp_path: Path, smartlock: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        before = len(harness.sim.requests)
        details = await call_ok(client, "get_smartlock", {"smartlock": smartlock})
        sent = harness.sim.requests[before:]
    assert details["smartlock_id"] == CELLAR_ID
    assert [(r.method, r.path) for r in sent] == [("GET", "/smartlock")]
