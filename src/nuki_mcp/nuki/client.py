"""The Nuki Web API client: one request path, one retry policy, one typed method per endpoint."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Final, Protocol, Self, TypeVar, cast

import httpx2
from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError

from nuki_mcp import __version__
from nuki_mcp.clock import Clock, SystemClock
from nuki_mcp.nuki.errors import (
    NukiApiError,
    NukiAuthError,
    NukiBadRequestError,
    NukiConflictError,
    NukiConnectionError,
    NukiError,
    NukiForbiddenError,
    NukiLockedError,
    NukiNotAllowedError,
    NukiNotFoundError,
    NukiRateLimitedError,
    NukiResponseError,
    NukiServerError,
    NukiTimeoutError,
    NukiUpgradeRequiredError,
)
from nuki_mcp.nuki.models import (
    AccountIntegration,
    AccountUser,
    AccountUserCreate,
    AccountUserUpdate,
    AdvancedConfigWrite,
    AdvancedConfirmationResponse,
    ApiKey,
    BulkWebConfigRequest,
    DecentralWebhook,
    DecentralWebhookCreate,
    MyAccount,
    OpenerAdvancedConfigWrite,
    OpenerIntercomBrand,
    OpenerIntercomModel,
    RequestModel,
    SmartdoorAdvancedConfigWrite,
    Smartlock,
    SmartlockAction,
    SmartlockAdminPinUpdate,
    SmartlockAuth,
    SmartlockAuthCreate,
    SmartlockAuthUpdate,
    SmartlockConfigWrite,
    SmartlockLog,
    SmartlocksAuthAdvancedCreate,
    SmartlockUpdate,
    SubAccount,
    WebConfigWrite,
    WebhookLog,
)
from nuki_mcp.nuki.models_properties import (
    Address,
    AddressCreate,
    AddressReservation,
    AddressToken,
    AddressUnit,
    AddressUnitCreate,
    AddressUpdate,
    Notification,
    NotificationWrite,
    PartnerService,
    ReservationAccessTimesUpdate,
)

DEFAULT_BASE_URL = "https://api.nuki.io"
MAX_LOG_PAGE = 50

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
QueryValue = str | int | bool | None


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Reads (GET) are retried on connection errors, timeouts, 429 and 500/502/503/504 (Nuki's 5xx are
    transient, REFERENCE §6.1). Writes are retried
    only when the connection could not be made, i.e. the request provably never left this machine:
    after any ambiguous failure a second unlatch could open a door twice.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def backoff(self, attempt: int, jitter: float) -> float:
        """Exponential backoff with jitter; `jitter` is a number in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return ceiling * (0.5 + jitter / 2)


class BearerSource(Protocol):
    """Where each request's bearer token comes from when it is not one fixed API token (per-user sign-in)."""

    async def token(self) -> str:
        """The token for the request about to be sent (raises `NukiAuthError` when there is none)."""
        ...

    async def rejected(self, token: str) -> bool:
        """Nuki answered 401 to `token`: True when a new token is ready, so the request is sent once more."""
        ...

    def unauthorized(self) -> str:
        """The sentence for a 401 that a new token did not cure."""
        ...


@dataclass
class _Attempt:
    error: NukiError
    retryable: bool
    delay: float | None = None


