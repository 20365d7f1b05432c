"""Every answer the sandbox sends, checked against `contract.yaml` as it leaves.

An ASGI middleware, switched on in tests (`SandboxConfig.validate_contract`,
`session-gateway sandbox --validate-contract`): for each request on a
contract path it checks that the status is one the contract documents for
that operation, and validates every JSON body the contract gives a schema
for, formats included (`uri`, `date`, `time`, `email`). What the sandbox
sends beyond the contract on purpose is named once, in `DEVIATIONS`, with its
reason; anything else is a violation, kept until a test reads it from
`GET /__sandbox__/contract` (which also empties the list, so a violation
fails the test that caused it and no other).

Answers that tests inject (`fail_next`, marked `x-sandbox-injected`) are not
the sandbox's own and are not checked. Needs `jsonschema` (a dev
dependency): it is imported only when validation is switched on.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
import yaml
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTRACT_PATH",
    "DEVIATIONS",
    "INJECTED_HEADER",
    "ContractValidation",
    "Deviation",
    "body_violations",
]

CONTRACT_PATH: Final = Path(__file__).with_name("contract.yaml")
INJECTED_HEADER: Final = "x-sandbox-injected"
REPORT_PATH: Final = "/__sandbox__/contract"

_NUMBER: Final[dict[str, Any]] = {"type": "number"}
_NUMBERS: Final[dict[str, Any]] = {"type": "array", "items": _NUMBER}
_NUMBER_OR_NUMBERS: Final[dict[str, Any]] = {"anyOf": [_NUMBER, _NUMBERS]}
_STATS: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["avg", "min", "max"],
    "properties": {"avg": _NUMBER, "min": _NUMBER, "max": _NUMBER},
    "additionalProperties": False,
}
_DMY_DATE: Final[dict[str, Any]] = {
    "type": "string",
    "pattern": r"^(0[1-9]|[12]\d|3[01])/(0[1-9]|1[0-2])/\d{4}$",
}
_NULLABLE_STRING: Final[dict[str, Any]] = {"type": ["string", "null"]}


@dataclass(frozen=True, slots=True)
class Deviation:
    """Something the sandbox sends that the contract does not say, on purpose.

    With `path`, the schema of the 200 body's property at `path` (property
    names from the root) is replaced by `schema`; with `status`, that status
    is allowed although the operation does not document it. `operation` is
    `METHOD /template`, or `*` for every operation.
    """

    operation: str
    why: str
    path: tuple[str, ...] = ()
    schema: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    # With `path`: the property may also be absent.
    optional: bool = False


def _activities(template: str) -> list[str]:
    return [template.format(a) for a in ("jumping", "running", "weightlifting")]


DEVIATIONS: Final[tuple[Deviation, ...]] = (
    # --- statuses -------------------------------------------------------------
    Deviation(
        "GET /session-management/sessions/{session_id}/analyzed-video/",
        "a video whose processing failed: the contract has no way to say so, a real upstream"
        " answers 422 VIDEO_PROCESSING_FAILED (the gateway reads FAILED from it, and reads"
        " PROCESSING when an upstream never sends it: tests/e2e/test_contract_deviations.py)",
        status=422,
    ),
    Deviation(
        "POST /session-management/sessions/{session_id}/analyzed-video/",
        "as for GET: 422 VIDEO_PROCESSING_FAILED when processing failed",
        status=422,
    ),
    Deviation(
        "*",
        "a method the upstream does not serve on a path answers 405 (DESIGN.md), which the"
        " gateway's lift-analysis fallback relies on",
        status=405,
    ),
    # --- bodies ---------------------------------------------------------------
    Deviation(
        "GET /session-management/sessions/{session_id}/analyzed-video/",
        "while processing the URL is empty (DESIGN.md; null in flavor nulls); `format: uri`"
        " allows no empty string",
        path=("analyzed_video_url",),
        schema={"anyOf": [{"type": "string", "format": "uri"}, {"enum": ["", None]}]},
    ),
    *(
        Deviation(
            op,
            "while processing the details' URL is empty, null or absent (DESIGN.md; flavors"
            " strict, nulls, absent)",
            path=("analyzed_video_url",),
            schema={"anyOf": [{"type": "string", "format": "uri"}, {"enum": ["", None]}]},
            optional=True,
        )
        for op in (
            "GET /jumping/sessions/{session_id}/",
            "GET /jumping/sessions/{session_id}/export/",
            "GET /running/sessions/{session_id}/",
            "GET /weightlifting/sessions/{session_id}/",
        )
    ),
    Deviation(
        "POST /session-management/sessions/{session_id}/analyzed-video/",
        "processing just started: the URL is empty, as for GET (null in flavor nulls)",
        path=("analyzed_video_url",),
        schema={"enum": ["", None]},
    ),
    *(
        Deviation(
            op,
            "schema: numbers; the contract's running examples: per-segment arrays",
            path=("metrics",),
            schema={"type": "object", "additionalProperties": _NUMBER_OR_NUMBERS},
        )
        for op in (
            "GET /running/sessions/{session_id}/",
            "GET /running/sessions/{session_id}/export/",
            "GET /running/sessions/{session_id}/metrics/",
        )
    ),
    Deviation(
        "GET /running/sessions/{session_id}/",
        "schema: numbers; the running details example: per-segment arrays",
        path=("angles",),
        schema={"type": "object", "additionalProperties": _NUMBER_OR_NUMBERS},
    ),
    Deviation(
        "GET /running/sessions/{session_id}/",
        "schema: numbers; the running details example: {avg, min, max} objects",
        path=("calculated_metrics",),
        schema={"type": "object", "additionalProperties": {"anyOf": [_NUMBER, _STATS]}},
    ),
    *(
        Deviation(
            op,
            "schema: numbers; the weightlifting examples send max_power as a numeric string",
            path=("metrics",),
            schema={
                "type": "object",
                "additionalProperties": _NUMBER,
                "properties": {
                    "max_power": {"type": "string", "pattern": r"^-?\d+\.\d+(E-?\d+)?$"}
                },
                "required": ["max_power"],
            },
        )
        for op in (
            "GET /weightlifting/sessions/{session_id}/",
            "GET /weightlifting/sessions/{session_id}/export/",
        )
    ),
    Deviation(
        "GET /jumping/sessions/{session_id}/export/",
        "the schema lists a key literally named 'etc' (meaning 'and the others') as required",
        path=("keypoints",),
        schema={"type": "object", "additionalProperties": _NUMBERS},
    ),
    *(
        Deviation(
            "GET /session-management/sessions/filter/",
            "the prose: 'string or null' (null on an empty page)",
            path=(name,),
            schema=_NULLABLE_STRING,
        )
        for name in ("first_doc_id", "last_doc_id")
    ),
    # --- flavors (gateway.sandbox.flavors): other readings of the contract ------
    Deviation(
        "*",
        "flavor strict (the default): a body without its media type is refused with 415, as"
        " Django REST Framework, which the API's trailing-slash style suggests, answers",
        status=415,
    ),
    *(
        Deviation(
            op,
            "flavor accepted: 202 while the video is processing (the contract's POST prose:"
            " generation 'started')",
            status=202,
        )
        for op in (
            "GET /session-management/sessions/{session_id}/analyzed-video/",
            "POST /session-management/sessions/{session_id}/analyzed-video/",
        )
    ),
    *(
        Deviation(
            op,
            "flavor dmy: DD/MM/YYYY everywhere, as the contract's other activities send it",
            path=("created_at", "date"),
            schema={"anyOf": [{"type": "string", "format": "date"}, _DMY_DATE]},
        )
        for op in (
            "GET /jumping/sessions/{session_id}/",
            "GET /jumping/sessions/{session_id}/export/",
            "GET /jumping/sessions/{session_id}/summary/",
        )
    ),
)


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


# --- the contract as JSON Schema ---------------------------------------------


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4): `nullable` becomes a null branch."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k not in ("example", "nullable")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def _contract() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    return loaded


def _relax(schema: dict[str, Any], operation: str) -> dict[str, Any]:
    for deviation in DEVIATIONS:
        if deviation.operation != operation or not deviation.path:
            continue
        node = schema
        for name in deviation.path[:-1]:
            node = node["properties"][name]
        # A deviation names a property the contract has: a typo would relax nothing.
        assert deviation.path[-1] in node["properties"], (operation, deviation.path)
        node["properties"][deviation.path[-1]] = deviation.schema
        if deviation.optional and deviation.path[-1] in node.get("required", ()):
            node["required"] = [n for n in node["required"] if n != deviation.path[-1]]
    return schema


@functools.cache
def _validator(operation: str, status: int) -> Any:
    """A validator for the body of `operation` answering `status`, or None (no JSON schema)."""
    import jsonschema  # type: ignore[import-untyped]

    method, template = operation.split(" ", 1)
    answer = _contract()["paths"][template][method.lower()]["responses"].get(str(status), {})
    raw = answer.get("content", {}).get("application/json", {}).get("schema")
    if raw is None:
        return None
    schema = _to_json_schema(raw)
    if 200 <= status < 300:
        schema = _relax(schema, operation)
    checker = jsonschema.FormatChecker(formats=())
    for name, check in _FORMATS.items():
        checker.checks(name)(check)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def _documented(operation: str) -> frozenset[int]:
    method, template = operation.split(" ", 1)
    responses = _contract()["paths"][template][method.lower()]["responses"]
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


# --- which operation a request is --------------------------------------------


@dataclass(frozen=True, slots=True)
class _Template:
    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


@functools.cache
def _templates() -> tuple[_Template, ...]:
    out = []
    for path, item in _contract()["paths"].items():
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
                    try:
                        body = orjson.loads(body_bytes)
                    except orjson.JSONDecodeError:
                        problems.append("the body is not JSON")
                    else:
                        problems += body_violations(operation, status, body)
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
