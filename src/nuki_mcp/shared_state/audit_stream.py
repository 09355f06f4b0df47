"""The audit trail of every replica in one place: each line also appended to a Redis stream with XADD.

The local JSONL file stays the record that must be written (and synced) before anything is sent to Nuki;
the stream is a copy. A line that cannot reach Redis is logged and the write goes on, as with an outcome
line that cannot be written.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Final

import redis

from nuki_mcp.clock import Clock
from nuki_mcp.guard import AuditRecord, AuditTrail
from nuki_mcp.shared_state.redis_state import PREFIX

STREAM: Final = PREFIX + "audit"
MAX_STREAM_LENGTH: Final = 1_000_000

logger = logging.getLogger(__name__)


class StreamedAuditTrail(AuditTrail):
    """`AuditTrail` whose every line is also XADDed to `nuki-mcp:audit` with the replica's name."""

    def __init__(self, path: Path | None, clock: Clock, client: redis.Redis, replica: str | None = None) -> None:
        super().__init__(path, clock)
        self._client = client
        self._replica = replica or socket.gethostname()

    def _emit(self, record: AuditRecord) -> None:
        super()._emit(record)  # the local file first: it is the record that must exist before a request leaves
        try:
            self._client.xadd(
                STREAM,
                {"replica": self._replica, "line": record.model_dump_json()},
                maxlen=MAX_STREAM_LENGTH,
                approximate=True,
            )
        except redis.RedisError as exc:
            logger.warning("Could not copy an audit line of %s to the Redis stream: %s", record.tool, exc)
