"""The demo household: the Berger family in Vienna, five devices, their users and authorizations.

Ids are public constants so tests can refer to them. Dates are relative to `now` (the clock's time
when the simulator starts); nothing here is random. The activity log lives in `activity.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from nuki_mcp.demo.ids import smartlock_id
from nuki_mcp.nuki.models import (
    AccountUser,
    DecentralWebhook,
    MyAccount,
    OpenerAdvancedConfig,
    SmartdoorAdvancedConfig,
    Smartlock,
    SmartlockAdvancedConfig,
    SmartlockAuth,
    SmartlockConfig,
    SmartlockState,
    WebConfig,
)

VIENNA = timezone(timedelta(hours=1), "CET")  # fixed offset: the demo needs no tz database

ACCOUNT_ID = 1001
OWNER_NAME = "Anna Berger"
OWNER_EMAIL = "anna@example.com"
ANNA_ACCOUNT_USER_ID = 2001
JONAS_ACCOUNT_USER_ID = 2002
SPARKLE_ACCOUNT_USER_ID = 2003

FRONT_DOOR_ID = smartlock_id(4, "1A2B3C4D")  # Smart Lock 4 Pro
CELLAR_ID = smartlock_id(0, "0B1C2D3E")  # Smart Lock 2.0, weak battery, left unlocked
OPENER_ID = smartlock_id(2, "3C4D5E6F")  # Opener at the building entrance
BACK_DOOR_ID = smartlock_id(3, "4D5E6F70")  # Smart Door
GARAGE_ID = smartlock_id(5, "5E6F7081")  # Smart Lock Ultra, offline

FAMILY_CODE = 385924
CLEANER_CODE = 472913
DOG_SITTER_CODE = 513762
OLD_TENANT_CODE = 647381
GARDEN_HELPER_CODE = 738291


def _auth_id(number: int) -> str:
    return f"65a0c3e1b2d4f6071829{number:04x}"


FRONT_DOOR_ANNA_AUTH_ID = _auth_id(1)
FRONT_DOOR_JONAS_AUTH_ID = _auth_id(2)
FRONT_DOOR_FOB_AUTH_ID = _auth_id(3)
FRONT_DOOR_FAMILY_CODE_AUTH_ID = _auth_id(4)
FRONT_DOOR_CLEANER_CODE_AUTH_ID = _auth_id(5)
FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID = _auth_id(6)
FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID = _auth_id(7)
CELLAR_ANNA_AUTH_ID = _auth_id(8)
CELLAR_GARDEN_HELPER_CODE_AUTH_ID = _auth_id(9)
OPENER_ANNA_AUTH_ID = _auth_id(10)
OPENER_JONAS_AUTH_ID = _auth_id(11)
BACK_DOOR_ANNA_AUTH_ID = _auth_id(12)
BACK_DOOR_SPARKLE_AUTH_ID = _auth_id(13)
GARAGE_ANNA_AUTH_ID = _auth_id(14)

API_KEY_ID = 7001
WEBHOOK_ID = 1
WEBHOOK_URL = "https://home.example.com/nuki-webhook"
WEBHOOK_SECRET = "8f3b2c71d0e94a6b5c1f7e2d9a0b4c6e3f5d7a91"

VIENNA_LATITUDE = 48.2082
VIENNA_LONGITUDE = 16.3738
EUROPE_BERLIN = 37  # timezoneId (same offset as Vienna, which the table lacks)


def local_time(now: datetime, days_ago: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A Vienna wall-clock time `days_ago` days before `now`, in UTC."""
    day = (now.astimezone(VIENNA) - timedelta(days=days_ago)).date()
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=VIENNA).astimezone(UTC)


# --- account -----------------------------------------------------------------------------------


def account(now: datetime) -> MyAccount:
    return MyAccount(
        account_id=ACCOUNT_ID,
        type=0,
        email=OWNER_EMAIL,
        email_verified=True,
        name=OWNER_NAME,
        language="de",
        creation_date=now - timedelta(days=812),
        update_date=now - timedelta(days=34),
    )


