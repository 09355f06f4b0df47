"""Builders for simulated devices, authorizations and account users, shaped like Nuki's own.

Each builder fills every field the Web API sends for that kind of object (REFERENCE.md §4: the
required fields of spec v3.9.0 and the fields seen in live `GET /smartlock` responses) with the
values of a healthy, sensibly configured device, so a caller names only what makes its object
different:

    lock(0x41A2B3C4D, "Flat 1")                                    # a Smart Lock 4 Pro, locked, 80 %
    lock(0x41A2B3C4E, "Flat 2", pairing_enabled=True, auto_lock=False, battery_charge=9, battery_critical=True)
    lock(0x0B1C2D3E, "Cellar", model=SMART_LOCK_2, state=3)        # an unlocked Smart Lock 2.0
    opener(0x23C4D5E6F, "Entrance")
    smartdoor(0x34D5E6F70, "Back Door", door_state=2)
    keypad_code(sim.new_object_id(), 0x41A2B3C4D, "Guest", 473829, allowed_week_days=124)

Codes are Nuki's integers (REFERENCE.md §5). Dates, `account_id` and `auth_id` are left out unless
given: Nuki always sends them, but a benchmark or a test about something else rarely cares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nuki_mcp.nuki.models import (
    AccountUser,
    OpenerAdvancedConfig,
    SmartdoorAdvancedConfig,
    Smartlock,
    SmartlockAdvancedConfig,
    SmartlockAuth,
    SmartlockConfig,
    SmartlockState,
    WebConfig,
)

EUROPE_BERLIN = 37  # config.timezoneId
VIENNA_CENTRE = (48.2082, 16.3738)  # latitude, longitude

APP = 0  # SmartlockAuth.type
FOB = 2
KEYPAD_CODE = 13


@dataclass(frozen=True)
class Calibration:
    """Where a lock's motor stops, in degrees; set when the lock is calibrated on its door."""

    total_degrees: int
    single_locked_position_offset_degrees: int
    unlocked_position_offset_degrees: int
    locked_position_offset_degrees: int
    unlocked_to_locked_transition_offset_degrees: int = 0


@dataclass(frozen=True)
class LockModel:
    """What a Smart Lock generation reports about itself, with a typical calibration."""

    type: int
    firmware_version: int  # packed bytes: 0x030A07 = 3.10.7
    hardware_version: int
    calibration: Calibration
    product_variant: int | None = None  # 1 Go, 2 Pro, 3 Ultra
    # Wi-Fi, Matter, a second keypad and motor speeds: what a Smart Lock 2.0 does not report at all.
    wifi: bool = True


SMART_LOCK_2 = LockModel(0, 134148, 514, Calibration(900, -80, -90, 70), wifi=False)  # 2.12.4
SMART_LOCK_4_PRO = LockModel(4, 199175, 1281, Calibration(1170, -100, -90, 80), product_variant=2)  # 3.10.7
SMART_LOCK_ULTRA = LockModel(5, 262148, 1537, Calibration(720, -60, -80, 60), product_variant=3)  # 4.0.4
OPENER_FIRMWARE = 67585  # 1.8.1
SMART_DOOR_FIRMWARE = 197379  # 3.3.3

_LAST_ACTION = {3: 1, 5: 3}  # unlocked: unlock, unlatched: unlatch; every other lock state: lock


