"""`NukiSimulator`: a stateful fake of the Nuki Web API, served in-process as an httpx2 transport.

`nuki-mcp --demo` and the tests put it behind `NukiClient(transport=sim.transport())`. Requests are
checked like Nuki checks them (bearer token, ids, values), recorded, and answered from the
simulated account; tests inject failures with `Fault`s and inspect the account directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypedDict, Unpack

import anyio
import httpx2
from pydantic import JsonValue, TypeAdapter, ValidationError

from nuki_mcp.clock import Clock, SystemClock
from nuki_mcp.demo.api import SimulatedApi
from nuki_mcp.demo.faults import Fault, RecordedRequest
from nuki_mcp.demo.oauth import SimulatedOAuth
from nuki_mcp.demo.routing import error_response
from nuki_mcp.demo.seed import build_account
from nuki_mcp.nuki.models import (
    AccountIntegration,
    AccountUser,
    ApiKey,
    DecentralWebhook,
    MyAccount,
    Smartlock,
    SmartlockAuth,
    SmartlockLog,
    SmartlockState,
    WebhookLog,
)

DEMO_TOKEN = "nuki-demo-token"

_JSON: TypeAdapter[JsonValue] = TypeAdapter(JsonValue)


class StateFields(TypedDict, total=False):
    """Fields of `Smartlock.state` that `NukiSimulator.set_state` can change (snake_case)."""

    mode: int
    state: int
    trigger: int
    last_action: int | None
    battery_critical: bool
    battery_charging: bool | None
    battery_charge: int | None
    keypad_battery_critical: bool | None
    doorsensor_battery_critical: bool | None
    door_state: int | None
    ring_to_open_timer: int | None
    ring_to_open_end: datetime | None
    night_mode: bool | None
    operation_id: str | None


class DeviceFields(TypedDict, total=False):
    """Top-level `Smartlock` fields that `NukiSimulator.set_device_fields` can change (snake_case)."""

    name: str
    favorite: bool
    server_state: int
    admin_pin_state: int
    firmware_version: int | None
    hardware_version: int | None
    operation_id: str | None
    error: str | None


class _ArmedFault:
    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining = fault.times


class _Transport(httpx2.AsyncBaseTransport):
    def __init__(self, handle: Callable[[httpx2.Request], Awaitable[httpx2.Response]]) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._handle(request)


class NukiSimulator:
    """A simulated Nuki Web account behind an in-process transport (no port, no network).

    Device work is lazy: an accepted action moves the device `action_delay` seconds later into its
    transient state and `motion_time` seconds after that into its final state, evaluated on the
    clock whenever the simulator is asked anything. With a `ManualClock`, advance the clock to let
    time pass.
    """

    base_url: str = "https://api.nuki.io"

    def __init__(self, clock: Clock | None = None, token: str = DEMO_TOKEN, seed: bool = True) -> None:
        self.clock: Clock = clock or SystemClock()
        self.token = token
        self.latency = 0.0
        self.requests: list[RecordedRequest] = []
        self._faults: list[_ArmedFault] = []
        self._state = build_account(self.clock, seed=seed)
        self._api = SimulatedApi(self._state)
        # Nuki's OAuth 2.0 server: register an app on it (`oauth.register_app`) to sign people in.
        self.oauth = SimulatedOAuth(self.clock)

    @property
    def action_delay(self) -> float:
        """Seconds after an accepted action before the device starts moving."""
        return self._state.action_delay

    @action_delay.setter
    def action_delay(self, seconds: float) -> None:
        self._state.action_delay = seconds

    @property
    def motion_time(self) -> float:
        """Seconds a device spends in a transient state (locking, unlocking, ...)."""
        return self._state.motion_time

    @motion_time.setter
    def motion_time(self, seconds: float) -> None:
        self._state.motion_time = seconds

    def transport(self) -> httpx2.AsyncBaseTransport:
        """A transport for `NukiClient(transport=...)` or `httpx2.AsyncClient(transport=...)`."""
        return _Transport(self._handle)

    # --- the server ----------------------------------------------------------------------------

    async def _handle(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        if self.latency > 0:
            await self.clock.sleep(self.latency)
        method, path = request.method.upper(), request.url.path
        if self.oauth.handles(path):  # the sign-in pages and token endpoint, not the API
            return self.oauth.serve(request)
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "connect":
            raise httpx2.ConnectError("Simulated connection failure", request=request)
        query = dict(request.url.params.multi_items())
        body, malformed = _parse_body(request.content)
        self.requests.append(RecordedRequest(method, path, query, body))
        if fault is None:
            return self._serve(request, query, body, malformed)
        if fault.server_applies:
            self._serve(request, query, body, malformed)
        if fault.kind == "timeout":
            raise httpx2.ReadTimeout("Simulated read timeout", request=request)
        if fault.kind == "drop":
            raise httpx2.RemoteProtocolError("Simulated dropped connection", request=request)
        if fault.kind == "hang":
            if fault.on_hang is not None:
                fault.on_hang()
            await anyio.sleep_forever()
        return _fault_response(fault)

    def _serve(
        self, request: httpx2.Request, query: dict[str, str], body: JsonValue, malformed: bool
    ) -> httpx2.Response:
        self._state.advance()
        authorization = request.headers.get("authorization", "")
        if authorization == f"Bearer {self.token}":
            if self._state.token_revoked():
                return error_response(401, "Your access token is not authorized")
        else:
            scheme, _, bearer = authorization.partition(" ")
            refusal = self.oauth.check_call(bearer, request.method.upper(), request.url.path)
            if scheme.lower() != "bearer" or refusal is not None:
                return error_response(401, refusal or "Your access token is not authorized")
        if malformed:
            return error_response(400, "Malformed JSON in the request body")
        return self._api.router.dispatch(request.method, request.url.path, query, body)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for armed in self._faults:
            if armed.remaining > 0 and armed.fault.matches(method, path):
                armed.remaining -= 1
                return armed.fault
        return None

    # --- test hooks ----------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Make the next `fault.times` matching requests fail (faults apply in the order added)."""
        self._faults.append(_ArmedFault(fault))

    def clear_faults(self) -> None:
        self._faults.clear()

    def writes(self) -> list[RecordedRequest]:
        """The recorded requests that could change something (every method but GET)."""
        return [r for r in self.requests if r.method != "GET"]

    # --- inspection (copies of the current state, after due transitions) -----------------------

    def device(self, smartlock_id: int) -> Smartlock:
        """The device as `GET /smartlock/{id}` would show it now; KeyError if there is none."""
        self._state.advance()
        return self._require_device(smartlock_id).model_copy(deep=True)

    def devices(self) -> list[Smartlock]:
        self._state.advance()
        return [d.model_copy(deep=True) for d in self._state.devices.values()]

    def auths(self, smartlock_id: int | None = None) -> list[SmartlockAuth]:
        """Authorizations of one device, or of every device when `smartlock_id` is None."""
        self._state.advance()
        return [
            a.model_copy(deep=True)
            for a in self._state.auths.values()
            if smartlock_id is None or a.smartlock_id == smartlock_id
        ]

    def auth(self, auth_id: str) -> SmartlockAuth:
        """One authorization by its 24-hex id; KeyError if there is none."""
        self._state.advance()
        auth = self._state.auths.get(auth_id)
        if auth is None:
            raise KeyError(f"no authorization {auth_id} in the simulator")
        return auth.model_copy(deep=True)

    def logs(self, smartlock_id: int | None = None) -> list[SmartlockLog]:
        """Activity log entries, newest first, of one device or of all."""
        self._state.advance()
        return [
            log.model_copy(deep=True)
            for log in self._state.logs_newest_first()
            if smartlock_id is None or log.smartlock_id == smartlock_id
        ]

    def webhooks(self) -> list[DecentralWebhook]:
        return [w.model_copy(deep=True) for w in self._state.webhooks.values()]

    def webhook_logs(self) -> list[WebhookLog]:
        """Webhook deliveries, newest first."""
        return sorted((w.model_copy(deep=True) for w in self._state.webhook_logs), key=lambda w: w.id, reverse=True)

    def account(self) -> MyAccount:
        return self._state.account.model_copy(deep=True)

    def account_users(self) -> list[AccountUser]:
        self._state.advance()
        return [u.model_copy(deep=True) for u in self._state.account_users.values()]

    def integrations(self) -> list[AccountIntegration]:
        return [i.model_copy(deep=True) for i in self._state.integrations]

    def set_account(self, account: MyAccount) -> None:
        """Replace the account `GET /account` answers with (e.g. with 2FA turned on)."""
        self._state.account = account.model_copy(deep=True)

    def add_api_key(self, key: ApiKey) -> None:
        self._state.api_keys[key.api_key_id] = key.model_copy(deep=True)

    def add_integration(self, integration: AccountIntegration) -> None:
        self._state.integrations.append(integration.model_copy(deep=True))

    # --- seeding (tests and the audit feature add what the household lacks) --------------------

    def new_object_id(self, at: datetime | None = None) -> str:
        """A fresh 24-hex id for `at` (default: now) that sorts after earlier ones."""
        return self._state.ids.new(at or self.clock.now())

    def add_device(self, device: Smartlock) -> None:
        """Add a device, or replace the one with the same smartlockId."""
        self._state.devices[device.smartlock_id] = device.model_copy(deep=True)

    def add_auth(self, auth: SmartlockAuth) -> None:
        """Add an authorization to an existing device, or replace the one with the same id."""
        self._require_device(auth.smartlock_id)
        self._state.auths[auth.id] = auth.model_copy(deep=True)

    def add_log(self, log: SmartlockLog) -> None:
        """Add a log entry; its id must sort in time order among the others (see `new_object_id`)."""
        self._state.logs.append(log.model_copy(deep=True))

    def add_account_user(self, user: AccountUser) -> None:
        self._state.account_users[user.account_user_id] = user.model_copy(deep=True)

    def set_state(self, smartlock_id: int, **fields: Unpack[StateFields]) -> None:
        """Change fields of a device's `state`, e.g. `set_state(id, state=3, battery_critical=True)`."""
        self._state.advance()
        device = self._require_device(smartlock_id)
        state = device.state or SmartlockState()
        device.state = state.model_copy(update=dict(fields))

    def set_device_fields(self, smartlock_id: int, **fields: Unpack[DeviceFields]) -> None:
        """Change top-level device fields, e.g. `set_device_fields(id, server_state=4)`."""
        self._state.advance()
        device = self._require_device(smartlock_id)
        self._state.devices[smartlock_id] = device.model_copy(update=dict(fields))

    def _require_device(self, smartlock_id: int) -> Smartlock:
        device = self._state.devices.get(smartlock_id)
        if device is None:
            raise KeyError(f"no device {smartlock_id} in the simulator")
        return device


def _parse_body(content: bytes) -> tuple[JsonValue, bool]:
    """The JSON body (None when empty), and whether it was malformed (then the raw text is kept)."""
    if not content:
        return None, False
    try:
        return _JSON.validate_json(content), False
    except ValidationError:
        return content.decode("utf-8", errors="replace"), True


def _fault_response(fault: Fault) -> httpx2.Response:
    headers = dict(fault.headers)
    if fault.content_type is not None:
        headers["content-type"] = fault.content_type
    content = fault.body.encode() if fault.body is not None else b""
    return httpx2.Response(fault.status, headers=headers, content=content)
