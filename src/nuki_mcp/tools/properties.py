"""Toolset `properties` (opt-in): addresses (rental objects grouping devices), their units,
reservations and invitation tokens, and the partner services (Airbnb, ...) that import bookings.

An address reaches its devices: under NUKI_DEVICES an address with a device outside the
allow-list is neither listed nor changed, and a write plan names the address's devices.
"""

import dataclasses
from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import Smartlock
from nuki_mcp.nuki.models_properties import (
    Address,
    AddressCreate,
    AddressReservation,
    AddressToken,
    AddressUnit,
    AddressUnitCreate,
    AddressUpdate,
    PartnerService,
    ReservationAccessTimesUpdate,
)
from nuki_mcp.tools.common import (
    READ,
    LimitArg,
    SmartlockArg,
    device_ref,
    match_by_name,
    match_device,
    nuki_errors,
    register_tool,
    visible_devices,
)
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

Period = Literal["upcoming", "current", "past"]

AddressArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="The address's address_id or name (case-insensitive; a unique part is enough), as "
        "list_addresses shows.",
    ),
]
AddressNameArg = Annotated[str, Field(min_length=1, max_length=50, description="The address's name.")]
NewAddressNameArg = Annotated[
    str | None, Field(default=None, min_length=1, max_length=50, description="A new name for the address.")
]
AddressDevicesArg = Annotated[
    list[SmartlockArg],
    Field(min_length=1, max_length=50, description="The devices of the address, by smartlockId or name."),
]
NewAddressDevicesArg = Annotated[
    list[SmartlockArg] | None,
    Field(
        default=None,
        min_length=1,
        max_length=50,
        description="The address's devices from now on (replaces the list), by smartlockId or name.",
    ),
]
UnitNameArg = Annotated[str, Field(min_length=1, max_length=50, description="The unit's name, e.g. Flat 2.")]
UnitsArg = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(min_length=1, max_length=50, description="The units to delete, by unit_id or exact name."),
]
ReservationArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="The reservation's reservation_id, booking reference or guest name (a unique part is "
        "enough), as list_reservations shows.",
    ),
]
PeriodArg = Annotated[
    Period | None,
    Field(default=None, description="Only upcoming, current or past reservations; all when left out."),
]
ClockTimeArg = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM (24 h) in the address's time zone.",
    ),
]
ServiceArg = Annotated[
    str,
    Field(min_length=1, max_length=100, description="The service's service_id (e.g. airbnb) or name."),
]


# --- result models -----------------------------------------------------------------------------


class AddressView(BaseModel):
    """An address: a rental object that groups devices, e.g. a holiday flat."""

    address_id: int
    name: str
    devices: list[DeviceRefView]
    service: str | None = Field(default=None, description="The partner service it comes from (airbnb, ...)")
    time_zone: str | None = None
    check_in: str | None = Field(default=None, description="Default check-in, HH:MM in time_zone")
    check_out: str | None = Field(default=None, description="Default check-out, HH:MM in time_zone")
    created: datetime | None = None


class AddressList(BaseModel):
    addresses: list[AddressView]
    total: int
    truncated: bool = Field(description="True when more exist than were returned (raise limit)")


class UnitView(BaseModel):
    unit_id: str
    name: str
    invitation_redeemed: datetime | None = Field(default=None, description="When its invitation was redeemed")
    redeem_result: str | None = Field(default=None, description="ok or failed")
    pending_deletion: bool = Field(description="True while Nuki is deleting it")
    created: datetime | None = None


class UnitList(BaseModel):
    address_id: int
    address: str
    units: list[UnitView]
    total: int
    truncated: bool


class ReservationView(BaseModel):
    """A booking imported from a partner service and whether its guests have access."""

    reservation_id: str
    guest_name: str
    guest_email: str | None = None
    guests: int
    period: Period
    state: str = Field(description="accepted or canceled")
    start: datetime
    end: datetime
    check_in: str | None = Field(default=None, description="HH:MM in the address's time zone")
    check_out: str | None = Field(default=None, description="HH:MM in the address's time zone")
    custom_access_times: bool = Field(description="True when check-in/out were set for this reservation")
    access_issued: bool = Field(description="True while guest authorizations exist")
    guests_issued: int
    keypad_issued: bool
    access_changing: Literal["issuing", "revoking"] | None = Field(
        default=None, description="Set while Nuki is issuing or revoking the guests' access"
    )
    checked_in: bool | None = Field(default=None, description="null when check-in is not monitored")
    service: str | None = None
    reference: str | None = Field(default=None, description="The booking code")