def lock(
    smartlock_id: int,
    name: str,
    *,
    model: LockModel = SMART_LOCK_4_PRO,
    account_id: int | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
    favorite: bool = False,
    location: tuple[float, float] = VIENNA_CENTRE,
    timezone_id: int = EUROPE_BERLIN,
    pairing_enabled: bool = False,
    led_brightness: int = 3,
    single_lock: bool = False,
    advertising_mode: int = 0,
    fob: bool = False,
    keypad: bool = False,
    matter_state: int = 3,
    lng_timeout: int = 20,
    battery_type: int = 1,
    automatic_battery_type_detection: bool = True,
    auto_lock: bool = True,
    auto_lock_timeout: int = 300,
    auto_update_enabled: bool = True,
    motor_speed: int = 0,
    enable_slow_speed_during_nightmode: bool = True,
    calibration: Calibration | None = None,
    battery_warning_per_mail_enabled: bool = True,
    dismissed_lift_up_handle_warning: list[int] | None = None,
    state: int = 1,
    trigger: int = 0,
    battery_charge: int = 80,
    battery_critical: bool = False,
    door_state: int = 0,
    server_state: int = 0,
    admin_pin_state: int = 0,
) -> Smartlock:
    """A Smart Lock (type 0, 4 or 5 by `model`), by default locked, in door mode and online.

    `led_brightness` 0 turns the LED off. `fob`/`keypad`: one is paired (the fob does intelligent,
    unlock, lock on 1/2/3 presses). `door_state` 0 means no door sensor; any other value pairs one.
    The last action is the one that leads to `state`.
    """
    geometry = calibration or model.calibration
    wifi = model.wifi
    return Smartlock(
        smartlock_id=smartlock_id,
        account_id=account_id,
        type=model.type,
        lm_type=0,
        auth_id=1,
        name=name,
        favorite=favorite,
        config=SmartlockConfig(
            name=name,
            latitude=location[0],
            longitude=location[1],
            capabilities=0,
            auto_unlatch=False,
            lift_up_handle=False,
            pairing_enabled=pairing_enabled,
            button_enabled=True,
            led_enabled=led_brightness > 0,
            led_brightness=led_brightness,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=fob,
            fob_action1=4 if fob else 0,
            fob_action2=1 if fob else 0,
            fob_action3=2 if fob else 0,
            single_lock=single_lock,
            operating_mode=0,
            advertising_mode=advertising_mode,
            keypad_paired=keypad,
            keypad2_paired=False if wifi else None,
            homekit_state=0,
            matter_state=matter_state if wifi else None,
            timezone_id=timezone_id,
            device_type=model.type,
            wifi_enabled=True if wifi else None,
            product_variant=model.product_variant,
        ),
        advanced_config=SmartlockAdvancedConfig(
            lng_timeout=lng_timeout,
            single_button_press_action=1,  # intelligent
            double_button_press_action=4,  # lock 'n' go
            automatic_battery_type_detection=automatic_battery_type_detection,
            unlatch_duration=3,
            total_degrees=geometry.total_degrees,
            single_locked_position_offset_degrees=geometry.single_locked_position_offset_degrees,
            unlocked_to_locked_transition_offset_degrees=geometry.unlocked_to_locked_transition_offset_degrees,
            unlocked_position_offset_degrees=geometry.unlocked_position_offset_degrees,
            locked_position_offset_degrees=geometry.locked_position_offset_degrees,
            detached_cylinder=False,
            battery_type=battery_type,
            auto_lock=auto_lock,
            auto_lock_timeout=auto_lock_timeout,
            auto_update_enabled=auto_update_enabled,
            motor_speed=motor_speed if wifi else None,
            enable_slow_speed_during_nightmode=enable_slow_speed_during_nightmode if wifi else None,
        ),
        web_config=WebConfig(
            battery_warning_per_mail_enabled=battery_warning_per_mail_enabled,
            dismissed_lift_up_handle_warning=dismissed_lift_up_handle_warning,
        ),
        state=_state(
            state=state,
            trigger=trigger,
            last_action=_LAST_ACTION.get(state, 2),
            battery_charge=battery_charge,
            battery_critical=battery_critical,
            keypad_battery_critical=False,
            door_state=door_state,
        ),
        firmware_version=model.firmware_version,
        hardware_version=model.hardware_version,
        server_state=server_state,
        admin_pin_state=admin_pin_state,
        virtual_device=False,
        creation_date=created,
        update_date=updated or created,
    )


