"""Wire models of addresses (rental objects), their units, reservations and invitation tokens,
partner services and notifications (spec v3.9.0, REFERENCE §4 "Addresses" and "Misc").

Same conventions as `models.py`: lenient response models, strict request models.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, JsonValue

from nuki_mcp.nuki.models import RequestModel, WireModel

MINUTES_PER_DAY = 24 * 60

# --- addresses ---------------------------------------------------------------------------------


class Address(WireModel):
    address_id: int
    account_id: int | None = None
    name: str = ""
    smartlock_ids: list[int] = Field(default_factory=list[int])
    service_id: str | None = None
    time_zone: str | None = None
    check_in_time: int | None = None  # minutes since midnight, in `time_zone`
    check_out_time: int | None = None
    settings: dict[str, JsonValue] | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None


class AddressUnit(WireModel):
    """`AddressUnitResponse`."""

    id: str
    name: str = ""
    address_id: int | None = None
    address_token_id: str | None = None
    operation_id: str | None = None
    creation_date: datetime | None = None
    redeem_date: datetime | None = None
    redeem_result: str | None = None


class AddressReservation(WireModel):
    id: str
    address_id: int | None = None
    account_id: int | None = None
    email: str = ""
    name: str = ""
    guests: int = 0
    guests_issued: int = 0
    keypad_issued: bool = False
    state: str = "accepted"  # accepted / canceled
    service_id: str | None = None
    reference: str | None = None
    automation: int | None = None
    checked_in: bool | None = None
    start_date: datetime
    end_date: datetime
    update_date: datetime | None = None
    is_currently_issuing_auth: bool = False
    is_currently_revoking_auth: bool = False
    has_custom_access_times: bool = False
    currently_issuing_auth: bool | None = None
    currently_revoking_auth: bool | None = None
    # Not in the spec's model, sent where custom access times are set (the address's apply otherwise).
    check_in_time: int | None = None
    check_out_time: int | None = None

    @property
    def access_issued(self) -> bool:
        """Whether guest authorizations of this reservation exist (app users or a keypad code)."""
        return self.guests_issued > 0 or self.keypad_issued


class AddressToken(WireModel):
    id: str
    address_id: int | None = None
    creation_date: datetime | None = None
    redeem_date: datetime | None = None
    redeem_account_id: int | None = None
    invite_keys: list[str] = Field(default_factory=list[str])
    redeem_result: str | None = None


class PartnerService(WireModel):
    """`Service`: the spec's schema is a framework class; these are the fields the live API is believed to send."""

    service_id: str
    name: str | None = None
    enabled: bool | None = None
    linked: bool | None = None
    last_sync_date: datetime | None = None


class AddressCreate(RequestModel):
    name: str = Field(min_length=1)
    smartlock_ids: list[int]


class AddressUpdate(RequestModel):
    name: str | None = None
    smartlock_ids: list[int] | None = None


class AddressUnitCreate(RequestModel):
    """`AddressUnit` as sent: only its name is writable."""

    name: str = Field(min_length=1)


class ReservationAccessTimesUpdate(RequestModel):
    check_in_time: int | None = Field(default=None, ge=0, lt=MINUTES_PER_DAY)
    check_out_time: int | None = Field(default=None, ge=0, lt=MINUTES_PER_DAY)


# --- notifications -----------------------------------------------------------------------------

NOTIFICATION_WEBHOOK = 2  # Notification.os: 0 Android, 1 iOS, 2 webhook
NOTIFICATION_FAILED = 2  # Notification.status: 0 init, 1 active, 2 failed


class NotificationSetting(WireModel):
    smartlock_id: int | None = None  # None: every device of the account
    trigger_events: list[str] = Field(default_factory=list[str])
    auth_ids: list[str] | None = None


class Notification(WireModel):
    notification_id: str | None = None
    reference_id: str | None = None
    push_id: str = ""
    secret: str | None = None
    os: int = NOTIFICATION_WEBHOOK
    language: str | None = None
    status: int | None = None
    last_active_date: datetime | None = None
    settings: list[NotificationSetting] = Field(default_factory=list[NotificationSetting])


class NotificationSettingWrite(RequestModel):
    smartlock_id: int | None = None
    trigger_events: list[str] = Field(min_length=1)
    auth_ids: list[str] | None = None


class NotificationWrite(RequestModel):
    """`Notification` as sent (PUT to create, POST to update); status and dates are Nuki's."""

    notification_id: str | None = None
    reference_id: str | None = None
    push_id: str = Field(min_length=1)
    secret: str | None = None
    os: int = NOTIFICATION_WEBHOOK
    language: str | None = None
    settings: list[NotificationSettingWrite] = Field(min_length=1)
