"""Logs: one line per event, as JSON or text, each with its request's id.

:class:`RequestIdMiddleware` gives every HTTP request and WebSocket
connection an id (the caller's ``X-Request-ID`` if it is a sane one, else a
new one), sends it back in the response's ``X-Request-ID`` header, keeps it in
a context variable that every log line of the request picks up, and writes
one access-log line when the request ends.

What is never logged: headers (the key travels in one), query strings,
bodies, variables. The access line has the method, the path, the status, the
duration and the operation's name.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "RequestIdMiddleware",
    "RequestLog",
    "configure_logging",
    "current_request",
    "sanitize_request_id",
]

# Named for what it is, not for this module: operators filter the access log
# by this name ("logger": "gateway.access" in a JSON line).
access_log = logging.getLogger("gateway.access")

_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_ID_CHARS = re.compile(r"[^A-Za-z0-9._:\-]")
_MAX_ID = 64
# Fields a log call may add with ``extra=``; nothing else reaches a JSON line.
_EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "operation_ms",
    "contract_route",
    "contract_path",
)


@dataclass
class RequestLog:
    """What the log lines of one request share; filled in as it goes."""

    request_id: str
    operation: str | None = None
    operation_seconds: float | None = None


_current: ContextVar[RequestLog | None] = ContextVar("gateway_request_log", default=None)


def current_request() -> RequestLog | None:
    return _current.get()


def sanitize_request_id(raw: str | None) -> str:
    """The caller's id, if it is one: printable, short, no separators; else a new one."""
    if raw:
        cleaned = _ID_CHARS.sub("", raw)[:_MAX_ID]
        if cleaned:
            return cleaned
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """X-Request-ID in, X-Request-ID out, and one access-log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                raw = value.decode("latin-1")
                break
        entry = RequestLog(sanitize_request_id(raw))
        header = (b"x-request-id", entry.request_id.encode())
        status = 101 if scope["type"] == "websocket" else 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.accept"):
                status = message.get("status", status)
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif message["type"] == "websocket.close" and status == 101:
                status = 403  # closed before it was accepted
            await send(message)

        # The server's own send stays reachable (inspect.unwrap): the WebSocket
        # guard aborts a connection through it (gateway.http.wsguard).
        send_with_id.__wrapped__ = send  # type: ignore[attr-defined]

        token = _current.set(entry)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            method = scope.get("method", "WS")
            path = scope.get("path", "")
            operation_ms = (
                round(entry.operation_seconds * 1000, 3)
                if entry.operation_seconds is not None
                else None
            )
            # Probes and scrapes come every few seconds: debug detail.
            level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
            access_log.log(
                level,
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "request_id": entry.request_id,
                    "operation": entry.operation,
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "operation_ms": operation_ms,
                },
            )


class _ContextFilter(logging.Filter):
    """Puts the request's id and operation on every record logged during it."""

    def filter(self, record: logging.LogRecord) -> bool:
        entry = _current.get()
        if not hasattr(record, "request_id"):
            record.request_id = entry.request_id if entry is not None else None
        if not hasattr(record, "operation"):
            record.operation = entry.operation if entry is not None else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id,
    operation, duration, and an exception's traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "operation": getattr(record, "operation", None),
        }
        for name in _EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        duration = getattr(record, "duration_ms", None)
        return f"{text} {duration}ms" if duration is not None else text


def configure_logging(level: str, log_format: str | None) -> None:
    """The root logger's one handler, on stderr, in ``log_format`` (``json`` or
    ``text``; unset: text on a terminal, JSON otherwise)."""
    fmt = log_format or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