def opener(
    smartlock_id: int,
    name: str,
    *,
    account_id: int | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
    favorite: bool = False,
    location: tuple[float, float] = VIENNA_CENTRE,
    timezone_id: int = EUROPE_BERLIN,
    operating_mode: int = 1,
    intercom_id: int = 1115,
    electric_strike_duration: int = 3000,
    rto_timeout: int = 20,
    state: int = 1,
    mode: int = 2,
    trigger: int = 0,
    battery_critical: bool = False,
    server_state: int = 0,
    admin_pin_state: int = 0,
) -> Smartlock:
    """An Opener (type 2) on an analogue intercom (`operating_mode` 1), online with Ring to Open off.

    It runs on AAA batteries, so it reports no battery percentage, only `battery_critical`.
    """
    return Smartlock(
        smartlock_id=smartlock_id,
        account_id=account_id,
        type=2,
        auth_id=1,
        name=name,
        favorite=favorite,
        config=SmartlockConfig(
            name=name,
            latitude=location[0],
            longitude=location[1],
            capabilities=1,  # door opening and ring to open
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=True,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            fob_action1=7,  # open (what a live Opener reports even without a fob)
            fob_action2=0,
            fob_action3=0,
            operating_mode=operating_mode,
            advertising_mode=0,
            keypad_paired=False,
            homekit_state=0,
            timezone_id=timezone_id,
            device_type=2,
        ),
        opener_advanced_config=OpenerAdvancedConfig(
            intercom_id=intercom_id,
            bus_mode_switch=0,
            short_circuit_duration=0,
            electric_strike_delay=0,
            random_electric_strike_delay=False,
            electric_strike_duration=electric_strike_duration,
            disable_rto_after_ring=True,
            rto_timeout=rto_timeout,
            doorbell_suppression=0,
            doorbell_suppression_duration=500,
            sound_ring=1,
            sound_open=1,
            sound_rto=1,
            sound_cm=1,
            sound_confirmation=1,
            sound_level=128,
            single_button_press_action=1,  # toggle ring to open
            double_button_press_action=4,  # toggle continuous mode
            battery_type=0,
            automatic_battery_type_detection=True,
            auto_update_enabled=True,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=True),
        state=_state(
            state=state,
            mode=mode,
            trigger=trigger,
            last_action=2,  # deactivate ring to open
            battery_charge=None,
            battery_critical=battery_critical,
            door_state=0,
        ),
        firmware_version=OPENER_FIRMWARE,
        hardware_version=1281,
        server_state=server_state,
        admin_pin_state=admin_pin_state,
        virtual_device=False,
        creation_date=created,
        update_date=updated or created,
    )


def smartdoor(
    smartlock_id: int,
    name: str,
    *,
    account_id: int | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
    favorite: bool = False,
    location: tuple[float, float] = VIENNA_CENTRE,
    timezone_id: int = EUROPE_BERLIN,
    lock_mechanism: int = 1,
    led_brightness: int = 2,
    auto_lock: bool = True,
    auto_lock_timeout: int = 120,
    state: int = 1,
    trigger: int = 0,
    battery_charge: int = 80,
    battery_critical: bool = False,
    door_state: int = 0,
    server_state: int = 0,
    admin_pin_state: int = 0,
) -> Smartlock:
    """A Smart Door (type 3) with a built-in battery, locked; `lock_mechanism` 1 MyEVO, 2 KFV Genius.

    `door_state` 0 means no door sensor; any other value pairs one.
    """
    return Smartlock(
        smartlock_id=smartlock_id,
        account_id=account_id,
        type=3,
        lm_type=lock_mechanism,
        auth_id=1,
        name=name,
        favorite=favorite,
        config=SmartlockConfig(
            name=name,
            latitude=location[0],
            longitude=location[1],
            capabilities=0,
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=led_brightness > 0,
            led_brightness=led_brightness,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            single_lock=False,
            advertising_mode=0,
            keypad_paired=False,
            homekit_state=0,
            timezone_id=timezone_id,
            device_type=3,
        ),
        smartdoor_advanced_config=SmartdoorAdvancedConfig(
            lng_timeout=20,
            single_button_press_action=1,
            double_button_press_action=4,
            automatic_battery_type_detection=False,
            unlatch_duration=3,
            buzzer_volume=2,  # normal
            supported_battery_types=[3],
            battery_type=3,  # fixed
            auto_lock_timeout=auto_lock_timeout,
            auto_lock=auto_lock,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=True),
        state=_state(
            state=state,
            trigger=trigger,
            last_action=_LAST_ACTION.get(state, 2),
            battery_charge=battery_charge,
            battery_critical=battery_critical,
            door_state=door_state,
        ),
        firmware_version=SMART_DOOR_FIRMWARE,
        hardware_version=769,
        server_state=server_state,
        admin_pin_state=admin_pin_state,
        virtual_device=False,
        creation_date=created,
        update_date=updated or created,
    )


