"""A small router for the simulated API: (method, path template) -> handler, and Nuki-shaped answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx2
from pydantic import JsonValue


class ApiError(Exception):
    """An error answer of the simulated API: status plus Nuki's `detailMessage`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class ApiRequest:
    """What a handler sees: path parameters by name, query parameters and the parsed JSON body."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: JsonValue


Handler = Callable[[ApiRequest], httpx2.Response]


def json_response(payload: JsonValue, status: int = 200) -> httpx2.Response:
    content = json.dumps(payload, separators=(",", ":")).encode()
    return httpx2.Response(status, headers={"content-type": "application/json"}, content=content)


def no_content() -> httpx2.Response:
    return httpx2.Response(204)


def error_response(status: int, detail: str, headers: Mapping[str, str] | None = None) -> httpx2.Response:
    """Nuki's Java-style error body."""
    response = json_response({"detailMessage": detail, "stackTrace": [], "suppressedExceptions": []}, status)
    response.headers.update(headers or {})
    return response


_PARAM = re.compile(r"\{(\w+)(?::(int))?\}")


def _compile(template: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        return f"(?P<{name}>\\d+)" if kind == "int" else f"(?P<{name}>[^/]+)"

    return re.compile("^" + _PARAM.sub(group, template) + "$")


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Routes by path template, e.g. `/smartlock/{smartlock_id:int}/auth/{auth_id}`.

    A path no template matches is a 404; a known path with another method is a 405.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        self._routes.append(_Route(method.upper(), _compile(template), handler))

    def dispatch(self, method: str, path: str, query: Mapping[str, str], body: JsonValue) -> httpx2.Response:
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method != method.upper():
                allowed.append(route.method)
                continue
            request = ApiRequest(method.upper(), path, match.groupdict(), query, body)
            try:
                return route.handler(request)
            except ApiError as error:
                return error_response(error.status, error.detail)
        if allowed:
            return error_response(405, "Method not allowed", {"allow": ", ".join(sorted(set(allowed)))})
        return error_response(404, "Not found")
