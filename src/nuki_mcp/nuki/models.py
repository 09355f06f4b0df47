"""Wire models: JSON exactly as the Nuki Web API sends and accepts it (spec v3.9.0).

Response models are lenient: camelCase aliases, unknown fields kept (`extra="allow"`), coded values
kept as plain integers (decoded in `codes.py`, so an unknown code never breaks parsing), and fields
Nuki often omits are optional. Request models are strict (`extra="forbid"`) and carry only fields
Nuki lets a client write; read-only fields of a fetched object are dropped when it is turned into
a request (read-modify-write).

These models stay inside the Nuki layer: the MCP tools return their own snake_case result models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel


def _object_id_as_str(value: object) -> object:
    # The spec models ObjectId as an object; the live API sends a 24-hex string.
    if value is None or isinstance(value, str):
        return value
    return str(value)


ObjectIdStr = Annotated[str | None, BeforeValidator(_object_id_as_str)]


# `defer_build`: a model's validator is built when it is first used, not at import. A session uses a
# few of these 34 models; building all of them up front was about a third of the CPU time nuki-mcp
# spends starting up on top of importing the SDK.


class WireModel(BaseModel):
    """A JSON object received from Nuki."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", defer_build=True)


class RequestModel(BaseModel):
    """A JSON object sent to Nuki."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)

    def to_wire(self) -> dict[str, JsonValue]:
        """The JSON body: camelCase names, unset and null fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def from_current(cls, current: BaseModel, changes: Mapping[str, object]) -> Self:
        """Read-modify-write: the writable fields of `current`, with `changes` (snake_case) applied."""
        writable = set(cls.model_fields)
        merged = {k: v for k, v in current.model_dump().items() if k in writable and v is not None}
        merged.update(changes)
        return cls.model_validate(merged)


# --- devices -----------------------------------------------------------------------------------

# The writable fields of each config section, declared once: the read model (what Nuki sends) adds
# the read-only fields, the request model (what is written back) is exactly these.


class _ConfigFields(BaseModel):
    """Writable fields of `Smartlock.Config`."""

    model_config = ConfigDict(defer_build=True)

    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    auto_unlatch: bool | None = None
    lift_up_handle: bool | None = None
    pairing_enabled: bool | None = None
    button_enabled: bool | None = None
    led_enabled: bool | None = None
    led_brightness: int | None = None
    timezone_offset: int | None = None
    daylight_saving_mode: int | None = None
    single_lock: bool | None = None
    advertising_mode: int | None = None
    timezone_id: int | None = None


class _AdvancedConfigFields(BaseModel):
    """Writable fields of `Smartlock.AdvancedConfig` (smart locks, types 0/4/5)."""

    model_config = ConfigDict(defer_build=True)

    lng_timeout: int | None = None
    single_button_press_action: int | None = None
    double_button_press_action: int | None = None
    automatic_battery_type_detection: bool | None = None
    unlatch_duration: int | None = None
    single_locked_position_offset_degrees: int | None = None
    unlocked_to_locked_transition_offset_degrees: int | None = None
    unlocked_position_offset_degrees: int | None = None
    locked_position_offset_degrees: int | None = None
    detached_cylinder: bool | None = None
    battery_type: int | None = None
    auto_lock: bool | None = None
    auto_lock_timeout: int | None = None
    auto_update_enabled: bool | None = None
    motor_speed: int | None = None
    enable_slow_speed_during_nightmode: bool | None = None


class _OpenerAdvancedConfigFields(BaseModel):
    """Writable fields of `Smartlock.OpenerAdvancedConfig` (Opener, type 2)."""

    model_config = ConfigDict(defer_build=True)

    short_circuit_duration: int | None = None
    electric_strike_delay: int | None = None
    random_electric_strike_delay: bool | None = None
    electric_strike_duration: int | None = None
    disable_rto_after_ring: bool | None = None
    rto_timeout: int | None = None
    doorbell_suppression: int | None = None
    doorbell_suppression_duration: int | None = None
    sound_ring: int | None = None
    sound_open: int | None = None
    sound_rto: int | None = None
    sound_cm: int | None = None
    sound_confirmation: int | None = None
    sound_level: int | None = None
    single_button_press_action: int | None = None
    double_button_press_action: int | None = None
    battery_type: int | None = None
    automatic_battery_type_detection: bool | None = None
    auto_update_enabled: bool | None = None


