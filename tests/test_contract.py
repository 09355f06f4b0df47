"""The Nuki client speaks the Nuki Web API exactly as the vendored spec v3.9.0 describes it.

Every public endpoint method of `NukiClient` is called once through a recording `MockTransport`, and
the request it sends is checked against `tests/data/swagger-3.9.0.json` (Swagger 2.0): method and path
template, query parameters, JSON body (schema and required fields), identifying headers, and where the
token may appear. The methods are found by introspection, so a new method without a contract case fails.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx2
import pytest
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from pydantic import JsonValue, TypeAdapter

from nuki_mcp import __version__
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import (
    AccountUserCreate,
    AccountUserUpdate,
    AdvancedConfigWrite,
    BulkWebConfigRequest,
    DecentralWebhookCreate,
    OpenerAdvancedConfigWrite,
    SmartdoorAdvancedConfigWrite,
    SmartlockAction,
    SmartlockAdminPinUpdate,
    SmartlockAuthCreate,
    SmartlockAuthUpdate,
    SmartlockConfigWrite,
    SmartlocksAuthAdvancedCreate,
    SmartlockUpdate,
    WebConfigRequest,
    WebConfigWrite,
)
from nuki_mcp.nuki.models_properties import (
    AddressCreate,
    AddressUnitCreate,
    AddressUpdate,
    NotificationSettingWrite,
    NotificationWrite,
    ReservationAccessTimesUpdate,
)

pytestmark = pytest.mark.anyio

JsonObject = dict[str, JsonValue]

SPEC_PATH = Path(__file__).parent / "data" / "swagger-3.9.0.json"
TOKEN = "canary-token-7c1e9b2d4f"
BASE_URL = "https://api.nuki.io"

# --- reading the spec ----------------------------------------------------------------------------


def _as_object(value: JsonValue) -> JsonObject:
    assert isinstance(value, dict), f"expected a JSON object, got {value!r}"
    return value


def _as_list(value: JsonValue) -> list[JsonValue]:
    assert isinstance(value, list), f"expected a JSON array, got {value!r}"
    return value


def _as_str(value: JsonValue) -> str:
    assert isinstance(value, str), f"expected a JSON string, got {value!r}"
    return value


SPEC: JsonObject = TypeAdapter(JsonObject).validate_json(SPEC_PATH.read_bytes())


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: what a request to it may carry."""

    method: str
    template: str
    path_params: dict[str, str]  # name -> declared type
    query_params: dict[str, str]  # name -> declared type
    body_schema: JsonValue  # the `in: body` parameter's schema; None = no body allowed

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


def _declared_type(param: JsonObject) -> str:
    declared = _as_str(param.get("type", "string"))
    # Spec quirk (REFERENCE §1.1): `GET /account/user` declares offset and limit as "int".
    return "integer" if declared == "int" else declared


def _operations(spec: JsonObject) -> list[Operation]:
    operations: list[Operation] = []
    for template, raw_item in _as_object(spec["paths"]).items():
        item = _as_object(raw_item)
        shared = _as_list(item.get("parameters", []))
        for method, raw_operation in item.items():
            if method == "parameters":
                continue
            operation = _as_object(raw_operation)
            params = [_as_object(p) for p in [*shared, *_as_list(operation.get("parameters", []))]]
            by_location: dict[str, dict[str, str]] = {"path": {}, "query": {}}
            body: JsonValue = None
            for param in params:
                location = _as_str(param["in"])
                if location == "body":
                    body = param["schema"]
                elif location in by_location:
                    by_location[location][_as_str(param["name"])] = _declared_type(param)
            operations.append(Operation(method.upper(), template, by_location["path"], by_location["query"], body))
    return operations


# The one operation allowed outside spec v3.9.0 (REFERENCE §3.2); the client does not call it today.
NEWER_THAN_SPEC = [
    Operation(
        "GET",
        "/smartlock/auth/paged",
        path_params={},
        query_params={"page": "integer", "size": "integer", "accountUserId": "integer", "types": "string"},
        body_schema=None,
    )
]
OPERATIONS = _operations(SPEC) + NEWER_THAN_SPEC

_PATH_PARAM = re.compile(r"\{(\w+)\}")
_VALUE_PATTERNS = {"integer": r"-?\d+", "number": r"-?\d+(?:\.\d+)?", "boolean": r"true|false"}


