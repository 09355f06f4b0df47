"""Toolset `config`: device settings, web config, admin PIN and removing a device.

Every update is read-modify-write: the plan reads the device, applies only the fields the caller
gave and keeps the complete request body it will send, so the human confirms exactly the diff that
is written (fields that already have the wanted value are not listed; an update that changes nothing
is refused). Right before sending, the section is read again and only the confirmed changes are
applied on top, so a change made at Nuki meanwhile is kept. Nuki stores a config change and
forwards it to the device; the device applies it on its next contact (bridge or Wi-Fi), usually
within seconds. What each setting means to Nuki is `nuki.settings`' knowledge.
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Final, Generic, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, JsonValue, TypeAdapter

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import MASK, DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import codes
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import (
    AdvancedConfigWrite,
    BulkWebConfigRequest,
    OpenerAdvancedConfigWrite,
    RequestModel,
    SmartdoorAdvancedConfigWrite,
    Smartlock,
    SmartlockAdminPinUpdate,
    SmartlockConfigWrite,
    SmartlockUpdate,
    WebConfig,
    WebConfigRequest,
    WebConfigWrite,
)
from nuki_mcp.nuki.settings import (
    CONFIG_SETTINGS,
    LOCK_ADVANCED_SETTINGS,
    OPENER_ADVANCED_SETTINGS,
    SMARTDOOR_ADVANCED_SETTINGS,
    SMARTLOCK_SETTINGS,
    WEB_SETTINGS,
    Diff,
    Setting,
    diff_settings,
    not_applicable,
)
from nuki_mcp.tools.common import SmartlockArg, device_ref, find_device, match_device, visible_devices
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.writes import WriteResult, register_writes, write_tool

B = TypeVar("B", bound=RequestModel)

_JSON_VALUE: TypeAdapter[JsonValue] = TypeAdapter(JsonValue)
_INT32_MAX = 2_147_483_647

# Smart locks take these three; "fixed" exists only on the Opener and the Smart Door.
LockBatteryTypeName = Literal["alkali", "accumulator", "lithium"]

# --- arguments -----------------------------------------------------------------------------------

DeviceNameArg = Annotated[str | None, Field(min_length=1, max_length=32)]
FavoriteArg = bool | None
LatitudeArg = Annotated[float | None, Field(ge=-90, le=90)]
LongitudeArg = Annotated[float | None, Field(ge=-180, le=180)]
AutoUnlatchArg = Annotated[bool | None, Field(description="Also unlatch (open the door) whenever the lock unlocks.")]
LiftUpHandleArg = Annotated[bool | None, Field(description="The handle must be lifted before the door can be locked.")]
PairingEnabledArg = Annotated[bool | None, Field(description="Allow pairing phones or accessories via the button.")]
ButtonEnabledArg = bool | None
LedEnabledArg = bool | None
LedBrightnessArg = Annotated[
    int | None, Field(ge=0, le=codes.LED_BRIGHTNESS_MAX, description="LED brightness; 0 is off.")
]
SingleLockArg = Annotated[bool | None, Field(description="Lock with one turn instead of two (locks only).")]
AdvertisingModeArg = Annotated[
    codes.AdvertisingModeName | None,
    Field(description="Bluetooth advertising: slower saves battery, the app reacts later."),
]
TimezoneArg = Annotated[
    codes.TimezoneName | None,
    Field(description="The zone its time-limited access rules use."),
]
AutoLockArg = bool | None
LockAutoLockTimeoutArg = Annotated[
    int | None,
    Field(
        ge=0,
        le=_INT32_MAX,
        description="Seconds after unlocking until auto-lock (at least 2 on current firmware).",
    ),
]
SmartdoorAutoLockTimeoutArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Seconds after unlocking until the door locks again (0: never)."),
]
LngTimeoutArg = Annotated[
    codes.LngTimeoutSeconds | None,
    Field(description="Seconds until Lock 'n' Go locks again."),
]
UnlatchDurationArg = Annotated[
    codes.UnlatchDurationSeconds | None,
    Field(description="Seconds the latch stays open."),
]
ButtonActionArg = Annotated[
    codes.ButtonActionName | None,
    Field(description="What a button press does (intelligent: lock or unlock by state)."),
]
DoubleButtonActionArg = Annotated[codes.ButtonActionName | None, Field(description="What a double press does.")]
OpenerButtonActionArg = Annotated[
    codes.OpenerButtonActionName | None,
    Field(description="What a button press does (rto: Ring to Open; continuous_mode: anyone gets in)."),
]
OpenerDoubleButtonActionArg = Annotated[
    codes.OpenerButtonActionName | None, Field(description="What a double press does.")
]
AutomaticBatteryDetectionArg = bool | None
LockBatteryTypeArg = LockBatteryTypeName | None
BatteryTypeArg = codes.BatteryTypeName | None
DetachedCylinderArg = Annotated[
    bool | None, Field(description="The cylinder's inner side turns independently of its outer side.")
]
AutoUpdateArg = bool | None
MotorSpeedArg = codes.MotorSpeedName | None
SlowAtNightArg = bool | None
MillisArg = Annotated[int | None, Field(ge=0, le=_INT32_MAX, description="Milliseconds.")]
RtoTimeoutArg = Annotated[
    int | None,
    Field(ge=1, le=_INT32_MAX, description="Minutes after which Ring to Open switches itself off."),
]
ElectricStrikeDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="How long (ms) the electric strike is actuated."),
]
ElectricStrikeDelayArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Delay (ms) from an open command to the electric strike."),
]
RandomStrikeDelayArg = Annotated[
    bool | None, Field(description="Random 3-7 s delay before opening, to look like someone inside.")
]
DisableRtoAfterRingArg = bool | None
DoorbellSuppressionArg = Annotated[
    list[codes.DoorbellSuppressionName] | None,
    Field(
        max_length=3,
        description="When the doorbell is silenced (idle: neither Ring to Open nor continuous mode on); [] never.",
    ),
]
DoorbellSuppressionDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="How long (ms) the doorbell is suppressed (digital intercoms)."),
]
ShortCircuitDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Short circuit (ms) for BUS mode switching (intercom wiring)."),
]
SoundRingArg = Annotated[codes.OpenerSoundName | None, Field(description="Sound on a ring.")]
SoundOpenArg = Annotated[codes.OpenerSoundName | None, Field(description="Sound on opening.")]
SoundRtoArg = Annotated[codes.OpenerSoundName | None, Field(description="Sound when Ring to Open turns on.")]
SoundCmArg = Annotated[codes.OpenerSoundName | None, Field(description="Sound when continuous mode turns on.")]
SoundConfirmationArg = bool | None
SoundLevelArg = Annotated[int | None, Field(ge=0, le=255)]
BuzzerVolumeArg = codes.BuzzerVolumeName | None
BatteryWarningArg = bool
DeviceListArg = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=100,
        description="Device ids or names.",
    ),
]
AdminPinArg = Annotated[int, Field(ge=0, le=9999)]


# --- results -------------------------------------------------------------------------------------


class FieldChangeView(BaseModel):
    """One setting this call changed."""

    field: str = Field(description="The setting (argument name)")
    before: JsonValue = Field(description="Its value before (null: not reported by the device)")
    after: JsonValue = Field(description="Its value now")


class ConfigResult(WriteResult):
    """What a settings update changed."""

    device: DeviceRefView | None = None
    changes: list[FieldChangeView] = Field(
        default_factory=list[FieldChangeView], description="Every setting that was changed, with before and after"
    )


class BulkWebConfigResult(WriteResult):
    """What bulk_web_config changed."""

    devices: list[DeviceRefView] = Field(
        default_factory=list[DeviceRefView], description="The devices whose web config was changed"
    )
    unchanged: list[DeviceRefView] = Field(
        default_factory=list[DeviceRefView], description="Named devices that already had the wanted value"
    )
    changes: list[FieldChangeView] = Field(default_factory=list[FieldChangeView])


class DeleteSmartlockResult(WriteResult):
    """Which device was removed from the Nuki Web account."""

    device: DeviceRefView | None = None


# --- plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestPlan(WritePlan, Generic[B]):
    """A write plan plus the exact request body it sends once confirmed (built from the read state)."""

    request: B = field(kw_only=True, repr=False, compare=False)


@dataclass(frozen=True)
class Section(Generic[B]):
    """One config section of a device, written read-modify-write: the whole object goes back to Nuki."""

    what: str
    settings: Mapping[str, Setting]
    write_model: type[B]
    read: Callable[[Smartlock], BaseModel | None]
    send: Callable[[NukiClient, int, B], Awaitable[None]]
    kind: codes.AdvancedConfigKind | None = None  # the device kind an advanced section belongs to


@dataclass(frozen=True)
class SectionPlan(RequestPlan[B]):
    """A config section write: the confirmed changes (wire names) and the section they belong to."""

    section: Section[B] = field(kw_only=True, repr=False, compare=False)
    wire: Mapping[str, JsonValue] = field(kw_only=True, repr=False, compare=False)


@dataclass(frozen=True)
class BulkWebConfigPlan(WritePlan):
    request: BulkWebConfigRequest = field(kw_only=True, repr=False, compare=False)
    targets: tuple[DeviceRef, ...] = ()
    unchanged: tuple[DeviceRef, ...] = ()


CONFIG: Final = Section(
    "configuration", CONFIG_SETTINGS, SmartlockConfigWrite, lambda d: d.config, NukiClient.update_config
)
LOCK_ADVANCED: Final = Section(
    "advanced configuration",
    LOCK_ADVANCED_SETTINGS,
    AdvancedConfigWrite,
    lambda d: d.advanced_config,
    NukiClient.update_advanced_config,
    "lock",
)
OPENER_ADVANCED: Final = Section(
    "Opener advanced configuration",
    OPENER_ADVANCED_SETTINGS,
    OpenerAdvancedConfigWrite,
    lambda d: d.opener_advanced_config,
    NukiClient.update_opener_advanced_config,
    "opener",
)
SMARTDOOR_ADVANCED: Final = Section(
    "Smart Door advanced configuration",
    SMARTDOOR_ADVANCED_SETTINGS,
    SmartdoorAdvancedConfigWrite,
    lambda d: d.smartdoor_advanced_config,
    NukiClient.update_smartdoor_advanced_config,
    "smartdoor",
)
_ADVANCED_TOOLS: Final[Mapping[codes.AdvancedConfigKind, str]] = {
    "lock": "update_advanced_config",
    "opener": "update_opener_advanced_config",
    "smartdoor": "update_smartdoor_advanced_config",
}

# Changes worth a sentence of their own in the confirmation question.
_WARNINGS: Mapping[tuple[str, JsonValue], str] = {
    ("pairing_enabled", True): "Anyone at the device can then pair a new phone or accessory with its button.",
    ("auto_lock", False): "The door will then no longer lock itself after it was unlocked.",
    ("auto_unlatch", True): "Every unlock will then also open the door.",
}


def _given(arguments: Mapping[str, object]) -> dict[str, JsonValue]:
    """The settings among a plan's own arguments that the caller gave (None = leave unchanged).

    Refused, before any request, when there are none.
    """
    given = {
        name: _JSON_VALUE.validate_python(value)
        for name, value in arguments.items()
        if name not in ("ctx", "smartlock") and value is not None
    }
    if not given:
        raise ToolError(
            "Nothing to change: give at least one setting to change (every setting left out stays as it is)."
        )
    return given


def _diff(state: AppState, settings: Mapping[str, Setting], given: Mapping[str, JsonValue], current: BaseModel) -> Diff:
    return diff_settings(settings, given, current, state.clock.now())


def _field_changes(diff: Diff) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(c.field, c.before, c.after) for c in diff.changes)


def _require_changes(device: Smartlock, diff: Diff) -> None:
    if not diff.changes:
        raise ToolError(f"Nothing to change: {device_ref(device).label()} already has {diff.wanted_text()}.")


def _summary(action: str, device: Smartlock, changes: tuple[FieldChange, ...]) -> str:
    warnings = [text for (arg, value), text in _WARNINGS.items() for c in changes if (c.field, c.after) == (arg, value)]
    return " ".join([f"{action} {device_ref(device).label()}.", *warnings])


async def _read(state: AppState, smartlock: str) -> Smartlock:
    """The device as named (allow-listed), read fresh with its complete configuration."""
    device = await find_device(state, smartlock)
    return await state.client.get_smartlock(device.smartlock_id)


def _no_config(device: Smartlock | DeviceRef, what: str) -> ToolError:
    return ToolError(
        f"Nuki reports no {what} for {device.name!r} (id {device.smartlock_id}), so it cannot be changed safely; "
        "call sync_smartlock, wait a few seconds and try again."
    )


def _require_kind(device: Smartlock, section: Section[B], given: Mapping[str, JsonValue]) -> None:
    """Refuse (before anything is sent) a section or setting that does not fit the device type."""
    model = codes.device_model_name(device.type)
    if section.kind is not None:
        kind = codes.advanced_config_kind(device.type)
        if kind == section.kind:
            return
        right = _ADVANCED_TOOLS.get(kind)
        if right is None:
            raise ToolError(f"{device.name!r} is a {model}, which has no advanced configuration to change.")
        raise ToolError(f"{device.name!r} is a {model}; change its advanced configuration with {right} instead.")
    foreign = not_applicable(device.type, section.settings, given)
    if foreign:
        raise ToolError(
            f"{device.name!r} is a {model}, which has no {', '.join(foreign)}; leave "
            f"{'it' if len(foreign) == 1 else 'them'} out (those settings exist only on door locks)."
        )


async def _plan_section(
    ctx: Context[AppState], tool: str, section: Section[B], smartlock: str, arguments: Mapping[str, object]
) -> SectionPlan[B]:
    """The plan of a config section write: the complete current object with only the given settings changed."""
    state = app_state(ctx)
    given = _given(arguments)
    device = await _read(state, smartlock)
    _require_kind(device, section, given)
    current = section.read(device)
    if current is None:
        raise _no_config(device, section.what)
    diff = _diff(state, section.settings, given, current)
    _require_changes(device, diff)
    changes = _field_changes(diff)
    return SectionPlan(
        tool=tool,
        summary=_summary(f"Change the {section.what} of", device, changes),
        device=device_ref(device),
        changes=changes,
        request=section.write_model.from_current(current, diff.wire),
        section=section,
        wire=diff.wire,
    )


async def refresh_section(ctx: Context[AppState], plan: SectionPlan[B]) -> SectionPlan[B]:
    """Re-read the section right before sending and re-apply only the confirmed changes on top.

    A setting someone changed at Nuki while the human read the question keeps its new value.
    """
    target = plan.target()
    device = await app_state(ctx).client.get_smartlock(target.smartlock_id)
    current = plan.section.read(device)
    if current is None:
        raise _no_config(target, plan.section.what)
    return replace(plan, request=plan.section.write_model.from_current(current, plan.wire))


async def perform_section(ctx: Context[AppState], plan: SectionPlan[B], confirmed_by: str) -> ConfigResult:
    await plan.section.send(app_state(ctx).client, plan.target().smartlock_id, plan.request)
    name = plan.wire.get("name")
    return _done(plan, confirmed_by, name if isinstance(name, str) else None)


# --- performing ----------------------------------------------------------------------------------


def _ref_view(ref: DeviceRef, name: str | None = None) -> DeviceRefView:
    return DeviceRefView(
        smartlock_id=ref.smartlock_id, name=name or ref.name, device_type=codes.device_type_name(ref.device_type)
    )


def _change_views(changes: tuple[FieldChange, ...]) -> list[FieldChangeView]:
    return [FieldChangeView(field=c.field, before=c.before, after=c.after) for c in changes]


def _done(plan: WritePlan, confirmed_by: str, name: str | None = None) -> ConfigResult:
    return ConfigResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        device=_ref_view(plan.target(), name),
        changes=_change_views(plan.changes),
    )


async def perform_update_smartlock(
    ctx: Context[AppState], plan: RequestPlan[SmartlockUpdate], confirmed_by: str
) -> ConfigResult:
    await app_state(ctx).client.update_smartlock(plan.target().smartlock_id, plan.request)
    return _done(plan, confirmed_by, plan.request.name)


async def perform_update_web_config(
    ctx: Context[AppState], plan: RequestPlan[WebConfigWrite], confirmed_by: str
) -> ConfigResult:
    await app_state(ctx).client.update_web_config(plan.target().smartlock_id, plan.request)
    return _done(plan, confirmed_by)


async def perform_bulk_web_config(
    ctx: Context[AppState], plan: BulkWebConfigPlan, confirmed_by: str
) -> BulkWebConfigResult:
    await app_state(ctx).client.bulk_web_config(plan.request)
    return BulkWebConfigResult(
        status="done",
        summary=plan.summary,
        confirmed_by=confirmed_by,
        devices=[_ref_view(ref) for ref in plan.targets],
        unchanged=[_ref_view(ref) for ref in plan.unchanged],
        changes=_change_views(plan.changes),
    )


async def perform_update_admin_pin(
    ctx: Context[AppState], plan: RequestPlan[SmartlockAdminPinUpdate], confirmed_by: str
) -> ConfigResult:
    await app_state(ctx).client.update_admin_pin(plan.target().smartlock_id, plan.request)
    return _done(plan, confirmed_by)


async def perform_delete_smartlock(ctx: Context[AppState], plan: WritePlan, confirmed_by: str) -> DeleteSmartlockResult:
    target = plan.target()
    await app_state(ctx).client.delete_smartlock(target.smartlock_id)
    return DeleteSmartlockResult(
        status="done", summary=plan.summary, confirmed_by=confirmed_by, device=_ref_view(target)
    )


# --- tools ---------------------------------------------------------------------------------------


@write_tool(title="Rename or favorite a device", destructive=True, idempotent=True, perform=perform_update_smartlock)
async def update_smartlock(
    ctx: Context[AppState], smartlock: SmartlockArg, name: DeviceNameArg = None, favorite: FavoriteArg = None
) -> RequestPlan[SmartlockUpdate]:
    """Rename a device or change its Nuki Web favorite flag. The device's own settings: update_config."""
    given = _given(locals())  # first: locals() are the arguments only here
    state = app_state(ctx)
    device = await _read(state, smartlock)
    diff = _diff(state, SMARTLOCK_SETTINGS, given, device)
    _require_changes(device, diff)
    changes = _field_changes(diff)
    return RequestPlan(
        tool="update_smartlock",
        summary=_summary("Change the name or favorite flag of", device, changes),
        device=device_ref(device),
        changes=changes,
        request=SmartlockUpdate.model_validate(diff.wire),
    )