class _SmartdoorAdvancedConfigFields(BaseModel):
    """Writable fields of `Smartlock.SmartdoorAdvancedConfig` (Smart Door, type 3)."""

    model_config = ConfigDict(defer_build=True)

    lng_timeout: int | None = None
    single_button_press_action: int | None = None
    double_button_press_action: int | None = None
    automatic_battery_type_detection: bool | None = None
    unlatch_duration: int | None = None
    buzzer_volume: int | None = None
    battery_type: int | None = None
    auto_lock_timeout: int | None = None
    auto_lock: bool | None = None


class _WebConfigFields(BaseModel):
    """Writable fields of `Smartlock.WebConfig`."""

    model_config = ConfigDict(defer_build=True)

    battery_warning_per_mail_enabled: bool | None = None
    dismissed_lift_up_handle_warning: list[int] | None = None


class SmartlockConfig(WireModel, _ConfigFields):
    """`Smartlock.Config` as Nuki sends it: the writable fields and the read-only ones below."""

    capabilities: int | None = None
    fob_paired: bool | None = None
    fob_action1: int | None = None
    fob_action2: int | None = None
    fob_action3: int | None = None
    operating_mode: int | None = None
    keypad_paired: bool | None = None
    keypad2_paired: bool | None = None
    homekit_state: int | None = None
    matter_state: int | None = None
    device_type: int | None = None
    wifi_enabled: bool | None = None
    operation_id: str | None = None
    product_variant: int | None = None


class SmartlockAdvancedConfig(WireModel, _AdvancedConfigFields):
    """`Smartlock.AdvancedConfig` as Nuki sends it: the writable fields and the read-only ones below."""

    operation_id: str | None = None
    total_degrees: int | None = None


class OpenerAdvancedConfig(WireModel, _OpenerAdvancedConfigFields):
    """`Smartlock.OpenerAdvancedConfig` as Nuki sends it: the writable fields and the read-only ones below."""

    intercom_id: int | None = None
    bus_mode_switch: int | None = None
    operation_id: str | None = None


class SmartdoorAdvancedConfig(WireModel, _SmartdoorAdvancedConfigFields):
    """`Smartlock.SmartdoorAdvancedConfig` as Nuki sends it: the writable fields and the read-only ones below."""

    operation_id: str | None = None
    supported_battery_types: list[int] | None = None


class WebConfig(WireModel, _WebConfigFields):
    """`Smartlock.WebConfig` as Nuki sends it (every field is writable)."""


class SmartlockState(WireModel):
    mode: int = 0
    state: int = 255
    trigger: int = 0
    last_action: int | None = None
    battery_critical: bool = False
    battery_charging: bool | None = None
    battery_charge: int | None = None
    keypad_battery_critical: bool | None = None
    doorsensor_battery_critical: bool | None = None
    door_state: int | None = None
    ring_to_open_timer: int | None = None
    ring_to_open_end: datetime | None = None
    night_mode: bool | None = None
    operation_id: str | None = None


class ShsSubscription(WireModel):
    type: str | None = None
    state: str | None = None
    shs_subscription_type: str | None = None
    creation_date: datetime | None = None
    expiration_date: datetime | None = None


class Smartlock(WireModel):
    smartlock_id: int
    account_id: int | None = None
    type: int
    lm_type: int | None = None
    auth_id: int | None = None
    name: str
    favorite: bool = False
    config: SmartlockConfig | None = None
    advanced_config: SmartlockAdvancedConfig | None = None
    opener_advanced_config: OpenerAdvancedConfig | None = None
    smartdoor_advanced_config: SmartdoorAdvancedConfig | None = None
    web_config: WebConfig | None = None
    state: SmartlockState | None = None
    firmware_version: int | None = None
    hardware_version: int | None = None
    operation_id: str | None = None
    server_state: int = 0
    admin_pin_state: int = 0
    virtual_device: bool | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None
    error: str | None = None
    current_subscription: ShsSubscription | None = None
    region: int | None = None
    mounting_variant: int | None = None


# --- authorizations ----------------------------------------------------------------------------