class ReservationList(BaseModel):
    address_id: int
    address: str
    time_zone: str | None = None
    reservations: list[ReservationView] = Field(description="Newest start first")
    total: int
    truncated: bool


class TokenView(BaseModel):
    """An invitation token of an address; its id is a credential, so only its end is shown."""

    token_hint: str = Field(description="The last characters of the token id")
    created: datetime | None = None
    redeemed: datetime | None = None
    redeem_result: str | None = Field(default=None, description="ok or failed")
    invite_keys: int = Field(description="How many invite keys it carries")


class TokenList(BaseModel):
    address_id: int
    address: str
    tokens: list[TokenView]
    total: int
    truncated: bool


class ServiceView(BaseModel):
    service_id: str
    name: str | None = None
    linked: bool | None = Field(default=None, description="Whether the account is linked to it")
    enabled: bool | None = None
    last_sync: datetime | None = None


class ServiceList(BaseModel):
    services: list[ServiceView]
    total: int


class AddressResult(WriteResult):
    address: AddressView | None = None


class AddressUnitResult(WriteResult):
    unit: UnitView | None = None


class DeleteUnitsResult(WriteResult):
    unit_ids: list[str] = Field(default_factory=list[str])
    request_id: str | None = Field(default=None, description="Nuki deletes asynchronously under this request id")


class ReservationResult(WriteResult):
    reservation: ReservationView | None = None


class SyncServiceResult(WriteResult):
    service_id: str | None = None


# --- views -------------------------------------------------------------------------------------