@write_tool(
    title="Change a device's settings",
    destructive=True,
    idempotent=True,
    perform=perform_section,
    refresh=refresh_section,
)
async def update_config(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    name: DeviceNameArg = None,
    latitude: LatitudeArg = None,
    longitude: LongitudeArg = None,
    auto_unlatch: AutoUnlatchArg = None,
    lift_up_handle: LiftUpHandleArg = None,
    pairing_enabled: PairingEnabledArg = None,
    button_enabled: ButtonEnabledArg = None,
    led_enabled: LedEnabledArg = None,
    led_brightness: LedBrightnessArg = None,
    single_lock: SingleLockArg = None,
    advertising_mode: AdvertisingModeArg = None,
    timezone: TimezoneArg = None,
) -> SectionPlan[SmartlockConfigWrite]:
    """Change a device's basic settings (name, position, button, LED, pairing, timezone, ...), applied on its next
    contact with Nuki. Auto-lock, Lock 'n' Go and button actions are advanced settings (update_advanced_config and
    its variants).
    """
    return await _plan_section(ctx, "update_config", CONFIG, smartlock, locals())


@write_tool(
    title="Change a smart lock's advanced settings",
    destructive=True,
    idempotent=True,
    perform=perform_section,
    refresh=refresh_section,
)
async def update_advanced_config(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    auto_lock: AutoLockArg = None,
    auto_lock_timeout: LockAutoLockTimeoutArg = None,
    lng_timeout: LngTimeoutArg = None,
    unlatch_duration: UnlatchDurationArg = None,
    single_button_press_action: ButtonActionArg = None,
    double_button_press_action: DoubleButtonActionArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
    battery_type: LockBatteryTypeArg = None,
    detached_cylinder: DetachedCylinderArg = None,
    auto_update_enabled: AutoUpdateArg = None,
    motor_speed: MotorSpeedArg = None,
    enable_slow_speed_during_nightmode: SlowAtNightArg = None,
) -> SectionPlan[AdvancedConfigWrite]:
    """Change a smart lock's advanced settings (auto-lock, Lock 'n' Go, unlatch, button actions, battery, motor,
    firmware updates); calibration is kept. Smart locks only: Openers and Smart Doors have their own tools.
    """
    return await _plan_section(ctx, "update_advanced_config", LOCK_ADVANCED, smartlock, locals())