class SmartlockAuth(WireModel):
    id: str
    smartlock_id: int
    account_user_id: int | None = None
    auth_id: int | None = None
    code: int | None = None
    fingerprints: dict[str, str] | None = None
    type: int = 0
    name: str = ""
    enabled: bool = True
    remote_allowed: bool = False
    lock_count: int = 0
    allowed_from_date: datetime | None = None
    allowed_until_date: datetime | None = None
    allowed_week_days: int | None = None
    allowed_from_time: int | None = None
    allowed_until_time: int | None = None
    last_active_date: datetime | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None
    operation_id: ObjectIdStr = None
    error: str | None = None
    app_id: int | None = None
    auth_type_as_string: str | None = None


# --- logs --------------------------------------------------------------------------------------


class OpenerLog(WireModel):
    active_cm: bool | None = None
    active_rto: bool | None = None
    source: int | None = None
    flag_geo_fence: bool | None = None
    flag_force: bool | None = None
    flag_doorbell_suppression: bool | None = None


class SmartlockLog(WireModel):
    id: str
    smartlock_id: int
    device_type: int | None = None
    account_user_id: int | None = None
    auth_id: str | None = None
    name: str = ""
    action: int
    trigger: int | None = None
    state: int | None = None
    auto_unlock: bool | None = None
    date: datetime
    opener_log: OpenerLog | None = None
    ajar_timeout: int | None = None
    source: int | None = None
    error: str | None = None


# --- account -----------------------------------------------------------------------------------


class AccountConfig(WireModel):
    """`Account.Config`: only the 2FA date is read; the voice-assistant PINs beside it are never surfaced."""

    otp_enabled_date: datetime | None = None


class Account(WireModel):
    """`Account`: a Nuki Web login (the token's own account, or one of its sub-accounts)."""

    account_id: int
    type: int = 0
    email: str = ""
    email_verified: bool | None = None
    name: str = ""
    master_account_id: int | None = None
    rights: int | None = None
    language: str | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None


class MyAccount(Account):
    """The token's own account (`GET /account`), with its subscription and 2FA setting."""

    shs_subscription_type: str | None = None
    b2b_active: bool | None = None
    config: AccountConfig | None = None


class SubAccount(Account):
    """`Account`: a sub-account (its own Nuki Web login under this account)."""


class AccountIntegration(WireModel):
    """An app, device or API token with access to the account (`GET /account/integration`)."""

    version: str = ""
    vendor_key: str = ""
    sub_account_name: str | None = None
    sub_account_id: int | None = None
    sub_account: bool | None = None
    name: str = ""
    description: str | None = None
    created_at: datetime | None = None
    last_active_at: datetime | None = None
    scopes: list[str] | None = None
    warning: bool | None = None
    token_id: str | None = None
    advanced_type: str | None = None
    advanced_state: str | None = None
    client_id: str = ""
    sort_order: int | None = None
    device: bool | None = None


class AccountUser(WireModel):
    account_user_id: int
    account_id: int | None = None
    type: int = 0
    email: str = ""
    name: str = ""
    language: str | None = None
    operation_id: str | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None


# --- webhooks and advanced API -----------------------------------------------------------------


class DecentralWebhook(WireModel):
    id: int
    secret: str | None = None
    webhook_url: str
    webhook_features: list[str] = Field(default_factory=list[str])


class WebhookMessage(WireModel):
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    body: dict[str, object] | None = None
    timestamp: datetime | None = None
    path: str = ""


class WebhookLog(WireModel):
    id: str
    request_id: str | None = None
    succeeded: bool | None = None
    response_status: int | None = None
    duration: int | None = None
    account_id: int | None = None
    request: WebhookMessage | None = None
    response: WebhookMessage | None = None
    api_key_id: int | None = None
    updated: datetime | None = None
    created: datetime | None = None


class ApiKey(WireModel):
    """An OAuth client registration of the account (`apiKey` is a credential and never surfaced)."""

    api_key_id: int
    account_id: int | None = None
    description: str | None = None
    redirect_uris: list[str] | None = None
    creation_date: datetime | None = None
    api_key: str | None = None


class AdvancedConfirmationResponse(WireModel):
    request_id: str
    error: str | None = None


# --- Opener intercom database ------------------------------------------------------------------


class OpenerIntercomBrand(WireModel):
    brand_id: int
    brand: str = ""