def clock_time(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def minutes_of(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _device_view(smartlock_id: int, devices: dict[int, Smartlock]) -> DeviceRefView:
    device = devices.get(smartlock_id)
    if device is None:
        return DeviceRefView(smartlock_id=smartlock_id, name=f"device {smartlock_id}", device_type="unknown")
    return DeviceRefView(smartlock_id=smartlock_id, name=device.name, device_type=codes.device_type_name(device.type))


def address_view(address: Address, devices: dict[int, Smartlock]) -> AddressView:
    return AddressView(
        address_id=address.address_id,
        name=address.name,
        devices=[_device_view(i, devices) for i in address.smartlock_ids],
        service=address.service_id,
        time_zone=address.time_zone,
        check_in=clock_time(address.check_in_time),
        check_out=clock_time(address.check_out_time),
        created=address.creation_date,
    )


def unit_view(unit: AddressUnit) -> UnitView:
    return UnitView(
        unit_id=unit.id,
        name=unit.name,
        invitation_redeemed=unit.redeem_date,
        redeem_result=unit.redeem_result,
        pending_deletion=unit.operation_id is not None,
        created=unit.creation_date,
    )


def reservation_period(reservation: AddressReservation, now: datetime) -> Period:
    if now < reservation.start_date:
        return "upcoming"
    return "current" if now < reservation.end_date else "past"


def reservation_view(reservation: AddressReservation, address: Address, now: datetime) -> ReservationView:
    changing: Literal["issuing", "revoking"] | None = None
    if reservation.is_currently_issuing_auth or reservation.currently_issuing_auth:
        changing = "issuing"
    elif reservation.is_currently_revoking_auth or reservation.currently_revoking_auth:
        changing = "revoking"
    check_in, check_out = effective_times(reservation, address)
    return ReservationView(
        reservation_id=reservation.id,
        guest_name=reservation.name,
        guest_email=reservation.email or None,
        guests=reservation.guests,
        period=reservation_period(reservation, now),
        state=reservation.state,
        start=reservation.start_date,
        end=reservation.end_date,
        check_in=clock_time(check_in),
        check_out=clock_time(check_out),
        custom_access_times=reservation.has_custom_access_times,
        access_issued=reservation.access_issued,
        guests_issued=reservation.guests_issued,
        keypad_issued=reservation.keypad_issued,
        access_changing=changing,
        checked_in=reservation.checked_in,
        service=reservation.service_id,
        reference=reservation.reference,
    )


def effective_times(reservation: AddressReservation, address: Address) -> tuple[int | None, int | None]:
    """The check-in and check-out minutes that apply: the reservation's own, else the address's."""
    check_in = reservation.check_in_time if reservation.check_in_time is not None else address.check_in_time
    check_out = reservation.check_out_time if reservation.check_out_time is not None else address.check_out_time
    return check_in, check_out


def token_view(token: AddressToken) -> TokenView:
    return TokenView(
        token_hint="..." + token.id[-4:],
        created=token.creation_date,
        redeemed=token.redeem_date,
        redeem_result=token.redeem_result,
        invite_keys=len(token.invite_keys),
    )


def service_view(service: PartnerService) -> ServiceView:
    return ServiceView(
        service_id=service.service_id,
        name=service.name,
        linked=service.linked,
        enabled=service.enabled,
        last_sync=service.last_sync_date,
    )


# --- finding things ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scope:
    """The addresses this server may see, and the visible devices by id."""

    addresses: list[Address]
    devices: dict[int, Smartlock]

    def refs(self, address: Address) -> tuple[DeviceRef, ...]:
        return tuple(
            device_ref(self.devices[i]) if i in self.devices else DeviceRef(i, f"device {i}", -1)
            for i in address.smartlock_ids
        )


async def visible_scope(state: AppState) -> Scope:
    """The addresses whose devices are all within the allow-list (every address without one)."""
    devices = await visible_devices(state)
    by_id = {d.smartlock_id: d for d in devices}
    addresses = await state.client.list_addresses()
    if state.guard.allow_list.entries:
        addresses = [a for a in addresses if all(i in by_id for i in a.smartlock_ids)]
    return Scope(addresses, by_id)


def match_address(addresses: list[Address], wanted: str) -> Address:
    key = wanted.strip()
    if key.isascii() and key.isdigit():
        for address in addresses:
            if address.address_id == int(key):
                return address
    found = match_by_name(addresses, key, lambda a: a.name, lambda a: repr(a.name), "addresses")
    if found is None:
        listed = ", ".join(f"{a.name} ({a.address_id})" for a in addresses) or "none"
        raise ToolError(f"No address matches {wanted!r}; the addresses are: {listed}.")
    return found


async def find_address(state: AppState, address: str) -> tuple[Scope, Address]:
    scope = await visible_scope(state)
    return scope, match_address(scope.addresses, address)


def match_reservation(reservations: list[AddressReservation], wanted: str) -> AddressReservation:
    key = wanted.strip()
    for reservation in reservations:
        if reservation.id == key or (reservation.reference or "").casefold() == key.casefold():
            return reservation
    found = match_by_name(reservations, key, lambda r: r.name, lambda r: repr(r.name), "reservations")
    if found is None:
        listed = ", ".join(f"{r.name} ({r.id})" for r in reservations) or "none"
        raise ToolError(f"No reservation matches {wanted!r}; the reservations are: {listed}.")
    return found


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ToolError("The name is blank; give a name with at least one visible character.")
    return cleaned


def _devices_phrase(refs: tuple[DeviceRef, ...]) -> str:
    return ", ".join(r.label() for r in refs) or "no device"


def _resolve_devices(scope: Scope, smartlocks: list[str]) -> list[Smartlock]:
    devices = list(scope.devices.values())
    chosen = [match_device(devices, s) for s in smartlocks]
    return list({d.smartlock_id: d for d in chosen}.values())


# --- addresses ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CreateAddressPlan(WritePlan):
    request: AddressCreate = dataclasses.field(kw_only=True)


@dataclasses.dataclass(frozen=True)
class AddressPlan(WritePlan):
    address_id: int = dataclasses.field(kw_only=True)
    name: str | None = dataclasses.field(default=None, kw_only=True)
    smartlock_ids: tuple[int, ...] | None = dataclasses.field(default=None, kw_only=True)
    request: AddressUpdate | None = dataclasses.field(default=None, kw_only=True, compare=False)


async def perform_create_address(ctx: Context[AppState], plan: CreateAddressPlan, confirmed_by: str) -> AddressResult:
    state = app_state(ctx)
    created = await state.client.create_address(plan.request)
    devices = {d.smartlock_id: d for d in await visible_devices(state)}
    return AddressResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, address=address_view(created, devices)
    )


@write_tool(title="Create an address", destructive=True, idempotent=False, perform=perform_create_address)
async def create_address(
    ctx: Context[AppState], name: AddressNameArg, smartlocks: AddressDevicesArg
) -> CreateAddressPlan:
    """Create an address: a rental object (e.g. a holiday flat) that groups the devices its guests
    use, so reservations can grant them access. The user is asked to confirm first."""
    cleaned = _clean_name(name)
    scope = await visible_scope(app_state(ctx))
    chosen = _resolve_devices(scope, smartlocks)
    refs = tuple(device_ref(d) for d in chosen)
    return CreateAddressPlan(
        tool="create_address",
        summary=f"Create the address {cleaned!r} with {_devices_phrase(refs)}.",
        devices=refs,
        request=AddressCreate(name=cleaned, smartlock_ids=[d.smartlock_id for d in chosen]),
    )


async def refresh_update_address(ctx: Context[AppState], plan: AddressPlan) -> AddressPlan:
    """Re-read the address right before sending and apply only the confirmed changes to it."""
    current = next((a for a in await app_state(ctx).client.list_addresses() if a.address_id == plan.address_id), None)
    if current is None:
        raise ToolError(f"Address {plan.address_id} no longer exists at Nuki; nothing was sent.")
    request = AddressUpdate(
        name=plan.name if plan.name is not None else current.name,
        smartlock_ids=list(plan.smartlock_ids) if plan.smartlock_ids is not None else current.smartlock_ids,
    )
    return dataclasses.replace(plan, request=request)


async def perform_update_address(ctx: Context[AppState], plan: AddressPlan, confirmed_by: str) -> AddressResult:
    state = app_state(ctx)
    if plan.request is None:
        raise ToolError("The update was not prepared; nothing was sent. Call update_address again.")
    await state.client.update_address(plan.address_id, plan.request)
    result = AddressResult(status="done", summary=plan.describe(), confirmed_by=confirmed_by)
    scope = await visible_scope(state)
    after = next((a for a in scope.addresses if a.address_id == plan.address_id), None)
    result.address = None if after is None else address_view(after, scope.devices)
    return result


@write_tool(
    title="Change an address",
    destructive=True,
    idempotent=True,
    perform=perform_update_address,
    refresh=refresh_update_address,
)
async def update_address(
    ctx: Context[AppState],
    address: AddressArg,
    name: NewAddressNameArg = None,
    smartlocks: NewAddressDevicesArg = None,
) -> AddressPlan:
    """Rename an address or replace its devices (only what you give changes). Guests of its
    reservations get access to the address's devices. The user is asked to confirm first."""
    if name is None and smartlocks is None:
        raise ToolError("Give name or smartlocks (or both): there is nothing to change.")
    name = None if name is None else _clean_name(name)
    scope, current = await find_address(app_state(ctx), address)
    changes: list[FieldChange] = []
    new_ids: tuple[int, ...] | None = None
    refs = scope.refs(current)
    if name is not None and name != current.name:
        changes.append(FieldChange("name", current.name, name))
    if smartlocks is not None:
        chosen = _resolve_devices(scope, smartlocks)
        new_ids = tuple(d.smartlock_id for d in chosen)
        if list(new_ids) != current.smartlock_ids:
            before = ", ".join(r.name for r in refs)
            changes.append(FieldChange("devices", before, ", ".join(d.name for d in chosen)))
            refs = tuple({r.smartlock_id: r for r in (*refs, *(device_ref(d) for d in chosen))}.values())
    if not changes:
        raise ToolError(f"The address {current.name!r} already has these settings; nothing to change.")
    return AddressPlan(
        tool="update_address",
        summary=f"Change the address {current.name!r} (address_id {current.address_id}); the rest stays as it is.",
        devices=refs,
        changes=tuple(changes),
        address_id=current.address_id,
        name=name,
        smartlock_ids=new_ids,
    )


async def perform_delete_address(ctx: Context[AppState], plan: AddressPlan, confirmed_by: str) -> AddressResult:
    await app_state(ctx).client.delete_address(plan.address_id)
    return AddressResult(status="done", summary=plan.summary, confirmed_by=confirmed_by)


@write_tool(title="Delete an address", destructive=True, idempotent=True, perform=perform_delete_address)
async def delete_address(ctx: Context[AppState], address: AddressArg) -> AddressPlan:
    """Delete an address with its units and reservations from Nuki Web (the devices stay). The
    user is asked to confirm first."""
    scope, current = await find_address(app_state(ctx), address)
    refs = scope.refs(current)
    return AddressPlan(
        tool="delete_address",
        summary=f"Delete the address {current.name!r} (address_id {current.address_id}, {_devices_phrase(refs)}) "
        "with its units and reservations; the devices themselves stay.",
        devices=refs,
        address_id=current.address_id,
    )


# --- units -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UnitPlan(WritePlan):
    address_id: int = dataclasses.field(kw_only=True)
    request: AddressUnitCreate | None = dataclasses.field(default=None, kw_only=True)
    unit_ids: tuple[str, ...] = dataclasses.field(default=(), kw_only=True)


async def perform_create_unit(ctx: Context[AppState], plan: UnitPlan, confirmed_by: str) -> AddressUnitResult:
    if plan.request is None:
        raise ToolError("The unit was not prepared; nothing was sent. Call create_address_unit again.")
    unit = await app_state(ctx).client.create_address_unit(plan.address_id, plan.request)
    return AddressUnitResult(status="done", summary=plan.summary, confirmed_by=confirmed_by, unit=unit_view(unit))


@write_tool(title="Create an address unit", destructive=True, idempotent=False, perform=perform_create_unit)
async def create_address_unit(ctx: Context[AppState], address: AddressArg, name: UnitNameArg) -> UnitPlan:
    """Add a unit (e.g. one apartment) to an address. The user is asked to confirm first."""
    cleaned = _clean_name(name)
    scope, current = await find_address(app_state(ctx), address)
    return UnitPlan(
        tool="create_address_unit",
        summary=f"Add the unit {cleaned!r} to the address {current.name!r} (address_id {current.address_id}).",
        devices=scope.refs(current),
        address_id=current.address_id,
        request=AddressUnitCreate(name=cleaned),
    )


async def perform_delete_units(ctx: Context[AppState], plan: UnitPlan, confirmed_by: str) -> DeleteUnitsResult:
    answer = await app_state(ctx).client.delete_address_units(plan.address_id, list(plan.unit_ids))
    return DeleteUnitsResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        unit_ids=list(plan.unit_ids),
        request_id=answer.request_id,
        reason="Nuki deletes the units asynchronously; list_address_units shows them until it is done.",
    )