def owner(now: datetime) -> AccountUser:
    return AccountUser(
        account_user_id=ANNA_ACCOUNT_USER_ID,
        account_id=ACCOUNT_ID,
        type=0,
        email=OWNER_EMAIL,
        name=OWNER_NAME,
        language="de",
        creation_date=now - timedelta(days=812),
        update_date=now - timedelta(days=812),
    )


def other_account_users(now: datetime) -> list[AccountUser]:
    return [
        AccountUser(
            account_user_id=JONAS_ACCOUNT_USER_ID,
            account_id=ACCOUNT_ID,
            type=0,
            email="jonas@example.com",
            name="Jonas Berger",
            language="de",
            creation_date=now - timedelta(days=640),
            update_date=now - timedelta(days=30),
        ),
        AccountUser(
            account_user_id=SPARKLE_ACCOUNT_USER_ID,
            account_id=ACCOUNT_ID,
            type=1,  # company
            email="office@sparkle-cleaning.example.com",
            name="Sparkle Cleaning",
            language="en",
            creation_date=now - timedelta(days=95),
            update_date=now - timedelta(days=95),
        ),
    ]


# --- devices -----------------------------------------------------------------------------------


def devices(now: datetime) -> list[Smartlock]:
    return [_front_door(now), _cellar(now), _opener(now), _back_door(now), _garage(now)]


def _front_door(now: datetime) -> Smartlock:
    return Smartlock(
        smartlock_id=FRONT_DOOR_ID,
        account_id=ACCOUNT_ID,
        type=4,
        lm_type=0,
        auth_id=1,
        name="Front Door",
        favorite=True,
        config=SmartlockConfig(
            name="Front Door",
            latitude=VIENNA_LATITUDE,
            longitude=VIENNA_LONGITUDE,
            capabilities=0,
            auto_unlatch=False,
            lift_up_handle=False,
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=True,
            led_brightness=3,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=True,
            fob_action1=4,  # intelligent
            fob_action2=1,  # unlock
            fob_action3=2,  # lock
            single_lock=False,
            operating_mode=0,
            advertising_mode=0,
            keypad_paired=True,
            keypad2_paired=False,
            homekit_state=0,
            matter_state=3,  # enabled
            timezone_id=EUROPE_BERLIN,
            device_type=4,
            wifi_enabled=True,
            product_variant=2,  # Pro
        ),
        advanced_config=SmartlockAdvancedConfig(
            lng_timeout=20,
            single_button_press_action=1,  # intelligent
            double_button_press_action=4,  # lock 'n' go
            automatic_battery_type_detection=True,
            unlatch_duration=3,
            total_degrees=1170,
            single_locked_position_offset_degrees=-100,
            unlocked_to_locked_transition_offset_degrees=0,
            unlocked_position_offset_degrees=-90,
            locked_position_offset_degrees=80,
            detached_cylinder=False,
            battery_type=1,  # accumulator (power pack)
            auto_lock=True,
            auto_lock_timeout=300,
            auto_update_enabled=True,
            motor_speed=0,
            enable_slow_speed_during_nightmode=True,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=True, dismissed_lift_up_handle_warning=[]),
        state=SmartlockState(
            mode=2,
            state=1,  # locked
            trigger=3,  # automatic: auto lock
            last_action=2,
            battery_critical=False,
            battery_charging=False,
            battery_charge=82,
            keypad_battery_critical=False,
            doorsensor_battery_critical=False,
            door_state=2,  # closed
            ring_to_open_timer=0,
            night_mode=False,
        ),
        firmware_version=199175,  # 3.10.7
        hardware_version=1281,
        server_state=0,
        admin_pin_state=0,
        virtual_device=False,
        creation_date=now - timedelta(days=402),
        update_date=now - timedelta(hours=20),
    )


