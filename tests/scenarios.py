"""One valid call of every tool against the demo household, for tests that sweep the live tool list.

The fault, security and fuzz tests walk the tool list the server really serves and look the
arguments up here; `test_every_listed_tool_has_a_scenario` (test_security.py) fails as soon as a
tool is added without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from nuki_mcp.demo.hosting import HOME_NAME, NOTIFICATION_ID, PHONE_NOTIFICATION_ID
from nuki_mcp.demo.household import (
    API_KEY_ID,
    CELLAR_GARDEN_HELPER_CODE_AUTH_ID,
    FRONT_DOOR_CLEANER_CODE_AUTH_ID,
    FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID,
    FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID,
    JONAS_ACCOUNT_USER_ID,
    LENA_EMAIL,
    WEBHOOK_ID,
)
from tests.support import Json

# A keypad code no demo device uses yet: six digits 1-9, not starting with 12.
FREE_KEYPAD_CODE = 356891
NEW_WEBHOOK_URL = "https://hooks.example.org/nuki"
NEW_NOTIFICATION_URL = "https://hooks.example.org/nuki-events"
HOLIDAY_FLAT = "Garden"  # a unique part of its name, so it is still found after update_address renames it


@dataclass(frozen=True)
class WriteCall:
    """A write tool's valid arguments, the method of the one request it sends, and near-miss variants.

    `other_device` and `other_arguments` are valid calls of the same tool that differ from
    `arguments` only in the device, or only in another argument (None where the tool has no such
    variant that would get past its own checks). Every call here is valid for the demo household,
    also after every other call here was applied, in any order.
    """

    arguments: Json
    method: str
    other_device: Json | None = None
    other_arguments: Json | None = None


WRITE_CALLS: dict[str, WriteCall] = {
    "sync_smartlock": WriteCall({"smartlock": "Cellar"}, "POST"),
    "lock_smartlock": WriteCall(
        {"smartlock": "Cellar", "wait": False},
        "POST",
        other_device={"smartlock": "Front Door", "wait": False},
        other_arguments={"smartlock": "Cellar"},
    ),
    "unlock_smartlock": WriteCall(
        {"smartlock": "Front Door", "wait": False},
        "POST",
        other_device={"smartlock": "Cellar", "wait": False},
        other_arguments={"smartlock": "Front Door"},
    ),
    "smartlock_action": WriteCall(
        {"smartlock": "Cellar", "action": "unlatch", "wait": False},
        "POST",
        other_device={"smartlock": "Front Door", "action": "unlatch", "wait": False},
        other_arguments={"smartlock": "Cellar", "action": "lock_n_go", "wait": False},
    ),
    "update_smartlock": WriteCall(
        {"smartlock": "Cellar", "name": "Wine Cellar"},
        "POST",
        other_device={"smartlock": "Back Door", "name": "Wine Cellar"},
        other_arguments={"smartlock": "Cellar", "name": "Cellar 2"},
    ),
    "update_config": WriteCall(
        {"smartlock": "Front Door", "pairing_enabled": True},
        "POST",
        other_device={"smartlock": "Garage", "pairing_enabled": True},
        other_arguments={"smartlock": "Front Door", "led_brightness": 1},
    ),
    "update_advanced_config": WriteCall(
        {"smartlock": "Front Door", "auto_lock_timeout": 120},
        "POST",
        other_device={"smartlock": "Cellar", "auto_lock_timeout": 120},
        other_arguments={"smartlock": "Front Door", "auto_lock_timeout": 180},
    ),
    "update_opener_advanced_config": WriteCall(
        {"smartlock": "Building Entrance", "rto_timeout": 30},
        "POST",
        other_arguments={"smartlock": "Building Entrance", "rto_timeout": 45},
    ),
    "update_smartdoor_advanced_config": WriteCall(
        {"smartlock": "Back Door", "auto_lock": False},
        "POST",
        other_arguments={"smartlock": "Back Door", "buzzer_volume": "low"},
    ),
    "update_web_config": WriteCall(
        {"smartlock": "Front Door", "battery_warning_per_mail_enabled": False},
        "POST",
        other_device={"smartlock": "Garage", "battery_warning_per_mail_enabled": False},
    ),
    "bulk_web_config": WriteCall(
        {"smartlocks": ["Building Entrance", "Back Door"], "battery_warning_per_mail_enabled": False},
        "POST",
        other_device={"smartlocks": ["Building Entrance", "Garage"], "battery_warning_per_mail_enabled": False},
    ),
    "update_admin_pin": WriteCall(
        {"smartlock": "Front Door", "admin_pin": 4711},
        "POST",
        other_device={"smartlock": "Cellar", "admin_pin": 4711},
        other_arguments={"smartlock": "Front Door", "admin_pin": 4712},
    ),
    "delete_smartlock": WriteCall({"smartlock": "Garage"}, "DELETE", other_device={"smartlock": "Back Door"}),
    "create_smartlock_auth": WriteCall(
        {"smartlock": "Front Door", "type": "keypad_code", "name": "Gardener", "code": FREE_KEYPAD_CODE},
        "PUT",
        other_device={"smartlock": "Cellar", "type": "keypad_code", "name": "Gardener", "code": FREE_KEYPAD_CODE},
        other_arguments={
            "smartlock": "Front Door",
            "type": "keypad_code",
            "name": "Gardener 2",
            "code": FREE_KEYPAD_CODE,
        },
    ),
    "update_smartlock_auth": WriteCall(
        {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaning crew"},
        "POST",
        other_device={"smartlock": "Cellar", "auth_id": CELLAR_GARDEN_HELPER_CODE_AUTH_ID, "name": "Cleaning crew"},
        other_arguments={"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID, "name": "Cleaners"},
    ),
    "delete_smartlock_auth": WriteCall(
        {"smartlock": "Front Door", "auth_id": FRONT_DOOR_DOG_SITTER_CODE_AUTH_ID},
        "DELETE",
        other_device={"smartlock": "Cellar", "auth_id": CELLAR_GARDEN_HELPER_CODE_AUTH_ID},
        other_arguments={"smartlock": "Front Door", "auth_id": FRONT_DOOR_OLD_TENANT_CODE_AUTH_ID},
    ),
    "create_decentral_webhook": WriteCall(
        {"webhook_url": NEW_WEBHOOK_URL, "webhook_features": ["DEVICE_STATUS"]},
        "PUT",
        other_arguments={"webhook_url": NEW_WEBHOOK_URL, "webhook_features": ["DEVICE_STATUS", "DEVICE_LOGS"]},
    ),
    "delete_decentral_webhook": WriteCall({"webhook_id": WEBHOOK_ID}, "DELETE"),
    "create_smartlock_auth_advanced": WriteCall(
        {
            "smartlocks": ["Front Door", "Cellar"],
            "name": "Weekend guest",
            "account_user_id": JONAS_ACCOUNT_USER_ID,
            "remote_allowed": False,
        },
        "PUT",
        other_device={
            "smartlocks": ["Front Door", "Back Door"],
            "name": "Weekend guest",
            "account_user_id": JONAS_ACCOUNT_USER_ID,
            "remote_allowed": False,
        },
        other_arguments={
            "smartlocks": ["Front Door", "Cellar"],
            "name": "Weekend guest",
            "account_user_id": JONAS_ACCOUNT_USER_ID,
            "remote_allowed": True,
        },
    ),
    "action_smartlock_advanced": WriteCall(
        {"smartlock": "Cellar", "action": "unlatch"},
        "POST",
        other_device={"smartlock": "Front Door", "action": "unlatch"},
        other_arguments={"smartlock": "Cellar", "action": "lock"},
    ),
    "lock_smartlock_advanced": WriteCall({"smartlock": "Cellar"}, "POST", other_device={"smartlock": "Front Door"}),
    "unlock_smartlock_advanced": WriteCall({"smartlock": "Front Door"}, "POST", other_device={"smartlock": "Cellar"}),
    "create_address": WriteCall(
        {"name": "Lake House", "smartlocks": ["Cellar"]},
        "PUT",
        other_device={"name": "Lake House", "smartlocks": ["Front Door"]},
        other_arguments={"name": "Lake House 2", "smartlocks": ["Cellar"]},
    ),
    "update_address": WriteCall(
        {"address": HOLIDAY_FLAT, "name": "Garden Cottage"},
        "POST",
        other_arguments={"address": HOLIDAY_FLAT, "name": "Garden Loft"},
    ),
    "delete_address": WriteCall({"address": HOME_NAME}, "DELETE"),
    "create_address_unit": WriteCall(
        {"address": HOLIDAY_FLAT, "name": "Flat 2"},
        "PUT",
        other_arguments={"address": HOLIDAY_FLAT, "name": "Flat 3"},
    ),
    "delete_address_units": WriteCall({"address": HOLIDAY_FLAT, "units": ["Flat 1"]}, "DELETE"),
    "issue_reservation_access": WriteCall(
        {"address": HOLIDAY_FLAT, "reservation": "Sophie"},
        "POST",
        other_arguments={"address": HOLIDAY_FLAT, "reservation": "Lena"},
    ),
    "revoke_reservation_access": WriteCall(
        {"address": HOLIDAY_FLAT, "reservation": "Marco"},
        "POST",
        other_arguments={"address": HOLIDAY_FLAT, "reservation": "Lena"},
    ),
    "update_reservation_access_times": WriteCall(
        {"address": HOLIDAY_FLAT, "reservation": "Lena", "check_in": "16:30"},
        "POST",
        other_arguments={"address": HOLIDAY_FLAT, "reservation": "Lena", "check_in": "17:00"},
    ),
    "sync_service": WriteCall({"service": "airbnb"}, "POST"),
    "create_notification": WriteCall(
        {"url": NEW_NOTIFICATION_URL, "trigger_events": ["unlatch"], "smartlocks": ["Front Door"]},
        "PUT",
        other_device={"url": NEW_NOTIFICATION_URL, "trigger_events": ["unlatch"], "smartlocks": ["Cellar"]},
        other_arguments={"url": NEW_NOTIFICATION_URL, "trigger_events": ["lock"], "smartlocks": ["Front Door"]},
    ),
    "update_notification": WriteCall(
        {"notification_id": NOTIFICATION_ID, "trigger_events": ["unlatch", "doorsensor", "lock"]},
        "POST",
        other_arguments={"notification_id": NOTIFICATION_ID, "trigger_events": ["unlatch"]},
    ),
    "delete_notification": WriteCall({"notification_id": PHONE_NOTIFICATION_ID}, "DELETE"),
    "create_account_user": WriteCall(
        {"email": "max@example.com", "name": "Max Mustermann"},
        "PUT",
        other_arguments={"email": "max@example.com", "name": "Max M."},
    ),
    "update_account_user": WriteCall(
        {"account_user": "Sparkle Cleaning", "language": "de"},
        "POST",
        other_arguments={"account_user": "Sparkle Cleaning", "language": "fr"},
    ),
    "delete_account_user": WriteCall({"account_user": LENA_EMAIL}, "DELETE"),
    "revoke_account_integration": WriteCall(
        {"integration": "Amazon Alexa"}, "DELETE", other_arguments={"integration": "Old scripts"}
    ),
}

# The tools that report an action's outcome and the device state it left (not the Advanced API ones).
ACTION_TOOLS = frozenset({"lock_smartlock", "unlock_smartlock", "smartlock_action"})

READ_CALLS: dict[str, Json] = {
    "list_smartlocks": {},
    "get_smartlock": {"smartlock": "Front Door"},
    "list_smartlock_auths": {"smartlock": "Front Door"},
    "get_smartlock_auth": {"smartlock": "Front Door", "auth_id": FRONT_DOOR_CLEANER_CODE_AUTH_ID},
    "list_smartlock_logs": {"smartlock": "Front Door"},
    "list_decentral_webhooks": {},
    "get_webhook_logs": {"api_key_id": API_KEY_ID},
    "get_account": {},
    "list_account_users": {},
    "get_account_user": {"account_user": "Jonas Berger"},
    "list_account_integrations": {},
    "list_sub_accounts": {},
    "list_api_keys": {},
    "list_intercom_brands": {},
    "list_intercom_models": {"brand": "Siedle"},
    "audit_smartlocks": {"smartlock": "Front Door"},
    "list_addresses": {},
    "list_address_units": {"address": HOLIDAY_FLAT},
    "list_reservations": {"address": HOLIDAY_FLAT},
    "list_address_tokens": {"address": HOLIDAY_FLAT},
    "list_services": {},
    "list_notifications": {},
}


def removes_a_device(tool: str) -> bool:
    """Sort key for sweeps that apply their writes: removing a device goes last, the others still name it."""
    return tool == "delete_smartlock"


def valid_arguments(tool: str) -> Json:
    """The valid arguments of any tool, read or write."""
    if tool in WRITE_CALLS:
        return dict(WRITE_CALLS[tool].arguments)
    return dict(READ_CALLS[tool])
