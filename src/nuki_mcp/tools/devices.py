"""Toolset `devices`: list_smartlocks, get_smartlock, sync_smartlock."""

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.models import Smartlock
from nuki_mcp.tools.common import (
    READ,
    LimitArg,
    SmartlockArg,
    device_ref,
    find_device,
    nuki_errors,
    register_tool,
    visible_devices,
)
from nuki_mcp.tools.views import DeviceRefView, DeviceStateView, device_ref_view, device_state_view
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool
from nuki_mcp.views import DASHBOARD_URI, ui_meta


class SmartlockSummary(BaseModel):
    """One row of list_smartlocks."""

    smartlock_id: int
    name: str
    device_type: str = Field(description="smartlock, opener, smartdoor, box, ...")
    model: str = Field(description="Product name, e.g. Smart Lock 3.0/4")
    state: str | None = Field(default=None, description="locked, unlocked, ... (Opener: online, rto_active, ...)")
    door: str | None = Field(default=None, description="Door sensor: closed, open, unavailable, ...")
    battery_percent: int | None = None
    battery_critical: bool | None = None
    online: bool = Field(description="False when Nuki cannot reach the device (serverState not ok)")
    favorite: bool


class SmartlockList(BaseModel):
    devices: list[SmartlockSummary]
    total: int = Field(description="How many devices this server can see")
    truncated: bool = Field(description="True when more devices exist than were returned (raise limit)")


class DeviceSettingsView(BaseModel):
    """The settings that matter most, decoded. Absent values are not reported by the device."""

    auto_lock: bool | None = None
    auto_lock_timeout_s: int | None = None
    auto_unlatch: bool | None = None
    auto_update_enabled: bool | None = None
    pairing_enabled: bool | None = None
    button_enabled: bool | None = None
    led_enabled: bool | None = None
    led_brightness: int | None = None
    single_lock: bool | None = None
    lng_timeout_s: int | None = None
    unlatch_duration_s: int | None = None
    battery_type: str | None = None
    timezone: str | None = None
    keypad_paired: bool | None = None
    fob_paired: bool | None = None
    ring_to_open_timeout_min: int | None = Field(default=None, description="Opener only")
    electric_strike_duration_ms: int | None = Field(default=None, description="Opener only")
    buzzer_volume: str | None = Field(default=None, description="Smart Door only")


class SmartlockDetails(BaseModel):
    """Everything useful about one device, decoded."""

    smartlock_id: int
    name: str
    device_type: str
    model: str
    nuki_id: str = Field(description="The 8-hex-digit Bridge/Bluetooth id")
    favorite: bool
    online: bool
    server_state: str = Field(description="ok, offline, unregistered, ...")
    admin_pin_state: str = Field(description="ok, missing or invalid")
    firmware_version: str | None = None
    state: DeviceStateView | None = None
    settings: DeviceSettingsView
    actions: list[str] = Field(description="Actions smartlock_action accepts for this device")


class SyncResult(WriteResult):
    device: DeviceRefView | None = None


def smartlock_summary(device: Smartlock) -> SmartlockSummary:
    view = device_state_view(device)
    return SmartlockSummary(
        smartlock_id=device.smartlock_id,
        name=device.name,
        device_type=codes.device_type_name(device.type),
        model=codes.device_model_name(device.type),
        state=view.state if view else None,
        door=view.door if view else None,
        battery_percent=view.battery_percent if view else None,
        battery_critical=view.battery_critical if view else None,
        online=device.server_state == 0,
        favorite=device.favorite,
    )