def _cellar(now: datetime) -> Smartlock:
    return Smartlock(
        smartlock_id=CELLAR_ID,
        account_id=ACCOUNT_ID,
        type=0,
        lm_type=0,
        auth_id=1,
        name="Cellar Door",
        favorite=False,
        config=SmartlockConfig(
            name="Cellar Door",
            latitude=48.20815,
            longitude=16.37372,
            capabilities=0,
            auto_unlatch=False,
            lift_up_handle=False,
            pairing_enabled=True,
            button_enabled=True,
            led_enabled=True,
            led_brightness=1,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            fob_action1=0,
            fob_action2=0,
            fob_action3=0,
            single_lock=True,
            operating_mode=0,
            advertising_mode=0,
            keypad_paired=True,
            homekit_state=0,
            timezone_id=EUROPE_BERLIN,
            device_type=0,
        ),
        advanced_config=SmartlockAdvancedConfig(
            lng_timeout=30,
            single_button_press_action=1,
            double_button_press_action=4,
            automatic_battery_type_detection=False,
            unlatch_duration=3,
            total_degrees=900,
            single_locked_position_offset_degrees=-80,
            unlocked_to_locked_transition_offset_degrees=0,
            unlocked_position_offset_degrees=-90,
            locked_position_offset_degrees=70,
            detached_cylinder=False,
            battery_type=0,  # alkali
            auto_lock=False,
            auto_lock_timeout=0,
            auto_update_enabled=False,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=False),
        state=SmartlockState(
            mode=2,
            state=3,  # unlocked
            trigger=0,
            last_action=1,
            battery_critical=True,
            battery_charging=False,
            battery_charge=9,
            keypad_battery_critical=False,
            door_state=0,  # no door sensor
            ring_to_open_timer=0,
            night_mode=False,
        ),
        firmware_version=134148,  # 2.12.4
        hardware_version=514,
        server_state=0,
        admin_pin_state=1,  # missing
        virtual_device=False,
        creation_date=now - timedelta(days=1490),
        update_date=now - timedelta(days=1, hours=2),
    )