class NukiClient:
    """Async client for the Nuki Web API over one `httpx2.AsyncClient`.

    Use it as an async context manager (or call `aclose`). `transport` lets tests and `--demo`
    serve the API in-process; `clock` and `jitter` make waiting deterministic in tests.
    """

    def __init__(
        self,
        token: str | BearerSource,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        transport: httpx2.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._clock: Clock = clock or SystemClock()
        self._jitter = jitter
        # A fixed token goes into every request's headers; a `BearerSource` is asked before each request.
        self._bearer = None if isinstance(token, str) else token
        self._redactor = SecretRedactor(token if isinstance(token, str) else "")
        self._http = httpx2.AsyncClient(
            base_url=base_url,
            headers={
                **({"Authorization": f"Bearer {token}"} if isinstance(token, str) else {}),
                "Accept": "application/json",
                "User-Agent": f"nuki-mcp/{__version__}",
            },
            timeout=httpx2.Timeout(timeout, connect=min(connect_timeout, timeout)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"NukiClient(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- the one request path ------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        body: RequestModel | list[str] | None = None,
    ) -> httpx2.Response:
        is_read = method == "GET"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        payload: JsonValue = None
        if isinstance(body, RequestModel):
            payload = body.to_wire()
        elif body is not None:
            payload = list[JsonValue](body)
        attempt = 0
        renewed = False
        while True:
            bearer = await self._bearer.token() if self._bearer is not None else None
            outcome = await self._attempt(method, path, query, payload, is_read, bearer)
            if isinstance(outcome, httpx2.Response):
                return outcome
            if isinstance(outcome.error, NukiAuthError) and self._bearer is not None and bearer is not None:
                # A 401 was refused before anything happened, so a write may go again with a renewed token.
                if not renewed and await self._bearer.rejected(bearer):
                    renewed = True
                    continue
                raise NukiAuthError(self._bearer.unauthorized(), status=401, detail=outcome.error.detail)
            if not outcome.retryable or attempt >= self._retry.max_retries:
                raise outcome.error
            delay = outcome.delay
            if delay is None:
                delay = self._retry.backoff(attempt, self._jitter())
            logger.info("Retrying %s %s in %.2f s: %s", method, path, delay, outcome.error)
            await self._clock.sleep(delay)
            attempt += 1

    async def _attempt(
        self,
        method: str,
        path: str,
        query: Mapping[str, QueryValue],
        payload: JsonValue,
        is_read: bool,
        bearer: str | None = None,
    ) -> httpx2.Response | _Attempt:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else None
        try:
            if payload is None:
                response = await self._http.request(method, path, params=query, headers=headers)
            else:
                response = await self._http.request(method, path, params=query, json=payload, headers=headers)
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout):
            # The request never left this machine: safe to retry reads and writes alike.
            error = NukiConnectionError(
                f"Cannot reach the Nuki API at {self._http.base_url.host}; "
                "check the network connection and NUKI_API_URL, then try again."
            )
            return _Attempt(error, retryable=True)
        except httpx2.TimeoutException:
            problem = f"The Nuki API did not answer within {self._timeout:g} s"
            return _ambiguous(NukiTimeoutError, problem, "or raise NUKI_TIMEOUT", is_read)
        except httpx2.TransportError:
            problem = "The connection to the Nuki API dropped before an answer arrived"
            return _ambiguous(NukiConnectionError, problem, "", is_read)
        logger.debug("%s %s -> %d", method, path, response.status_code)
        redactor = self._redactor if bearer is None else SecretRedactor(bearer)
        response = redactor.response(response)
        if response.is_success:
            return response
        api_error = _status_error(response, is_read, self._clock.now)
        retryable = is_read and response.status_code in self._retry.retry_statuses
        delay: float | None = None
        if isinstance(api_error, NukiRateLimitedError) and api_error.retry_after is not None:
            delay = api_error.retry_after
            retryable = retryable and delay <= self._retry.max_retry_after
        return _Attempt(api_error, retryable=retryable, delay=delay)

    async def _get(self, path: str, model: type[M], params: Mapping[str, QueryValue] | None = None) -> M:
        return _parse(await self._request("GET", path, params=params), TypeAdapter(model))

    async def _get_list(self, path: str, model: type[M], params: Mapping[str, QueryValue] | None = None) -> list[M]:
        return _parse(await self._request("GET", path, params=params), _list_adapter(model))

    async def _send(self, method: str, path: str, body: RequestModel | list[str] | None = None) -> None:
        await self._request(method, path, body=body)

    # --- devices -------------------------------------------------------------------------------

    async def list_smartlocks(self, *, type: int | None = None, auth_id: int | None = None) -> list[Smartlock]:
        """GET /smartlock: every device the token can see."""
        return await self._get_list("/smartlock", Smartlock, {"type": type, "authId": auth_id})

    async def get_smartlock(self, smartlock_id: int) -> Smartlock:
        """GET /smartlock/{id}: one device with config and state."""
        return await self._get(f"/smartlock/{smartlock_id}", Smartlock)

    async def sync_smartlock(self, smartlock_id: int) -> None:
        """POST /smartlock/{id}/sync: ask Nuki to re-read the device (asynchronous)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/sync")

    async def update_smartlock(self, smartlock_id: int, update: SmartlockUpdate) -> None:
        """POST /smartlock/{id}: rename the device or change its favorite flag."""
        await self._send("POST", f"/smartlock/{smartlock_id}", update)

    async def delete_smartlock(self, smartlock_id: int) -> None:
        """DELETE /smartlock/{id}: remove the device from the Nuki Web account."""
        await self._send("DELETE", f"/smartlock/{smartlock_id}")

    # --- actions -------------------------------------------------------------------------------

    async def lock(self, smartlock_id: int) -> None:
        """POST /smartlock/{id}/action/lock (204 = accepted, not yet done)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/action/lock")

    async def unlock(self, smartlock_id: int) -> None:
        """POST /smartlock/{id}/action/unlock (204 = accepted, not yet done)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/action/unlock")

    async def action(self, smartlock_id: int, action: SmartlockAction) -> None:
        """POST /smartlock/{id}/action: any action code of the device type (204 = accepted)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/action", action)

    async def action_advanced(self, smartlock_id: int, action: SmartlockAction) -> AdvancedConfirmationResponse:
        """POST /smartlock/{id}/action/advanced: the result arrives later by webhook."""
        response = await self._request("POST", f"/smartlock/{smartlock_id}/action/advanced", body=action)
        return _parse(response, TypeAdapter(AdvancedConfirmationResponse))

    async def lock_advanced(self, smartlock_id: int) -> AdvancedConfirmationResponse:
        """POST /smartlock/{id}/action/lock/advanced: the result arrives later by webhook."""
        response = await self._request("POST", f"/smartlock/{smartlock_id}/action/lock/advanced")
        return _parse(response, TypeAdapter(AdvancedConfirmationResponse))

    async def unlock_advanced(self, smartlock_id: int) -> AdvancedConfirmationResponse:
        """POST /smartlock/{id}/action/unlock/advanced: the result arrives later by webhook."""
        response = await self._request("POST", f"/smartlock/{smartlock_id}/action/unlock/advanced")
        return _parse(response, TypeAdapter(AdvancedConfirmationResponse))

    # --- configuration -------------------------------------------------------------------------

    async def update_config(self, smartlock_id: int, config: SmartlockConfigWrite) -> None:
        """POST /smartlock/{id}/config: the complete basic config."""
        await self._send("POST", f"/smartlock/{smartlock_id}/config", config)

    async def update_advanced_config(self, smartlock_id: int, config: AdvancedConfigWrite) -> None:
        """POST /smartlock/{id}/advanced/config: the complete advanced config of a smart lock."""
        await self._send("POST", f"/smartlock/{smartlock_id}/advanced/config", config)

    async def update_opener_advanced_config(self, smartlock_id: int, config: OpenerAdvancedConfigWrite) -> None:
        """POST /smartlock/{id}/advanced/openerconfig: the complete advanced config of an Opener."""
        await self._send("POST", f"/smartlock/{smartlock_id}/advanced/openerconfig", config)

    async def update_smartdoor_advanced_config(self, smartlock_id: int, config: SmartdoorAdvancedConfigWrite) -> None:
        """POST /smartlock/{id}/advanced/smartdoorconfig: the complete advanced config of a Smart Door."""
        await self._send("POST", f"/smartlock/{smartlock_id}/advanced/smartdoorconfig", config)

    async def update_web_config(self, smartlock_id: int, config: WebConfigWrite) -> None:
        """POST /smartlock/{id}/web/config: server-side settings (battery warning mails)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/web/config", config)

    async def bulk_web_config(self, request: BulkWebConfigRequest) -> None:
        """POST /bulk-web-config: web config of several devices at once."""
        await self._send("POST", "/bulk-web-config", request)

    async def update_admin_pin(self, smartlock_id: int, update: SmartlockAdminPinUpdate) -> None:
        """POST /smartlock/{id}/admin/pin: set the device's admin PIN."""
        await self._send("POST", f"/smartlock/{smartlock_id}/admin/pin", update)

    # --- authorizations ------------------------------------------------------------------------

    async def list_account_auths(
        self, *, account_user_id: int | None = None, types: list[int] | None = None
    ) -> list[SmartlockAuth]:
        """GET /smartlock/auth: authorizations on every device of the account."""
        params: dict[str, QueryValue] = {"accountUserId": account_user_id, "types": _csv(types)}
        return await self._get_list("/smartlock/auth", SmartlockAuth, params)

    async def list_auths(self, smartlock_id: int, *, types: list[int] | None = None) -> list[SmartlockAuth]:
        """GET /smartlock/{id}/auth: authorizations of one device."""
        return await self._get_list(f"/smartlock/{smartlock_id}/auth", SmartlockAuth, {"types": _csv(types)})

    async def get_auth(self, smartlock_id: int, auth_id: str) -> SmartlockAuth:
        """GET /smartlock/{id}/auth/{authId}: one authorization by its 24-hex id."""
        return await self._get(f"/smartlock/{smartlock_id}/auth/{auth_id}", SmartlockAuth)

    async def create_auth(self, smartlock_id: int, auth: SmartlockAuthCreate) -> None:
        """PUT /smartlock/{id}/auth: create an authorization (204 without the new id)."""
        await self._send("PUT", f"/smartlock/{smartlock_id}/auth", auth)

    async def update_auth(self, smartlock_id: int, auth_id: str, update: SmartlockAuthUpdate) -> None:
        """POST /smartlock/{id}/auth/{authId}: replace an authorization's settings (send all fields)."""
        await self._send("POST", f"/smartlock/{smartlock_id}/auth/{auth_id}", update)

    async def delete_auth(self, smartlock_id: int, auth_id: str) -> None:
        """DELETE /smartlock/{id}/auth/{authId}: remove an authorization (asynchronous)."""
        await self._send("DELETE", f"/smartlock/{smartlock_id}/auth/{auth_id}")

    async def create_auth_advanced(self, auth: SmartlocksAuthAdvancedCreate) -> AdvancedConfirmationResponse:
        """PUT /smartlock/auth/advanced: create an app authorization on several devices (webhook result)."""
        response = await self._request("PUT", "/smartlock/auth/advanced", body=auth)
        return _parse(response, TypeAdapter(AdvancedConfirmationResponse))

    # --- logs ----------------------------------------------------------------------------------

    async def list_account_logs(
        self,
        *,
        account_user_id: int | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        action: int | None = None,
        before_id: str | None = None,
        limit: int = 20,
    ) -> list[SmartlockLog]:
        """GET /smartlock/log: activity of every device, newest first; `before_id` pages back."""
        params: dict[str, QueryValue] = {
            "accountUserId": account_user_id,
            "fromDate": _rfc3339(from_date),
            "toDate": _rfc3339(to_date),
            "action": action,
            "id": before_id,
            "limit": min(limit, MAX_LOG_PAGE),
        }
        return await self._get_list("/smartlock/log", SmartlockLog, params)

    async def list_smartlock_logs(
        self,
        smartlock_id: int,
        *,
        auth_id: str | None = None,
        account_user_id: int | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        action: int | None = None,
        before_id: str | None = None,
        limit: int = 20,
    ) -> list[SmartlockLog]:
        """GET /smartlock/{id}/log: activity of one device, newest first; `before_id` pages back."""
        params: dict[str, QueryValue] = {
            "authId": auth_id,
            "accountUserId": account_user_id,
            "fromDate": _rfc3339(from_date),
            "toDate": _rfc3339(to_date),
            "action": action,
            "id": before_id,
            "limit": min(limit, MAX_LOG_PAGE),
        }
        return await self._get_list(f"/smartlock/{smartlock_id}/log", SmartlockLog, params)

    # --- webhooks ------------------------------------------------------------------------------

    async def list_decentral_webhooks(self) -> list[DecentralWebhook]:
        """GET /api/decentralWebhook: the registered decentral webhooks."""
        return await self._get_list("/api/decentralWebhook", DecentralWebhook)

    async def create_decentral_webhook(self, webhook: DecentralWebhookCreate) -> DecentralWebhook:
        """PUT /api/decentralWebhook: register a webhook; the answer carries its id and signing secret."""
        response = await self._request("PUT", "/api/decentralWebhook", body=webhook)
        return _parse(response, TypeAdapter(DecentralWebhook))

    async def delete_decentral_webhook(self, webhook_id: int) -> None:
        """DELETE /api/decentralWebhook/{id}: unregister a webhook."""
        await self._send("DELETE", f"/api/decentralWebhook/{webhook_id}")

    async def get_webhook_logs(
        self, api_key_id: int, *, before_id: str | None = None, limit: int = 50
    ) -> list[WebhookLog]:
        """GET /api/key/{apiKeyId}/webhook/logs: recent webhook deliveries, newest first."""
        params: dict[str, QueryValue] = {"id": before_id, "limit": min(limit, 100)}
        return await self._get_list(f"/api/key/{api_key_id}/webhook/logs", WebhookLog, params)

    # --- account -------------------------------------------------------------------------------

    async def get_account(self) -> MyAccount:
        """GET /account: the account that owns the token."""
        return await self._get("/account", MyAccount)

    async def list_account_users(
        self, *, email: str | None = None, offset: int | None = None, limit: int | None = None
    ) -> list[AccountUser]:
        """GET /account/user: people and companies that can receive app authorizations."""
        params: dict[str, QueryValue] = {"email": email, "offset": offset, "limit": limit}
        return await self._get_list("/account/user", AccountUser, params)

    # --- addresses, reservations and partner services ----------------------------------------

    async def list_addresses(self) -> list[Address]:
        """GET /address: the addresses (rental objects grouping devices)."""
        return await self._get_list("/address", Address)

    async def create_address(self, address: AddressCreate) -> Address:
        """PUT /address: create an address; the answer is the new address."""
        response = await self._request("PUT", "/address", body=address)
        return _parse(response, TypeAdapter(Address))

    async def update_address(self, address_id: int, update: AddressUpdate) -> None:
        """POST /address/{addressId}: change an address's name or devices (204)."""
        await self._send("POST", f"/address/{address_id}", update)

    async def delete_address(self, address_id: int) -> None:
        """DELETE /address/{addressId}: delete an address (204)."""
        await self._send("DELETE", f"/address/{address_id}")

    async def list_address_units(self, address_id: int) -> list[AddressUnit]:
        """GET /address/{addressId}/unit: the units (e.g. apartments) of an address."""
        return await self._get_list(f"/address/{address_id}/unit", AddressUnit)

    async def create_address_unit(self, address_id: int, unit: AddressUnitCreate) -> AddressUnit:
        """PUT /address/{addressId}/unit: create a unit; the answer is the new unit."""
        response = await self._request("PUT", f"/address/{address_id}/unit", body=unit)
        return _parse(response, TypeAdapter(AddressUnit))

    async def delete_address_units(self, address_id: int, unit_ids: list[str]) -> AdvancedConfirmationResponse:
        """DELETE /address/{addressId}/unit: delete units asynchronously (423 while one is locked)."""
        response = await self._request("DELETE", f"/address/{address_id}/unit", body=unit_ids)
        return _parse(response, TypeAdapter(AdvancedConfirmationResponse))

    async def list_reservations(self, address_id: int) -> list[AddressReservation]:
        """GET /address/{addressId}/reservation: the bookings a linked service imported."""
        return await self._get_list(f"/address/{address_id}/reservation", AddressReservation)

    async def issue_reservation_access(self, address_id: int, reservation_id: str) -> None:
        """POST /address/{addressId}/reservation/{id}/issue: issue the guests' authorizations now."""
        await self._send("POST", f"/address/{address_id}/reservation/{reservation_id}/issue")

    async def revoke_reservation_access(self, address_id: int, reservation_id: str) -> None:
        """POST /address/{addressId}/reservation/{id}/revoke: revoke the guests' authorizations."""
        await self._send("POST", f"/address/{address_id}/reservation/{reservation_id}/revoke")

    async def update_reservation_access_times(
        self, address_id: int, reservation_id: str, times: ReservationAccessTimesUpdate
    ) -> None:
        """POST /address/{addressId}/reservation/{id}/update/accesstimes: custom check-in/out minutes."""
        path = f"/address/{address_id}/reservation/{reservation_id}/update/accesstimes"
        await self._send("POST", path, times)

    async def list_address_tokens(self, address_id: int) -> list[AddressToken]:
        """GET /address/{addressId}/token: the invitation tokens of an address."""
        return await self._get_list(f"/address/{address_id}/token", AddressToken)

    async def list_services(self) -> list[PartnerService]:
        """GET /service: the partner services (airbnb, ...) and whether they are linked."""
        return await self._get_list("/service", PartnerService)

    async def sync_service(self, service_id: str) -> None:
        """POST /service/{serviceId}/sync: import the linked service's reservations now (204)."""
        await self._send("POST", f"/service/{service_id}/sync")

    # --- notifications -------------------------------------------------------------------------

    async def list_notifications(self) -> list[Notification]:
        """GET /notification: the push and webhook notifications of the account."""
        return await self._get_list("/notification", Notification)

    async def get_notification(self, notification_id: str) -> Notification:
        """GET /notification/{notificationId}: one notification."""
        return await self._get(f"/notification/{notification_id}", Notification)

    async def create_notification(self, notification: NotificationWrite) -> Notification:
        """PUT /notification: create a notification; the answer is the new notification."""
        response = await self._request("PUT", "/notification", body=notification)
        return _parse(response, TypeAdapter(Notification))

    async def update_notification(self, notification_id: str, notification: NotificationWrite) -> Notification:
        """POST /notification/{notificationId}: replace a notification; the answer is the result."""
        response = await self._request("POST", f"/notification/{notification_id}", body=notification)
        return _parse(response, TypeAdapter(Notification))

    async def delete_notification(self, notification_id: str) -> None:
        """DELETE /notification/{notificationId}: delete a notification (204)."""
        await self._send("DELETE", f"/notification/{notification_id}")

    # --- account users, integrations, sub-accounts, API keys -------------------------------------

    async def get_account_user(self, account_user_id: int) -> AccountUser:
        """GET /account/user/{accountUserId}: one account user."""
        return await self._get(f"/account/user/{account_user_id}", AccountUser)

    async def create_account_user(self, user: AccountUserCreate) -> AccountUser:
        """PUT /account/user: create an account user (200 with the new account user)."""
        response = await self._request("PUT", "/account/user", body=user)
        return _parse(response, TypeAdapter(AccountUser))

    async def update_account_user(self, account_user_id: int, update: AccountUserUpdate) -> AccountUser | None:
        """POST /account/user/{accountUserId}: change e-mail, name or language (200 with it, or 204)."""
        response = await self._request("POST", f"/account/user/{account_user_id}", body=update)
        if response.status_code == 204 or not response.content:
            return None
        return _parse(response, TypeAdapter(AccountUser))

    async def delete_account_user(self, account_user_id: int) -> None:
        """DELETE /account/user/{accountUserId}: delete an account user (asynchronous; 423 while locked)."""
        await self._send("DELETE", f"/account/user/{account_user_id}")

    async def list_account_integrations(self) -> list[AccountIntegration]:
        """GET /account/integration: apps, devices and API tokens with access to the account."""
        return await self._get_list("/account/integration", AccountIntegration)

    async def revoke_account_integration(self, *, api_key_id: int | None = None, token_id: int | None = None) -> None:
        """DELETE /account/integration: revoke a whole integration (apiKeyId) or one token (tokenId)."""
        await self._request("DELETE", "/account/integration", params={"apiKeyId": api_key_id, "tokenId": token_id})

    async def list_sub_accounts(self, *, email: str | None = None) -> list[SubAccount]:
        """GET /account/sub: the sub-accounts (the spec says one object; Nuki answers with a list)."""
        response = await self._request("GET", "/account/sub", params={"email": email})
        found = _parse(response, TypeAdapter(list[SubAccount] | SubAccount))
        return found if isinstance(found, list) else [found]

    async def list_api_keys(self) -> list[ApiKey]:
        """GET /api/key: the account's API keys (OAuth client registrations)."""
        return await self._get_list("/api/key", ApiKey)

    # --- Opener intercom database ----------------------------------------------------------------

    async def list_intercom_brands(self) -> list[OpenerIntercomBrand]:
        """GET /opener/brand: the intercom brands Nuki knows."""
        return await self._get_list("/opener/brand", OpenerIntercomBrand)

    async def list_intercom_models(self, brand_id: int) -> list[OpenerIntercomModel]:
        """GET /opener/intercom: the intercom models of one brand, with their wiring."""
        return await self._get_list("/opener/intercom", OpenerIntercomModel, {"brandId": brand_id})


# --- helpers -----------------------------------------------------------------------------------

REDACTED: Final = "[redacted]"
# A bearer credential anywhere in a body: "Bearer <token>", as a server echoing the request headers writes it.
_BEARER = re.compile(rb"(?i)\b(bearer)(\s+|%20|\+)[A-Za-z0-9._~+/=-]{8,}")


class SecretRedactor:
    """Removes the API token from what Nuki says, before any of it reaches a result, error or log line.

    Every answer passes through here once, in the one request path: an error body that echoes the
    request's `Authorization` header (a misconfigured proxy, a verbose error page) would otherwise
    show the token to the agent in Nuki's own words. The token itself is replaced in every body; any
    other `Bearer …` credential only in error bodies, where echoed headers turn up (scanning every
    large log page for the pattern would cost more than the rest of a request's own work).
    """

    def __init__(self, token: str) -> None:
        spellings = {token, json.dumps(token)[1:-1]} if len(token) >= 4 else set[str]()
        self._secrets = sorted((s.encode() for s in spellings if s), key=len, reverse=True)

    def text(self, content: bytes, *, error: bool) -> bytes:
        for secret in self._secrets:
            content = content.replace(secret, _REDACTED)
        return _BEARER.sub(rb"\1 " + _REDACTED, content) if error else content

    def response(self, response: httpx2.Response) -> httpx2.Response:
        """`response` itself when it holds no secret, else a copy whose body has every secret replaced."""
        content = response.content
        redacted = self.text(content, error=not response.is_success)
        if redacted == content:
            return response
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS]
        return httpx2.Response(response.status_code, headers=headers, content=redacted, request=response.request)


