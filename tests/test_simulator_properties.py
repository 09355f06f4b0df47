"""The simulated address, reservation, service and notification endpoints answer as Nuki's spec says."""

from __future__ import annotations

import httpx2
import pytest

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator
from nuki_mcp.demo.hosting import ENDED_RESERVATION_ID, HOLIDAY_FLAT_ADDRESS_ID, NOTIFICATION_ID
from nuki_mcp.demo.household import FRONT_DOOR_ID

pytestmark = pytest.mark.anyio

FLAT = f"/address/{HOLIDAY_FLAT_ADDRESS_ID}"


async def send(sim: NukiSimulator, method: str, path: str, body: object = None) -> httpx2.Response:
    async with httpx2.AsyncClient(base_url=sim.base_url, transport=sim.transport()) as http:
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        if body is None:
            return await http.request(method, path, headers=headers)
        return await http.request(method, path, headers=headers, json=body)


async def test_creating_answers_200_with_the_object_and_updating_or_deleting_answers_204() -> None:
    sim = NukiSimulator(clock=ManualClock())
    created = await send(sim, "PUT", "/address", {"name": "Lake House", "smartlockIds": [FRONT_DOOR_ID]})
    address_id = created.json()["addressId"]
    updated = await send(sim, "POST", f"/address/{address_id}", {"name": "Lake Cabin"})
    deleted = await send(sim, "DELETE", f"/address/{address_id}")
    notification = await send(
        sim,
        "PUT",
        "/notification",
        {"pushId": "https://hooks.example.org/n", "os": 2, "settings": [{"triggerEvents": ["lock"]}]},
    )
    assert (created.status_code, updated.status_code, deleted.status_code) == (200, 204, 204)
    assert notification.status_code == 200
    assert len(notification.json()["secret"]) == 40
    assert (await send(sim, "DELETE", f"/notification/{NOTIFICATION_ID}")).status_code == 204
    assert (await send(sim, "DELETE", f"/notification/{NOTIFICATION_ID}")).status_code == 404


async def test_unit_deletes_are_asynchronous_and_locked_until_done() -> None:
    clock = ManualClock()
    sim = NukiSimulator(clock=clock)
    units = (await send(sim, "GET", f"{FLAT}/unit")).json()
    unit_ids = [u["id"] for u in units]
    first = await send(sim, "DELETE", f"{FLAT}/unit", unit_ids)
    again = await send(sim, "DELETE", f"{FLAT}/unit", unit_ids)
    clock.advance(5)
    after = (await send(sim, "GET", f"{FLAT}/unit")).json()
    assert first.status_code == 200
    assert first.json()["requestId"]
    assert again.status_code == 423
    assert after == []


async def test_an_ended_reservation_cannot_be_issued_but_can_be_revoked() -> None:
    sim = NukiSimulator(clock=ManualClock())
    issue = await send(sim, "POST", f"{FLAT}/reservation/{ENDED_RESERVATION_ID}/issue")
    revoke = await send(sim, "POST", f"{FLAT}/reservation/{ENDED_RESERVATION_ID}/revoke")
    ended = next(r for r in (await send(sim, "GET", f"{FLAT}/reservation")).json() if r["id"] == ENDED_RESERVATION_ID)
    assert (issue.status_code, revoke.status_code) == (400, 204)
    assert (ended["guestsIssued"], ended["keypadIssued"]) == (0, False)


async def test_only_a_linked_service_syncs_and_a_foreign_address_is_forbidden() -> None:
    sim = NukiSimulator(clock=ManualClock())
    assert (await send(sim, "POST", "/service/airbnb/sync")).status_code == 204
    assert (await send(sim, "POST", "/service/bookingsync/sync")).status_code == 400
    assert (await send(sim, "GET", "/address/9999/reservation")).status_code == 403


async def test_a_webhook_notification_needs_an_https_url_and_known_events() -> None:
    sim = NukiSimulator(clock=ManualClock())
    plain = await send(
        sim,
        "PUT",
        "/notification",
        {"pushId": "http://x.example.org", "os": 2, "settings": [{"triggerEvents": ["lock"]}]},
    )
    unknown = await send(
        sim,
        "PUT",
        "/notification",
        {"pushId": "https://x.example.org", "os": 2, "settings": [{"triggerEvents": ["x"]}]},
    )
    assert (plain.status_code, unknown.status_code) == (400, 400)
