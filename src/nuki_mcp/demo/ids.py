"""Identifiers in Nuki's shapes: Web API device ids and 24-hex ObjectIds that sort by time."""

from __future__ import annotations

from datetime import datetime

# The middle part of every ObjectId the simulator makes; real ones carry a machine/process id here.
_MACHINE = "5e1d0c4a9b"


def smartlock_id(device_type: int, nuki_id_hex: str) -> int:
    """The Web API `smartlockId`: the device type digit followed by the 8-hex-digit nukiId.

    Type 0 has no prefix (a leading zero vanishes), so its smartlockId equals its nukiId.
    """
    return int(f"{device_type:x}{nuki_id_hex}", 16)


class ObjectIds:
    """Makes 24-hex ids shaped like MongoDB ObjectIds: creation second, fixed middle, counter.

    Ids made for later dates sort after ids for earlier ones, so log ids work as paging cursors.
    No randomness: the same sequence of calls gives the same ids.
    """

    def __init__(self) -> None:
        self._counter = 0

    def new(self, at: datetime) -> str:
        self._counter += 1
        seconds = int(at.timestamp()) & 0xFFFFFFFF
        return f"{seconds:08x}{_MACHINE}{self._counter & 0xFFFFFF:06x}"
