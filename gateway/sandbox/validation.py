"""Every answer the sandbox sends, checked against `contract.yaml` as it leaves.

An ASGI middleware, switched on in tests (`SandboxConfig.validate_contract`,
`session-gateway sandbox --validate-contract`): for each request on a
contract path it checks that the status is one the contract documents for
that operation, and validates every JSON body the contract gives a schema
for, formats included (`uri`, `date`, `time`, `email`). What the sandbox
sends beyond the contract on purpose is named once, with its reason, in
`gateway.upstream.contract.DEVIATIONS` (the table the gateway's live drift
check reads too); anything else is a violation, kept until a test reads it from
`GET /__sandbox__/contract` (which also empties the list, so a violation
fails the test that caused it and no other).

Answers that tests inject (`fail_next`, marked `x-sandbox-injected`) are not
the sandbox's own and are not checked. Needs `jsonschema` (a dev
dependency): it is imported only when validation is switched on.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.upstream.contract import DEVIATIONS, contract, expected_schema

__all__ = [
    "INJECTED_HEADER",
    "ContractValidation",
    "body_violations",
    "json_body_violations",
]

INJECTED_HEADER: Final = "x-sandbox-injected"
REPORT_PATH: Final = "/__sandbox__/contract"

# Statuses any operation may answer (see DEVIATIONS).
_ANY_OPERATION: Final = frozenset(
    d.status for d in DEVIATIONS if d.operation == "*" and d.status is not None
)

# --- formats -----------------------------------------------------------------

_TIME_12H: Final = re.compile(r"^(0[1-9]|1[0-2]):[0-5]\d (AM|PM)$")
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme and, for http(s), a host; no spaces. Empty is not one."""
    if not isinstance(value, str):
        return True
    if not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    if not _SCHEME.match(parts.scheme):
        return False
    return bool(parts.netloc) if parts.scheme in ("http", "https") else bool(parts.path)


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_time(value: object) -> bool:
    # The contract's own meaning: "in 'HH:MM AM/PM' format", not RFC 3339.
    return not isinstance(value, str) or bool(_TIME_12H.match(value))


def _is_date_time(value: object) -> bool:
    # "in `YYYY-MM-DD HH:MM:SS` format" (and ISO 8601's T).
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value))


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))


_FORMATS: Final = {
    "uri": _is_uri,
    "date": _is_date,
    "time": _is_time,
    "date-time": _is_date_time,
    "email": _is_email,
}


# --- the contract's schemas, as validators -----------------------------------


@functools.cache
def _validator(operation: str, status: int) -> Any:
    """A validator for the body of `operation` answering `status`, or None (no JSON schema)."""
    import jsonschema  # type: ignore[import-untyped]

    schema = expected_schema(operation, status, sandbox=True)
    if schema is None:
        return None
    checker = jsonschema.FormatChecker(formats=())
    for name, check in _FORMATS.items():
        checker.checks(name)(check)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def _documented(operation: str) -> frozenset[int]:
    method, template = operation.split(" ", 1)
    responses = contract()["paths"][template][method.lower()]["responses"]
    allowed = {int(code) for code in responses}
    allowed |= {
        d.status for d in DEVIATIONS if d.status is not None and d.operation in (operation, "*")
    }
    return frozenset(allowed)


def body_violations(operation: str, status: int, body: Any) -> list[str]:
    """What is wrong with `body` as `operation`'s answer with `status`, deviations allowed."""
    validator = _validator(operation, status)
    if validator is None:
        return []
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)][:10]


# The sandbox builds its bodies from seeded generators, so the same answer comes
# again and again (the in-process tests validated 240 exports, 81 of them
# distinct), and checking a 300-frame export costs 0.2 s: each distinct body
# is checked once per process.
_VERDICTS_KEPT: Final = 4096
_verdicts: OrderedDict[tuple[str, int, bytes], list[str]] = OrderedDict()
_verdicts_lock = threading.Lock()


