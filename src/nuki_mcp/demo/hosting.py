"""The simulated account's addresses, reservations, partner services and notifications, and the
household's seed of them: a holiday flat behind the Back Door, let through Airbnb.

Ids are public constants so tests can refer to them; dates are relative to `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nuki_mcp.demo.household import ACCOUNT_ID, BACK_DOOR_ID, FRONT_DOOR_ID, OPENER_ID
from nuki_mcp.nuki.models_properties import (
    Address,
    AddressReservation,
    AddressToken,
    AddressUnit,
    Notification,
    NotificationSetting,
    PartnerService,
)

HOLIDAY_FLAT_ADDRESS_ID = 3001
HOLIDAY_FLAT_NAME = "Garden Flat"
HOME_ADDRESS_ID = 3002
HOME_NAME = "Berger Home"
HOLIDAY_FLAT_UNIT_ID = "66b1d2e3f4a5b6c7d8e9f001"
HOLIDAY_FLAT_TOKEN_ID = "66b1d2e3f4a5b6c7d8e9f101"
CURRENT_RESERVATION_ID = "66b1d2e3f4a5b6c7d8e9f201"  # Lena Hofmann: staying now, access issued
ENDED_RESERVATION_ID = "66b1d2e3f4a5b6c7d8e9f202"  # Marco Rossi: left 3 days ago, access still issued
UPCOMING_RESERVATION_ID = "66b1d2e3f4a5b6c7d8e9f203"  # Sophie Martin: arrives in 6 days, not issued yet
IMPORTED_RESERVATION_ID = "66b1d2e3f4a5b6c7d8e9f204"  # Airbnb sends it on the next sync
NOTIFICATION_ID = "66b1d2e3f4a5b6c7d8e9f301"
NOTIFICATION_URL = "https://home.example.com/nuki-notify"
NOTIFICATION_SECRET = "2c7e41a9b3d05f86e1c4a7b92d3f60e8a5c1b7d4"
PHONE_NOTIFICATION_ID = "66b1d2e3f4a5b6c7d8e9f302"  # Anna's iPhone: battery warnings of every device
CHECK_IN_MINUTES = 15 * 60
CHECK_OUT_MINUTES = 10 * 60


@dataclass
class HostingData:
    """What `/address…`, `/service…` and `/notification…` serve; empty for an unseeded account."""

    addresses: dict[int, Address] = field(default_factory=dict[int, Address])
    units: dict[str, AddressUnit] = field(default_factory=dict[str, AddressUnit])
    reservations: dict[str, AddressReservation] = field(default_factory=dict[str, AddressReservation])
    tokens: dict[str, AddressToken] = field(default_factory=dict[str, AddressToken])
    services: dict[str, PartnerService] = field(default_factory=dict[str, PartnerService])
    # Bookings a linked service holds that Nuki has not imported yet: `POST /service/{id}/sync` brings them in.
    not_yet_imported: list[AddressReservation] = field(default_factory=list[AddressReservation])
    notifications: dict[str, Notification] = field(default_factory=dict[str, Notification])


def _at(now: datetime, days: int, minutes: int) -> datetime:
    """`days` from today at `minutes` past midnight UTC (the flat's check-in and check-out times)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=days, minutes=minutes)


def _reservation(
    now: datetime, reservation_id: str, guest: str, email: str, *, guests: int, start: int, nights: int, issued: bool
) -> AddressReservation:
    return AddressReservation(
        id=reservation_id,
        address_id=HOLIDAY_FLAT_ADDRESS_ID,
        account_id=ACCOUNT_ID,
        email=email,
        name=guest,
        guests=guests,
        guests_issued=guests if issued else 0,
        keypad_issued=issued,
        state="accepted",
        service_id="airbnb",
        reference=f"HM{reservation_id[-6:].upper()}",
        automation=1,
        checked_in=None,
        start_date=_at(now, start, CHECK_IN_MINUTES),
        end_date=_at(now, start + nights, CHECK_OUT_MINUTES),
        update_date=now - timedelta(days=10),
    )


def seed(data: HostingData, now: datetime) -> None:
    """The household's holiday flat, its Airbnb bookings and a failing notification webhook."""
    data.addresses[HOLIDAY_FLAT_ADDRESS_ID] = Address(
        address_id=HOLIDAY_FLAT_ADDRESS_ID,
        account_id=ACCOUNT_ID,
        name=HOLIDAY_FLAT_NAME,
        smartlock_ids=[BACK_DOOR_ID],
        service_id="airbnb",
        time_zone="Europe/Vienna",
        check_in_time=CHECK_IN_MINUTES,
        check_out_time=CHECK_OUT_MINUTES,
        settings={},
        creation_date=now - timedelta(days=200),
        update_date=now - timedelta(days=40),
    )
    data.addresses[HOME_ADDRESS_ID] = Address(
        address_id=HOME_ADDRESS_ID,
        account_id=ACCOUNT_ID,
        name=HOME_NAME,
        smartlock_ids=[FRONT_DOOR_ID, OPENER_ID],
        time_zone="Europe/Vienna",
        settings={},
        creation_date=now - timedelta(days=380),
        update_date=now - timedelta(days=380),
    )
    data.units[HOLIDAY_FLAT_UNIT_ID] = AddressUnit(
        id=HOLIDAY_FLAT_UNIT_ID,
        name="Flat 1",
        address_id=HOLIDAY_FLAT_ADDRESS_ID,
        address_token_id=HOLIDAY_FLAT_TOKEN_ID,
        creation_date=now - timedelta(days=200),
        redeem_date=now - timedelta(days=199),
        redeem_result="ok",
    )
    data.tokens[HOLIDAY_FLAT_TOKEN_ID] = AddressToken(
        id=HOLIDAY_FLAT_TOKEN_ID,
        address_id=HOLIDAY_FLAT_ADDRESS_ID,
        creation_date=now - timedelta(days=200),
        redeem_date=now - timedelta(days=199),
        redeem_account_id=ACCOUNT_ID,
        invite_keys=["c4f1a2"],
        redeem_result="ok",
    )
    for reservation in (
        _reservation(
            now, CURRENT_RESERVATION_ID, "Lena Hofmann", "lena@example.net", guests=2, start=-2, nights=5, issued=True
        ),
        _reservation(
            now, ENDED_RESERVATION_ID, "Marco Rossi", "marco@example.net", guests=1, start=-7, nights=4, issued=True
        ),
        _reservation(
            now,
            UPCOMING_RESERVATION_ID,
            "Sophie Martin",
            "sophie@example.net",
            guests=3,
            start=6,
            nights=7,
            issued=False,
        ),
    ):
        data.reservations[reservation.id] = reservation
    data.not_yet_imported.append(
        _reservation(
            now, IMPORTED_RESERVATION_ID, "Tom Becker", "tom@example.net", guests=2, start=20, nights=3, issued=False
        )
    )
    data.services["airbnb"] = PartnerService(
        service_id="airbnb", name="Airbnb", enabled=True, linked=True, last_sync_date=now - timedelta(hours=5)
    )
    data.services["bookingsync"] = PartnerService(service_id="bookingsync", name="BookingSync", linked=False)
    data.notifications[NOTIFICATION_ID] = Notification(
        notification_id=NOTIFICATION_ID,
        reference_id="back-door-at-night",
        push_id=NOTIFICATION_URL,
        secret=NOTIFICATION_SECRET,
        os=2,
        language="de",
        status=2,  # failed: the receiver stopped answering
        last_active_date=now - timedelta(days=3),
        settings=[NotificationSetting(smartlock_id=BACK_DOOR_ID, trigger_events=["unlatch", "doorsensor"])],
    )
    data.notifications[PHONE_NOTIFICATION_ID] = Notification(
        notification_id=PHONE_NOTIFICATION_ID,
        push_id="apns-7d1f0c9e2b4a",
        os=1,  # iOS push
        language="de",
        status=1,  # active
        last_active_date=now - timedelta(days=1),
        settings=[NotificationSetting(trigger_events=["warnings"])],  # no smartlockId: every device
    )