@write_tool(title="Delete address units", destructive=True, idempotent=True, perform=perform_delete_units)
async def delete_address_units(ctx: Context[AppState], address: AddressArg, units: UnitsArg) -> UnitPlan:
    """Delete units of an address (by unit_id or exact name, see list_address_units). Nuki deletes
    them asynchronously. The user is asked to confirm first."""
    state = app_state(ctx)
    scope, current = await find_address(state, address)
    existing = await state.client.list_address_units(current.address_id)
    chosen: dict[str, AddressUnit] = {}
    for wanted in units:
        key = wanted.strip()
        hits = [u for u in existing if u.id == key] or [u for u in existing if u.name.casefold() == key.casefold()]
        if len(hits) != 1:
            listed = ", ".join(f"{u.name} ({u.id})" for u in existing) or "none"
            problem = "matches several units" if hits else "is not a unit of this address"
            raise ToolError(f"{wanted!r} {problem}; the units of {current.name!r} are: {listed}.")
        chosen[hits[0].id] = hits[0]
    names = ", ".join(f"{u.name!r}" for u in chosen.values())
    return UnitPlan(
        tool="delete_address_units",
        summary=f"Delete the unit(s) {names} of the address {current.name!r} (address_id {current.address_id}).",
        devices=scope.refs(current),
        address_id=current.address_id,
        unit_ids=tuple(chosen),
    )


