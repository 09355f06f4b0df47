"""What a device does after it accepted an action: the states it passes through, and when.

Codes (REFERENCE §5.2-5.4). Lock states: 1 locked, 2 unlocking, 3 unlocked, 4 locking, 5 unlatched,
6 unlocked (lock 'n' go), 7 unlatching. Opener states: 1 online, 3 ring-to-open active, 5 open,
7 opening; opener mode 2 door mode, 3 continuous mode.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENER = 2
BOX = 1
LOCK_ACTIONS = frozenset({1, 2, 3, 4, 5})  # unlock, lock, unlatch, lock 'n' go, lock 'n' go + unlatch
OPENER_ACTIONS = frozenset({1, 2, 3, 6, 7})  # RTO on, RTO off, open, continuous mode on, off
BOX_ACTIONS = frozenset({1})  # unlock


@dataclass(frozen=True)
class Step:
    """One change of the device, `after` seconds after the previous step (or after acceptance)."""

    after: float
    state: int | None = None
    mode: int | None = None
    completes: bool = False  # the commanded action is done: log entry written, operationId cleared


def allowed_actions(device_type: int) -> frozenset[int]:
    if device_type == OPENER:
        return OPENER_ACTIONS
    if device_type == BOX:
        return BOX_ACTIONS
    return LOCK_ACTIONS


def last_action(device_type: int, action: int) -> int | None:
    """`state.lastAction` after `action`; continuous mode has no lastAction code."""
    if device_type == OPENER and action in (6, 7):
        return None
    return action


def plan(device_type: int, action: int, *, delay: float, motion: float, lng_timeout: float) -> list[Step]:
    """The steps for an action already checked against `allowed_actions`."""
    if device_type == OPENER:
        return {
            1: [Step(delay, state=3, completes=True)],
            2: [Step(delay, state=1, completes=True)],
            3: [Step(delay, state=7), Step(motion, state=5, completes=True), Step(motion, state=1)],
            6: [Step(delay, mode=3, completes=True)],
            7: [Step(delay, mode=2, completes=True)],
        }[action]
    return {
        1: [Step(delay, state=2), Step(motion, state=3, completes=True)],
        2: [Step(delay, state=4), Step(motion, state=1, completes=True)],
        3: [Step(delay, state=7), Step(motion, state=5, completes=True), Step(motion, state=3)],
        4: [Step(delay, state=2), Step(motion, state=6, completes=True), Step(lng_timeout, state=1)],
        5: [Step(delay, state=7), Step(motion, state=6, completes=True), Step(lng_timeout, state=1)],
    }[action]
