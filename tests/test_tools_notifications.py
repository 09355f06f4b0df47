"""Toolset `notifications`: webhook notifications for chosen events, devices and authorizations."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.demo.hosting import NOTIFICATION_ID, NOTIFICATION_SECRET, NOTIFICATION_URL, PHONE_NOTIFICATION_ID
from nuki_mcp.demo.household import (
    BACK_DOOR_ID,
    CELLAR_ANNA_AUTH_ID,
    CELLAR_ID,
    FRONT_DOOR_ANNA_AUTH_ID,
    FRONT_DOOR_ID,
)
from tests.support import Harness, Json, call_error, call_ok, dumps, obj, rows

pytestmark = pytest.mark.anyio

URL = "https://hooks.example.org/nuki-events"


def by_id(result: Json) -> dict[str, Json]:
    return {str(n["notification_id"]): n for n in rows(result, "notifications")}


async def test_notifications_are_listed_with_devices_and_status_but_never_their_secret_or_push_id(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path).client() as client:
        result = await call_ok(client, "list_notifications")
    listed = by_id(result)
    webhook, phone = listed[NOTIFICATION_ID], listed[PHONE_NOTIFICATION_ID]
    assert (webhook["delivery"], webhook["url"], webhook["status"]) == ("webhook", NOTIFICATION_URL, "failed")
    (setting,) = rows(webhook, "settings")
    assert obj(setting, "device")["name"] == "Back Door"
    assert setting["trigger_events"] == ["unlatch", "doorsensor"]
    assert (phone["delivery"], phone["url"]) == ("ios", None)
    assert rows(phone, "settings")[0]["device"] is None  # every device
    text = dumps(result)
    assert NOTIFICATION_SECRET not in text
    assert "apns-" not in text


async def test_a_notification_for_one_device_and_one_person_is_sent_as_nuki_expects(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        created = await call_ok(
            client,
            "create_notification",
            {
                "url": URL,
                "trigger_events": ["unlatch", "doorsensor", "unlatch"],
                "smartlocks": ["Front Door", "Cellar"],
                "authorizations": ["anna berger"],
                "language": "de",
            },
        )
        listing = await call_ok(client, "list_notifications")
    (write,) = harness.sim.writes()
    assert (write.method, write.path) == ("PUT", "/notification")
    assert isinstance(write.body, dict)
    assert write.body["os"] == 2
    assert write.body["pushId"] == URL
    assert write.body["settings"] == [
        {
            "smartlockId": FRONT_DOOR_ID,
            "triggerEvents": ["unlatch", "doorsensor"],
            "authIds": [FRONT_DOOR_ANNA_AUTH_ID],
        },
        {"smartlockId": CELLAR_ID, "triggerEvents": ["unlatch", "doorsensor"], "authIds": [CELLAR_ANNA_AUTH_ID]},
    ]
    secret = created["secret"]
    assert isinstance(secret, str)
    assert len(secret) == 40
    assert write.body["secret"] == secret
    assert secret not in dumps(listing)
    assert [s["authorizations"] for s in rows(obj(created, "notification"), "settings")] == [
        ["Anna Berger"],
        ["Anna Berger"],
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://hooks.example.org/nuki", "must start with https://"),
        ("https://hooks.example.org/\u202egro.live", "invisible"),
        ("https://user:pw@hooks.example.org/", "not a valid https URL"),
    ],
)
async def test_an_unsafe_url_is_refused_before_anything_is_sent(tmp_path: Path, url: str, expected: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "create_notification", {"url": url, "trigger_events": ["lock"]})
    assert expected in error
    assert harness.sim.writes() == []


async def test_an_unknown_authorization_is_refused_with_the_names_there_are(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(
            client,
            "create_notification",
            {"url": URL, "trigger_events": ["unlock"], "smartlocks": ["Front Door"], "authorizations": ["Mallory"]},
        )
    assert "No authorization 'Mallory'" in error
    assert "Cleaner" in error
    assert harness.sim.writes() == []


async def test_a_notification_for_every_device_is_refused_when_the_allow_list_hides_some(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        refused = await call_error(client, "create_notification", {"url": URL, "trigger_events": ["lock"]})
        allowed = await call_ok(
            client, "create_notification", {"url": URL, "trigger_events": ["lock"], "smartlocks": ["Front Door"]}
        )
        listing = await call_ok(client, "list_notifications")
    assert "allow-list" in refused
    assert allowed["status"] == "done"
    # The Back Door's notification stays out of sight; the phone's covers every device and shows none.
    assert NOTIFICATION_ID not in by_id(listing)
    assert "Back Door" not in dumps(listing)


async def test_an_update_changes_only_the_events_and_keeps_device_url_and_secret(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        updated = await call_ok(
            client, "update_notification", {"notification_id": NOTIFICATION_ID, "trigger_events": ["unlatch", "ring"]}
        )
    (write,) = harness.sim.writes()
    assert (write.method, write.path) == ("POST", f"/notification/{NOTIFICATION_ID}")
    assert isinstance(write.body, dict)
    assert write.body["pushId"] == NOTIFICATION_URL
    assert write.body["settings"] == [{"smartlockId": BACK_DOOR_ID, "triggerEvents": ["unlatch", "ring"]}]
    assert "secret" not in write.body
    assert "trigger_events" in str(updated["summary"])
    assert rows(obj(updated, "notification"), "settings")[0]["trigger_events"] == ["unlatch", "ring"]


async def test_a_phone_push_registration_is_not_changed_from_here(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(
            client, "update_notification", {"notification_id": PHONE_NOTIFICATION_ID, "trigger_events": ["lock"]}
        )
    assert "Nuki app" in error
    assert harness.sim.writes() == []


async def test_a_deleted_notification_is_gone(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        deleted = await call_ok(client, "delete_notification", {"notification_id": NOTIFICATION_ID})
        listing = await call_ok(client, "list_notifications")
        missing = await call_error(client, "delete_notification", {"notification_id": NOTIFICATION_ID})
    assert NOTIFICATION_URL in str(deleted["summary"])
    assert NOTIFICATION_ID not in by_id(listing)
    assert "(404)" in missing