@write_tool(
    title="Change an Opener's advanced settings",
    destructive=True,
    idempotent=True,
    perform=perform_section,
    refresh=refresh_section,
)
async def update_opener_advanced_config(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    rto_timeout: RtoTimeoutArg = None,
    electric_strike_duration: ElectricStrikeDurationArg = None,
    electric_strike_delay: ElectricStrikeDelayArg = None,
    random_electric_strike_delay: RandomStrikeDelayArg = None,
    disable_rto_after_ring: DisableRtoAfterRingArg = None,
    doorbell_suppression: DoorbellSuppressionArg = None,
    doorbell_suppression_duration: DoorbellSuppressionDurationArg = None,
    short_circuit_duration: ShortCircuitDurationArg = None,
    sound_ring: SoundRingArg = None,
    sound_open: SoundOpenArg = None,
    sound_rto: SoundRtoArg = None,
    sound_cm: SoundCmArg = None,
    sound_confirmation: SoundConfirmationArg = None,
    sound_level: SoundLevelArg = None,
    single_button_press_action: OpenerButtonActionArg = None,
    double_button_press_action: OpenerDoubleButtonActionArg = None,
    battery_type: BatteryTypeArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
    auto_update_enabled: AutoUpdateArg = None,
) -> SectionPlan[OpenerAdvancedConfigWrite]:
    """Change an Opener's advanced settings (Ring to Open, electric strike, doorbell suppression, sounds, button
    actions, battery, firmware updates). Openers only: locks and Smart Doors have their own tools.
    """
    return await _plan_section(ctx, "update_opener_advanced_config", OPENER_ADVANCED, smartlock, locals())