def json_body_violations(operation: str, status: int, raw: bytes) -> list[str]:
    """:func:`body_violations` of a JSON body as sent; the same bytes are judged once."""
    key = (operation, status, hashlib.blake2b(raw, digest_size=16).digest())
    with _verdicts_lock:
        known = _verdicts.get(key)
    if known is not None:
        return list(known)
    try:
        problems = body_violations(operation, status, orjson.loads(raw))
    except orjson.JSONDecodeError:
        problems = ["the body is not JSON"]
    with _verdicts_lock:
        _verdicts[key] = problems
        if len(_verdicts) > _VERDICTS_KEPT:
            _verdicts.popitem(last=False)
    return list(problems)


# --- which operation a request is --------------------------------------------


@dataclass(frozen=True, slots=True)
class _Template:
    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


@functools.cache
def _templates() -> tuple[_Template, ...]:
    out = []
    for path, item in contract()["paths"].items():
        regex = re.escape(path).replace(re.escape("{session_id}"), "[^/]+")
        # The contract's one slash-less path is served both ways.
        if not path.endswith("/"):
            regex += "/?"
        methods = frozenset(m.upper() for m in item if m in ("get", "post", "put", "delete"))
        out.append(_Template(path, re.compile(f"^{regex}$"), methods))
    # Literal paths first: /sessions/filter/ is not /sessions/{session_id}.
    out.sort(key=lambda t: t.path.count("{"))
    return tuple(out)


def _operation(method: str, path: str) -> tuple[str, bool] | None:
    """(`METHOD /template`, whether the contract documents the method) for a contract path."""
    for template in _templates():
        if template.pattern.match(path):
            return f"{method} {template.path}", method in template.methods
    return None


# --- the middleware ----------------------------------------------------------


@dataclass
class _Report:
    checked: int = 0
    bodies: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)

    def snapshot_and_clear(self) -> dict[str, Any]:
        out = {"checked": self.checked, "bodies": self.bodies, "violations": self.violations}
        self.violations = []
        return out


class ContractValidation:
    """The middleware; `report` counts answers checked and holds the violations."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.report = _Report()
        # Checks still running: the report waits for them (see __call__).
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._lock = threading.Lock()
        _templates()  # fail at start-up, not on the first request, if the contract is bad

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == REPORT_PATH:
            await self._idle.wait()
            await _send_json(send, self.report.snapshot_and_clear())
            return
        method: str = scope["method"]
        found = _operation(method, path) if method != "HEAD" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)
            await send(message)

        # Counted before the answer leaves, so a report asked for after it
        # waits for its verdict; checked off the event loop and after the
        # answer, so that a large body's validation never delays the caller.
        self._pending += 1
        self._idle.clear()
        try:
            await self.app(scope, receive, keep)
            if sent:
                await asyncio.to_thread(self._check, found, sent)
        finally:
            self._pending -= 1
            if not self._pending:
                self._idle.set()

    def _check(self, found: tuple[str, bool], messages: list[Message]) -> None:
        operation, documented = found
        start = messages[0]
        headers = {k.decode("latin-1").lower(): v for k, v in start.get("headers", [])}
        if INJECTED_HEADER in headers:
            return
        status = int(start["status"])
        problems: list[str] = []
        has_body = False
        if not documented:
            # A method the contract has not on this path: only the 405 deviation may answer.
            if status not in _ANY_OPERATION:
                problems.append(f"status {status} for a method the contract has not here")
        elif status not in _documented(operation):
            problems.append(f"status {status} is not documented for this operation")
        else:
            body_bytes = b"".join(m.get("body", b"") for m in _bodies(messages))
            media = headers.get("content-type", b"").decode("latin-1")
            if _validator(operation, status) is not None:
                has_body = True
                if not media.startswith("application/json"):
                    problems.append(f"content-type {media!r} where the contract has JSON")
                else:
                    problems += json_body_violations(operation, status, body_bytes)
        # Checks run in worker threads: one at a time through the report.
        with self._lock:
            self.report.checked += 1
            self.report.bodies += has_body
            if problems:
                self.report.violations.append(
                    {"operation": operation, "status": status, "problems": problems}
                )


def _bodies(messages: list[Message]) -> Iterator[Message]:
    return (m for m in messages if m["type"] == "http.response.body")


async def _send_json(send: Send, content: Any) -> None:
    body = orjson.dumps(content)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