def _template_regex(operation: Operation) -> re.Pattern[str]:
    pieces = _PATH_PARAM.split(operation.template)  # literal, name, literal, name, ..., literal
    regex = "".join(
        re.escape(piece) if i % 2 == 0 else f"(?:{_VALUE_PATTERNS.get(operation.path_params[piece], '[^/]+')})"
        for i, piece in enumerate(pieces)
    )
    return re.compile(regex)


def find_operation(method: str, path: str) -> Operation | None:
    """The spec operation a concrete request hits; literal segments win over parameters, as in a router."""
    candidates = [op for op in OPERATIONS if op.method == method and _template_regex(op).fullmatch(path) is not None]
    return min(candidates, key=lambda op: len(op.path_params), default=None)


# --- checking a request --------------------------------------------------------------------------

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
# REFERENCE §1.1: the log endpoints' fromDate/toDate are RFC 3339, although the spec only says string.
DATE_QUERY_PARAMS = frozenset({"fromDate", "toDate"})


def is_rfc3339(value: str) -> bool:
    if _RFC3339.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def query_violations(operation: Operation, url: httpx2.URL) -> list[str]:
    problems: list[str] = []
    items = url.params.multi_items()
    names = [name for name, _ in items]
    for name, value in items:
        declared = operation.query_params.get(name)
        if declared is None:
            problems.append(f"query parameter {name!r} is not declared for {operation.name}")
        elif not re.fullmatch(_VALUE_PATTERNS.get(declared, ".*"), value):
            problems.append(f"query parameter {name}={value!r} is not a valid {declared}")
        elif name in DATE_QUERY_PARAMS and not is_rfc3339(value):
            problems.append(f"query parameter {name}={value!r} is not an RFC 3339 date-time")
        if names.count(name) > 1:
            problems.append(f"query parameter {name!r} is sent more than once")
    return problems