@write_tool(
    title="Change a Smart Door's advanced settings",
    destructive=True,
    idempotent=True,
    perform=perform_section,
    refresh=refresh_section,
)
async def update_smartdoor_advanced_config(
    ctx: Context[AppState],
    smartlock: SmartlockArg,
    auto_lock: AutoLockArg = None,
    auto_lock_timeout: SmartdoorAutoLockTimeoutArg = None,
    lng_timeout: LngTimeoutArg = None,
    unlatch_duration: UnlatchDurationArg = None,
    buzzer_volume: BuzzerVolumeArg = None,
    single_button_press_action: ButtonActionArg = None,
    double_button_press_action: DoubleButtonActionArg = None,
    battery_type: BatteryTypeArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
) -> SectionPlan[SmartdoorAdvancedConfigWrite]:
    """Change a Smart Door's advanced settings (auto-lock, Lock 'n' Go, unlatch, buzzer, button actions, battery).
    Smart Doors only: locks and Openers have their own tools.
    """
    return await _plan_section(ctx, "update_smartdoor_advanced_config", SMARTDOOR_ADVANCED, smartlock, locals())


@write_tool(
    title="Change a device's Nuki Web settings", destructive=True, idempotent=True, perform=perform_update_web_config
)
async def update_web_config(
    ctx: Context[AppState], smartlock: SmartlockArg, battery_warning_per_mail_enabled: BatteryWarningArg
) -> RequestPlan[WebConfigWrite]:
    """Turn Nuki Web's low-battery e-mail warning for one device on or off (a server setting; the device is not
    touched). Several devices: bulk_web_config.
    """
    given = _given(locals())  # first: locals() are the arguments only here
    state = app_state(ctx)
    device = await _read(state, smartlock)
    diff = _diff(state, WEB_SETTINGS, given, device.web_config or WebConfig())
    _require_changes(device, diff)
    changes = _field_changes(diff)
    return RequestPlan(
        tool="update_web_config",
        summary=_summary("Change the Nuki Web settings of", device, changes),
        device=device_ref(device),
        changes=changes,
        # Nuki leaves web config fields that are absent unchanged, so only the given one is sent.
        request=WebConfigWrite.model_validate(diff.wire),
    )


