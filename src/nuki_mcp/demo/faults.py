"""Fault hooks and request records: how tests make the simulated Nuki fail and see what reached it."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

from pydantic import JsonValue

FaultKind = Literal["status", "timeout", "connect", "drop", "hang"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request that reached the simulated server."""

    method: str
    path: str
    query: dict[str, str]
    body: JsonValue


@dataclass(frozen=True)
class Fault:
    """Makes the next `times` matching requests fail.

    `path` is an exact path or a pattern where `*` matches one path segment ("/smartlock/*");
    None matches any method or path. Kinds:

    - "status": answer with `status`, `body`, `content_type` and `headers`;
    - "timeout": raise `httpx2.ReadTimeout`;
    - "connect": raise `httpx2.ConnectError`; the request never reaches the server (not recorded);
    - "drop": raise `httpx2.RemoteProtocolError`, as if the connection dropped mid-answer;
    - "hang": never answer (until the caller gives up or is cancelled), after calling `on_hang`.

    `applied` says whether the server processed the request before the failure; by default it did
    for "timeout", "drop" and "hang" (the ambiguous case: the change happened, the answer was lost)
    and did not for "status" and "connect".
    """

    method: str | None = None
    path: str | None = None
    kind: FaultKind = "status"
    status: int = 503
    body: str | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    times: int = 1
    applied: bool | None = None
    on_hang: Callable[[], object] | None = None

    @property
    def server_applies(self) -> bool:
        """Whether the simulated server processes the request before this fault strikes."""
        if self.kind == "connect":
            return False
        if self.applied is not None:
            return self.applied
        return self.kind in ("timeout", "drop", "hang")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or _path_matches(self.path, path)

    @classmethod
    def html(
        cls,
        status: int = 502,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        applied: bool | None = None,
    ) -> Fault:
        """An nginx-style HTML error page, as gateways in front of Nuki send them."""
        title = f"{status} {_reason(status)}"
        page = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
        return cls(
            method=method,
            path=path,
            status=status,
            body=page,
            content_type="text/html",
            times=times,
            applied=applied,
        )

    @classmethod
    def json(
        cls,
        status: int,
        detail: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        applied: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Nuki's JSON error body with `detail` as its `detailMessage`."""
        body = jsonlib.dumps({"detailMessage": detail, "stackTrace": [], "suppressedExceptions": []})
        return cls(
            method=method,
            path=path,
            status=status,
            body=body,
            content_type="application/json",
            headers=dict(headers or {}),
            times=times,
            applied=applied,
        )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _path_matches(pattern: str, path: str) -> bool:
    expected = pattern.strip("/").split("/")
    actual = path.strip("/").split("/")
    if len(expected) != len(actual):
        return False
    return all(e in ("*", a) for e, a in zip(expected, actual, strict=True))
