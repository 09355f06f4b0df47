"""Decoded, snake_case views of Nuki objects that several tools and resources return."""

from __future__ import annotations

from pydantic import BaseModel, Field

from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import Smartlock


class DeviceStateView(BaseModel):
    """The live state of a device, decoded."""

    state: str = Field(
        description="Lock: locked, unlocked, unlatched, locking, ...; Opener: online, rto_active, open, ..."
    )
    mode: str = Field(description="door_mode normally; continuous_mode on an Opener lets anyone who rings in")
    door: str | None = Field(default=None, description="Door sensor: closed, open, unavailable, deactivated, ...")
    battery_percent: int | None = Field(default=None, description="Battery charge in percent, if reported")
    battery_critical: bool = Field(description="True when the device battery needs replacing now")
    battery_charging: bool | None = None
    keypad_battery_critical: bool | None = None
    door_sensor_battery_critical: bool | None = None
    night_mode: bool | None = None
    last_action: str | None = Field(default=None, description="The last action the device executed")
    trigger: str | None = Field(default=None, description="What caused the current state: app, web, manual, ...")
    pending_operation: bool = Field(description="True while Nuki is still applying a command to the device")


class DeviceRefView(BaseModel):
    """Which device a result is about."""

    smartlock_id: int
    name: str
    device_type: str = Field(description="smartlock, opener, smartdoor, box, ...")


def device_ref_view(device: Smartlock) -> DeviceRefView:
    return DeviceRefView(
        smartlock_id=device.smartlock_id, name=device.name, device_type=codes.device_type_name(device.type)
    )


def device_state_view(device: Smartlock) -> DeviceStateView | None:
    state = device.state
    if state is None:
        return None
    door = None if state.door_state is None else codes.door_state_name(state.door_state)
    last_action = None if state.last_action is None else codes.last_action_name(device.type, state.last_action)
    return DeviceStateView(
        state=codes.state_name(device.type, state.state),
        mode=codes.mode_name(state.mode),
        door=door,
        battery_percent=state.battery_charge,
        battery_critical=state.battery_critical,
        battery_charging=state.battery_charging,
        keypad_battery_critical=state.keypad_battery_critical,
        door_sensor_battery_critical=state.doorsensor_battery_critical,
        night_mode=state.night_mode,
        last_action=last_action,
        trigger=codes.state_trigger_name(state.trigger),
        pending_operation=bool(state.operation_id or device.operation_id),
    )
