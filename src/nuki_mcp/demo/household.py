"""The demo household: the Berger family in Vienna, five devices, their users and authorizations.

Ids are public constants so tests can refer to them. Dates are relative to `now` (the clock's time
when the simulator starts); nothing here is random. The activity log lives in `activity.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from nuki_mcp.demo.builders import (
    SMART_LOCK_2,
    SMART_LOCK_4_PRO,
    SMART_LOCK_ULTRA,
    account_user,
    app_user,
    fob,
    keypad_code,
    lock,
    opener,
    smartdoor,
)
from nuki_mcp.demo.ids import smartlock_id
from nuki_mcp.nuki.models import (
    AccountConfig,
    AccountIntegration,
    AccountUser,
    ApiKey,
    DecentralWebhook,
    MyAccount,
    Smartlock,
    SmartlockAuth,
    SubAccount,
)

VIENNA = timezone(timedelta(hours=1), "CET")  # fixed offset: the demo needs no tz database

ACCOUNT_ID = 1001
OWNER_NAME = "Anna Berger"
OWNER_EMAIL = "anna@example.com"
ANNA_ACCOUNT_USER_ID = 2001
JONAS_ACCOUNT_USER_ID = 2002
SPARKLE_ACCOUNT_USER_ID = 2003
LENA_ACCOUNT_USER_ID = 2004  # Anna's sister: an account user without any authorization yet
LENA_NAME = "Lena Huber"
LENA_EMAIL = "lena@example.com"
JONAS_SUB_ACCOUNT_ID = 1002

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

# Integrations with access to the account (GET /account/integration). Their clientId is the apiKeyId
# that revokes them; an API token is revoked by its tokenId.
THIS_TOKEN_NAME = "nuki-mcp"
THIS_TOKEN_CLIENT_ID = "7000"
THIS_TOKEN_ID = "301"
HOME_ASSISTANT_CLIENT_ID = "7101"
ALEXA_CLIENT_ID = "7102"  # not active for 200 days
IPHONE_CLIENT_ID = "7103"
BROAD_TOKEN_NAME = "Old scripts"
BROAD_TOKEN_ID = "302"


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
        config=AccountConfig(),  # no otpEnabledDate: two-factor authentication is off
    )


def owner(now: datetime) -> AccountUser:
    return account_user(
        ANNA_ACCOUNT_USER_ID, OWNER_NAME, OWNER_EMAIL, account_id=ACCOUNT_ID, created=now - timedelta(days=812)
    )


def other_account_users(now: datetime) -> list[AccountUser]:
    def days(count: int) -> datetime:
        return now - timedelta(days=count)

    return [
        account_user(
            JONAS_ACCOUNT_USER_ID,
            "Jonas Berger",
            "jonas@example.com",
            account_id=ACCOUNT_ID,
            created=days(640),
            updated=days(30),
        ),
        account_user(
            LENA_ACCOUNT_USER_ID, LENA_NAME, LENA_EMAIL, account_id=ACCOUNT_ID, language="de", created=days(12)
        ),
        account_user(
            SPARKLE_ACCOUNT_USER_ID,
            "Sparkle Cleaning",
            "office@sparkle-cleaning.example.com",
            account_id=ACCOUNT_ID,
            company=True,
            language="en",
            created=days(95),
        ),
    ]


# --- devices -----------------------------------------------------------------------------------
# Each device names only what differs from a healthy one of its kind (see builders.py); the cellar
# and the garage are misconfigured on purpose, for the audit to find.


def devices(now: datetime) -> list[Smartlock]:
    def ago(days: int, hours: int = 0) -> datetime:
        return now - timedelta(days=days, hours=hours)

    return [
        lock(
            FRONT_DOOR_ID,
            "Front Door",
            model=SMART_LOCK_4_PRO,
            account_id=ACCOUNT_ID,
            created=ago(402),
            updated=ago(0, hours=20),
            favorite=True,
            fob=True,
            keypad=True,
            dismissed_lift_up_handle_warning=[],
            trigger=3,  # automatic: auto lock
            battery_charge=82,
            door_state=2,  # closed
        ),
        lock(
            CELLAR_ID,
            "Cellar Door",
            model=SMART_LOCK_2,
            account_id=ACCOUNT_ID,
            created=ago(1490),
            updated=ago(1, hours=2),
            location=(48.20815, 16.37372),
            pairing_enabled=True,
            led_brightness=1,
            keypad=True,
            single_lock=True,
            lng_timeout=30,
            battery_type=0,  # alkali
            automatic_battery_type_detection=False,
            auto_lock=False,
            auto_lock_timeout=0,
            auto_update_enabled=False,
            battery_warning_per_mail_enabled=False,
            state=3,  # unlocked
            battery_charge=9,
            battery_critical=True,
            admin_pin_state=1,  # missing
        ),
        opener(
            OPENER_ID,
            "Building Entrance",
            account_id=ACCOUNT_ID,
            created=ago(380),
            updated=ago(2),
            favorite=True,
            location=(48.20830, 16.37395),
        ),
        smartdoor(
            BACK_DOOR_ID,
            "Back Door",
            account_id=ACCOUNT_ID,
            created=ago(210),
            updated=ago(1),
            location=(48.20805, 16.37360),
            trigger=3,
            battery_charge=71,
            door_state=2,  # closed
        ),
        lock(
            GARAGE_ID,
            "Garage",
            model=SMART_LOCK_ULTRA,
            account_id=ACCOUNT_ID,
            created=ago(150),
            updated=ago(3),
            location=(48.20790, 16.37410),
            led_brightness=0,
            single_lock=True,
            advertising_mode=1,
            matter_state=2,  # disabled
            auto_lock_timeout=600,
            motor_speed=1,  # fast
            enable_slow_speed_during_nightmode=False,
            battery_charge=64,
            server_state=4,  # offline
        ),
    ]


# --- authorizations ----------------------------------------------------------------------------


def auths(now: datetime) -> list[SmartlockAuth]:
    def days(count: int) -> datetime:
        return now - timedelta(days=count)

    last_monday = now.astimezone(VIENNA).weekday() or 7
    anna, jonas = ANNA_ACCOUNT_USER_ID, JONAS_ACCOUNT_USER_ID
    return [
        app_user(
            FRONT_DOOR_ANNA_AUTH_ID, FRONT_DOOR_ID, OWNER_NAME, anna, auth_id=1, lock_count=1288, created=days(402)
        ),
        app_user(
            FRONT_DOOR_JONAS_AUTH_ID,
            FRONT_DOOR_ID,
            "Jonas Berger",
            jonas,
            auth_id=2,
            lock_count=412,
            allowed_from_date=days(30),
            allowed_until_date=now + timedelta(days=61),
            last_active=days(1),
            created=days(30),
        ),
        fob(
            FRONT_DOOR_FOB_AUTH_ID,
            FRONT_DOOR_ID,
            "Blue fob",
            auth_id=3,
            lock_count=133,
            last_active=days(3),
            created=days(380),
        ),
        keypad_code(
            FRONT_DOOR_FAMILY_CODE_AUTH_ID,
            FRONT_DOOR_ID,
            "Family",
            FAMILY_CODE,
            auth_id=4,
            lock_count=288,
            allowed_week_days=127,  # every day, 0/0 = no time-of-day limit: how clients send "always"
            allowed_from_time=0,
            allowed_until_time=0,
            last_active=days(1),
            created=days(395),
        ),
        keypad_code(
            FRONT_DOOR_CLEANER_CODE_AUTH_ID,
            FRONT_DOOR_ID,
            "Cleaner",
            CLEANER_CODE,
            auth_id=5,
            lock_count=74,
            allowed_week_days=64,  # Mondays
            allowed_from_time=480,  # 08:00
            allowed_until_time=720,  # 12:00
            last_active=local_time(now, last_monday, 11, 42),
            created=days(260),
            updated=days(120),
        ),
        keypad_code(
            FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID,
            FRONT_DOOR_ID,
            "Dog sitter",
            DOG_SITTER_CODE,
            auth_id=6,
            lock_count=18,
            allowed_from_date=days(45),
            allowed_until_date=days(31),  # expired
            last_active=days(32),
            created=days(46),
        ),
        keypad_code(
            FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID,
            FRONT_DOOR_ID,
            "Old tenant",
            OLD_TENANT_CODE,
            auth_id=7,
            enabled=False,
            lock_count=941,
            last_active=days(200),
            created=days(610),
            updated=days(199),
        ),
        app_user(CELLAR_ANNA_AUTH_ID, CELLAR_ID, OWNER_NAME, anna, auth_id=1, lock_count=602, created=days(1490)),
        keypad_code(
            CELLAR_GARDEN_HELPER_CODE_AUTH_ID,
            CELLAR_ID,
            "Garden helper",
            GARDEN_HELPER_CODE,
            auth_id=2,
            created=days(120),
        ),
        app_user(OPENER_ANNA_AUTH_ID, OPENER_ID, OWNER_NAME, anna, auth_id=1, lock_count=510, created=days(380)),
        app_user(OPENER_JONAS_AUTH_ID, OPENER_ID, "Jonas Berger", jonas, auth_id=2, lock_count=231, created=days(300)),
        app_user(BACK_DOOR_ANNA_AUTH_ID, BACK_DOOR_ID, OWNER_NAME, anna, auth_id=1, lock_count=377, created=days(210)),
        app_user(
            BACK_DOOR_SPARKLE_AUTH_ID,
            BACK_DOOR_ID,
            "Sparkle Cleaning",
            SPARKLE_ACCOUNT_USER_ID,
            auth_id=2,
            remote_allowed=False,
            lock_count=26,
            allowed_week_days=4,  # Fridays
            allowed_from_time=540,  # 09:00
            allowed_until_time=780,  # 13:00
            created=days(95),
        ),
        app_user(GARAGE_ANNA_AUTH_ID, GARAGE_ID, OWNER_NAME, anna, auth_id=1, lock_count=198, created=days(150)),
    ]


# --- webhooks ----------------------------------------------------------------------------------


def webhook() -> DecentralWebhook:
    return DecentralWebhook(
        id=WEBHOOK_ID,
        secret=WEBHOOK_SECRET,
        webhook_url=WEBHOOK_URL,
        webhook_features=["DEVICE_STATUS", "DEVICE_LOGS"],
    )


def api_key(now: datetime) -> ApiKey:
    return ApiKey(
        api_key_id=API_KEY_ID,
        account_id=ACCOUNT_ID,
        description="Home server webhooks",
        redirect_uris=[],
        creation_date=now - timedelta(days=400),
        api_key="demo-oauth-client-7001",
    )


# --- integrations and sub-accounts -------------------------------------------------------------

_TOKEN_SCOPES = [
    "account",
    "smartlock",
    "smartlock.readOnly",
    "smartlock.action",
    "smartlock.auth",
    "smartlock.config",
    "smartlock.log",
    "webhook.decentral",
]


def this_token(now: datetime) -> AccountIntegration:
    """The API token nuki-mcp itself is called with (its `lastActiveAt` is the time of the last request)."""
    return AccountIntegration(
        version="HYDRA",
        vendor_key="API_TOKEN",
        name=THIS_TOKEN_NAME,
        description="AI assistant via nuki-mcp",
        created_at=now - timedelta(days=20),
        last_active_at=now,
        scopes=list(_TOKEN_SCOPES),
        token_id=THIS_TOKEN_ID,
        client_id=THIS_TOKEN_CLIENT_ID,
        sort_order=90,
        device=False,
    )


def integrations(now: datetime) -> list[AccountIntegration]:
    def days(count: int) -> datetime:
        return now - timedelta(days=count)

    return [
        AccountIntegration(
            version="HYDRA",
            vendor_key="IOS",
            name="Anna's iPhone",
            created_at=days(700),
            last_active_at=now - timedelta(hours=3),
            scopes=["account", "smartlock", "smartlock.action", "smartlock.auth", "smartlock.log"],
            client_id=IPHONE_CLIENT_ID,
            sort_order=10,
            device=True,
        ),
        AccountIntegration(
            version="HYDRA",
            vendor_key="HOME_ASSISTANT",
            name="Home Assistant",
            created_at=days(300),
            last_active_at=now - timedelta(hours=1),
            scopes=["smartlock", "smartlock.action", "smartlock.log", "webhook.decentral"],
            client_id=HOME_ASSISTANT_CLIENT_ID,
            sort_order=40,
            device=False,
        ),
        AccountIntegration(
            version="LEGACY",
            vendor_key="ALEXA",
            name="Amazon Alexa",
            created_at=days(900),
            last_active_at=days(200),
            scopes=["smartlock", "smartlock.action"],
            warning=True,
            client_id=ALEXA_CLIENT_ID,
            sort_order=30,
            device=False,
        ),
        AccountIntegration(
            version="HYDRA",
            vendor_key="API_TOKEN",
            name=BROAD_TOKEN_NAME,
            description="Shell scripts on the old NAS",
            created_at=days(500),
            last_active_at=days(40),
            scopes=["smartlock", "smartlock.action", "smartlock.log"],
            token_id=BROAD_TOKEN_ID,
            client_id=THIS_TOKEN_CLIENT_ID,
            sort_order=90,
            device=False,
        ),
    ]


def sub_accounts(now: datetime) -> list[SubAccount]:
    return [
        SubAccount(
            account_id=JONAS_SUB_ACCOUNT_ID,
            type=0,
            email="jonas@example.com",
            email_verified=True,
            name="Jonas Berger",
            master_account_id=ACCOUNT_ID,
            rights=2 | 16,  # operate devices, view logs
            language="de",
            creation_date=now - timedelta(days=600),
            update_date=now - timedelta(days=60),
        )
    ]