_REDACTED: Final = REDACTED.encode()
# The body is replaced by decoded bytes of another length: these would describe the old one.
_BODY_HEADERS: Final = frozenset({"content-length", "content-encoding", "transfer-encoding"})


T = TypeVar("T")


def _ambiguous(
    kind: type[NukiTimeoutError] | type[NukiConnectionError], problem: str, hint: str, is_read: bool
) -> _Attempt:
    """A failure after the request may have left: reads retry, writes must not be sent again."""
    if is_read:
        suffix = f", {hint}" if hint else ""
        return _Attempt(kind(f"{problem}; try again in a moment{suffix}."), retryable=True)
    message = (
        f"{problem}, so the change may or may not have been applied and was not sent again; "
        "read the current state before deciding whether to repeat it."
    )
    return _Attempt(kind(message, outcome_unknown=True), retryable=False)


_LIST_ADAPTERS: dict[type[BaseModel], object] = {}


def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    """`TypeAdapter(list[model])`, built once per model: building one costs more than parsing a response."""
    cached = _LIST_ADAPTERS.get(model)
    if cached is not None:
        return cast("TypeAdapter[list[M]]", cached)
    adapter: TypeAdapter[list[M]] = TypeAdapter(list[model])  # pyright: ignore[reportInvalidTypeForm]
    _LIST_ADAPTERS[model] = adapter
    return adapter


