"""The simulated `/address…`, `/service…` and `/notification…` endpoints, with Nuki's behaviour:
unit deletes are asynchronous (200 with a requestId, 423 while a unit is locked), the other writes
answer 204 or the object as the spec says, and reservations arrive from a linked service's sync.
"""

from __future__ import annotations

import hashlib
from functools import partial
from urllib.parse import urlsplit

import httpx2

from nuki_mcp.demo import rules
from nuki_mcp.demo.routing import ApiError, ApiRequest, Router, json_response, no_content
from nuki_mcp.demo.state import SimulatedAccount, wire
from nuki_mcp.nuki.models_properties import (
    NOTIFICATION_WEBHOOK,
    Address,
    AddressCreate,
    AddressReservation,
    AddressUnit,
    AddressUnitCreate,
    AddressUpdate,
    Notification,
    NotificationSetting,
    NotificationWrite,
    ReservationAccessTimesUpdate,
)

ADDRESS = "/address/{address_id:int}"
RESERVATION = ADDRESS + "/reservation/{reservation_id}"
TRIGGER_EVENTS = frozenset(
    {"lock", "unlock", "unlatch", "lockngo", "open", "ring", "doorsensor", "warnings", "smartlock"}
)
LANGUAGES = frozenset({"cs", "de", "en", "es", "fr", "it", "nl", "sk"})
NAME_MAX = 50


def register_properties(router: Router, state: SimulatedAccount) -> None:
    """Bind the address, reservation, service and notification endpoints to `router`."""
    api = _PropertiesApi(state)
    add = router.add
    add("GET", "/address", api.list_addresses)
    add("PUT", "/address", api.create_address)
    add("POST", ADDRESS, api.update_address)
    add("DELETE", ADDRESS, api.delete_address)
    add("GET", ADDRESS + "/unit", api.list_units)
    add("PUT", ADDRESS + "/unit", api.create_unit)
    add("DELETE", ADDRESS + "/unit", api.delete_units)
    add("GET", ADDRESS + "/reservation", api.list_reservations)
    add("POST", RESERVATION + "/issue", api.issue)
    add("POST", RESERVATION + "/revoke", api.revoke)
    add("POST", RESERVATION + "/update/accesstimes", api.access_times)
    add("GET", ADDRESS + "/token", api.list_tokens)
    add("GET", "/service", api.list_services)
    add("POST", "/service/{service_id}/sync", api.sync_service)
    add("GET", "/notification", api.list_notifications)
    add("PUT", "/notification", api.create_notification)
    add("GET", "/notification/{notification_id}", api.get_notification)
    add("POST", "/notification/{notification_id}", api.update_notification)
    add("DELETE", "/notification/{notification_id}", api.delete_notification)


