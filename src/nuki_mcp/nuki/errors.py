"""Errors raised by the Nuki client. Every message is one sentence an agent or a person can act on.

    NukiError
    ├── NukiApiError                 Nuki answered with an error status
    │   ├── NukiBadRequestError      400  a value Nuki does not accept
    │   ├── NukiAuthError            401  token invalid, revoked, or missing a scope
    │   ├── NukiForbiddenError       403  the object exists but this account may not touch it
    │   ├── NukiNotFoundError        404  no such device / authorization / webhook
    │   ├── NukiNotAllowedError      405  the device does not support this request
    │   ├── NukiConflictError        409  e.g. the keypad code is already used on the device
    │   ├── NukiLockedError          423  another operation on the object is still pending
    │   ├── NukiUpgradeRequiredError 402, 426  the account's plan does not include this feature
    │   ├── NukiRateLimitedError     429  too many requests (`retry_after` seconds, if Nuki said)
    │   └── NukiServerError          5xx  Nuki or a gateway failed
    ├── NukiTransportError           no usable answer came back
    │   ├── NukiConnectionError      could not connect, or the connection dropped
    │   └── NukiTimeoutError         Nuki did not answer in time
    └── NukiResponseError            Nuki answered 2xx with a body this client cannot read

`outcome_unknown` is True when a write may or may not have reached Nuki (a timeout, a dropped
connection or a 5xx after the request was sent). Such a write is never re-sent: the caller must
check the device state instead.
"""

from __future__ import annotations


class NukiError(Exception):
    """Base class of every error the Nuki client raises."""

    status: int | None = None

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.message


class NukiApiError(NukiError):
    """Nuki answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int, detail: str | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message, outcome_unknown=outcome_unknown)
        self.status = status
        self.detail = detail


class NukiBadRequestError(NukiApiError):
    """400: Nuki rejected a value in the request."""


class NukiAuthError(NukiApiError):
    """401: the API token is invalid, revoked, or lacks the scope this call needs."""


class NukiForbiddenError(NukiApiError):
    """403: the object exists but this account may not access it."""


class NukiNotFoundError(NukiApiError):
    """404: no such object."""


class NukiNotAllowedError(NukiApiError):
    """405: the request is not allowed for this device or state."""


class NukiConflictError(NukiApiError):
    """409: the request conflicts with existing data (e.g. a duplicate keypad code)."""


class NukiLockedError(NukiApiError):
    """423: another asynchronous operation on this object is still pending."""


class NukiUpgradeRequiredError(NukiApiError):
    """402 or 426: the account's subscription does not include this feature."""


class NukiRateLimitedError(NukiApiError):
    """429: Nuki asks the client to slow down."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        detail: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, status=status, detail=detail, outcome_unknown=outcome_unknown)
        self.retry_after = retry_after


class NukiServerError(NukiApiError):
    """5xx: Nuki or a gateway in front of it failed."""


class NukiTransportError(NukiError):
    """No usable answer came back from Nuki."""


class NukiConnectionError(NukiTransportError):
    """The connection could not be made, or it dropped before an answer arrived."""


class NukiTimeoutError(NukiTransportError):
    """Nuki did not answer within the configured timeout."""


class NukiResponseError(NukiError):
    """Nuki answered with success but a body this client cannot read."""