class OpenerIntercomModel(WireModel):
    intercom_id: int
    brand_id: int | None = None
    type: int | None = None
    model: str = ""
    verified: int | None = None
    con_gnd_bus: str | None = None
    con_bus_audio: str | None = None
    con_audioout: str | None = None
    con_doorbell_plus: str | None = None
    con_doorbell_minus: str | None = None
    con_opendoor: str | None = None
    con_gnd_analogue: str | None = None
    bus_mode_switch: int | None = None
    bus_mode_switch_short_circuit_duration: int | None = None
    creation_date: datetime | None = None
    update_date: datetime | None = None


# --- request bodies ----------------------------------------------------------------------------


class SmartlockUpdate(RequestModel):
    name: str | None = None
    favorite: bool | None = None


class SmartlockAction(RequestModel):
    action: int = Field(ge=0, le=7)
    option: int | None = Field(default=None, ge=0, le=7)


class SmartlockAdminPinUpdate(RequestModel):
    admin_pin: int = Field(ge=0, le=9999)


class SmartlockConfigWrite(RequestModel, _ConfigFields):
    """Writable fields of `Smartlock.Config` (POST /smartlock/{id}/config)."""


class AdvancedConfigWrite(RequestModel, _AdvancedConfigFields):
    """Writable fields of `Smartlock.AdvancedConfig` (smart locks, types 0/4/5)."""


class OpenerAdvancedConfigWrite(RequestModel, _OpenerAdvancedConfigFields):
    """Writable fields of `Smartlock.OpenerAdvancedConfig` (Opener, type 2)."""


class SmartdoorAdvancedConfigWrite(RequestModel, _SmartdoorAdvancedConfigFields):
    """Writable fields of `Smartlock.SmartdoorAdvancedConfig` (Smart Door, type 3)."""


class WebConfigWrite(RequestModel, _WebConfigFields):
    """The writable fields, sent back whole (read-modify-write)."""


class WebConfigRequest(RequestModel):
    smartlock_id: int
    web_config: WebConfigWrite


class BulkWebConfigRequest(RequestModel):
    web_config_requests: list[WebConfigRequest]


class AuthTimeWindow(RequestModel):
    """Time restrictions shared by every authorization body."""

    allowed_from_date: datetime | None = None
    allowed_until_date: datetime | None = None
    allowed_week_days: int | None = Field(default=None, ge=0, le=127)
    allowed_from_time: int | None = Field(default=None, ge=0, le=1440)
    allowed_until_time: int | None = Field(default=None, ge=0, le=1440)


class SmartlockAuthCreate(AuthTimeWindow):
    name: str = Field(min_length=1, max_length=32)
    account_user_id: int | None = None
    remote_allowed: bool
    smart_actions_enabled: bool | None = None
    type: int | None = None
    code: int | None = None


class SmartlockAuthUpdate(AuthTimeWindow):
    """Nuki clears time limits an update leaves out (REFERENCE §3.3): send the whole window every time.

    A date set to None explicitly is sent as null, which is how Nuki removes it; a date never set is
    left out like every other unset field.
    """

    name: str = Field(min_length=1, max_length=32)
    account_user_id: int | None = None
    enabled: bool | None = None
    remote_allowed: bool | None = None
    code: int | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        body = super().to_wire()
        for field in ("allowed_from_date", "allowed_until_date"):
            if field in self.model_fields_set and getattr(self, field) is None:
                body[to_camel(field)] = None
        return body


class SmartlocksAuthAdvancedCreate(AuthTimeWindow):
    name: str = Field(min_length=1, max_length=32)
    account_user_id: int
    smartlock_ids: list[int] = Field(min_length=1)
    remote_allowed: bool
    smart_actions_enabled: bool | None = None


class DecentralWebhookCreate(RequestModel):
    webhook_url: str
    webhook_features: list[str] = Field(min_length=1)


ACCOUNT_USER_LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "cs", "sk")


class AccountUserCreate(RequestModel):
    type: int | None = Field(default=None, ge=0, le=1)
    email: str = Field(min_length=1)
    name: str = Field(min_length=1)
    language: str | None = None


class AccountUserUpdate(RequestModel):
    """Sent whole (read-modify-write): e-mail, name and language as they should be."""

    email: str | None = None
    name: str | None = None
    language: str | None = None