def _state(
    *,
    state: int,
    trigger: int,
    last_action: int,
    battery_charge: int | None,
    battery_critical: bool,
    door_state: int,
    mode: int = 2,
    keypad_battery_critical: bool | None = None,
) -> SmartlockState:
    return SmartlockState(
        mode=mode,
        state=state,
        trigger=trigger,
        last_action=last_action,
        battery_critical=battery_critical,
        battery_charging=False,
        battery_charge=battery_charge,
        keypad_battery_critical=keypad_battery_critical,
        doorsensor_battery_critical=False if door_state else None,
        door_state=door_state,
        ring_to_open_timer=0,
        night_mode=False,
    )


# --- authorizations ----------------------------------------------------------------------------


def app_user(
    id: str,
    smartlock_id: int,
    name: str,
    account_user_id: int,
    *,
    auth_id: int | None = None,
    remote_allowed: bool = True,
    lock_count: int = 0,
    created: datetime | None = None,
    updated: datetime | None = None,
    last_active: datetime | None = None,
    allowed_from_date: datetime | None = None,
    allowed_until_date: datetime | None = None,
    allowed_week_days: int | None = None,
    allowed_from_time: int | None = None,
    allowed_until_time: int | None = None,
) -> SmartlockAuth:
    """An enabled app authorization of an account user; remote operation allowed unless said otherwise.

    The `allowed_*` limits follow Nuki: week-day bitmask (Monday 64 … Sunday 1), times in minutes.
    """
    return SmartlockAuth(
        id=id,
        smartlock_id=smartlock_id,
        account_user_id=account_user_id,
        auth_id=auth_id,
        type=APP,
        name=name,
        enabled=True,
        remote_allowed=remote_allowed,
        lock_count=lock_count,
        allowed_from_date=allowed_from_date,
        allowed_until_date=allowed_until_date,
        allowed_week_days=allowed_week_days,
        allowed_from_time=allowed_from_time,
        allowed_until_time=allowed_until_time,
        last_active_date=last_active,
        creation_date=created,
        update_date=updated or created,
    )


def fob(
    id: str,
    smartlock_id: int,
    name: str,
    *,
    auth_id: int | None = None,
    lock_count: int = 0,
    created: datetime | None = None,
    updated: datetime | None = None,
    last_active: datetime | None = None,
) -> SmartlockAuth:
    """An enabled key fob: it works only at the door, so never remotely."""
    return SmartlockAuth(
        id=id,
        smartlock_id=smartlock_id,
        auth_id=auth_id,
        type=FOB,
        name=name,
        enabled=True,
        remote_allowed=False,
        lock_count=lock_count,
        last_active_date=last_active,
        creation_date=created,
        update_date=updated or created,
    )


def keypad_code(
    id: str,
    smartlock_id: int,
    name: str,
    code: int,
    *,
    auth_id: int | None = None,
    enabled: bool = True,
    lock_count: int = 0,
    created: datetime | None = None,
    updated: datetime | None = None,
    last_active: datetime | None = None,
    allowed_from_date: datetime | None = None,
    allowed_until_date: datetime | None = None,
    allowed_week_days: int | None = None,
    allowed_from_time: int | None = None,
    allowed_until_time: int | None = None,
) -> SmartlockAuth:
    """A keypad code (6 digits, no 0, not starting with 12), typed at the door, so never remote."""
    return SmartlockAuth(
        id=id,
        smartlock_id=smartlock_id,
        auth_id=auth_id,
        code=code,
        type=KEYPAD_CODE,
        name=name,
        enabled=enabled,
        remote_allowed=False,
        lock_count=lock_count,
        allowed_from_date=allowed_from_date,
        allowed_until_date=allowed_until_date,
        allowed_week_days=allowed_week_days,
        allowed_from_time=allowed_from_time,
        allowed_until_time=allowed_until_time,
        last_active_date=last_active,
        creation_date=created,
        update_date=updated or created,
    )


# --- account users -----------------------------------------------------------------------------


def account_user(
    account_user_id: int,
    name: str,
    email: str,
    *,
    account_id: int | None = None,
    company: bool = False,
    language: str = "de",
    created: datetime | None = None,
    updated: datetime | None = None,
) -> AccountUser:
    """A person (or, with `company`, a company such as a cleaning service) invited to the account."""
    return AccountUser(
        account_user_id=account_user_id,
        account_id=account_id,
        type=1 if company else 0,
        email=email,
        name=name,
        language=language,
        creation_date=created,
        update_date=updated or created,
    )