# --- reservations ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReservationPlan(WritePlan):
    address_id: int = dataclasses.field(kw_only=True)
    reservation_id: str = dataclasses.field(kw_only=True)
    times: ReservationAccessTimesUpdate | None = dataclasses.field(default=None, kw_only=True)


async def _find_reservation(
    state: AppState, address: str, reservation: str
) -> tuple[Scope, Address, AddressReservation]:
    scope, current = await find_address(state, address)
    reservations = await state.client.list_reservations(current.address_id)
    return scope, current, match_reservation(reservations, reservation)


async def _reservation_result(ctx: Context[AppState], plan: ReservationPlan, confirmed_by: str) -> ReservationResult:
    state = app_state(ctx)
    result = ReservationResult(status="done", summary=plan.describe(), confirmed_by=confirmed_by)
    address = next((a for a in await state.client.list_addresses() if a.address_id == plan.address_id), None)
    after = next(
        (r for r in await state.client.list_reservations(plan.address_id) if r.id == plan.reservation_id), None
    )
    if address is not None and after is not None:
        result.reservation = reservation_view(after, address, state.clock.now())
    return result


def _guest_phrase(reservation: AddressReservation) -> str:
    guests = "guest" if reservation.guests == 1 else "guests"
    return f"{reservation.name!r} ({reservation.guests} {guests}, reservation {reservation.id})"