class _PropertiesApi:
    def __init__(self, state: SimulatedAccount) -> None:
        self.state = state
        self.data = state.hosting

    # --- addresses -----------------------------------------------------------------------------

    def _address(self, request: ApiRequest) -> Address:
        address_id = int(request.params["address_id"])
        address = self.data.addresses.get(address_id)
        if address is None:
            raise ApiError(403, f"Address {address_id} does not belong to this account")
        return address

    def _check_devices(self, smartlock_ids: list[int]) -> list[int]:
        for smartlock_id in smartlock_ids:
            if smartlock_id not in self.state.devices:
                raise ApiError(400, f"Invalid parameter smartlockIds: {smartlock_id} is not a device")
        return list(dict.fromkeys(smartlock_ids))

    def list_addresses(self, request: ApiRequest) -> httpx2.Response:
        return json_response([wire(a) for a in self.data.addresses.values()])

    def create_address(self, request: ApiRequest) -> httpx2.Response:
        create = rules.parse_body(AddressCreate, request.body)
        _check_name(create.name)
        now = self.state.now()
        address = Address(
            address_id=max(self.data.addresses, default=3000) + 1,
            account_id=self.state.account.account_id,
            name=create.name,
            smartlock_ids=self._check_devices(create.smartlock_ids),
            time_zone="Europe/Vienna",
            settings={},
            creation_date=now,
            update_date=now,
        )
        self.data.addresses[address.address_id] = address
        return json_response(wire(address))

    def update_address(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        update = rules.parse_body(AddressUpdate, request.body)
        if update.name is not None:
            _check_name(update.name)
            address.name = update.name
        if update.smartlock_ids is not None:
            address.smartlock_ids = self._check_devices(update.smartlock_ids)
        address.update_date = self.state.now()
        return no_content()

    def delete_address(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        del self.data.addresses[address.address_id]
        keep = address.address_id
        self.data.units = {k: u for k, u in self.data.units.items() if u.address_id != keep}
        self.data.reservations = {k: r for k, r in self.data.reservations.items() if r.address_id != keep}
        self.data.tokens = {k: t for k, t in self.data.tokens.items() if t.address_id != keep}
        return no_content()

    # --- units and tokens ----------------------------------------------------------------------

    def list_units(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        units = [u for u in self.data.units.values() if u.address_id == address.address_id]
        return json_response([wire(u) for u in units])

    def create_unit(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        create = rules.parse_body(AddressUnitCreate, request.body)
        _check_name(create.name)
        now = self.state.now()
        unit = AddressUnit(
            id=self.state.ids.new(now), name=create.name, address_id=address.address_id, creation_date=now
        )
        self.data.units[unit.id] = unit
        return json_response(wire(unit))

    def delete_units(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        body = request.body
        if not isinstance(body, list) or not body or not all(isinstance(item, str) for item in body):
            raise ApiError(400, "Bad parameter: the body must be a non-empty array of unit ids")
        units: list[AddressUnit] = []
        for unit_id in body:
            unit = self.data.units.get(str(unit_id))
            if unit is None or unit.address_id != address.address_id:
                raise ApiError(400, f"Bad parameter: unit {unit_id} is not a unit of address {address.address_id}")
            if unit.operation_id is not None:
                raise ApiError(423, "The unit is locked by a pending operation; try again later")
            units.append(unit)
        operation_id = self.state.ids.new(self.state.now())
        for unit in units:
            unit.operation_id = operation_id
        due = self.state.clock.monotonic() + self.state.action_delay
        self.state.schedule(due, partial(self._remove_units, [u.id for u in units]))
        return json_response({"requestId": operation_id})

    def _remove_units(self, unit_ids: list[str], _due: float) -> None:
        for unit_id in unit_ids:
            self.data.units.pop(unit_id, None)

    def list_tokens(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        return json_response([wire(t) for t in self.data.tokens.values() if t.address_id == address.address_id])

    # --- reservations --------------------------------------------------------------------------

    def _reservation(self, request: ApiRequest) -> AddressReservation:
        address = self._address(request)
        reservation = self.data.reservations.get(request.params["reservation_id"])
        if reservation is None or reservation.address_id != address.address_id:
            raise ApiError(400, f"Bad parameter: no reservation {request.params['reservation_id']} at this address")
        return reservation

    def list_reservations(self, request: ApiRequest) -> httpx2.Response:
        address = self._address(request)
        found = [r for r in self.data.reservations.values() if r.address_id == address.address_id]
        return json_response([wire(r) for r in sorted(found, key=lambda r: r.start_date)])

    def issue(self, request: ApiRequest) -> httpx2.Response:
        reservation = self._reservation(request)
        if reservation.state == "canceled":
            raise ApiError(400, "Bad parameter: the reservation was canceled")
        if reservation.end_date <= self.state.now():
            raise ApiError(400, "Bad parameter: the reservation has ended")
        reservation.guests_issued = reservation.guests
        reservation.keypad_issued = True
        reservation.update_date = self.state.now()
        return no_content()

    def revoke(self, request: ApiRequest) -> httpx2.Response:
        reservation = self._reservation(request)
        reservation.guests_issued = 0
        reservation.keypad_issued = False
        reservation.update_date = self.state.now()
        return no_content()

    def access_times(self, request: ApiRequest) -> httpx2.Response:
        reservation = self._reservation(request)
        times = rules.parse_body(ReservationAccessTimesUpdate, request.body)
        if times.check_in_time is None and times.check_out_time is None:
            raise ApiError(400, "Bad parameter: checkInTime or checkOutTime is required")
        if times.check_in_time is not None:
            reservation.check_in_time = times.check_in_time
        if times.check_out_time is not None:
            reservation.check_out_time = times.check_out_time
        reservation.has_custom_access_times = True
        reservation.update_date = self.state.now()
        return no_content()

    # --- partner services ----------------------------------------------------------------------

    def list_services(self, request: ApiRequest) -> httpx2.Response:
        wanted = {s.strip() for s in request.query.get("serviceIds", "").split(",") if s.strip()}
        services = [s for s in self.data.services.values() if not wanted or s.service_id in wanted]
        return json_response([wire(s) for s in services])

    def sync_service(self, request: ApiRequest) -> httpx2.Response:
        service = self.data.services.get(request.params["service_id"])
        if service is None or not service.linked:
            raise ApiError(400, f"Bad parameter: service {request.params['service_id']} is not linked")
        now = self.state.now()
        arrived = [r for r in self.data.not_yet_imported if r.service_id == service.service_id]
        for reservation in arrived:
            if reservation.address_id in self.data.addresses:
                reservation.update_date = now
                self.data.reservations[reservation.id] = reservation
        self.data.not_yet_imported = [r for r in self.data.not_yet_imported if r not in arrived]
        service.last_sync_date = now
        return no_content()

    # --- notifications -------------------------------------------------------------------------

    def _notification(self, request: ApiRequest) -> Notification:
        notification = self.data.notifications.get(request.params["notification_id"])
        if notification is None:
            raise ApiError(404, f"Notification {request.params['notification_id']} not found")
        return notification

    def _checked(self, request: ApiRequest) -> NotificationWrite:
        write = rules.parse_body(NotificationWrite, request.body)
        if write.os == NOTIFICATION_WEBHOOK:
            url = urlsplit(write.push_id)
            if url.scheme != "https" or not url.netloc:
                raise ApiError(400, "Bad parameter pushId: a webhook notification needs an https URL")
        if write.language is not None and write.language not in LANGUAGES:
            raise ApiError(400, f"Bad parameter language: {write.language}")
        for setting in write.settings:
            if setting.smartlock_id is not None and setting.smartlock_id not in self.state.devices:
                raise ApiError(400, f"Bad parameter smartlockId: {setting.smartlock_id} is not a device")
            unknown = [e for e in setting.trigger_events if e not in TRIGGER_EVENTS]
            if unknown:
                raise ApiError(400, f"Bad parameter triggerEvents: unknown event {unknown[0]}")
            for auth_id in setting.auth_ids or ():
                auth = self.state.auths.get(auth_id)
                if auth is None or (setting.smartlock_id is not None and auth.smartlock_id != setting.smartlock_id):
                    raise ApiError(400, f"Bad parameter authIds: {auth_id} is not an authorization of the device")
        return write

    def _settings(self, write: NotificationWrite) -> list[NotificationSetting]:
        return [
            NotificationSetting(
                smartlock_id=s.smartlock_id, trigger_events=list(dict.fromkeys(s.trigger_events)), auth_ids=s.auth_ids
            )
            for s in write.settings
        ]

    def list_notifications(self, request: ApiRequest) -> httpx2.Response:
        reference = request.query.get("referenceId") or None
        found = [n for n in self.data.notifications.values() if reference is None or n.reference_id == reference]
        return json_response([wire(n) for n in found])

    def get_notification(self, request: ApiRequest) -> httpx2.Response:
        return json_response(wire(self._notification(request)))

    def create_notification(self, request: ApiRequest) -> httpx2.Response:
        write = self._checked(request)
        notification_id = self.state.ids.new(self.state.now())
        notification = Notification(
            notification_id=notification_id,
            reference_id=write.reference_id,
            push_id=write.push_id,
            secret=write.secret or _secret(notification_id, write.push_id),
            os=write.os,
            language=write.language or "en",
            status=0,  # init
            settings=self._settings(write),
        )
        self.data.notifications[notification_id] = notification
        return json_response(wire(notification))

    def update_notification(self, request: ApiRequest) -> httpx2.Response:
        notification = self._notification(request)
        write = self._checked(request)
        notification.push_id = write.push_id
        notification.os = write.os
        notification.settings = self._settings(write)
        if write.reference_id is not None:
            notification.reference_id = write.reference_id
        if write.language is not None:
            notification.language = write.language
        if write.secret is not None:
            notification.secret = write.secret
        notification.status = 0  # a changed notification starts over
        return json_response(wire(notification))

    def delete_notification(self, request: ApiRequest) -> httpx2.Response:
        notification = self._notification(request)
        del self.data.notifications[notification.notification_id or ""]
        return no_content()


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > NAME_MAX:
        raise ApiError(400, f"Invalid parameter name: 1 to {NAME_MAX} characters")


def _secret(notification_id: str, url: str) -> str:
    """A stable 40-hex signing secret (no randomness, so demo runs repeat exactly)."""
    return hashlib.sha256(f"nuki-demo-notification:{notification_id}:{url}".encode()).hexdigest()[:40]
