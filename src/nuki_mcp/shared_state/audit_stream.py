"""The audit trail of every replica in one place: each line also appended to a Redis stream with XADD.

The local JSONL file stays the record that must be written (and synced) before anything is sent to Nuki;
the stream is a copy. A line that cannot reach Redis is logged and the write goes on, as with an outcome
line that cannot be written.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import redis
from pydantic import JsonValue

from nuki_mcp.clock import Clock
from nuki_mcp.guard import AuditEvent, AuditRecord, AuditTrail, DeviceRef, mask_arguments
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
        self._stream_clock = clock

    def _write(
        self,
        record_id: str,
        event: AuditEvent,
        tool: str,
        device: DeviceRef | None,
        arguments: Mapping[str, JsonValue],
        confirmation: str,
        outcome: str,
        detail: str | None,
    ) -> None:
        super()._write(record_id, event, tool, device, arguments, confirmation, outcome, detail)
        record = AuditRecord(
            time=self._stream_clock.now().isoformat().replace("+00:00", "Z"),
            id=record_id,
            event=event,
            tool=tool,
            device=None if device is None else {"id": device.smartlock_id, "name": device.name},
            arguments=mask_arguments(arguments),
            confirmation=confirmation,
            outcome=outcome,
            detail=detail,
        )
        try:
            self._client.xadd(
                STREAM,
                {"replica": self._replica, "line": record.model_dump_json()},
                maxlen=MAX_STREAM_LENGTH,
                approximate=True,
            )
        except redis.RedisError as exc:
            logger.warning("Could not copy an audit line of %s to the Redis stream: %s", tool, exc)