async def perform_issue(ctx: Context[AppState], plan: ReservationPlan, confirmed_by: str) -> ReservationResult:
    await app_state(ctx).client.issue_reservation_access(plan.address_id, plan.reservation_id)
    return await _reservation_result(ctx, plan, confirmed_by)


@write_tool(title="Issue guest access", destructive=True, idempotent=True, perform=perform_issue)
async def issue_reservation_access(
    ctx: Context[AppState], address: AddressArg, reservation: ReservationArg
) -> ReservationPlan:
    """Issue the guest authorizations of a reservation now (app access and a keypad code for the
    address's devices, valid from check-in to check-out), e.g. when the automatic issuing did not
    happen. The user is asked to confirm first."""
    state = app_state(ctx)
    scope, current, found = await _find_reservation(state, address, reservation)
    if found.state == "canceled":
        raise ToolError(f"The reservation of {found.name!r} was canceled; its guests get no access.")
    if found.end_date <= state.clock.now():
        raise ToolError(f"The reservation of {found.name!r} has ended; its guests get no access any more.")
    refs = scope.refs(current)
    return ReservationPlan(
        tool="issue_reservation_access",
        summary=f"Give the guests of {_guest_phrase(found)} access to {_devices_phrase(refs)} of the address "
        f"{current.name!r} from {found.start_date:%Y-%m-%d} to {found.end_date:%Y-%m-%d}.",
        devices=refs,
        address_id=current.address_id,
        reservation_id=found.id,
    )


async def perform_revoke(ctx: Context[AppState], plan: ReservationPlan, confirmed_by: str) -> ReservationResult:
    await app_state(ctx).client.revoke_reservation_access(plan.address_id, plan.reservation_id)
    return await _reservation_result(ctx, plan, confirmed_by)


@write_tool(title="Revoke guest access", destructive=True, idempotent=True, perform=perform_revoke)
async def revoke_reservation_access(
    ctx: Context[AppState], address: AddressArg, reservation: ReservationArg
) -> ReservationPlan:
    """Revoke the guest authorizations of a reservation (e.g. after check-out or a cancellation):
    its guests can no longer open the address's devices. The user is asked to confirm first."""
    scope, current, found = await _find_reservation(app_state(ctx), address, reservation)
    refs = scope.refs(current)
    issued = "" if found.access_issued else " Nuki shows no issued access for it; revoking makes sure."
    return ReservationPlan(
        tool="revoke_reservation_access",
        summary=f"Revoke the access of the guests of {_guest_phrase(found)} to {_devices_phrase(refs)} of the "
        f"address {current.name!r}.{issued}",
        devices=refs,
        risk="securing",
        address_id=current.address_id,
        reservation_id=found.id,
    )


