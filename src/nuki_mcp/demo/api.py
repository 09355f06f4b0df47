"""The endpoints of the simulated Nuki Web API: HTTP in, changes to the `SimulatedAccount`, JSON out."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

import httpx2
from pydantic import BaseModel, JsonValue

from nuki_mcp.demo import intercom, motion, rules
from nuki_mcp.demo.api_properties import register_properties
from nuki_mcp.demo.routing import ApiError, ApiRequest, Router, json_response, no_content
from nuki_mcp.demo.state import SimulatedAccount, wire
from nuki_mcp.nuki.models import (
    ACCOUNT_USER_LANGUAGES,
    AccountUser,
    AccountUserCreate,
    AccountUserUpdate,
    AdvancedConfigWrite,
    AuthTimeWindow,
    BulkWebConfigRequest,
    DecentralWebhook,
    DecentralWebhookCreate,
    OpenerAdvancedConfig,
    OpenerAdvancedConfigWrite,
    RequestModel,
    SmartdoorAdvancedConfig,
    SmartdoorAdvancedConfigWrite,
    Smartlock,
    SmartlockAction,
    SmartlockAdminPinUpdate,
    SmartlockAdvancedConfig,
    SmartlockAuth,
    SmartlockAuthCreate,
    SmartlockAuthUpdate,
    SmartlockConfig,
    SmartlockConfigWrite,
    SmartlockLog,
    SmartlocksAuthAdvancedCreate,
    SmartlockUpdate,
    WebConfig,
    WebConfigWrite,
)

C = TypeVar("C", bound=BaseModel)

APP = 0  # auth types
FOB = 2
KEYPAD_CODE = 13
CREATABLE_AUTH_TYPES = frozenset({APP, FOB, KEYPAD_CODE})
LOCK_TYPES_WITH_ADVANCED_CONFIG = frozenset({0, 4, 5})
SMART_DOOR = 3
AUTH_NAME_MAX = 32
DEVICE = "/smartlock/{smartlock_id:int}"


class SimulatedApi:
    """Binds every endpoint the NukiClient calls to a handler over one `SimulatedAccount`."""

    def __init__(self, state: SimulatedAccount) -> None:
        self.state = state
        self.router = Router()
        add = self.router.add
        add("GET", "/smartlock", self._list_devices)
        add("GET", DEVICE, self._get_device)
        add("POST", DEVICE, self._update_device)
        add("DELETE", DEVICE, self._delete_device)
        add("POST", DEVICE + "/sync", self._sync)
        add("POST", DEVICE + "/action", self._action)
        add("POST", DEVICE + "/action/advanced", self._action_advanced)
        add("POST", DEVICE + "/action/lock", self._lock)
        add("POST", DEVICE + "/action/lock/advanced", self._lock_advanced)
        add("POST", DEVICE + "/action/unlock", self._unlock)
        add("POST", DEVICE + "/action/unlock/advanced", self._unlock_advanced)
        add("POST", DEVICE + "/config", self._write_config)
        add("POST", DEVICE + "/advanced/config", self._write_advanced_config)
        add("POST", DEVICE + "/advanced/openerconfig", self._write_opener_config)
        add("POST", DEVICE + "/advanced/smartdoorconfig", self._write_smartdoor_config)
        add("POST", DEVICE + "/web/config", self._write_web_config)
        add("POST", "/bulk-web-config", self._bulk_web_config)
        add("POST", DEVICE + "/admin/pin", self._admin_pin)
        add("GET", "/smartlock/auth", self._list_account_auths)
        add("PUT", "/smartlock/auth/advanced", self._create_auths_advanced)
        add("GET", DEVICE + "/auth", self._list_auths)
        add("PUT", DEVICE + "/auth", self._create_auth)
        add("GET", DEVICE + "/auth/{auth_id}", self._get_auth)
        add("POST", DEVICE + "/auth/{auth_id}", self._update_auth)
        add("DELETE", DEVICE + "/auth/{auth_id}", self._delete_auth)
        add("GET", "/smartlock/log", self._account_logs)
        add("GET", DEVICE + "/log", self._device_logs)
        add("GET", "/account", self._account)
        add("GET", "/account/user", self._account_users)
        add("PUT", "/account/user", self._create_account_user)
        add("GET", "/account/user/{account_user_id:int}", self._get_account_user)
        add("POST", "/account/user/{account_user_id:int}", self._update_account_user)
        add("DELETE", "/account/user/{account_user_id:int}", self._delete_account_user)
        add("GET", "/account/integration", self._list_integrations)
        add("DELETE", "/account/integration", self._revoke_integration)
        add("GET", "/account/sub", self._sub_accounts)
        add("GET", "/api/key", self._api_keys)
        add("GET", "/opener/brand", self._intercom_brands)
        add("GET", "/opener/intercom", self._intercom_models)
        add("GET", "/api/decentralWebhook", self._list_webhooks)
        add("PUT", "/api/decentralWebhook", self._create_webhook)
        add("DELETE", "/api/decentralWebhook/{webhook_id:int}", self._delete_webhook)
        add("GET", "/api/key/{api_key_id:int}/webhook/logs", self._webhook_logs)
        register_properties(self.router, state)

    def _device_of(self, request: ApiRequest) -> Smartlock:
        return self.state.device(int(request.params["smartlock_id"]))

    # --- devices -------------------------------------------------------------------------------

    def _list_devices(self, request: ApiRequest) -> httpx2.Response:
        device_type = rules.query_int(request.query, "type")
        auth_id = rules.query_int(request.query, "authId")
        devices = [
            wire(d)
            for d in self.state.devices.values()
            if (device_type is None or d.type == device_type) and (auth_id is None or d.auth_id == auth_id)
        ]
        return json_response(devices)

    def _get_device(self, request: ApiRequest) -> httpx2.Response:
        return json_response(wire(self._device_of(request)))

    def _update_device(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        update = rules.parse_body(SmartlockUpdate, request.body)
        if update.name is not None:
            _check_name(update.name, AUTH_NAME_MAX)
            device.name = update.name
            if device.config is not None:
                device.config.name = update.name
        if update.favorite is not None:
            device.favorite = update.favorite
        return no_content()

    def _delete_device(self, request: ApiRequest) -> httpx2.Response:
        self.state.remove_device(int(request.params["smartlock_id"]))
        return no_content()

    def _sync(self, request: ApiRequest) -> httpx2.Response:
        self._device_of(request)
        return no_content()

    # --- actions -------------------------------------------------------------------------------

    def _accept_action(self, request: ApiRequest) -> None:
        device = self._device_of(request)
        action = rules.parse_body(SmartlockAction, request.body).action
        if action not in motion.allowed_actions(device.type):
            raise ApiError(400, f"Action {action} is not supported by a device of type {device.type}")
        self.state.start_action(device, action)

    def _accept_shortcut(self, request: ApiRequest, action: int) -> None:
        device = self._device_of(request)
        if device.type == motion.OPENER or action not in motion.allowed_actions(device.type):
            raise ApiError(405, f"This action is not allowed for a device of type {device.type}")
        self.state.start_action(device, action)

    def _request_id(self) -> httpx2.Response:
        return json_response({"requestId": self.state.ids.new(self.state.now())})

    def _action(self, request: ApiRequest) -> httpx2.Response:
        self._accept_action(request)
        return no_content()

    def _action_advanced(self, request: ApiRequest) -> httpx2.Response:
        self._accept_action(request)
        return self._request_id()

    def _lock(self, request: ApiRequest) -> httpx2.Response:
        self._accept_shortcut(request, 2)
        return no_content()

    def _lock_advanced(self, request: ApiRequest) -> httpx2.Response:
        self._accept_shortcut(request, 2)
        return self._request_id()

    def _unlock(self, request: ApiRequest) -> httpx2.Response:
        self._accept_shortcut(request, 1)
        return no_content()

    def _unlock_advanced(self, request: ApiRequest) -> httpx2.Response:
        self._accept_shortcut(request, 1)
        return self._request_id()

    # --- configuration -------------------------------------------------------------------------

    def _write_config(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        write = rules.parse_body(SmartlockConfigWrite, request.body)
        rules.check_values(write.to_wire(), rules.CONFIG_RULES)
        if write.latitude is not None and not -90 <= write.latitude <= 90:
            raise ApiError(400, "Invalid parameter latitude")
        if write.longitude is not None and not -180 <= write.longitude <= 180:
            raise ApiError(400, "Invalid parameter longitude")
        if write.name is not None:
            _check_name(write.name, AUTH_NAME_MAX)
            device.name = write.name
        device.config = _merged(device.config or SmartlockConfig(), write)
        return no_content()

    def _write_advanced_config(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        if device.type not in LOCK_TYPES_WITH_ADVANCED_CONFIG:
            raise ApiError(400, f"A device of type {device.type} has no smart lock advanced config")
        write = rules.parse_body(AdvancedConfigWrite, request.body)
        rules.check_values(write.to_wire(), rules.ADVANCED_CONFIG_RULES)
        device.advanced_config = _merged(device.advanced_config or SmartlockAdvancedConfig(), write)
        return no_content()

    def _write_opener_config(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        if device.type != motion.OPENER:
            raise ApiError(400, f"A device of type {device.type} has no Opener advanced config")
        write = rules.parse_body(OpenerAdvancedConfigWrite, request.body)
        rules.check_values(write.to_wire(), rules.OPENER_CONFIG_RULES)
        current = device.opener_advanced_config or OpenerAdvancedConfig()
        device.opener_advanced_config = _merged(current, write)
        return no_content()

    def _write_smartdoor_config(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        if device.type != SMART_DOOR:
            raise ApiError(400, f"A device of type {device.type} has no Smart Door advanced config")
        write = rules.parse_body(SmartdoorAdvancedConfigWrite, request.body)
        rules.check_values(write.to_wire(), rules.SMARTDOOR_CONFIG_RULES)
        current = device.smartdoor_advanced_config or SmartdoorAdvancedConfig()
        device.smartdoor_advanced_config = _merged(current, write)
        return no_content()

    def _write_web_config(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        write = rules.parse_body(WebConfigWrite, request.body)
        device.web_config = _merged(device.web_config or WebConfig(), write)
        return no_content()

    def _bulk_web_config(self, request: ApiRequest) -> httpx2.Response:
        bulk = rules.parse_body(BulkWebConfigRequest, request.body)
        for item in bulk.web_config_requests:
            if item.smartlock_id not in self.state.devices:
                raise ApiError(400, f"Invalid parameter smartlockId: {item.smartlock_id} is not a device")
        for item in bulk.web_config_requests:
            device = self.state.devices[item.smartlock_id]
            device.web_config = _merged(device.web_config or WebConfig(), item.web_config)
        return no_content()

    def _admin_pin(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        rules.parse_body(SmartlockAdminPinUpdate, request.body)
        device.admin_pin_state = 0  # ok
        return no_content()

    # --- authorizations ------------------------------------------------------------------------

    def _list_account_auths(self, request: ApiRequest) -> httpx2.Response:
        user = rules.query_int(request.query, "accountUserId")
        types = rules.query_types(request.query)
        auths = [
            a
            for a in self.state.auths.values()
            if a.smartlock_id in self.state.devices
            and (types is None or a.type in types)
            and _matches_account_user(a, user)
        ]
        return json_response([wire(a) for a in auths])

    def _list_auths(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        types = rules.query_types(request.query)
        auths = self.state.device_auths(device.smartlock_id)
        return json_response([wire(a) for a in auths if types is None or a.type in types])

    def _get_auth(self, request: ApiRequest) -> httpx2.Response:
        auth = self.state.auth(int(request.params["smartlock_id"]), request.params["auth_id"])
        return json_response(wire(auth))

    def _create_auth(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        create = rules.parse_body(SmartlockAuthCreate, request.body)
        auth = self._new_auth(
            device.smartlock_id,
            name=create.name,
            auth_type=APP if create.type is None else create.type,
            account_user_id=create.account_user_id,
            remote_allowed=create.remote_allowed,
            code=create.code,
            window=create,
        )
        self.state.add_pending_auth(auth)
        return no_content()

    def _create_auths_advanced(self, request: ApiRequest) -> httpx2.Response:
        create = rules.parse_body(SmartlocksAuthAdvancedCreate, request.body)
        for smartlock_id in create.smartlock_ids:
            if smartlock_id not in self.state.devices:
                raise ApiError(400, f"Invalid parameter smartlockIds: {smartlock_id} is not a device")
        new_auths = [
            self._new_auth(
                smartlock_id,
                name=create.name,
                auth_type=APP,
                account_user_id=create.account_user_id,
                remote_allowed=create.remote_allowed,
                code=None,
                window=create,
            )
            for smartlock_id in dict.fromkeys(create.smartlock_ids)
        ]
        for auth in new_auths:
            self.state.add_pending_auth(auth)
        return self._request_id()

    def _new_auth(
        self,
        smartlock_id: int,
        *,
        name: str,
        auth_type: int,
        account_user_id: int | None,
        remote_allowed: bool,
        code: int | None,
        window: AuthTimeWindow,
    ) -> SmartlockAuth:
        if auth_type not in CREATABLE_AUTH_TYPES:
            raise ApiError(400, f"Invalid parameter type: authorizations of type {auth_type} cannot be created")
        if auth_type == APP and account_user_id is None:
            raise ApiError(400, "Invalid parameter accountUserId: an app authorization needs an account user")
        self._check_account_user(account_user_id)
        if auth_type == KEYPAD_CODE:
            _check_name(name, rules.KEYPAD_NAME_MAX)
            code = rules.check_keypad_code(code)
            self._check_code_unique(smartlock_id, code, except_auth_id=None)
        else:
            code = None
        from_date, until_date = _checked_dates(window)
        now = self.state.now()
        return SmartlockAuth(
            id=self.state.ids.new(now),
            smartlock_id=smartlock_id,
            account_user_id=account_user_id,
            auth_id=self.state.next_auth_number(smartlock_id),
            code=code,
            type=auth_type,
            name=name,
            enabled=True,
            remote_allowed=remote_allowed,
            lock_count=0,
            allowed_from_date=from_date,
            allowed_until_date=until_date,
            allowed_week_days=window.allowed_week_days,
            allowed_from_time=window.allowed_from_time,
            allowed_until_time=window.allowed_until_time,
            creation_date=now,
            update_date=now,
        )

    def _update_auth(self, request: ApiRequest) -> httpx2.Response:
        auth = self._unlocked_auth(request)
        update = rules.parse_body(SmartlockAuthUpdate, request.body)
        self._check_account_user(update.account_user_id)
        if auth.type == KEYPAD_CODE:
            _check_name(update.name, rules.KEYPAD_NAME_MAX)
            if update.code is not None:
                auth.code = rules.check_keypad_code(update.code)
                self._check_code_unique(auth.smartlock_id, auth.code, except_auth_id=auth.id)
        from_date, until_date = _checked_dates(update)
        auth.name = update.name
        # Like the real API: time restrictions not sent are cleared, not kept (REFERENCE §3.3).
        auth.allowed_from_date = from_date
        auth.allowed_until_date = until_date
        auth.allowed_week_days = update.allowed_week_days
        auth.allowed_from_time = update.allowed_from_time
        auth.allowed_until_time = update.allowed_until_time
        if update.account_user_id is not None:
            auth.account_user_id = update.account_user_id
        if update.enabled is not None:
            auth.enabled = update.enabled
        if update.remote_allowed is not None:
            auth.remote_allowed = update.remote_allowed
        auth.update_date = self.state.now()
        return no_content()

    def _delete_auth(self, request: ApiRequest) -> httpx2.Response:
        auth = self._unlocked_auth(request)
        del self.state.auths[auth.id]
        return no_content()

    def _unlocked_auth(self, request: ApiRequest) -> SmartlockAuth:
        auth = self.state.auth(int(request.params["smartlock_id"]), request.params["auth_id"])
        if auth.operation_id is not None:
            raise ApiError(423, "The authorization is locked by a pending operation; try again later")
        return auth

    def _check_account_user(self, account_user_id: int | None) -> None:
        if account_user_id is not None and account_user_id not in self.state.account_users:
            raise ApiError(400, f"Invalid parameter accountUserId: account user {account_user_id} not found")

    def _check_code_unique(self, smartlock_id: int, code: int, except_auth_id: str | None) -> None:
        for other in self.state.device_auths(smartlock_id):
            if other.type == KEYPAD_CODE and other.code == code and other.id != except_auth_id:
                raise ApiError(409, "Parameter conflict: this keypad code is already used on the device")

    # --- logs ----------------------------------------------------------------------------------

    def _account_logs(self, request: ApiRequest) -> httpx2.Response:
        return json_response([wire(log) for log in self._logs(request, None)])

    def _device_logs(self, request: ApiRequest) -> httpx2.Response:
        device = self._device_of(request)
        return json_response([wire(log) for log in self._logs(request, device.smartlock_id)])

    def _logs(self, request: ApiRequest, smartlock_id: int | None) -> list[SmartlockLog]:
        query = request.query
        account_user_id = rules.query_int(query, "accountUserId")
        action = rules.query_int(query, "action")
        from_date = rules.query_date(query, "fromDate")
        to_date = rules.query_date(query, "toDate")
        auth_id = (query.get("authId") or None) if smartlock_id is not None else None
        before_id = query.get("id") or None
        limit = rules.page_limit(query, default=20, maximum=50)
        page: list[SmartlockLog] = []
        for log in self.state.logs_newest_first():
            if (
                (smartlock_id is not None and log.smartlock_id != smartlock_id)
                or (account_user_id is not None and log.account_user_id != account_user_id)
                or (action is not None and log.action != action)
                or (auth_id is not None and log.auth_id != auth_id)
                or (from_date is not None and log.date < from_date)
                or (to_date is not None and log.date > to_date)
                or (before_id is not None and log.id >= before_id)
            ):
                continue
            page.append(log)
            if len(page) == limit:
                break
        return page

    # --- account -------------------------------------------------------------------------------

    def _account(self, request: ApiRequest) -> httpx2.Response:
        return json_response(wire(self.state.account))

    def _account_users(self, request: ApiRequest) -> httpx2.Response:
        email = request.query.get("email")
        offset = rules.query_int(request.query, "offset") or 0
        if offset < 0:
            raise ApiError(400, "Invalid parameter offset")
        limit = rules.page_limit(request.query, default=50, maximum=100)
        users = [u for u in self.state.account_users.values() if not email or email.lower() in u.email.lower()]
        return json_response([_account_user_wire(u) for u in users[offset : offset + limit]])

    def _account_user_of(self, request: ApiRequest) -> AccountUser:
        account_user_id = int(request.params["account_user_id"])
        user = self.state.account_users.get(account_user_id)
        if user is None:
            raise ApiError(404, f"Account user {account_user_id} not found")
        return user

    def _get_account_user(self, request: ApiRequest) -> httpx2.Response:
        return json_response(_account_user_wire(self._account_user_of(request)))

    def _create_account_user(self, request: ApiRequest) -> httpx2.Response:
        create = rules.parse_body(AccountUserCreate, request.body)
        email, name = _checked_email(create.email), _checked_user_name(create.name)
        _check_language(create.language)
        if any(u.email.casefold() == email.casefold() for u in self.state.account_users.values()):
            raise ApiError(400, "Invalid E-Mail address supplied: an account user with this address exists")
        now = self.state.now()
        user = AccountUser(
            account_user_id=max(self.state.account_users, default=2000) + 1,
            account_id=self.state.account.account_id,
            type=create.type or 0,
            email=email,
            name=name,
            language=create.language or self.state.account.language or "en",
            creation_date=now,
            update_date=now,
        )
        self.state.account_users[user.account_user_id] = user
        return json_response(_account_user_wire(user))

    def _update_account_user(self, request: ApiRequest) -> httpx2.Response:
        user = self._account_user_of(request)
        update = rules.parse_body(AccountUserUpdate, request.body)
        _check_language(update.language)
        if update.email is not None:
            email = _checked_email(update.email)
            taken = any(
                u.email.casefold() == email.casefold() and u.account_user_id != user.account_user_id
                for u in self.state.account_users.values()
            )
            if taken:
                raise ApiError(409, "E-Mail address already exists")
            user.email = email
        if update.name is not None:
            user.name = _checked_user_name(update.name)
        if update.language is not None:
            user.language = update.language
        user.update_date = self.state.now()
        return json_response(_account_user_wire(user))

    def _delete_account_user(self, request: ApiRequest) -> httpx2.Response:
        user = self._account_user_of(request)
        if user.operation_id is not None:
            raise ApiError(423, "The account user is locked by a pending operation; try again later")
        self.state.delete_account_user_later(user)
        return no_content()

    def _list_integrations(self, request: ApiRequest) -> httpx2.Response:
        if self.state.this_token is not None:
            self.state.this_token.last_active_at = self.state.now()
        ordered = sorted(self.state.integrations, key=lambda i: (i.sort_order or 0, i.name))
        return json_response([wire(i) for i in ordered])

    def _revoke_integration(self, request: ApiRequest) -> httpx2.Response:
        api_key_id = rules.query_int(request.query, "apiKeyId")
        token_id = rules.query_int(request.query, "tokenId")
        if api_key_id is None and token_id is None:
            raise ApiError(400, "Invalid parameter: apiKeyId or tokenId is required")
        if token_id is not None:
            gone = [i for i in self.state.integrations if i.token_id == str(token_id)]
        else:
            gone = [i for i in self.state.integrations if i.client_id == str(api_key_id) and i.token_id is None]
        if not gone:
            raise ApiError(404, "Integration not found")
        self.state.integrations = [i for i in self.state.integrations if all(i is not g for g in gone)]
        return no_content()

    def _sub_accounts(self, request: ApiRequest) -> httpx2.Response:
        email = (request.query.get("email") or "").casefold()
        return json_response([wire(a) for a in self.state.sub_accounts if email in a.email.casefold()])

    def _api_keys(self, request: ApiRequest) -> httpx2.Response:
        return json_response([wire(k) for k in self.state.api_keys.values()])

    def _intercom_brands(self, request: ApiRequest) -> httpx2.Response:
        return json_response([wire(b) for b in intercom.BRANDS])

    def _intercom_models(self, request: ApiRequest) -> httpx2.Response:
        brand_id = rules.query_int(request.query, "brandId")
        if brand_id is None:
            raise ApiError(400, "Invalid parameter brandId: required unless recentlyChanged is true")
        return json_response([wire(m) for m in intercom.MODELS if m.brand_id == brand_id])

    # --- webhooks ------------------------------------------------------------------------------

    def _list_webhooks(self, request: ApiRequest) -> httpx2.Response:
        return json_response([wire(w) for w in self.state.webhooks.values()])

    def _create_webhook(self, request: ApiRequest) -> httpx2.Response:
        create = rules.parse_body(DecentralWebhookCreate, request.body)
        url = urlsplit(create.webhook_url)
        if url.scheme != "https" or not url.netloc:
            raise ApiError(400, "Invalid parameter webhookUrl: an https URL is required")
        unknown = [f for f in create.webhook_features if f not in rules.WEBHOOK_FEATURES]
        if unknown:
            raise ApiError(400, f"Invalid parameter webhookFeatures: unknown feature {unknown[0]}")
        webhook_id = max(self.state.webhooks, default=0) + 1
        webhook = DecentralWebhook(
            id=webhook_id,
            secret=webhook_secret(webhook_id, create.webhook_url),
            webhook_url=create.webhook_url,
            webhook_features=list(dict.fromkeys(create.webhook_features)),
        )
        self.state.webhooks[webhook_id] = webhook
        return json_response(wire(webhook))

    def _delete_webhook(self, request: ApiRequest) -> httpx2.Response:
        webhook_id = int(request.params["webhook_id"])
        if self.state.webhooks.pop(webhook_id, None) is None:
            raise ApiError(404, f"Decentral webhook {webhook_id} not found")
        return no_content()

    def _webhook_logs(self, request: ApiRequest) -> httpx2.Response:
        api_key_id = int(request.params["api_key_id"])
        if api_key_id not in self.state.api_keys:
            raise ApiError(404, f"API key {api_key_id} not found")
        before_id = request.query.get("id") or None
        limit = rules.page_limit(request.query, default=50, maximum=100)
        logs = sorted(
            (log for log in self.state.webhook_logs if log.api_key_id == api_key_id),
            key=lambda log: log.id,
            reverse=True,
        )
        page = [log for log in logs if before_id is None or log.id < before_id][:limit]
        return json_response([wire(log) for log in page])


def webhook_secret(webhook_id: int, url: str) -> str:
    """A stable 40-hex signing secret (no randomness, so demo runs repeat exactly)."""
    return hashlib.sha256(f"nuki-demo-webhook:{webhook_id}:{url}".encode()).hexdigest()[:40]


def _merged(current: C, write: RequestModel) -> C:
    """`current` with the fields the client sent; null and absent fields stay as they were."""
    return current.model_copy(update=write.model_dump(exclude_none=True))


def _check_name(name: str, maximum: int) -> None:
    if not name.strip() or len(name) > maximum:
        raise ApiError(400, f"Invalid parameter name: 1 to {maximum} characters")


def _checked_dates(window: AuthTimeWindow) -> tuple[datetime | None, datetime | None]:
    from_date = rules.as_utc(window.allowed_from_date)
    until_date = rules.as_utc(window.allowed_until_date)
    if from_date is not None and until_date is not None and from_date > until_date:
        raise ApiError(400, "Invalid parameter allowedUntilDate: before allowedFromDate")
    return from_date, until_date


def _matches_account_user(auth: SmartlockAuth, account_user_id: int | None) -> bool:
    # > 0: that user's authorizations; < 0: those without an account user (REFERENCE §3.3).
    if account_user_id is None or account_user_id == 0:
        return True
    if account_user_id < 0:
        return auth.account_user_id is None
    return auth.account_user_id == account_user_id


def _checked_email(email: str) -> str:
    value = email.strip()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(ch.isspace() for ch in value) or len(value) > 200:
        raise ApiError(400, "Invalid E-Mail address or name supplied")
    return value


def _checked_user_name(name: str) -> str:
    if not name.strip() or len(name) > 100:
        raise ApiError(400, "Invalid E-Mail address or name supplied")
    return name


def _check_language(language: str | None) -> None:
    if language is not None and language not in ACCOUNT_USER_LANGUAGES:
        raise ApiError(400, f"Invalid parameter language: one of {', '.join(ACCOUNT_USER_LANGUAGES)}")


def _account_user_wire(user: AccountUser) -> JsonValue:
    data = user.model_dump(mode="json", by_alias=True, exclude_none=True)
    if data.get("type") == 0:  # Nuki leaves out the default type
        del data["type"]
    return data