def _request_schema(node: JsonValue) -> JsonValue:
    """A Swagger 2.0 schema as JSON Schema draft 4, for validating what a client sends.

    Swagger 2.0 says readOnly properties must not be sent, so they are dropped from `properties` and
    `required` (the spec lists some, e.g. `totalDegrees`, as required). Objects with declared
    properties are closed, so a misspelt or undocumented field fails instead of passing silently.
    """
    if isinstance(node, list):
        return [_request_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: JsonObject = {
        key: _request_schema(value) for key, value in node.items() if key not in ("properties", "required")
    }
    if converted.get("type") == "int":
        converted["type"] = "integer"
    properties = node.get("properties")
    if isinstance(properties, dict):
        writable: JsonObject = {
            name: _request_schema(schema)
            for name, schema in properties.items()
            if not (isinstance(schema, dict) and schema.get("readOnly") is True)
        }
        converted["properties"] = writable
        required: list[JsonValue] = [
            name for name in _as_list(node.get("required", [])) if isinstance(name, str) and name in writable
        ]
        if required:
            converted["required"] = required
        converted.setdefault("additionalProperties", False)
    elif "required" in node:
        converted["required"] = node["required"]
    return converted


REQUEST_DEFINITIONS: JsonObject = {
    name: _request_schema(schema) for name, schema in _as_object(SPEC["definitions"]).items()
}
# Spec quirk (REFERENCE §1.1): ObjectId is modelled as an object; the API uses 24-hex strings.
REQUEST_DEFINITIONS["ObjectId"] = {"type": "string", "pattern": "^[0-9a-f]{24}$"}

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time")
def _date_time_format(value: object) -> bool:
    return not isinstance(value, str) or is_rfc3339(value)


@FORMAT_CHECKER.checks("int32")
def _int32_format(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMAT_CHECKER.checks("int64")
def _int64_format(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def body_violations(operation: Operation, body: JsonValue) -> list[str]:
    assert operation.body_schema is not None, f"{operation.name} takes no body"
    schema: JsonObject = {
        "definitions": REQUEST_DEFINITIONS,
        "allOf": [_request_schema(operation.body_schema)],
    }
    validator = Draft4Validator(schema, format_checker=FORMAT_CHECKER)
    # The stubs keep a deprecated overload of iter_errors whose parameter type is unknown.
    errors: Iterator[ValidationError] = validator.iter_errors(body)  # pyright: ignore[reportUnknownMemberType]
    return [f"{'/'.join(str(part) for part in error.absolute_path) or '<body>'}: {error.message}" for error in errors]


def _resolve(schema: JsonValue) -> JsonObject:
    resolved = _as_object(schema)
    while "$ref" in resolved:
        resolved = _as_object(REQUEST_DEFINITIONS[_as_str(resolved["$ref"]).removeprefix("#/definitions/")])
    return resolved


def missing_required_fields(schema: JsonValue, value: JsonValue, where: str = "body") -> list[str]:
    """Dotted paths of fields the (request) schema requires but the value lacks, at any depth."""
    resolved = _resolve(schema)
    missing: list[str] = []
    if isinstance(value, dict):
        properties = _as_object(resolved.get("properties", {}))
        missing += [f"{where}.{name}" for name in _as_list(resolved.get("required", [])) if name not in value]
        for name, item in value.items():
            if name in properties:
                missing += missing_required_fields(properties[name], item, f"{where}.{name}")
    elif isinstance(value, list) and "items" in resolved:
        for index, item in enumerate(value):
            missing += missing_required_fields(resolved["items"], item, f"{where}[{index}]")
    return missing


# --- one contract case per client method ---------------------------------------------------------

FRONT_DOOR_ID = 17825792
OPENER_ID = 590413105
SMART_DOOR_ID = 985112
AUTH_ID = "6ab2be33a7fc3019addfa5d1"
LOG_ID = "65f0c3a9e4b0a1b2c3d4e5f6"
REQUEST_ID = "5f0b6e3c2d1a4b9c8e7f6a5b"
WEBHOOK_URL = "https://hooks.example.org/nuki"
FROM = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, 18, 0, tzinfo=timezone(timedelta(hours=1)))

SMARTLOCK: JsonObject = {"smartlockId": FRONT_DOOR_ID, "accountId": 1, "type": 4, "name": "Front door"}
AUTH: JsonObject = {"id": AUTH_ID, "smartlockId": FRONT_DOOR_ID, "type": 0, "name": "Anna"}
LOG: JsonObject = {
    "id": LOG_ID,
    "smartlockId": FRONT_DOOR_ID,
    "action": 2,
    "name": "Anna",
    "date": "2026-11-22T08:59:00.000Z",
}
WEBHOOK: JsonObject = {
    "id": 7,
    "secret": "webhook-signing-secret",
    "webhookUrl": WEBHOOK_URL,
    "webhookFeatures": ["DEVICE_STATUS", "DEVICE_LOGS"],
}
WEBHOOK_LOG: JsonObject = {"id": LOG_ID, "apiKeyId": 42, "succeeded": True, "responseStatus": 200}
CONFIRMATION: JsonObject = {"requestId": REQUEST_ID}
ACCOUNT: JsonObject = {"accountId": 1, "type": 0, "email": "owner@example.org", "name": "Owner"}
ACCOUNT_USER: JsonObject = {"accountUserId": 501, "accountId": 1, "email": "anna@example.org", "name": "Anna"}
INTEGRATION: JsonObject = {"version": "HYDRA", "vendorKey": "API_TOKEN", "name": "nuki-mcp", "clientId": "42"}
SUB_ACCOUNT: JsonObject = {"accountId": 2, "type": 0, "email": "jonas@example.org", "name": "Jonas"}
API_KEY: JsonObject = {"apiKeyId": 42, "accountId": 1, "creationDate": "2026-01-05T10:00:00.000Z"}
INTERCOM_BRAND: JsonObject = {"brandId": 3, "brand": "Siedle"}
INTERCOM_MODEL: JsonObject = {"intercomId": 31, "brandId": 3, "type": 1, "model": "HTS 811", "verified": 1}

# Full request bodies: every writable field set, so a misspelt alias or a dropped required field shows.
SMARTLOCK_CONFIG = SmartlockConfigWrite(
    name="Front door",
    latitude=48.2082,
    longitude=16.3738,
    auto_unlatch=False,
    lift_up_handle=False,
    pairing_enabled=True,
    button_enabled=True,
    led_enabled=True,
    led_brightness=3,
    timezone_offset=60,
    daylight_saving_mode=1,
    single_lock=False,
    advertising_mode=0,
    timezone_id=37,
)
ADVANCED_CONFIG = AdvancedConfigWrite(
    lng_timeout=20,
    single_button_press_action=1,
    double_button_press_action=5,
    automatic_battery_type_detection=True,
    unlatch_duration=3,
    single_locked_position_offset_degrees=0,
    unlocked_to_locked_transition_offset_degrees=0,
    unlocked_position_offset_degrees=0,
    locked_position_offset_degrees=0,
    detached_cylinder=False,
    battery_type=0,
    auto_lock=True,
    auto_lock_timeout=300,
    auto_update_enabled=True,
    motor_speed=0,
    enable_slow_speed_during_nightmode=True,
)
OPENER_ADVANCED_CONFIG = OpenerAdvancedConfigWrite(
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
    single_button_press_action=1,
    double_button_press_action=4,
    battery_type=0,
    automatic_battery_type_detection=True,
    auto_update_enabled=True,
)
SMARTDOOR_ADVANCED_CONFIG = SmartdoorAdvancedConfigWrite(
    lng_timeout=20,
    single_button_press_action=1,
    double_button_press_action=5,
    automatic_battery_type_detection=False,
    unlatch_duration=3,
    buzzer_volume=1,
    battery_type=3,
    auto_lock_timeout=120,
    auto_lock=False,
)
WEB_CONFIG = WebConfigWrite(battery_warning_per_mail_enabled=True, dismissed_lift_up_handle_warning=[1, 2])
BULK_WEB_CONFIG = BulkWebConfigRequest(
    web_config_requests=[
        WebConfigRequest(smartlock_id=FRONT_DOOR_ID, web_config=WEB_CONFIG),
        WebConfigRequest(smartlock_id=OPENER_ID, web_config=WebConfigWrite(dismissed_lift_up_handle_warning=[])),
    ]
)
AUTH_CREATE = SmartlockAuthCreate(
    name="Cleaner",
    allowed_from_date=FROM,
    allowed_until_date=UNTIL,
    allowed_week_days=64 | 4,
    allowed_from_time=8 * 60,
    allowed_until_time=12 * 60,
    account_user_id=501,
    remote_allowed=False,
    smart_actions_enabled=False,
    type=0,
)
KEYPAD_AUTH_UPDATE = SmartlockAuthUpdate(
    name="Cleaner",
    allowed_from_date=FROM,
    allowed_until_date=UNTIL,
    allowed_week_days=127,
    allowed_from_time=0,
    allowed_until_time=0,
    enabled=True,
    remote_allowed=False,
    code=246813,
)
AUTH_ADVANCED_CREATE = SmartlocksAuthAdvancedCreate(
    name="Holiday guest",
    allowed_from_date=FROM,
    allowed_until_date=UNTIL,
    allowed_week_days=127,
    allowed_from_time=0,
    allowed_until_time=0,
    account_user_id=501,
    smartlock_ids=[FRONT_DOOR_ID, OPENER_ID],
    remote_allowed=True,
    smart_actions_enabled=False,
)

ADDRESS: JsonObject = {"addressId": 3001, "accountId": 1, "name": "Garden Flat", "smartlockIds": [FRONT_DOOR_ID]}
UNIT: JsonObject = {"id": AUTH_ID, "name": "Flat 1", "addressId": 3001}
RESERVATION: JsonObject = {
    "id": AUTH_ID,
    "addressId": 3001,
    "name": "Lena",
    "startDate": "2026-11-20T14:00:00.000Z",
    "endDate": "2026-11-25T09:00:00.000Z",
}
ADDRESS_TOKEN: JsonObject = {"id": AUTH_ID, "addressId": 3001}
SERVICE: JsonObject = {"serviceId": "airbnb", "name": "Airbnb", "enabled": True}
NOTIFICATION: JsonObject = {
    "notificationId": REQUEST_ID,
    "pushId": WEBHOOK_URL,
    "os": 2,
    "status": 1,
    "settings": [{"smartlockId": FRONT_DOOR_ID, "triggerEvents": ["unlatch"]}],
}
NOTIFICATION_WRITE = NotificationWrite(
    notification_id=REQUEST_ID,
    reference_id="back-door",
    push_id=WEBHOOK_URL,
    secret="8d41a187c3954f886f9de3a88c2ef22df0eac190",
    os=2,
    language="de",
    settings=[
        NotificationSettingWrite(
            smartlock_id=FRONT_DOOR_ID, trigger_events=["unlatch", "doorsensor"], auth_ids=[AUTH_ID]
        ),
        NotificationSettingWrite(trigger_events=["warnings"]),
    ],
)


@dataclass(frozen=True)
class ContractCase:
    call: Callable[[NukiClient], Awaitable[object]]
    reply: JsonValue = None  # None: 204 No Content


CASES: dict[str, ContractCase] = {
    "list_smartlocks": ContractCase(lambda c: c.list_smartlocks(type=4, auth_id=1234), [SMARTLOCK]),
    "get_smartlock": ContractCase(lambda c: c.get_smartlock(FRONT_DOOR_ID), SMARTLOCK),
    "sync_smartlock": ContractCase(lambda c: c.sync_smartlock(FRONT_DOOR_ID)),
    "update_smartlock": ContractCase(
        lambda c: c.update_smartlock(FRONT_DOOR_ID, SmartlockUpdate(name="Front door", favorite=True))
    ),
    "delete_smartlock": ContractCase(lambda c: c.delete_smartlock(FRONT_DOOR_ID)),
    "lock": ContractCase(lambda c: c.lock(FRONT_DOOR_ID)),
    "unlock": ContractCase(lambda c: c.unlock(FRONT_DOOR_ID)),
    "action": ContractCase(lambda c: c.action(FRONT_DOOR_ID, SmartlockAction(action=2, option=4))),
    "action_advanced": ContractCase(
        lambda c: c.action_advanced(OPENER_ID, SmartlockAction(action=3, option=0)), CONFIRMATION
    ),
    "lock_advanced": ContractCase(lambda c: c.lock_advanced(FRONT_DOOR_ID), CONFIRMATION),
    "unlock_advanced": ContractCase(lambda c: c.unlock_advanced(FRONT_DOOR_ID), CONFIRMATION),
    "update_config": ContractCase(lambda c: c.update_config(FRONT_DOOR_ID, SMARTLOCK_CONFIG)),
    "update_advanced_config": ContractCase(lambda c: c.update_advanced_config(FRONT_DOOR_ID, ADVANCED_CONFIG)),
    "update_opener_advanced_config": ContractCase(
        lambda c: c.update_opener_advanced_config(OPENER_ID, OPENER_ADVANCED_CONFIG)
    ),
    "update_smartdoor_advanced_config": ContractCase(
        lambda c: c.update_smartdoor_advanced_config(SMART_DOOR_ID, SMARTDOOR_ADVANCED_CONFIG)
    ),
    "update_web_config": ContractCase(lambda c: c.update_web_config(FRONT_DOOR_ID, WEB_CONFIG)),
    "bulk_web_config": ContractCase(lambda c: c.bulk_web_config(BULK_WEB_CONFIG)),
    "update_admin_pin": ContractCase(
        lambda c: c.update_admin_pin(FRONT_DOOR_ID, SmartlockAdminPinUpdate(admin_pin=4711))
    ),
    "list_account_auths": ContractCase(lambda c: c.list_account_auths(account_user_id=501, types=[0, 13]), [AUTH]),
    "list_auths": ContractCase(lambda c: c.list_auths(FRONT_DOOR_ID, types=[0, 2, 13]), [AUTH]),
    "get_auth": ContractCase(lambda c: c.get_auth(FRONT_DOOR_ID, AUTH_ID), AUTH),
    "create_auth": ContractCase(lambda c: c.create_auth(FRONT_DOOR_ID, AUTH_CREATE)),
    "update_auth": ContractCase(lambda c: c.update_auth(FRONT_DOOR_ID, AUTH_ID, KEYPAD_AUTH_UPDATE)),
    "delete_auth": ContractCase(lambda c: c.delete_auth(FRONT_DOOR_ID, AUTH_ID)),
    "create_auth_advanced": ContractCase(lambda c: c.create_auth_advanced(AUTH_ADVANCED_CREATE), CONFIRMATION),
    "list_account_logs": ContractCase(
        lambda c: c.list_account_logs(
            account_user_id=501, from_date=FROM, to_date=UNTIL, action=2, before_id=LOG_ID, limit=50
        ),
        [LOG],
    ),
    "list_smartlock_logs": ContractCase(
        lambda c: c.list_smartlock_logs(
            FRONT_DOOR_ID,
            auth_id=AUTH_ID,
            account_user_id=501,
            from_date=FROM,
            to_date=UNTIL,
            action=2,
            before_id=LOG_ID,
            limit=20,
        ),
        [LOG],
    ),
    "list_decentral_webhooks": ContractCase(lambda c: c.list_decentral_webhooks(), [WEBHOOK]),
    "create_decentral_webhook": ContractCase(
        lambda c: c.create_decentral_webhook(
            DecentralWebhookCreate(webhook_url=WEBHOOK_URL, webhook_features=["DEVICE_STATUS", "DEVICE_LOGS"])
        ),
        WEBHOOK,
    ),
    "delete_decentral_webhook": ContractCase(lambda c: c.delete_decentral_webhook(7)),
    "get_webhook_logs": ContractCase(lambda c: c.get_webhook_logs(42, before_id=LOG_ID, limit=100), [WEBHOOK_LOG]),
    "get_account": ContractCase(lambda c: c.get_account(), ACCOUNT),
    "list_account_users": ContractCase(
        lambda c: c.list_account_users(email="anna@example.org", offset=0, limit=50), [ACCOUNT_USER]
    ),
    "list_addresses": ContractCase(lambda c: c.list_addresses(), [ADDRESS]),
    "create_address": ContractCase(
        lambda c: c.create_address(AddressCreate(name="Garden Flat", smartlock_ids=[FRONT_DOOR_ID])), ADDRESS
    ),
    "update_address": ContractCase(
        lambda c: c.update_address(3001, AddressUpdate(name="Garden Flat", smartlock_ids=[FRONT_DOOR_ID, OPENER_ID]))
    ),
    "delete_address": ContractCase(lambda c: c.delete_address(3001)),
    "list_address_units": ContractCase(lambda c: c.list_address_units(3001), [UNIT]),
    "create_address_unit": ContractCase(lambda c: c.create_address_unit(3001, AddressUnitCreate(name="Flat 2")), UNIT),
    "delete_address_units": ContractCase(lambda c: c.delete_address_units(3001, [AUTH_ID, LOG_ID]), CONFIRMATION),
    "list_reservations": ContractCase(lambda c: c.list_reservations(3001), [RESERVATION]),
    "issue_reservation_access": ContractCase(lambda c: c.issue_reservation_access(3001, AUTH_ID)),
    "revoke_reservation_access": ContractCase(lambda c: c.revoke_reservation_access(3001, AUTH_ID)),
    "update_reservation_access_times": ContractCase(
        lambda c: c.update_reservation_access_times(
            3001, AUTH_ID, ReservationAccessTimesUpdate(check_in_time=16 * 60, check_out_time=10 * 60)
        )
    ),
    "list_address_tokens": ContractCase(lambda c: c.list_address_tokens(3001), [ADDRESS_TOKEN]),
    "list_services": ContractCase(lambda c: c.list_services(), [SERVICE]),
    "sync_service": ContractCase(lambda c: c.sync_service("airbnb")),
    "list_notifications": ContractCase(lambda c: c.list_notifications(), [NOTIFICATION]),
    "get_notification": ContractCase(lambda c: c.get_notification(REQUEST_ID), NOTIFICATION),
    "create_notification": ContractCase(lambda c: c.create_notification(NOTIFICATION_WRITE), NOTIFICATION),
    "update_notification": ContractCase(lambda c: c.update_notification(REQUEST_ID, NOTIFICATION_WRITE), NOTIFICATION),
    "delete_notification": ContractCase(lambda c: c.delete_notification(REQUEST_ID)),
    "get_account_user": ContractCase(lambda c: c.get_account_user(501), ACCOUNT_USER),
    "create_account_user": ContractCase(
        lambda c: c.create_account_user(
            AccountUserCreate(type=0, email="lena@example.org", name="Lena", language="de")
        ),
        ACCOUNT_USER,
    ),
    "update_account_user": ContractCase(
        lambda c: c.update_account_user(
            501, AccountUserUpdate(email="anna@example.org", name="Anna Berger", language="en")
        ),
        ACCOUNT_USER,
    ),
    "delete_account_user": ContractCase(lambda c: c.delete_account_user(501)),
    "list_account_integrations": ContractCase(lambda c: c.list_account_integrations(), [INTEGRATION]),
    "revoke_account_integration": ContractCase(lambda c: c.revoke_account_integration(api_key_id=42, token_id=7)),
    "list_sub_accounts": ContractCase(lambda c: c.list_sub_accounts(email="jonas@"), [SUB_ACCOUNT]),
    "list_api_keys": ContractCase(lambda c: c.list_api_keys(), [API_KEY]),
    "list_intercom_brands": ContractCase(lambda c: c.list_intercom_brands(), [INTERCOM_BRAND]),
    "list_intercom_models": ContractCase(lambda c: c.list_intercom_models(3), [INTERCOM_MODEL]),
}


def public_endpoint_methods() -> list[str]:
    """Every public coroutine method of NukiClient except `aclose`: the API surface under contract."""
    return sorted(
        name
        for name, _ in inspect.getmembers(NukiClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "aclose"
    )


ENDPOINT_METHODS = public_endpoint_methods()


async def sent_requests(method_name: str) -> list[httpx2.Request]:
    """Call the client method of `method_name` once and return what reached the transport."""
    case = CASES.get(method_name)
    if case is None:
        pytest.fail(f"NukiClient.{method_name} has no contract case: add one to CASES in {__name__}")
    requests: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return httpx2.Response(204) if case.reply is None else httpx2.Response(200, json=case.reply)

    async with NukiClient(TOKEN, base_url=BASE_URL, transport=httpx2.MockTransport(answer)) as client:
        await case.call(client)
    return requests


async def sent_request(method_name: str) -> httpx2.Request:
    requests = await sent_requests(method_name)
    assert len(requests) == 1, f"NukiClient.{method_name} sent {len(requests)} requests, expected one"
    return requests[0]


def operation_for(request: httpx2.Request) -> Operation:
    assert request.url.host == "api.nuki.io"
    operation = find_operation(request.method, request.url.path)
    assert operation is not None, f"the spec has no operation {request.method} {request.url.path}"
    return operation


def sent_body(request: httpx2.Request) -> JsonValue:
    """The decoded JSON body, or None when the request has no body."""
    if not request.content:
        return None
    assert request.headers.get("content-type") == "application/json"
    return TypeAdapter(JsonValue).validate_json(request.content)


# --- the contract --------------------------------------------------------------------------------


def test_contract_cases_cover_exactly_the_public_endpoint_methods() -> None:
    assert len(ENDPOINT_METHODS) >= 30
    assert sorted(CASES) == ENDPOINT_METHODS


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_calls_an_operation_the_spec_declares(method_name: str) -> None:
    request = await sent_request(method_name)

    operation = operation_for(request)

    assert operation not in NEWER_THAN_SPEC or request.url.path == "/smartlock/auth/paged"


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_sends_only_query_parameters_the_operation_declares(method_name: str) -> None:
    request = await sent_request(method_name)

    assert query_violations(operation_for(request), request.url) == []


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_sends_a_json_body_exactly_where_the_spec_declares_one_and_it_matches_the_schema(
    method_name: str,
) -> None:
    request = await sent_request(method_name)
    operation = operation_for(request)

    body = sent_body(request)

    if operation.body_schema is None:
        assert body is None, f"{operation.name} takes no body, but the client sent {body!r}"
    else:
        assert body is not None, f"{operation.name} requires a body, but the client sent none"
        assert body_violations(operation, body) == []


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_sends_every_body_field_the_spec_requires(method_name: str) -> None:
    request = await sent_request(method_name)
    operation = operation_for(request)
    if operation.body_schema is None:
        assert sent_body(request) is None
        return

    body = sent_body(request)

    assert missing_required_fields(_request_schema(operation.body_schema), body) == []


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_sends_the_bearer_token_json_accept_and_its_user_agent(method_name: str) -> None:
    request = await sent_request(method_name)

    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == f"nuki-mcp/{__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


@pytest.mark.parametrize("method_name", ENDPOINT_METHODS)
async def test_client_method_puts_the_token_nowhere_but_the_authorization_header(method_name: str) -> None:
    request = await sent_request(method_name)

    assert TOKEN not in str(request.url)
    assert TOKEN.encode() not in request.content
    assert [name for name, value in request.headers.items() if TOKEN in value] == ["authorization"]


# --- the contract checker can fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/smartlock/auth", "/smartlock/auth"),
        ("GET", "/smartlock/123/auth", "/smartlock/{smartlockId}/auth"),
        ("POST", "/smartlock/123/auth/abc", "/smartlock/{smartlockId}/auth/{id}"),
        ("PUT", "/smartlock/auth/advanced", "/smartlock/auth/advanced"),
        ("POST", "/smartlock/123/action/lock/advanced", "/smartlock/{smartlockId}/action/lock/advanced"),
        ("GET", "/smartlock/auth/paged", "/smartlock/auth/paged"),
        ("GET", "/api/key/42/webhook/logs", "/api/key/{apiKeyId}/webhook/logs"),
    ],
)
def test_the_contract_maps_a_concrete_path_to_its_spec_template(method: str, path: str, template: str) -> None:
    operation = find_operation(method, path)

    assert operation is not None
    assert operation.template == template


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/smartlock/123"),
        ("GET", "/smartlock/123/action/lock"),
        ("GET", "/smartlock/front-door"),
        ("POST", "/smartlock/123/actions/lock"),
        ("GET", "/v1/smartlock"),
    ],
)
def test_the_contract_finds_no_operation_for_an_undeclared_method_or_path(method: str, path: str) -> None:
    assert find_operation(method, path) is None


