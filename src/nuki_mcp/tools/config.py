"""Toolset `config`: device settings, web config, admin PIN and removing a device.

Every update is read-modify-write: the plan reads the device, applies only the fields the caller
gave and keeps the complete request body it will send, so the human confirms exactly the diff that
is written (fields that already have the wanted value are not listed; an update that changes nothing
is refused). Nuki stores a config change and forwards it to the device; the device applies it on its
next contact (bridge or Wi-Fi), usually within seconds.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Generic, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, JsonValue, TypeAdapter

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.guard import MASK, DeviceRef, FieldChange, WritePlan
from nuki_mcp.nuki import codes
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
from nuki_mcp.tools.common import (
    ConfirmationTokenArg,
    SmartlockArg,
    device_ref,
    find_device,
    match_device,
    nuki_errors,
    register_tool,
    visible_devices,
    write_annotations,
)
from nuki_mcp.tools.views import DeviceRefView
from nuki_mcp.tools.writes import ConfirmOutcome, WriteResult, confirm_with, run_write

B = TypeVar("B", bound=RequestModel)

_JSON_OBJECT = TypeAdapter(dict[str, JsonValue])
_INT32_MAX = 2_147_483_647
_CONFIG_TOOL = write_annotations(destructive=True, idempotent=True)

# Smart locks take these three; "fixed" exists only on the Opener and the Smart Door.
LockBatteryTypeName = Literal["alkali", "accumulator", "lithium"]

# --- arguments -----------------------------------------------------------------------------------

DeviceNameArg = Annotated[
    str | None, Field(min_length=1, max_length=32, description="New device name (1-32 characters).")
]
FavoriteArg = Annotated[bool | None, Field(description="Mark the device as a favorite in Nuki Web and the app.")]
LatitudeArg = Annotated[
    float | None, Field(ge=-90, le=90, description="Latitude of the device position (used for geofencing).")
]
LongitudeArg = Annotated[
    float | None, Field(ge=-180, le=180, description="Longitude of the device position (used for geofencing).")
]
AutoUnlatchArg = Annotated[
    bool | None, Field(description="Also unlatch (pull the latch, opening the door) whenever the lock unlocks.")
]
LiftUpHandleArg = Annotated[
    bool | None, Field(description="The door has a handle that must be lifted before it can be locked.")
]
PairingEnabledArg = Annotated[
    bool | None, Field(description="Allow pairing new phones or accessories by pressing the device's button.")
]
ButtonEnabledArg = Annotated[bool | None, Field(description="Enable the button on the device.")]
LedEnabledArg = Annotated[bool | None, Field(description="Enable the device's LED ring.")]
LedBrightnessArg = Annotated[
    int | None, Field(ge=0, le=codes.LED_BRIGHTNESS_MAX, description="LED brightness: 0 (off) to 5 (brightest).")
]
SingleLockArg = Annotated[bool | None, Field(description="Lock with one turn instead of two (locks only).")]
AdvertisingModeArg = Annotated[
    codes.AdvertisingModeName | None,
    Field(description="Bluetooth advertising interval: slower saves battery but the app reacts later."),
]
TimezoneArg = Annotated[
    codes.TimezoneName | None,
    Field(description="The device's timezone (IANA name), which its time-limited access rules use."),
]
AutoLockArg = Annotated[
    bool | None, Field(description="Lock again automatically some time after the door was unlocked.")
]
LockAutoLockTimeoutArg = Annotated[
    int | None,
    Field(
        ge=0,
        le=_INT32_MAX,
        description="Seconds after unlocking until auto-lock locks again (current firmware uses at least 2).",
    ),
]
SmartdoorAutoLockTimeoutArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Seconds after unlocking until the door locks again (0: never)."),
]
LngTimeoutArg = Annotated[
    codes.LngTimeoutSeconds | None,
    Field(description="Lock 'n' Go: seconds until the lock locks again (5, 10, 15, 20, 30, 45 or 60)."),
]
UnlatchDurationArg = Annotated[
    codes.UnlatchDurationSeconds | None,
    Field(description="Seconds the latch is held open when unlatching (1, 3, 5, 7, 10, 15, 20 or 30)."),
]
ButtonActionArg = Annotated[
    codes.ButtonActionName | None,
    Field(description="What pressing the device's button does (intelligent: lock or unlock, depending on state)."),
]
OpenerButtonActionArg = Annotated[
    codes.OpenerButtonActionName | None,
    Field(description="What pressing the Opener's button does (rto = Ring to Open, continuous_mode: anyone gets in)."),
]
AutomaticBatteryDetectionArg = Annotated[
    bool | None, Field(description="Let the device detect its battery type itself.")
]
LockBatteryTypeArg = Annotated[LockBatteryTypeName | None, Field(description="The batteries in the lock.")]
BatteryTypeArg = Annotated[codes.BatteryTypeName | None, Field(description="The batteries in the device.")]
DetachedCylinderArg = Annotated[
    bool | None, Field(description="The cylinder's inner side turns independently of its outer side.")
]
AutoUpdateArg = Annotated[bool | None, Field(description="Install firmware updates automatically.")]
MotorSpeedArg = Annotated[codes.MotorSpeedName | None, Field(description="Motor speed of the lock.")]
SlowAtNightArg = Annotated[bool | None, Field(description="Use the slow motor speed while night mode is active.")]
MillisArg = Annotated[int | None, Field(ge=0, le=_INT32_MAX, description="Milliseconds.")]
RtoTimeoutArg = Annotated[
    int | None,
    Field(ge=1, le=_INT32_MAX, description="Minutes after which Ring to Open switches itself off."),
]
ElectricStrikeDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="How long (ms) the electric strike is actuated when opening."),
]
ElectricStrikeDelayArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Delay (ms) between an open command and the electric strike."),
]
RandomStrikeDelayArg = Annotated[
    bool | None, Field(description="Use a random 3-7 s delay before opening, to look like a person inside.")
]
DisableRtoAfterRingArg = Annotated[bool | None, Field(description="Switch Ring to Open off after one ring.")]
DoorbellSuppressionArg = Annotated[
    list[codes.DoorbellSuppressionName] | None,
    Field(
        max_length=3,
        description="When the doorbell is silenced: idle (neither Ring to Open nor continuous mode active), "
        "rto_active, continuous_mode_active. An empty list never silences it.",
    ),
]
DoorbellSuppressionDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="How long (ms) the doorbell is suppressed (digital intercoms)."),
]
ShortCircuitDurationArg = Annotated[
    int | None,
    Field(ge=0, le=_INT32_MAX, description="Short circuit duration (ms) for BUS mode switching (intercom wiring)."),
]
OpenerSoundArg = Annotated[codes.OpenerSoundName | None, Field(description="Sound the Opener plays.")]
SoundConfirmationArg = Annotated[bool | None, Field(description="Play a confirmation sound.")]
SoundLevelArg = Annotated[int | None, Field(ge=0, le=255, description="Sound volume of the Opener (0-255).")]
BuzzerVolumeArg = Annotated[codes.BuzzerVolumeName | None, Field(description="Volume of the Smart Door's buzzer.")]
BatteryWarningArg = Annotated[
    bool, Field(description="Send the account owner an e-mail when the device's battery runs low.")
]
DeviceListArg = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=100,
        description="The devices: smartlockIds or names (as for smartlock); list_smartlocks shows them.",
    ),
]
AdminPinArg = Annotated[
    int, Field(ge=0, le=9999, description="The new admin PIN, 0-9999. It never appears in any output or log.")
]


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
class BulkWebConfigPlan(WritePlan):
    request: BulkWebConfigRequest = field(kw_only=True, repr=False, compare=False)
    targets: tuple[DeviceRef, ...] = ()
    unchanged: tuple[DeviceRef, ...] = ()


def _same(value: JsonValue) -> JsonValue:
    return value


@dataclass(frozen=True)
class Setting:
    """How one tool argument maps onto a wire field: encoded for Nuki, decoded (by name) for people."""

    wire: str
    encode: Callable[[JsonValue], JsonValue] = _same
    decode: Callable[[JsonValue], JsonValue] = _same


def _named(wire: str, table: Mapping[str, int]) -> Setting:
    names = {code: name for name, code in table.items()}

    def encode(value: JsonValue) -> JsonValue:
        code = table.get(value) if isinstance(value, str) else None
        if code is None:
            raise ToolError(f"{wire} must be one of: {', '.join(table)}.")
        return code

    def decode(value: JsonValue) -> JsonValue:
        return names.get(value, f"unknown_{value}") if isinstance(value, int) else value

    return Setting(wire, encode, decode)


def _timezone_setting() -> Setting:
    def encode(value: JsonValue) -> JsonValue:
        tz_id = codes.timezone_id(value) if isinstance(value, str) else None
        if tz_id is None:
            raise ToolError(f"Nuki has no timezone {value!r}; use one of: {', '.join(codes.TIMEZONES)}.")
        return tz_id

    def decode(value: JsonValue) -> JsonValue:
        return codes.timezone_name(value) if isinstance(value, int) else value

    return Setting("timezone_id", encode, decode)


def _doorbell_suppression_setting() -> Setting:
    bits: dict[str, int] = dict(codes.DOORBELL_SUPPRESSION_BITS.items())

    def encode(value: JsonValue) -> JsonValue:
        mask = 0
        for name in value if isinstance(value, list) else []:
            bit = bits.get(name) if isinstance(name, str) else None
            if bit is None:
                raise ToolError(f"doorbell_suppression takes: {', '.join(bits)}.")
            mask |= bit
        return mask

    def decode(value: JsonValue) -> JsonValue:
        return list[JsonValue](codes.mask_to_doorbell_suppression(value)) if isinstance(value, int) else value

    return Setting("doorbell_suppression", encode, decode)


def _flag_as_number(wire: str) -> Setting:
    def encode(value: JsonValue) -> JsonValue:
        return 1 if value is True else 0

    def decode(value: JsonValue) -> JsonValue:
        return value != 0 if isinstance(value, int) and not isinstance(value, bool) else value

    return Setting(wire, encode, decode)


def _plain(*wire_names: str) -> dict[str, Setting]:
    return {name: Setting(name) for name in wire_names}


SMARTLOCK_SETTINGS: Mapping[str, Setting] = _plain("name", "favorite")
CONFIG_SETTINGS: Mapping[str, Setting] = {
    **_plain(
        "name",
        "latitude",
        "longitude",
        "auto_unlatch",
        "lift_up_handle",
        "pairing_enabled",
        "button_enabled",
        "led_enabled",
        "led_brightness",
        "single_lock",
    ),
    "advertising_mode": _named("advertising_mode", codes.ADVERTISING_MODES),
    "timezone": _timezone_setting(),
}
LOCK_ADVANCED_SETTINGS: Mapping[str, Setting] = {
    **_plain(
        "auto_lock",
        "auto_lock_timeout",
        "lng_timeout",
        "unlatch_duration",
        "automatic_battery_type_detection",
        "detached_cylinder",
        "auto_update_enabled",
        "enable_slow_speed_during_nightmode",
    ),
    "single_button_press_action": _named("single_button_press_action", codes.BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
    "motor_speed": _named("motor_speed", codes.MOTOR_SPEEDS),
}
OPENER_ADVANCED_SETTINGS: Mapping[str, Setting] = {
    **_plain(
        "rto_timeout",
        "electric_strike_duration",
        "electric_strike_delay",
        "random_electric_strike_delay",
        "disable_rto_after_ring",
        "doorbell_suppression_duration",
        "short_circuit_duration",
        "sound_level",
        "automatic_battery_type_detection",
        "auto_update_enabled",
    ),
    "doorbell_suppression": _doorbell_suppression_setting(),
    "sound_ring": _named("sound_ring", codes.OPENER_SOUNDS),
    "sound_open": _named("sound_open", codes.OPENER_SOUNDS),
    "sound_rto": _named("sound_rto", codes.OPENER_SOUNDS),
    "sound_cm": _named("sound_cm", codes.OPENER_SOUNDS),
    "sound_confirmation": _flag_as_number("sound_confirmation"),
    "single_button_press_action": _named("single_button_press_action", codes.OPENER_BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.OPENER_BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
}
SMARTDOOR_ADVANCED_SETTINGS: Mapping[str, Setting] = {
    **_plain("auto_lock", "auto_lock_timeout", "lng_timeout", "unlatch_duration", "automatic_battery_type_detection"),
    "buzzer_volume": _named("buzzer_volume", codes.BUZZER_VOLUMES),
    "single_button_press_action": _named("single_button_press_action", codes.BUTTON_ACTIONS),
    "double_button_press_action": _named("double_button_press_action", codes.BUTTON_ACTIONS),
    "battery_type": _named("battery_type", codes.BATTERY_TYPES),
}
WEB_SETTINGS: Mapping[str, Setting] = _plain("battery_warning_per_mail_enabled")

# Changes worth a sentence of their own in the confirmation question.
_WARNINGS: Mapping[tuple[str, JsonValue], str] = {
    ("pairing_enabled", True): "Anyone at the device can then pair a new phone or accessory with its button.",
    ("auto_lock", False): "The door will then no longer lock itself after it was unlocked.",
    ("auto_unlatch", True): "Every unlock will then also open the door.",
}


@dataclass(frozen=True)
class Diff:
    """What an update asks for: the wire fields to write (snake_case, encoded), the requested values as
    people read them (argument names, enums by name) and the changes among them."""

    wire: dict[str, JsonValue]
    wanted: dict[str, JsonValue]
    changes: tuple[FieldChange, ...]

    def wanted_text(self) -> str:
        return ", ".join(f"{arg}={json.dumps(value)}" for arg, value in self.wanted.items())


def diff_settings(settings: Mapping[str, Setting], given: Mapping[str, JsonValue], current: BaseModel) -> Diff:
    """Compare the given arguments (None = leave unchanged) with the current wire object."""
    now = _JSON_OBJECT.validate_python(current.model_dump(mode="json"))
    wire: dict[str, JsonValue] = {}
    wanted: dict[str, JsonValue] = {}
    changes: list[FieldChange] = []
    for arg, value in given.items():
        if value is None:
            continue
        setting = settings[arg]
        after = setting.encode(value)
        wire[setting.wire] = after
        wanted[arg] = setting.decode(after)
        before = now.get(setting.wire)
        if before != after:
            changes.append(FieldChange(arg, None if before is None else setting.decode(before), wanted[arg]))
    return Diff(wire, wanted, tuple(changes))


def _require_changes(device: Smartlock, diff: Diff) -> None:
    if not diff.changes:
        raise ToolError(f"Nothing to change: {device_ref(device).label()} already has {diff.wanted_text()}.")


def _summary(action: str, device: Smartlock, changes: tuple[FieldChange, ...]) -> str:
    warnings = [text for (arg, value), text in _WARNINGS.items() for c in changes if (c.field, c.after) == (arg, value)]
    return " ".join([f"{action} {device_ref(device).label()}.", *warnings])


async def _read(ctx: Context[AppState], smartlock: str) -> Smartlock:
    """The device as named (allow-listed), read fresh with its complete configuration."""
    state = app_state(ctx)
    device = await find_device(state, smartlock)
    return await state.client.get_smartlock(device.smartlock_id)


def _no_config(device: Smartlock, what: str) -> ToolError:
    return ToolError(
        f"Nuki reports no {what} for {device_ref(device).label()}, so it cannot be changed safely; "
        "call sync_smartlock, wait a few seconds and try again."
    )


def _require_advanced_kind(device: Smartlock, wanted: codes.AdvancedConfigKind) -> None:
    """Refuse (before anything is sent) an advanced config that does not fit the device type."""
    kind = codes.advanced_config_kind(device.type)
    if kind == wanted:
        return
    model = codes.device_model_name(device.type)
    right = {
        "lock": "update_advanced_config",
        "opener": "update_opener_advanced_config",
        "smartdoor": "update_smartdoor_advanced_config",
    }.get(kind)
    if right is None:
        raise ToolError(f"{device.name!r} is a {model}, which has no advanced configuration to change.")
    raise ToolError(f"{device.name!r} is a {model}; change its advanced configuration with {right} instead.")


def _given(**arguments: JsonValue) -> dict[str, JsonValue]:
    """The settings the caller gave (None = leave unchanged); refused, before any request, if none."""
    given: dict[str, JsonValue] = {name: value for name, value in arguments.items() if value is not None}
    if not given:
        raise ToolError(
            "Nothing to change: give at least one setting to change (every setting left out stays as it is)."
        )
    return given


def _read_modify_write_plan(
    tool: str,
    action: str,
    device: Smartlock,
    current: BaseModel | None,
    what: str,
    settings: Mapping[str, Setting],
    given: Mapping[str, JsonValue],
    write_model: type[B],
) -> RequestPlan[B]:
    """The plan of a config write: the complete `current` object with only the given settings changed."""
    if current is None:
        raise _no_config(device, what)
    diff = diff_settings(settings, given, current)
    _require_changes(device, diff)
    return RequestPlan(
        tool=tool,
        summary=_summary(action, device, diff.changes),
        device=device_ref(device),
        changes=diff.changes,
        request=write_model.from_current(current, diff.wire),
    )


@nuki_errors
async def plan_update_smartlock(
    smartlock: SmartlockArg,
    ctx: Context[AppState],
    name: DeviceNameArg = None,
    favorite: FavoriteArg = None,
) -> RequestPlan[SmartlockUpdate]:
    given = _given(name=name, favorite=favorite)
    device = await _read(ctx, smartlock)
    diff = diff_settings(SMARTLOCK_SETTINGS, given, device)
    _require_changes(device, diff)
    return RequestPlan(
        tool="update_smartlock",
        summary=_summary("Change the name or favorite flag of", device, diff.changes),
        device=device_ref(device),
        changes=diff.changes,
        request=SmartlockUpdate.model_validate(diff.wire),
    )


@nuki_errors
async def plan_update_config(
    smartlock: SmartlockArg,
    ctx: Context[AppState],
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
) -> RequestPlan[SmartlockConfigWrite]:
    given = _given(
        name=name,
        latitude=latitude,
        longitude=longitude,
        auto_unlatch=auto_unlatch,
        lift_up_handle=lift_up_handle,
        pairing_enabled=pairing_enabled,
        button_enabled=button_enabled,
        led_enabled=led_enabled,
        led_brightness=led_brightness,
        single_lock=single_lock,
        advertising_mode=advertising_mode,
        timezone=timezone,
    )
    device = await _read(ctx, smartlock)
    return _read_modify_write_plan(
        "update_config",
        "Change the configuration of",
        device,
        device.config,
        "configuration",
        CONFIG_SETTINGS,
        given,
        SmartlockConfigWrite,
    )


@nuki_errors
async def plan_update_advanced_config(
    smartlock: SmartlockArg,
    ctx: Context[AppState],
    auto_lock: AutoLockArg = None,
    auto_lock_timeout: LockAutoLockTimeoutArg = None,
    lng_timeout: LngTimeoutArg = None,
    unlatch_duration: UnlatchDurationArg = None,
    single_button_press_action: ButtonActionArg = None,
    double_button_press_action: ButtonActionArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
    battery_type: LockBatteryTypeArg = None,
    detached_cylinder: DetachedCylinderArg = None,
    auto_update_enabled: AutoUpdateArg = None,
    motor_speed: MotorSpeedArg = None,
    enable_slow_speed_during_nightmode: SlowAtNightArg = None,
) -> RequestPlan[AdvancedConfigWrite]:
    given = _given(
        auto_lock=auto_lock,
        auto_lock_timeout=auto_lock_timeout,
        lng_timeout=lng_timeout,
        unlatch_duration=unlatch_duration,
        single_button_press_action=single_button_press_action,
        double_button_press_action=double_button_press_action,
        automatic_battery_type_detection=automatic_battery_type_detection,
        battery_type=battery_type,
        detached_cylinder=detached_cylinder,
        auto_update_enabled=auto_update_enabled,
        motor_speed=motor_speed,
        enable_slow_speed_during_nightmode=enable_slow_speed_during_nightmode,
    )
    device = await _read(ctx, smartlock)
    _require_advanced_kind(device, "lock")
    return _read_modify_write_plan(
        "update_advanced_config",
        "Change the advanced configuration of",
        device,
        device.advanced_config,
        "advanced configuration",
        LOCK_ADVANCED_SETTINGS,
        given,
        AdvancedConfigWrite,
    )


@nuki_errors
async def plan_update_opener_advanced_config(
    smartlock: SmartlockArg,
    ctx: Context[AppState],
    rto_timeout: RtoTimeoutArg = None,
    electric_strike_duration: ElectricStrikeDurationArg = None,
    electric_strike_delay: ElectricStrikeDelayArg = None,
    random_electric_strike_delay: RandomStrikeDelayArg = None,
    disable_rto_after_ring: DisableRtoAfterRingArg = None,
    doorbell_suppression: DoorbellSuppressionArg = None,
    doorbell_suppression_duration: DoorbellSuppressionDurationArg = None,
    short_circuit_duration: ShortCircuitDurationArg = None,
    sound_ring: OpenerSoundArg = None,
    sound_open: OpenerSoundArg = None,
    sound_rto: OpenerSoundArg = None,
    sound_cm: OpenerSoundArg = None,
    sound_confirmation: SoundConfirmationArg = None,
    sound_level: SoundLevelArg = None,
    single_button_press_action: OpenerButtonActionArg = None,
    double_button_press_action: OpenerButtonActionArg = None,
    battery_type: BatteryTypeArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
    auto_update_enabled: AutoUpdateArg = None,
) -> RequestPlan[OpenerAdvancedConfigWrite]:
    given = _given(
        rto_timeout=rto_timeout,
        electric_strike_duration=electric_strike_duration,
        electric_strike_delay=electric_strike_delay,
        random_electric_strike_delay=random_electric_strike_delay,
        disable_rto_after_ring=disable_rto_after_ring,
        doorbell_suppression=None if doorbell_suppression is None else list[JsonValue](doorbell_suppression),
        doorbell_suppression_duration=doorbell_suppression_duration,
        short_circuit_duration=short_circuit_duration,
        sound_ring=sound_ring,
        sound_open=sound_open,
        sound_rto=sound_rto,
        sound_cm=sound_cm,
        sound_confirmation=sound_confirmation,
        sound_level=sound_level,
        single_button_press_action=single_button_press_action,
        double_button_press_action=double_button_press_action,
        battery_type=battery_type,
        automatic_battery_type_detection=automatic_battery_type_detection,
        auto_update_enabled=auto_update_enabled,
    )
    device = await _read(ctx, smartlock)
    _require_advanced_kind(device, "opener")
    return _read_modify_write_plan(
        "update_opener_advanced_config",
        "Change the Opener advanced configuration of",
        device,
        device.opener_advanced_config,
        "Opener advanced configuration",
        OPENER_ADVANCED_SETTINGS,
        given,
        OpenerAdvancedConfigWrite,
    )


@nuki_errors
async def plan_update_smartdoor_advanced_config(
    smartlock: SmartlockArg,
    ctx: Context[AppState],
    auto_lock: AutoLockArg = None,
    auto_lock_timeout: SmartdoorAutoLockTimeoutArg = None,
    lng_timeout: LngTimeoutArg = None,
    unlatch_duration: UnlatchDurationArg = None,
    buzzer_volume: BuzzerVolumeArg = None,
    single_button_press_action: ButtonActionArg = None,
    double_button_press_action: ButtonActionArg = None,
    battery_type: BatteryTypeArg = None,
    automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
) -> RequestPlan[SmartdoorAdvancedConfigWrite]:
    given = _given(
        auto_lock=auto_lock,
        auto_lock_timeout=auto_lock_timeout,
        lng_timeout=lng_timeout,
        unlatch_duration=unlatch_duration,
        buzzer_volume=buzzer_volume,
        single_button_press_action=single_button_press_action,
        double_button_press_action=double_button_press_action,
        battery_type=battery_type,
        automatic_battery_type_detection=automatic_battery_type_detection,
    )
    device = await _read(ctx, smartlock)
    _require_advanced_kind(device, "smartdoor")
    return _read_modify_write_plan(
        "update_smartdoor_advanced_config",
        "Change the Smart Door advanced configuration of",
        device,
        device.smartdoor_advanced_config,
        "Smart Door advanced configuration",
        SMARTDOOR_ADVANCED_SETTINGS,
        given,
        SmartdoorAdvancedConfigWrite,
    )


@nuki_errors
async def plan_update_web_config(
    smartlock: SmartlockArg,
    battery_warning_per_mail_enabled: BatteryWarningArg,
    ctx: Context[AppState],
) -> RequestPlan[WebConfigWrite]:
    given = _given(battery_warning_per_mail_enabled=battery_warning_per_mail_enabled)
    device = await _read(ctx, smartlock)
    diff = diff_settings(WEB_SETTINGS, given, device.web_config or WebConfig())
    _require_changes(device, diff)
    return RequestPlan(
        tool="update_web_config",
        summary=_summary("Change the Nuki Web settings of", device, diff.changes),
        device=device_ref(device),
        changes=diff.changes,
        # Nuki leaves web config fields that are absent unchanged, so only the given one is sent.
        request=WebConfigWrite.model_validate(diff.wire),
    )


@nuki_errors
async def plan_bulk_web_config(
    smartlocks: DeviceListArg,
    battery_warning_per_mail_enabled: BatteryWarningArg,
    ctx: Context[AppState],
) -> BulkWebConfigPlan:
    visible = await visible_devices(app_state(ctx))
    devices: dict[int, Smartlock] = {}
    for wanted in smartlocks:
        device = match_device(visible, wanted)
        devices.setdefault(device.smartlock_id, device)
    given = _given(battery_warning_per_mail_enabled=battery_warning_per_mail_enabled)
    requests: list[WebConfigRequest] = []
    changes: list[FieldChange] = []
    targets: list[DeviceRef] = []
    unchanged: list[DeviceRef] = []
    for device in devices.values():
        diff = diff_settings(WEB_SETTINGS, given, device.web_config or WebConfig())
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
        request=BulkWebConfigRequest(web_config_requests=requests),
        targets=tuple(targets),
        unchanged=tuple(unchanged),
    )


@nuki_errors
async def plan_update_admin_pin(
    smartlock: SmartlockArg, admin_pin: AdminPinArg, ctx: Context[AppState]
) -> RequestPlan[SmartlockAdminPinUpdate]:
    device = await find_device(app_state(ctx), smartlock)
    return RequestPlan(
        tool="update_admin_pin",
        summary=f"Set a new admin PIN on {device_ref(device).label()}. The old PIN stops working; "
        "the new one is needed to change settings in the Nuki app.",
        device=device_ref(device),
        changes=(FieldChange("admin_pin", None, MASK),),
        request=SmartlockAdminPinUpdate(admin_pin=admin_pin),
    )


@nuki_errors
async def plan_delete_smartlock(smartlock: SmartlockArg, ctx: Context[AppState]) -> WritePlan:
    device = await find_device(app_state(ctx), smartlock)
    return WritePlan(
        tool="delete_smartlock",
        summary=f"Remove {device_ref(device).label()} from the Nuki Web account. This does not reset the "
        "device, but afterwards Nuki Web and this server can no longer see or operate it until it is added "
        "to the account again in the Nuki app.",
        device=device_ref(device),
    )


confirm_update_smartlock = confirm_with(plan_update_smartlock)
confirm_update_config = confirm_with(plan_update_config)
confirm_update_advanced_config = confirm_with(plan_update_advanced_config)
confirm_update_opener_advanced_config = confirm_with(plan_update_opener_advanced_config)
confirm_update_smartdoor_advanced_config = confirm_with(plan_update_smartdoor_advanced_config)
confirm_update_web_config = confirm_with(plan_update_web_config)
confirm_bulk_web_config = confirm_with(plan_bulk_web_config)
confirm_update_admin_pin = confirm_with(plan_update_admin_pin)
confirm_delete_smartlock = confirm_with(plan_delete_smartlock)


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


def register(server: MCPServer[AppState], settings: Settings) -> None:
    if settings.read_only:
        return

    @register_tool(server, title="Rename a device or mark it as favorite", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_smartlock(
        smartlock: SmartlockArg,
        plan: Annotated[RequestPlan[SmartlockUpdate], Resolve(plan_update_smartlock)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_smartlock)],
        ctx: Context[AppState],
        name: DeviceNameArg = None,
        favorite: FavoriteArg = None,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Rename a device or change its favorite flag in Nuki Web. Give only what should change.
        The user is asked to confirm first. For the device's own settings use update_config."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_smartlock(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by, plan.request.name)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change a device's configuration", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_config(
        smartlock: SmartlockArg,
        plan: Annotated[RequestPlan[SmartlockConfigWrite], Resolve(plan_update_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_config)],
        ctx: Context[AppState],
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
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Change a device's basic configuration: name, position, auto-unlatch, lift-up handle,
        pairing by button, button, LED and its brightness, single lock, Bluetooth advertising mode,
        timezone. Give only the settings that should change; all others keep their values. The user
        sees the exact changes and is asked to confirm. Auto-lock, Lock 'n' Go and button actions
        are in the advanced configuration (update_advanced_config and its Opener/Smart Door
        variants), not here. The device applies the change on its next contact with Nuki."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_config(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by, name)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change a smart lock's advanced configuration", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_advanced_config(
        smartlock: SmartlockArg,
        plan: Annotated[RequestPlan[AdvancedConfigWrite], Resolve(plan_update_advanced_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_advanced_config)],
        ctx: Context[AppState],
        auto_lock: AutoLockArg = None,
        auto_lock_timeout: LockAutoLockTimeoutArg = None,
        lng_timeout: LngTimeoutArg = None,
        unlatch_duration: UnlatchDurationArg = None,
        single_button_press_action: ButtonActionArg = None,
        double_button_press_action: ButtonActionArg = None,
        automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
        battery_type: LockBatteryTypeArg = None,
        detached_cylinder: DetachedCylinderArg = None,
        auto_update_enabled: AutoUpdateArg = None,
        motor_speed: MotorSpeedArg = None,
        enable_slow_speed_during_nightmode: SlowAtNightArg = None,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Change a smart lock's advanced configuration: auto-lock and its timeout, Lock 'n' Go
        timeout, unlatch duration, button actions, battery type, detached cylinder, automatic
        firmware updates, motor speed. Smart locks only: for an Opener use
        update_opener_advanced_config, for a Smart Door update_smartdoor_advanced_config. Give only
        the settings that should change; everything else, including the calibration, is kept. The
        user sees the exact changes and is asked to confirm."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_advanced_config(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change an Opener's advanced configuration", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_opener_advanced_config(
        smartlock: SmartlockArg,
        plan: Annotated[RequestPlan[OpenerAdvancedConfigWrite], Resolve(plan_update_opener_advanced_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_opener_advanced_config)],
        ctx: Context[AppState],
        rto_timeout: RtoTimeoutArg = None,
        electric_strike_duration: ElectricStrikeDurationArg = None,
        electric_strike_delay: ElectricStrikeDelayArg = None,
        random_electric_strike_delay: RandomStrikeDelayArg = None,
        disable_rto_after_ring: DisableRtoAfterRingArg = None,
        doorbell_suppression: DoorbellSuppressionArg = None,
        doorbell_suppression_duration: DoorbellSuppressionDurationArg = None,
        short_circuit_duration: ShortCircuitDurationArg = None,
        sound_ring: OpenerSoundArg = None,
        sound_open: OpenerSoundArg = None,
        sound_rto: OpenerSoundArg = None,
        sound_cm: OpenerSoundArg = None,
        sound_confirmation: SoundConfirmationArg = None,
        sound_level: SoundLevelArg = None,
        single_button_press_action: OpenerButtonActionArg = None,
        double_button_press_action: OpenerButtonActionArg = None,
        battery_type: BatteryTypeArg = None,
        automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
        auto_update_enabled: AutoUpdateArg = None,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Change an Opener's advanced configuration: Ring to Open timeout, electric strike
        duration and delay, doorbell suppression, sounds and volume, button actions, battery type,
        automatic firmware updates. Openers only (for smart locks use update_advanced_config, for
        a Smart Door update_smartdoor_advanced_config). Give only the settings that should change;
        everything else is kept. The user sees the exact changes and is asked to confirm."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_opener_advanced_config(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change a Smart Door's advanced configuration", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_smartdoor_advanced_config(
        smartlock: SmartlockArg,
        plan: Annotated[RequestPlan[SmartdoorAdvancedConfigWrite], Resolve(plan_update_smartdoor_advanced_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_smartdoor_advanced_config)],
        ctx: Context[AppState],
        auto_lock: AutoLockArg = None,
        auto_lock_timeout: SmartdoorAutoLockTimeoutArg = None,
        lng_timeout: LngTimeoutArg = None,
        unlatch_duration: UnlatchDurationArg = None,
        buzzer_volume: BuzzerVolumeArg = None,
        single_button_press_action: ButtonActionArg = None,
        double_button_press_action: ButtonActionArg = None,
        battery_type: BatteryTypeArg = None,
        automatic_battery_type_detection: AutomaticBatteryDetectionArg = None,
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Change a Smart Door's advanced configuration: auto-lock and its timeout, Lock 'n' Go
        timeout, unlatch duration, buzzer volume, button actions, battery type. Smart Doors only
        (for smart locks use update_advanced_config, for an Opener update_opener_advanced_config).
        Give only the settings that should change; everything else is kept. The user sees the exact
        changes and is asked to confirm."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_smartdoor_advanced_config(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change a device's Nuki Web settings", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_web_config(
        smartlock: SmartlockArg,
        battery_warning_per_mail_enabled: BatteryWarningArg,
        plan: Annotated[RequestPlan[WebConfigWrite], Resolve(plan_update_web_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_web_config)],
        ctx: Context[AppState],
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Turn Nuki Web's low-battery e-mail warning for one device on or off (a server-side
        setting; the device itself is not touched). For several devices at once use
        bulk_web_config. The user is asked to confirm first."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_web_config(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Change Nuki Web settings of several devices", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def bulk_web_config(
        smartlocks: DeviceListArg,
        battery_warning_per_mail_enabled: BatteryWarningArg,
        plan: Annotated[BulkWebConfigPlan, Resolve(plan_bulk_web_config)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_bulk_web_config)],
        ctx: Context[AppState],
        confirmation_token: ConfirmationTokenArg = None,
    ) -> BulkWebConfigResult:
        """Turn Nuki Web's low-battery e-mail warning on or off for several devices in one request.
        Every device must be known (and allowed) or nothing is sent; devices that already have the
        wanted value are left alone. The user sees each device's change and is asked to confirm."""

        async def perform(confirmed_by: str) -> BulkWebConfigResult:
            await app_state(ctx).client.bulk_web_config(plan.request)
            return BulkWebConfigResult(
                status="done",
                summary=plan.summary,
                confirmed_by=confirmed_by,
                devices=[_ref_view(ref) for ref in plan.targets],
                unchanged=[_ref_view(ref) for ref in plan.unchanged],
                changes=_change_views(plan.changes),
            )

        return await run_write(ctx, plan, confirmation, confirmation_token, BulkWebConfigResult, perform)

    @register_tool(server, title="Set a device's admin PIN", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def update_admin_pin(
        smartlock: SmartlockArg,
        admin_pin: AdminPinArg,
        plan: Annotated[RequestPlan[SmartlockAdminPinUpdate], Resolve(plan_update_admin_pin)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_update_admin_pin)],
        ctx: Context[AppState],
        confirmation_token: ConfirmationTokenArg = None,
    ) -> ConfigResult:
        """Set a device's admin PIN (0-9999), which the Nuki app asks for before changing device
        settings. Only when the user asked for it and gave the PIN; never make one up. The PIN is
        hidden in every result, question and log. The user is asked to confirm first."""

        async def perform(confirmed_by: str) -> ConfigResult:
            await app_state(ctx).client.update_admin_pin(plan.target().smartlock_id, plan.request)
            return _done(plan, confirmed_by)

        return await run_write(ctx, plan, confirmation, confirmation_token, ConfigResult, perform)

    @register_tool(server, title="Remove a device from the Nuki Web account", annotations=_CONFIG_TOOL)
    @nuki_errors
    async def delete_smartlock(
        smartlock: SmartlockArg,
        plan: Annotated[WritePlan, Resolve(plan_delete_smartlock)],
        confirmation: Annotated[ConfirmOutcome, Resolve(confirm_delete_smartlock)],
        ctx: Context[AppState],
        confirmation_token: ConfirmationTokenArg = None,
    ) -> DeleteSmartlockResult:
        """Remove a device from the Nuki Web account. This does not reset the device, but afterwards
        Nuki Web and this server can no longer see or operate it until it is added to the account
        again in the Nuki app. Only when the user explicitly asked to remove this device; to rename
        it use update_smartlock. The user is asked to confirm first."""

        async def perform(confirmed_by: str) -> DeleteSmartlockResult:
            target = plan.target()
            await app_state(ctx).client.delete_smartlock(target.smartlock_id)
            return DeleteSmartlockResult(
                status="done", summary=plan.summary, confirmed_by=confirmed_by, device=_ref_view(target)
            )

        return await run_write(ctx, plan, confirmation, confirmation_token, DeleteSmartlockResult, perform)