async def perform_access_times(ctx: Context[AppState], plan: ReservationPlan, confirmed_by: str) -> ReservationResult:
    if plan.times is None:
        raise ToolError("The times were not prepared; nothing was sent. Call update_reservation_access_times again.")
    await app_state(ctx).client.update_reservation_access_times(plan.address_id, plan.reservation_id, plan.times)
    return await _reservation_result(ctx, plan, confirmed_by)


@write_tool(title="Change check-in times", destructive=True, idempotent=True, perform=perform_access_times)
async def update_reservation_access_times(
    ctx: Context[AppState],
    address: AddressArg,
    reservation: ReservationArg,
    check_in: ClockTimeArg = None,
    check_out: ClockTimeArg = None,
) -> ReservationPlan:
    """Set a reservation's own check-in and/or check-out time (HH:MM in the address's time zone):
    the guests' access starts at check-in on the first day and ends at check-out on the last.
    The time you leave out stays as it is. The user is asked to confirm first."""
    if check_in is None and check_out is None:
        raise ToolError("Give check_in or check_out (HH:MM) or both: there is nothing to change.")
    scope, current, found = await _find_reservation(app_state(ctx), address, reservation)
    before_in, before_out = effective_times(found, current)
    after_in = minutes_of(check_in) if check_in is not None else before_in
    after_out = minutes_of(check_out) if check_out is not None else before_out
    changes = tuple(
        FieldChange(name, clock_time(before), clock_time(after))
        for name, before, after in (("check_in", before_in, after_in), ("check_out", before_out, after_out))
        if before != after
    )
    if not changes:
        raise ToolError(f"The reservation of {found.name!r} already has these times; nothing to change.")
    zone = current.time_zone or "the address's time zone"
    return ReservationPlan(
        tool="update_reservation_access_times",
        summary=f"Change the access times of {_guest_phrase(found)} at the address {current.name!r} "
        f"(times are {zone} time).",
        devices=scope.refs(current),
        changes=changes,
        address_id=current.address_id,
        reservation_id=found.id,
        times=ReservationAccessTimesUpdate(check_in_time=after_in, check_out_time=after_out),
    )


# --- services ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServicePlan(WritePlan):
    service_id: str = dataclasses.field(kw_only=True)


async def perform_sync_service(ctx: Context[AppState], plan: ServicePlan, confirmed_by: str) -> SyncServiceResult:
    await app_state(ctx).client.sync_service(plan.service_id)
    return SyncServiceResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        service_id=plan.service_id,
        reason="New and changed reservations appear in list_reservations once Nuki has imported them.",
    )