def test_the_contract_reads_the_spec_int_quirk_as_an_integer_query_parameter() -> None:
    operation = find_operation("GET", "/account/user")
    assert operation is not None

    assert query_violations(operation, httpx2.URL("/account/user?offset=5&limit=50")) == []
    assert query_violations(operation, httpx2.URL("/account/user?offset=five")) != []


def test_the_contract_rejects_an_undeclared_query_parameter_and_a_date_without_a_zone() -> None:
    operation = find_operation("GET", "/smartlock/log")
    assert operation is not None

    assert query_violations(operation, httpx2.URL("/smartlock/log?page=2")) != []
    assert query_violations(operation, httpx2.URL("/smartlock/log?fromDate=2026-11-01T08:00:00")) != []
    assert query_violations(operation, httpx2.URL("/smartlock/log?fromDate=2026-11-01T08:00:00Z")) == []


def test_the_contract_rejects_a_config_body_that_lacks_fields_the_spec_requires() -> None:
    operation = find_operation("POST", "/smartlock/123/config")
    assert operation is not None
    partial = SmartlockConfigWrite(name="Front door", led_enabled=False).to_wire()

    assert body_violations(operation, partial) != []
    assert set(missing_required_fields(_request_schema(operation.body_schema), partial)) == {
        "body.latitude",
        "body.longitude",
        "body.singleLock",
        "body.advertisingMode",
        "body.timezoneId",
        "body.timezoneOffset",
    }