def _parse(response: httpx2.Response, adapter: TypeAdapter[T]) -> T:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        method, path = response.request.method, response.request.url.path
        if method == "GET":
            raise NukiResponseError(
                f"Nuki answered {method} {path} with data this client cannot read ({exc.error_count()} "
                "problem(s)); check that NUKI_API_URL is the Nuki Web API."
            ) from None
        # The write was accepted (2xx); only its answer is unreadable, so repeating it could apply it twice.
        raise NukiResponseError(
            f"Nuki accepted {method} {path} but answered with data this client cannot read, so the change "
            "was probably applied and was not sent again; read the current state before repeating it.",
            outcome_unknown=True,
        ) from None


def _csv(values: list[int] | None) -> str | None:
    return None if not values else ",".join(str(v) for v in values)


def _rfc3339(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _detail(response: httpx2.Response) -> str | None:
    """`detailMessage` of Nuki's JSON error body; never raw HTML or text from a gateway."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = TypeAdapter(dict[str, JsonValue]).validate_json(response.content)
    except ValidationError:
        return None
    detail = body.get("detailMessage")
    if not isinstance(detail, str) or not detail.strip():
        return None
    one_line = " ".join(detail.split())
    return one_line if len(one_line) <= 200 else one_line[:197] + "..."


def _retry_after(response: httpx2.Response, now: Callable[[], datetime]) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())


def _status_error(response: httpx2.Response, is_read: bool, now: Callable[[], datetime]) -> NukiApiError:
    status = response.status_code
    detail = _detail(response)
    said = f" (Nuki said: {detail})" if detail else ""
    if status == 400:
        return NukiBadRequestError(
            f"Nuki rejected a value in the request{said}; correct the arguments and try again.",
            status=status,
            detail=detail,
        )
    if status == 401:
        return NukiAuthError(
            "Nuki rejected the API token (401): it is invalid, revoked, or lacks the scope this call "
            "needs; create a token with the required scopes in Nuki Web (menu API) and set NUKI_API_TOKEN.",
            status=status,
            detail=detail,
        )
    if status == 403:
        return NukiForbiddenError(
            f"Nuki refused access (403){said}; make sure the object belongs to the token's account "
            "and the token has the needed scope.",
            status=status,
            detail=detail,
        )
    if status == 404:
        return NukiNotFoundError(
            f"Nuki has no such object (404){said}; list the devices or authorizations to get a valid id.",
            status=status,
            detail=detail,
        )
    if status == 405:
        return NukiNotAllowedError(
            f"Nuki does not allow this request for this device (405){said}; "
            "check that the action fits the device type.",
            status=status,
            detail=detail,
        )
    if status == 409:
        return NukiConflictError(
            f"Nuki refused the change because it conflicts with existing data (409){said}; "
            "for a keypad code, choose a code that is not already used on this device.",
            status=status,
            detail=detail,
        )
    if status == 423:
        return NukiLockedError(
            f"Another operation on this object is still pending at Nuki (423){said}; "
            "wait a few seconds, then try again.",
            status=status,
            detail=detail,
        )
    if status in (402, 426):
        return NukiUpgradeRequiredError(
            f"This feature needs a different Nuki subscription ({status}){said}; check the account's plan in Nuki Web.",
            status=status,
            detail=detail,
        )
    if status == 429:
        retry_after = _retry_after(response, now)
        wait = f"wait {retry_after:g} s" if retry_after is not None else "wait a minute"
        return NukiRateLimitedError(
            f"Nuki is limiting the request rate (429){said}; {wait}, then try again.",
            status=status,
            detail=detail,
            retry_after=retry_after,
        )
    if status >= 500:
        if is_read:
            message = f"Nuki's servers failed to answer ({status}){said}; try again in a minute."
        else:
            message = (
                f"Nuki's servers failed ({status}){said} after the request was sent, so it may or may not "
                "have been applied; read the current state before trying again."
            )
        return NukiServerError(message, status=status, detail=detail, outcome_unknown=not is_read)
    return NukiApiError(
        f"Nuki answered with an unexpected status {status}{said}; try again later.",
        status=status,
        detail=detail,
    )
