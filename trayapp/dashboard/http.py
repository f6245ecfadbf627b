"""Request, Response and Router: what a route module receives and returns.

Route handlers are plain functions `handler(request) -> Response`. They run on one of the server's
request threads, after the server has checked the Host header, the session cookie and (for POST)
the Origin header and the CSRF token; they never see an unauthenticated request. Bad input raises
`HttpError`, which becomes a JSON error with a sentence for a person: {"error": ..., "fix": ...}.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trayapp.i18n import _

JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
EVENT_STREAM = "text/event-stream; charset=utf-8"

# A streaming body: called with `write` (raises OSError once the client has gone) and an event
# that is set when the server shuts down. It returns when it is done, the client left or the
# server stops. Used for server-sent events and downloads.
Write = Callable[[bytes], None]
StreamBody = Callable[[Write, threading.Event], None]


class HttpError(Exception):
    """Bad input or a refused action: `status` with a plain sentence and, where there is one, the fix."""

    def __init__(self, status: int, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.fix = status, message, fix


@dataclass(frozen=True)
class Request:
    method: str  # "GET" | "POST"
    path: str  # "/api/logs", without the query string
    query: Mapping[str, str] = field(default_factory=dict)  # the first value of each parameter
    body: Mapping[str, Any] = field(default_factory=dict)  # the parsed JSON body of a POST, else {}
    params: Mapping[str, str] = field(default_factory=dict)  # filled in from the route's {name} parts

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        """An integer query parameter clamped to [low, high]; not a number is a 400."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise HttpError(400, _("{name} must be a whole number, not {value}").format(name=name, value=repr(raw[:40]))) from None
        return max(low, min(high, value))

    def flag(self, name: str) -> bool:
        return self.query.get(name, "") in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    stream: StreamBody | None = None  # when set, `body` is ignored and the response is streamed

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    @classmethod
    def error(cls, status: int, message: str, fix: str = "") -> Response:
        return cls.json({"error": message, "fix": fix}, status)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), TEXT)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Maps (method, path) to a handler. Patterns are literal paths with `{name}` parts that match
    one path segment: "/api/programs/{name}/{verb}"."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def get(self, pattern: str, handler: Handler) -> None:
        self._add("GET", pattern, handler)

    def post(self, pattern: str, handler: Handler) -> None:
        self._add("POST", pattern, handler)

    def _add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
                        for part in re.split(r"(\{[a-z_]+\})", pattern))
        self._routes.append(_Route(method, re.compile(regex + r"\Z"), handler))

    def paths(self) -> Iterable[tuple[str, str]]:
        """(method, pattern) of every route, for tests and the security checks."""
        return [(r.method, r.pattern.pattern) for r in self._routes]

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != request.method:
                allowed = True
                continue
            with_params = Request(request.method, request.path, request.query, request.body,
                                  {k: v for k, v in match.groupdict().items()})
            try:
                return route.handler(with_params)
            except HttpError as exc:
                return Response.error(exc.status, exc.message, exc.fix)
        if allowed:
            return Response.error(405, _("{method} is not allowed on {path}").format(method=request.method,
                                                                                     path=request.path))
        return Response.error(404, _("there is nothing at {path}").format(path=request.path))