@write_tool(
    title="Change Nuki Web settings in bulk",
    destructive=True,
    idempotent=True,
    perform=perform_bulk_web_config,
)
async def bulk_web_config(
    ctx: Context[AppState], smartlocks: DeviceListArg, battery_warning_per_mail_enabled: BatteryWarningArg
) -> BulkWebConfigPlan:
    """Turn Nuki Web's low-battery e-mail warning on or off for several devices in one request. Nothing is sent if any
    device is unknown; devices already set are skipped.
    """
    state = app_state(ctx)
    visible = await visible_devices(state)
    devices: dict[int, Smartlock] = {}
    for wanted in smartlocks:
        device = match_device(visible, wanted)
        devices.setdefault(device.smartlock_id, device)
    given = _given({"battery_warning_per_mail_enabled": battery_warning_per_mail_enabled})
    requests: list[WebConfigRequest] = []
    changes: list[FieldChange] = []
    targets: list[DeviceRef] = []
    unchanged: list[DeviceRef] = []
    for device in devices.values():
        diff = _diff(state, WEB_SETTINGS, given, device.web_config or WebConfig())
        if not diff.changes:
            unchanged.append(device_ref(device))
            continue
        targets.append(device_ref(device))
        requests.append(
            WebConfigRequest(smartlock_id=device.smartlock_id, web_config=WebConfigWrite.model_validate(diff.wire))
        )
        changes.extend(
            FieldChange(f"{device.name} ({device.smartlock_id}): {c.field}", c.before, c.after) for c in diff.changes
        )
    setting = f"battery_warning_per_mail_enabled={json.dumps(battery_warning_per_mail_enabled)}"
    if not targets:
        labels = ", ".join(ref.label() for ref in unchanged)
        raise ToolError(f"Nothing to change: {labels} already have {setting}.")
    summary = f"Set {setting} on {len(targets)} device(s) in one request."
    if unchanged:
        summary += " Already set, left alone: " + ", ".join(ref.label() for ref in unchanged) + "."
    return BulkWebConfigPlan(
        tool="bulk_web_config",
        summary=summary,
        changes=tuple(changes),
        devices=tuple(device_ref(device) for device in devices.values()),
        request=BulkWebConfigRequest(web_config_requests=requests),
        targets=tuple(targets),
        unchanged=tuple(unchanged),
    )