@write_tool(title="Sync a partner service", destructive=False, idempotent=True, perform=perform_sync_service)
async def sync_service(ctx: Context[AppState], service: ServiceArg) -> ServicePlan:
    """Ask Nuki to import the reservations of a linked partner service (Airbnb, ...) now instead
    of waiting for the next automatic sync. Reservations may then issue guest access
    automatically. The user is asked to confirm first."""
    state = app_state(ctx)
    services = await state.client.list_services()
    key = service.strip().casefold()
    found = next((s for s in services if s.service_id.casefold() == key), None) or match_by_name(
        services, service.strip(), lambda s: s.name or s.service_id, lambda s: repr(s.name or s.service_id), "services"
    )
    if found is None:
        listed = ", ".join(s.service_id for s in services) or "none"
        raise ToolError(f"No partner service matches {service!r}; the services are: {listed}.")
    if found.linked is False:
        raise ToolError(f"The account is not linked to {found.name or found.service_id}; link it in Nuki Web first.")
    refs: tuple[DeviceRef, ...] = ()
    if state.guard.allow_list.entries:
        scope = await visible_scope(state)
        every = await state.client.list_addresses()
        visible = {a.address_id for a in scope.addresses}
        hidden = [a for a in every if a.service_id == found.service_id and a.address_id not in visible]
        if hidden:
            raise ToolError(
                f"Refused: a sync of {found.service_id} can issue access on devices outside this server's "
                "allow-list (NUKI_DEVICES); sync it in Nuki Web instead, or run nuki-mcp without NUKI_DEVICES."
            )
        for address in scope.addresses:
            if address.service_id == found.service_id:
                refs += scope.refs(address)
    return ServicePlan(
        tool="sync_service",
        summary=f"Import the reservations of {found.name or found.service_id} ({found.service_id}) now.",
        devices=refs,
        service_id=found.service_id,
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List addresses", annotations=READ)
    @nuki_errors
    async def list_addresses(ctx: Context[AppState], limit: LimitArg = 50) -> AddressList:
        """List the addresses (rental objects such as a holiday flat, each grouping devices) with
        their devices, partner service, time zone and default check-in/check-out times."""
        scope = await visible_scope(app_state(ctx))
        found = scope.addresses
        return AddressList(
            addresses=[address_view(a, scope.devices) for a in found[:limit]],
            total=len(found),
            truncated=len(found) > limit,
        )

    @register_tool(server, title="List address units", annotations=READ)
    @nuki_errors
    async def list_address_units(ctx: Context[AppState], address: AddressArg, limit: LimitArg = 50) -> UnitList:
        """List the units (e.g. apartments) of an address and whether their invitations were redeemed."""
        state = app_state(ctx)
        _, current = await find_address(state, address)
        units = await state.client.list_address_units(current.address_id)
        return UnitList(
            address_id=current.address_id,
            address=current.name,
            units=[unit_view(u) for u in units[:limit]],
            total=len(units),
            truncated=len(units) > limit,
        )

    @register_tool(server, title="List reservations", annotations=READ)
    @nuki_errors
    async def list_reservations(
        ctx: Context[AppState], address: AddressArg, period: PeriodArg = None, limit: LimitArg = 50
    ) -> ReservationList:
        """List the reservations of an address (imported from its partner service): guest, dates,
        whether it is upcoming, current or past, whether the guests' access is issued, and the
        check-in/check-out times (HH:MM in the address's time zone). Filter with period."""
        state = app_state(ctx)
        _, current = await find_address(state, address)
        now = state.clock.now()
        found = [
            r
            for r in await state.client.list_reservations(current.address_id)
            if period is None or reservation_period(r, now) == period
        ]
        found.sort(key=lambda r: r.start_date, reverse=True)
        return ReservationList(
            address_id=current.address_id,
            address=current.name,
            time_zone=current.time_zone,
            reservations=[reservation_view(r, current, now) for r in found[:limit]],
            total=len(found),
            truncated=len(found) > limit,
        )

    @register_tool(server, title="List address tokens", annotations=READ)
    @nuki_errors
    async def list_address_tokens(ctx: Context[AppState], address: AddressArg, limit: LimitArg = 50) -> TokenList:
        """List the invitation tokens of an address: when each was created and redeemed, and with
        what result. Token ids are credentials, so only their last characters are shown."""
        state = app_state(ctx)
        _, current = await find_address(state, address)
        tokens = await state.client.list_address_tokens(current.address_id)
        return TokenList(
            address_id=current.address_id,
            address=current.name,
            tokens=[token_view(t) for t in tokens[:limit]],
            total=len(tokens),
            truncated=len(tokens) > limit,
        )

    @register_tool(server, title="List partner services", annotations=READ)
    @nuki_errors
    async def list_services(ctx: Context[AppState]) -> ServiceList:
        """List the partner services (Airbnb, BookingSync, ...) that can import reservations,
        whether the account is linked to each, and when it last synced."""
        services = await app_state(ctx).client.list_services()
        return ServiceList(services=[service_view(s) for s in services], total=len(services))

    register_writes(
        server,
        settings,
        (
            create_address,
            update_address,
            delete_address,
            create_address_unit,
            delete_address_units,
            issue_reservation_access,
            revoke_reservation_access,
            update_reservation_access_times,
            sync_service,
        ),
    )