def test_the_contract_does_not_require_read_only_fields_the_spec_lists_as_required() -> None:
    operation = find_operation("POST", "/smartlock/123/advanced/config")
    assert operation is not None

    assert body_violations(operation, ADVANCED_CONFIG.to_wire()) == []
    assert body_violations(operation, {**ADVANCED_CONFIG.to_wire(), "totalDegrees": 900}) != []


def test_the_contract_rejects_misspelt_fields_and_wrong_types_in_a_body() -> None:
    operation = find_operation("POST", "/smartlock/123/action")
    assert operation is not None

    assert body_violations(operation, {"action": 2}) == []
    assert body_violations(operation, {"action": 2, "optoin": 4}) != []
    assert body_violations(operation, {"action": "lock"}) != []
    assert body_violations(operation, {"action": 9}) != []


def test_the_contract_rejects_a_nested_body_error_and_a_date_without_a_zone() -> None:
    bulk = find_operation("POST", "/bulk-web-config")
    auth = find_operation("PUT", "/smartlock/123/auth")
    assert bulk is not None
    assert auth is not None
    naive: JsonValue = {**AUTH_CREATE.to_wire(), "allowedFromDate": "2026-11-01T08:00:00"}

    assert body_violations(bulk, {"webConfigRequests": [{"smartlockId": 1, "webConfig": {"mail": True}}]}) != []
    assert body_violations(auth, AUTH_CREATE.to_wire()) == []
    assert body_violations(auth, naive) != []