@write_tool(title="Set a device's admin PIN", destructive=True, idempotent=True, perform=perform_update_admin_pin)
async def update_admin_pin(
    ctx: Context[AppState], smartlock: SmartlockArg, admin_pin: AdminPinArg
) -> RequestPlan[SmartlockAdminPinUpdate]:
    """Set a device's admin PIN, only when the user asked and gave it; never make one up. It never appears in any
    result, question or log.
    """
    device = await find_device(app_state(ctx), smartlock)
    return RequestPlan(
        tool="update_admin_pin",
        summary=f"Set a new admin PIN on {device_ref(device).label()}. The old PIN stops working; "
        "the new one is needed to change settings in the Nuki app.",
        device=device_ref(device),
        changes=(FieldChange("admin_pin", None, MASK),),
        request=SmartlockAdminPinUpdate(admin_pin=admin_pin),
    )


@write_tool(
    title="Remove a device from Nuki Web",
    destructive=True,
    idempotent=True,
    perform=perform_delete_smartlock,
)
async def delete_smartlock(ctx: Context[AppState], smartlock: SmartlockArg) -> WritePlan:
    """Remove a device from the Nuki Web account (not reset; gone from Nuki Web and this server until re-added in the
    Nuki app). Only when the user explicitly asked; to rename use update_smartlock.
    """
    device = await find_device(app_state(ctx), smartlock)
    return WritePlan(
        tool="delete_smartlock",
        summary=f"Remove {device_ref(device).label()} from the Nuki Web account. This does not reset the "
        "device, but afterwards Nuki Web and this server can no longer see or operate it until it is added "
        "to the account again in the Nuki app.",
        device=device_ref(device),
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    register_writes(
        server,
        settings,
        (
            update_smartlock,
            update_config,
            update_advanced_config,
            update_opener_advanced_config,
            update_smartdoor_advanced_config,
            update_web_config,
            bulk_web_config,
            update_admin_pin,
            delete_smartlock,
        ),
    )