def _opener(now: datetime) -> Smartlock:
    return Smartlock(
        smartlock_id=OPENER_ID,
        account_id=ACCOUNT_ID,
        type=2,
        auth_id=1,
        name="Building Entrance",
        favorite=True,
        config=SmartlockConfig(
            name="Building Entrance",
            latitude=48.20830,
            longitude=16.37395,
            capabilities=1,  # door opening and ring to open
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=True,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            fob_action1=7,  # open
            fob_action2=0,
            fob_action3=0,
            operating_mode=1,  # analogue intercom
            advertising_mode=0,
            keypad_paired=False,
            homekit_state=0,
            timezone_id=EUROPE_BERLIN,
            device_type=2,
        ),
        opener_advanced_config=OpenerAdvancedConfig(
            intercom_id=1115,
            bus_mode_switch=0,
            short_circuit_duration=0,
            electric_strike_delay=0,
            random_electric_strike_delay=False,
            electric_strike_duration=3000,
            disable_rto_after_ring=True,
            rto_timeout=20,
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
        state=SmartlockState(
            mode=2,  # door mode
            state=1,  # online
            trigger=0,
            last_action=2,
            battery_critical=False,
            battery_charging=False,
            door_state=0,
            ring_to_open_timer=0,
            night_mode=False,
        ),
        firmware_version=67585,  # 1.8.1
        hardware_version=1281,
        server_state=0,
        admin_pin_state=0,
        virtual_device=False,
        creation_date=now - timedelta(days=380),
        update_date=now - timedelta(days=2),
    )


def _back_door(now: datetime) -> Smartlock:
    return Smartlock(
        smartlock_id=BACK_DOOR_ID,
        account_id=ACCOUNT_ID,
        type=3,
        lm_type=1,  # MyEVO
        auth_id=1,
        name="Back Door",
        favorite=False,
        config=SmartlockConfig(
            name="Back Door",
            latitude=48.20805,
            longitude=16.37360,
            capabilities=0,
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=True,
            led_brightness=2,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            single_lock=False,
            advertising_mode=0,
            keypad_paired=False,
            homekit_state=0,
            timezone_id=EUROPE_BERLIN,
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
            auto_lock_timeout=120,
            auto_lock=True,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=True),
        state=SmartlockState(
            mode=2,
            state=1,  # locked
            trigger=3,
            last_action=2,
            battery_critical=False,
            battery_charging=False,
            battery_charge=71,
            doorsensor_battery_critical=False,
            door_state=2,  # closed
            ring_to_open_timer=0,
            night_mode=False,
        ),
        firmware_version=197379,  # 3.3.3
        hardware_version=769,
        server_state=0,
        admin_pin_state=0,
        virtual_device=False,
        creation_date=now - timedelta(days=210),
        update_date=now - timedelta(days=1),
    )


def _garage(now: datetime) -> Smartlock:
    return Smartlock(
        smartlock_id=GARAGE_ID,
        account_id=ACCOUNT_ID,
        type=5,
        lm_type=0,
        auth_id=1,
        name="Garage",
        favorite=False,
        config=SmartlockConfig(
            name="Garage",
            latitude=48.20790,
            longitude=16.37410,
            capabilities=0,
            auto_unlatch=False,
            lift_up_handle=False,
            pairing_enabled=False,
            button_enabled=True,
            led_enabled=False,
            led_brightness=0,
            timezone_offset=0,
            daylight_saving_mode=0,
            fob_paired=False,
            fob_action1=0,
            fob_action2=0,
            fob_action3=0,
            single_lock=True,
            operating_mode=0,
            advertising_mode=1,
            keypad_paired=False,
            keypad2_paired=False,
            homekit_state=0,
            matter_state=2,  # disabled
            timezone_id=EUROPE_BERLIN,
            device_type=5,
            wifi_enabled=True,
            product_variant=3,  # Ultra
        ),
        advanced_config=SmartlockAdvancedConfig(
            lng_timeout=20,
            single_button_press_action=1,
            double_button_press_action=4,
            automatic_battery_type_detection=True,
            unlatch_duration=3,
            total_degrees=720,
            single_locked_position_offset_degrees=-60,
            unlocked_to_locked_transition_offset_degrees=0,
            unlocked_position_offset_degrees=-80,
            locked_position_offset_degrees=60,
            detached_cylinder=False,
            battery_type=1,
            auto_lock=True,
            auto_lock_timeout=600,
            auto_update_enabled=True,
            motor_speed=1,  # fast
            enable_slow_speed_during_nightmode=False,
        ),
        web_config=WebConfig(battery_warning_per_mail_enabled=True),
        state=SmartlockState(
            mode=2,
            state=1,  # locked
            trigger=0,
            last_action=2,
            battery_critical=False,
            battery_charging=False,
            battery_charge=64,
            keypad_battery_critical=False,
            door_state=0,
            ring_to_open_timer=0,
            night_mode=False,
        ),
        firmware_version=262148,  # 4.0.4
        hardware_version=1537,
        server_state=4,  # offline
        admin_pin_state=0,
        virtual_device=False,
        creation_date=now - timedelta(days=150),
        update_date=now - timedelta(days=3),
    )


# --- authorizations ----------------------------------------------------------------------------


def auths(now: datetime) -> list[SmartlockAuth]:
    def days(count: int) -> datetime:
        return now - timedelta(days=count)

    last_monday = now.astimezone(VIENNA).weekday() or 7
    return [
        _app(FRONT_DOOR_ID, FRONT_DOOR_ANNA_AUTH_ID, 1, "Anna Berger", ANNA_ACCOUNT_USER_ID, days(402), 1288),
        SmartlockAuth(
            id=FRONT_DOOR_JONAS_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            account_user_id=JONAS_ACCOUNT_USER_ID,
            auth_id=2,
            type=0,
            name="Jonas Berger",
            enabled=True,
            remote_allowed=True,
            lock_count=412,
            allowed_from_date=days(30),
            allowed_until_date=now + timedelta(days=61),
            last_active_date=days(1),
            creation_date=days(30),
            update_date=days(30),
        ),
        SmartlockAuth(
            id=FRONT_DOOR_FOB_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            auth_id=3,
            type=2,
            name="Blue fob",
            enabled=True,
            remote_allowed=False,
            lock_count=133,
            last_active_date=days(3),
            creation_date=days(380),
            update_date=days(380),
        ),
        SmartlockAuth(
            id=FRONT_DOOR_FAMILY_CODE_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            auth_id=4,
            code=FAMILY_CODE,
            type=13,
            name="Family",
            enabled=True,
            remote_allowed=False,
            lock_count=288,
            allowed_week_days=127,  # every day, 0/0 = no time-of-day limit: how clients send "always"
            allowed_from_time=0,
            allowed_until_time=0,
            last_active_date=days(1),
            creation_date=days(395),
            update_date=days(395),
        ),
        SmartlockAuth(
            id=FRONT_DOOR_CLEANER_CODE_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            auth_id=5,
            code=CLEANER_CODE,
            type=13,
            name="Cleaner",
            enabled=True,
            remote_allowed=False,
            lock_count=74,
            allowed_week_days=64,  # Mondays
            allowed_from_time=480,  # 08:00
            allowed_until_time=720,  # 12:00
            last_active_date=local_time(now, last_monday, 11, 42),
            creation_date=days(260),
            update_date=days(120),
        ),
        SmartlockAuth(
            id=FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            auth_id=6,
            code=DOG_SITTER_CODE,
            type=13,
            name="Dog sitter",
            enabled=True,
            remote_allowed=False,
            lock_count=18,
            allowed_from_date=days(45),
            allowed_until_date=days(31),  # expired
            last_active_date=days(32),
            creation_date=days(46),
            update_date=days(46),
        ),
        SmartlockAuth(
            id=FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID,
            smartlock_id=FRONT_DOOR_ID,
            auth_id=7,
            code=OLD_TENANT_CODE,
            type=13,
            name="Old tenant",
            enabled=False,
            remote_allowed=False,
            lock_count=941,
            last_active_date=days(200),
            creation_date=days(610),
            update_date=days(199),
        ),
        _app(CELLAR_ID, CELLAR_ANNA_AUTH_ID, 1, "Anna Berger", ANNA_ACCOUNT_USER_ID, days(1490), 602),
        SmartlockAuth(
            id=CELLAR_GARDEN_HELPER_CODE_AUTH_ID,
            smartlock_id=CELLAR_ID,
            auth_id=2,
            code=GARDEN_HELPER_CODE,
            type=13,
            name="Garden helper",
            enabled=True,
            remote_allowed=False,
            lock_count=0,
            creation_date=days(120),
            update_date=days(120),
        ),
        _app(OPENER_ID, OPENER_ANNA_AUTH_ID, 1, "Anna Berger", ANNA_ACCOUNT_USER_ID, days(380), 510),
        _app(OPENER_ID, OPENER_JONAS_AUTH_ID, 2, "Jonas Berger", JONAS_ACCOUNT_USER_ID, days(300), 231),
        _app(BACK_DOOR_ID, BACK_DOOR_ANNA_AUTH_ID, 1, "Anna Berger", ANNA_ACCOUNT_USER_ID, days(210), 377),
        SmartlockAuth(
            id=BACK_DOOR_SPARKLE_AUTH_ID,
            smartlock_id=BACK_DOOR_ID,
            account_user_id=SPARKLE_ACCOUNT_USER_ID,
            auth_id=2,
            type=0,
            name="Sparkle Cleaning",
            enabled=True,
            remote_allowed=False,
            lock_count=26,
            allowed_week_days=4,  # Fridays
            allowed_from_time=540,  # 09:00
            allowed_until_time=780,  # 13:00
            creation_date=days(95),
            update_date=days(95),
        ),
        _app(GARAGE_ID, GARAGE_ANNA_AUTH_ID, 1, "Anna Berger", ANNA_ACCOUNT_USER_ID, days(150), 198),
    ]


def _app(
    device_id: int, auth_id: str, number: int, name: str, account_user_id: int, created: datetime, count: int
) -> SmartlockAuth:
    """An app authorization without time limits, allowed to operate remotely."""
    return SmartlockAuth(
        id=auth_id,
        smartlock_id=device_id,
        account_user_id=account_user_id,
        auth_id=number,
        type=0,
        name=name,
        enabled=True,
        remote_allowed=True,
        lock_count=count,
        creation_date=created,
        update_date=created,
    )


# --- webhooks ----------------------------------------------------------------------------------


def webhook() -> DecentralWebhook:
    return DecentralWebhook(
        id=WEBHOOK_ID,
        secret=WEBHOOK_SECRET,
        webhook_url=WEBHOOK_URL,
        webhook_features=["DEVICE_STATUS", "DEVICE_LOGS"],
    )
