"""Three weeks of believable activity on the demo devices, and the webhook deliveries it caused.

Deterministic: each device's routine draws from its own seeded `random.Random`, and every time is
a Vienna wall-clock time relative to `now`. A routine's events are kept only as a whole and only
if they all lie in the past, so each device's newest entries agree with its current state.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from nuki_mcp.demo import household as home
from nuki_mcp.demo.household import VIENNA, local_time
from nuki_mcp.demo.ids import ObjectIds
from nuki_mcp.nuki.models import OpenerLog, SmartlockLog, WebhookLog, WebhookMessage

DAYS = 21
MOTOR_BLOCKED_DAYS_AGO = 9

UNLOCK, LOCK, DOOR_OPENED, DOOR_CLOSED = 1, 2, 240, 241  # log actions
OPENER_RTO_ON, OPENER_RTO_OFF, OPENER_OPEN = 1, 2, 3
OPENER_CM_ON, OPENER_CM_OFF, DOORBELL = 6, 7, 224
MOTOR_BLOCKED = 1  # log state


@dataclass(frozen=True)
class Actor:
    """Who or what caused a log entry. Log triggers: 0 system (app over Bluetooth), 1 manual,
    3 automatic, 6 auto lock, 255 keypad; source 1 = keypad code."""

    name: str
    auth_id: str | None = None
    account_user_id: int | None = None
    trigger: int = 0
    source: int = 0


AUTO_LOCK = Actor("", trigger=6)
DOOR_SENSOR = Actor("", trigger=0)
BY_HAND = Actor("", trigger=1)
DOORBELL_RING = Actor("", trigger=0)
RING_TO_OPEN = Actor("", trigger=3)


@dataclass(frozen=True)
class _Entry:
    at: datetime
    smartlock_id: int
    device_type: int
    action: int
    actor: Actor
    state: int = 0
    opener_log: OpenerLog | None = None


class _Story:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.entries: list[_Entry] = []

    def add(self, sequence: list[_Entry]) -> None:
        if sequence and max(entry.at for entry in sequence) <= self.now:
            self.entries.extend(sequence)


def logs(now: datetime, ids: ObjectIds) -> list[SmartlockLog]:
    """The activity log of the whole household, oldest first, with ids in time order."""
    story = _Story(now)
    _front_door(story, random.Random(home.FRONT_DOOR_ID))
    _cellar(story, random.Random(home.CELLAR_ID))
    _opener(story, random.Random(home.OPENER_ID))
    _back_door(story, random.Random(home.BACK_DOOR_ID))
    _garage(story, random.Random(home.GARAGE_ID))
    return [_log(entry, ids) for entry in sorted(story.entries, key=lambda e: e.at)]


def _log(entry: _Entry, ids: ObjectIds) -> SmartlockLog:
    return SmartlockLog(
        id=ids.new(entry.at),
        smartlock_id=entry.smartlock_id,
        device_type=entry.device_type,
        account_user_id=entry.actor.account_user_id,
        auth_id=entry.actor.auth_id,
        name=entry.actor.name,
        action=entry.action,
        trigger=entry.actor.trigger,
        state=entry.state,
        auto_unlock=False,
        date=entry.at,
        opener_log=entry.opener_log,
        source=entry.actor.source,
    )


def _weekday(now: datetime, days_ago: int) -> int:
    return (now.astimezone(VIENNA) - timedelta(days=days_ago)).weekday()


def _seconds(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(seconds=rng.randint(low, high))


def _visit(
    device: int, device_type: int, at: datetime, actor: Actor, rng: random.Random, auto_lock: int, door: bool
) -> list[_Entry]:
    """Someone unlocks, walks through (door sensor), and the lock locks itself again."""
    sequence = [_Entry(at, device, device_type, UNLOCK, actor)]
    if door:
        opened = at + _seconds(rng, 8, 40)
        sequence.append(_Entry(opened, device, device_type, DOOR_OPENED, DOOR_SENSOR))
        sequence.append(_Entry(opened + _seconds(rng, 15, 70), device, device_type, DOOR_CLOSED, DOOR_SENSOR))
    sequence.append(_Entry(at + timedelta(seconds=auto_lock), device, device_type, LOCK, AUTO_LOCK))
    return sequence


def _front_door(story: _Story, rng: random.Random) -> None:
    now, device, kind = story.now, home.FRONT_DOOR_ID, 4
    anna = Actor(home.OWNER_NAME, home.FRONT_DOOR_ANNA_AUTH_ID, home.ANNA_ACCOUNT_USER_ID)
    jonas = Actor("Jonas Berger", home.FRONT_DOOR_JONAS_AUTH_ID, home.JONAS_ACCOUNT_USER_ID)
    fob = Actor("Blue fob", home.FRONT_DOOR_FOB_AUTH_ID)
    family = Actor("Family", home.FRONT_DOOR_FAMILY_CODE_AUTH_ID, trigger=255, source=1)
    cleaner = Actor("Cleaner", home.FRONT_DOOR_CLEANER_CODE_AUTH_ID, trigger=255, source=1)

    def visit(at: datetime, actor: Actor) -> list[_Entry]:
        return _visit(device, kind, at, actor, rng, auto_lock=300, door=True)

    for day in range(DAYS, -1, -1):
        weekday = _weekday(now, day)
        if weekday < 5:
            story.add(visit(local_time(now, day, 7, rng.randint(5, 40), rng.randint(0, 59)), anna))
        else:
            story.add(visit(local_time(now, day, 9, rng.randint(0, 59), rng.randint(0, 59)), anna))
        if weekday == 0:
            story.add(visit(local_time(now, day, 8, rng.randint(5, 20), rng.randint(0, 59)), cleaner))
            story.add(visit(local_time(now, day, 11, rng.randint(35, 55), rng.randint(0, 59)), cleaner))
        if weekday < 5:
            home_at = local_time(now, day, 17, 30) + _seconds(rng, 0, 70 * 60)
            evening = visit(home_at, jonas)
            if day == MOTOR_BLOCKED_DAYS_AGO:
                failed = evening[-1]
                evening[-1] = _Entry(failed.at, device, kind, LOCK, AUTO_LOCK, state=MOTOR_BLOCKED)
                evening.append(_Entry(failed.at + _seconds(rng, 120, 240), device, kind, LOCK, anna))
            story.add(evening)
        for _ in range(rng.randint(0, 2)):
            story.add(visit(local_time(now, day, rng.randint(10, 19), rng.randint(0, 59)), family))
        if weekday in (1, 3, 5):
            story.add(visit(local_time(now, day, rng.randint(14, 15), rng.randint(0, 59)), fob))


def _cellar(story: _Story, rng: random.Random) -> None:
    now, device, kind = story.now, home.CELLAR_ID, 0
    anna = Actor(home.OWNER_NAME, home.CELLAR_ANNA_AUTH_ID, home.ANNA_ACCOUNT_USER_ID)
    for day in range(DAYS, 1, -1):
        if rng.random() < 0.4:
            at = local_time(now, day, 18, rng.randint(0, 59))
            back = at + _seconds(rng, 10 * 60, 40 * 60)
            story.add([_Entry(at, device, kind, UNLOCK, anna), _Entry(back, device, kind, LOCK, anna)])
        if rng.random() < 0.15:
            at = local_time(now, day, rng.randint(10, 16), rng.randint(0, 59))
            back = at + _seconds(rng, 5 * 60, 20 * 60)
            story.add([_Entry(at, device, kind, UNLOCK, BY_HAND), _Entry(back, device, kind, LOCK, BY_HAND)])
    # Unlocked last night and never locked again: the cellar is still open.
    story.add([_Entry(local_time(now, 1, 21, 14, 37), device, kind, UNLOCK, anna)])


def _opener_log(source: int, rto: bool = False, cm: bool = False) -> OpenerLog:
    # openerLog.source: 0 doorbell, 2 app
    return OpenerLog(
        active_cm=cm,
        active_rto=rto,
        source=source,
        flag_geo_fence=False,
        flag_force=False,
        flag_doorbell_suppression=False,
    )


def _opener(story: _Story, rng: random.Random) -> None:
    now, device, kind = story.now, home.OPENER_ID, 2
    anna = Actor(home.OWNER_NAME, home.OPENER_ANNA_AUTH_ID, home.ANNA_ACCOUNT_USER_ID)
    jonas = Actor("Jonas Berger", home.OPENER_JONAS_AUTH_ID, home.JONAS_ACCOUNT_USER_ID)
    party_day = next(d for d in range(DAYS, -1, -1) if d > 7 and _weekday(now, d) == 5)
    for day in range(DAYS, -1, -1):
        for _ in range(rng.randint(0, 3)):
            ring = local_time(now, day, rng.randint(9, 19), rng.randint(0, 59))
            sequence = [_Entry(ring, device, kind, DOORBELL, DOORBELL_RING, opener_log=_opener_log(0))]
            if rng.random() < 0.6:
                who = anna if rng.random() < 0.6 else jonas
                opened = ring + _seconds(rng, 10, 40)
                sequence.append(_Entry(opened, device, kind, OPENER_OPEN, who, opener_log=_opener_log(2)))
            story.add(sequence)
        if rng.random() < 0.25:  # a parcel is due: ring to open for the courier
            on = local_time(now, day, rng.randint(9, 15), rng.randint(0, 59))
            ring = on + _seconds(rng, 5 * 60, 18 * 60)
            opened = ring + _seconds(rng, 1, 3)
            story.add(
                [
                    _Entry(on, device, kind, OPENER_RTO_ON, anna, opener_log=_opener_log(2, rto=True)),
                    _Entry(ring, device, kind, DOORBELL, DOORBELL_RING, opener_log=_opener_log(0, rto=True)),
                    _Entry(opened, device, kind, OPENER_OPEN, RING_TO_OPEN, opener_log=_opener_log(0, rto=True)),
                    _Entry(
                        opened + _seconds(rng, 1, 3),
                        device,
                        kind,
                        OPENER_RTO_OFF,
                        RING_TO_OPEN,
                        opener_log=_opener_log(0),
                    ),
                ]
            )
        if day == party_day:
            on = local_time(now, day, 19, 2)
            off = local_time(now, day, 23, 41)
            story.add(
                [
                    _Entry(on, device, kind, OPENER_CM_ON, anna, opener_log=_opener_log(2, cm=True)),
                    _Entry(off, device, kind, OPENER_CM_OFF, anna, opener_log=_opener_log(2)),
                ]
            )


def _back_door(story: _Story, rng: random.Random) -> None:
    now, device, kind = story.now, home.BACK_DOOR_ID, 3
    anna = Actor(home.OWNER_NAME, home.BACK_DOOR_ANNA_AUTH_ID, home.ANNA_ACCOUNT_USER_ID)
    sparkle = Actor("Sparkle Cleaning", home.BACK_DOOR_SPARKLE_AUTH_ID, home.SPARKLE_ACCOUNT_USER_ID)

    def visit(at: datetime, actor: Actor) -> list[_Entry]:
        return _visit(device, kind, at, actor, rng, auto_lock=120, door=True)

    for day in range(DAYS, -1, -1):
        if rng.random() < 0.7:
            story.add(visit(local_time(now, day, rng.randint(19, 20), rng.randint(0, 59)), anna))
        if _weekday(now, day) == 4:
            story.add(visit(local_time(now, day, 9, rng.randint(5, 20), rng.randint(0, 59)), sparkle))
            story.add(visit(local_time(now, day, 12, rng.randint(30, 50), rng.randint(0, 59)), sparkle))


def _garage(story: _Story, rng: random.Random) -> None:
    now, device, kind = story.now, home.GARAGE_ID, 5
    anna = Actor(home.OWNER_NAME, home.GARAGE_ANNA_AUTH_ID, home.ANNA_ACCOUNT_USER_ID)
    for day in range(DAYS, 2, -1):  # the garage lost its connection three days ago
        if _weekday(now, day) < 5 and rng.random() < 0.7:
            at = local_time(now, day, 7, rng.randint(40, 55), rng.randint(0, 59))
            story.add(_visit(device, kind, at, anna, rng, auto_lock=600, door=False))


# --- webhook deliveries ------------------------------------------------------------------------


def webhook_deliveries(logs: list[SmartlockLog], ids: ObjectIds, count: int = 6) -> list[WebhookLog]:
    """DEVICE_LOGS deliveries of the newest Front Door entries to the demo webhook; one failed."""
    rng = random.Random(home.API_KEY_ID)
    newest = sorted((log for log in logs if log.smartlock_id == home.FRONT_DOOR_ID), key=lambda log: log.id)
    deliveries: list[WebhookLog] = []
    for index, log in enumerate(newest[-count:]):
        sent = log.date + timedelta(milliseconds=rng.randint(300, 900))
        duration = rng.randint(80, 400)
        failed = index == count - 3
        payload: dict[str, object] = {
            "feature": "DEVICE_LOGS",
            "smartlockLog": log.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        signature = hmac.new(home.WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        answered = sent + timedelta(milliseconds=duration)
        deliveries.append(
            WebhookLog(
                id=ids.new(sent),
                succeeded=not failed,
                response_status=502 if failed else 200,
                duration=duration,
                account_id=home.ACCOUNT_ID,
                api_key_id=home.API_KEY_ID,
                request=WebhookMessage(
                    headers={
                        "Content-Type": "application/json; charset=UTF-8",
                        "X-Nuki-Signature-SHA256": signature,
                    },
                    body=payload,
                    timestamp=sent,
                    path=home.WEBHOOK_URL,
                ),
                response=WebhookMessage(
                    headers={"Content-Type": "text/html" if failed else "text/plain"},
                    timestamp=answered,
                    path=home.WEBHOOK_URL,
                ),
                created=sent,
                updated=answered,
            )
        )
    return deliveries