def _settings(device: Smartlock) -> DeviceSettingsView:
    config = device.config
    lock = device.advanced_config
    door = device.smartdoor_advanced_config
    opener = device.opener_advanced_config
    advanced = lock or door
    # Not `a or b`: code 0 is alkali, a value like any other.
    battery_types = [c.battery_type for c in (lock, door, opener) if c is not None and c.battery_type is not None]
    battery_type = battery_types[0] if battery_types else None
    return DeviceSettingsView(
        auto_lock=advanced.auto_lock if advanced else None,
        auto_lock_timeout_s=advanced.auto_lock_timeout if advanced else None,
        auto_unlatch=config.auto_unlatch if config else None,
        auto_update_enabled=(lock.auto_update_enabled if lock else opener.auto_update_enabled if opener else None),
        pairing_enabled=config.pairing_enabled if config else None,
        button_enabled=config.button_enabled if config else None,
        led_enabled=config.led_enabled if config else None,
        led_brightness=config.led_brightness if config else None,
        single_lock=config.single_lock if config else None,
        lng_timeout_s=advanced.lng_timeout if advanced else None,
        unlatch_duration_s=advanced.unlatch_duration if advanced else None,
        battery_type=None if battery_type is None else codes.battery_type_name(battery_type),
        timezone=None if not config or config.timezone_id is None else codes.timezone_name(config.timezone_id),
        keypad_paired=config.keypad_paired if config else None,
        fob_paired=config.fob_paired if config else None,
        ring_to_open_timeout_min=opener.rto_timeout if opener else None,
        electric_strike_duration_ms=opener.electric_strike_duration if opener else None,
        buzzer_volume=None if not door or door.buzzer_volume is None else codes.buzzer_volume_name(door.buzzer_volume),
    )


def smartlock_details(device: Smartlock) -> SmartlockDetails:
    return SmartlockDetails(
        smartlock_id=device.smartlock_id,
        name=device.name,
        device_type=codes.device_type_name(device.type),
        model=codes.device_model_name(device.type),
        nuki_id=codes.nuki_id_hex(device.smartlock_id),
        favorite=device.favorite,
        online=device.server_state == 0,
        server_state=codes.server_state_name(device.server_state),
        admin_pin_state=codes.admin_pin_state_name(device.admin_pin_state),
        firmware_version=None
        if device.firmware_version is None
        else codes.firmware_version_str(device.firmware_version),
        state=device_state_view(device),
        settings=_settings(device),
        actions=list(codes.actions_for(device.type)),
    )


async def perform_sync(ctx: Context[AppState], plan: WritePlan, confirmed_by: str) -> SyncResult:
    state = app_state(ctx)
    smartlock_id = plan.target().smartlock_id
    await state.client.sync_smartlock(smartlock_id)
    device = await state.client.get_smartlock(smartlock_id)
    return SyncResult(status="done", summary=plan.summary, confirmed_by=confirmed_by, device=device_ref_view(device))


@write_tool(title="Sync a device", destructive=False, idempotent=True, perform=perform_sync, confirms=False)
async def sync_smartlock(ctx: Context[AppState], smartlock: SmartlockArg) -> WritePlan:
    """Ask Nuki to re-read a device, e.g. after changes in the Nuki app over Bluetooth; fresh data follows seconds
    later. Not in a loop: each sync wakes a battery-powered device.
    """
    device = await find_device(app_state(ctx), smartlock)
    return WritePlan(
        tool="sync_smartlock",
        summary=f"Ask Nuki to re-read {device_ref(device).label()} (config, authorizations, logs).",
        device=device_ref(device),
        needs_confirmation=False,
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List devices", annotations=READ, meta=ui_meta(DASHBOARD_URI))
    @nuki_errors
    async def list_smartlocks(ctx: Context[AppState], limit: LimitArg = 50) -> SmartlockList:
        """List the devices (smart locks, Openers, Smart Doors) with state, door sensor, battery and online status;
        start here for names and ids. One device's settings: get_smartlock.
        """
        devices = await visible_devices(app_state(ctx))
        return SmartlockList(
            devices=[smartlock_summary(d) for d in devices[:limit]],
            total=len(devices),
            truncated=len(devices) > limit,
        )

    @register_tool(server, title="Get one device", annotations=READ, meta=ui_meta(DASHBOARD_URI))
    @nuki_errors
    async def get_smartlock(smartlock: SmartlockArg, ctx: Context[AppState]) -> SmartlockDetails:
        """One device in detail: lock and door state, batteries, online status, admin PIN, firmware, key settings and
        supported actions. Use it for "is X locked?" and before changing a setting.
        """
        # GET /smartlock already returns every device in full (config, advanced config, state): one
        # request to Nuki, not a second GET /smartlock/{id} of what was just read.
        return smartlock_details(await find_device(app_state(ctx), smartlock))

    register_writes(server, settings, (sync_smartlock,))
