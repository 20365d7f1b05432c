"""Contract drift, live: do the upstream's answers still match its contract?

A sample of the upstream's 200 bodies is checked against the contract's
schema for its route, known deviations included:
:mod:`gateway.upstream.contract`, whose one table the sandbox's own contract
validation reads too. A mismatch is counted in
``gateway_upstream_contract_violations_total{route, path}`` and logged once
per new shape; the answer itself is served as well as it can be, as always.

Which bodies: the first :data:`FIRST_CHECKS` answers of each route, then at
most one per route every ``interval`` seconds (``GATEWAY_CONTRACT_CHECK_INTERVAL``),
of which ``GATEWAY_CONTRACT_SAMPLE_RATE`` is the share checked. A quiet
gateway sees a drift within the interval of its next answer; under load the
checks stay a few per route each interval, whatever the traffic (a check
costs up to 0.8 ms, for an export: bench/drift.py).

The check runs a little after the call has returned (``loop.call_later``,
:data:`CHECK_DELAY` seconds), not inside the request's own chain of awaits:
by then the operation's answer has usually been sent, so the check costs the
caller no latency (with ``call_soon`` it ran before the resolvers resumed, and
added about half a millisecond to a one-session read). It only reads the body. Its paths
are built from the schema's own property names (``$.metrics.*.avg``:
``[]`` for an array's items, ``*`` for a map's values or a property the
schema doesn't know), so a label never holds a key or a value the upstream
chose.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from gateway.upstream.client import UpstreamCall
from gateway.upstream.contract import expected_schema
from gateway.upstream.rawjson import LazyBody, RawNumbers

__all__ = ["ContractDrift", "first_mismatch"]

# The logger's name predates the module's: dashboards and alerts filter on it.
log = logging.getLogger(__name__)

# New shapes logged per process, at most: after that they are only counted.
_MAX_SHAPES = 1000
# How long after an upstream answer its check runs, and how many checks may
# wait at once (each holds its body until then).
CHECK_DELAY = 0.01
_MAX_PENDING = 256
# Answers of each route checked before the interval applies.
FIRST_CHECKS = 10

# JSON types as the Python types orjson and msgspec produce (exactly: a bool
# is not a number here, as in JSON Schema).
_PY_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "object": frozenset({dict, LazyBody}),
    "array": frozenset({list, RawNumbers}),
}
_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    LazyBody: "object",
}

Mismatch = tuple[str, str] | None
Check = Callable[[Any, str], Mismatch]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list | RawNumbers):
        return "array"
    return _NAMES.get(type(value), type(value).__name__)


def first_mismatch(value: Any, schema: dict[str, Any], path: str = "$") -> Mismatch:
    """The first place where ``value`` breaks ``schema`` (the draft-4 subset the
    contract uses), as (path, what was wrong); ``None`` when it conforms."""
    return compile_schema(schema)(value, path)


_COMPILED: dict[int, tuple[dict[str, Any], Check]] = {}


def compile_schema(schema: dict[str, Any]) -> Check:
    """``schema`` as one function, built once per schema object: a body is
    then checked without interpreting the schema again (a session's details
    hold thousands of numbers)."""
    cached = _COMPILED.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    check = _compile(schema)
    _COMPILED[id(schema)] = (schema, check)
    return check


def _compile(schema: dict[str, Any]) -> Check:
    steps: list[Check] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        allowed = frozenset().union(*(_PY_TYPES.get(n, frozenset()) for n in names))
        expected = "|".join(names)

        def check_type(value: Any, path: str) -> Mismatch:
            if type(value) in allowed:
                return None
            return path, f"expected {expected}, got {_type_name(value)}"

        steps.append(check_type)
    if "anyOf" in schema:
        branches = [_compile(b) for b in schema["anyOf"]]
        n = len(branches)

        def check_any(value: Any, path: str) -> Mismatch:
            for branch in branches:
                if branch(value, path) is None:
                    return None
            return path, f"matches none of {n} alternatives"

        steps.append(check_any)
    if "enum" in schema:
        choices = list(schema["enum"])

        def check_enum(value: Any, path: str) -> Mismatch:
            return None if value in choices else (path, "not one of the documented values")

        steps.append(check_enum)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])

        def check_pattern(value: Any, path: str) -> Mismatch:
            if isinstance(value, str) and pattern.search(value) is None:
                return path, "does not match the documented pattern"
            return None

        steps.append(check_pattern)
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        steps.append(_compile_object(schema))
    if "items" in schema:
        steps.append(_compile_items(schema["items"]))
    if len(steps) == 1:
        return steps[0]

    def check_all(value: Any, path: str) -> Mismatch:
        for step in steps:
            found = step(value, path)
            if found is not None:
                return found
        return None

    return check_all


def _compile_object(schema: dict[str, Any]) -> Check:
    properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
    required = list(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    refuse_extra = extra is False
    check_extra = _compile(extra) if isinstance(extra, dict) else None

    def check_object(value: Any, path: str) -> Mismatch:
        if type(value) is not dict and type(value) is not LazyBody:
            return None
        for name in required:
            if name not in value:
                return f"{path}.{name}", "missing"
        for name in value:
            check = properties.get(name)
            try:
                # A lazy body's member is decoded here, once, as a field
                # reading it would (its series stay bytes).
                item = value[name]
            except ValueError:
                return (f"{path}.{name}" if check is not None else f"{path}.*"), "not valid JSON"
            if check is not None:
                found = check(item, f"{path}.{name}")
            elif refuse_extra:
                return f"{path}.*", "a property the contract does not list"
            elif check_extra is not None:
                found = check_extra(item, f"{path}.*")
            else:
                continue
            if found is not None:
                return found
        return None

    return check_object


def _compile_items(items: dict[str, Any]) -> Check:
    kinds = items.get("type")
    names = kinds if isinstance(kinds, list) else [kinds]
    plain = set(items) <= {"type", "description", "format"} and kinds is not None
    allowed = frozenset().union(*(_PY_TYPES.get(str(n), frozenset()) for n in names))
    expected = "|".join(str(n) for n in names)
    check_item = _compile(items)

    def check_items(value: Any, path: str) -> Mismatch:
        item_path = path + "[]"
        if isinstance(value, RawNumbers):
            # Plain numbers by construction (see gateway.upstream.rawjson).
            raw = value.raw
            if not plain:
                return check_items(orjson.loads(raw), path)
            if float in allowed or raw.strip(b" \t\r\n[]") == b"":
                return None
            if int in allowed and b"." not in raw and b"e" not in raw.lower():
                return None
            return item_path, f"expected {expected}, got number"
        if type(value) is not list:
            return None
        if plain:
            # The common case, thousands of numbers: one pass in C.
            if set(map(type, value)) <= allowed:
                return None
        for item in value:
            found = check_item(item, item_path)
            if found is not None:
                return found
        return None

    return check_items


class DriftCounters(Protocol):
    """Where checks and mismatches are counted (gateway.metrics.Metrics)."""

    def observe_contract_check(self, route: str) -> None: ...

    def observe_contract_violation(self, route: str, path: str) -> None: ...


class ContractDrift:
    """Checks a sample of upstream bodies; an upstream observer."""

    def __init__(
        self, metrics: DriftCounters, sample_rate: float, *, interval: float = 0.0
    ) -> None:
        self._metrics = metrics
        self._rate = min(max(sample_rate, 0.0), 1.0)
        self._interval = interval
        self._shapes: set[tuple[str, str, str]] = set()
        self._pending = 0
        # Per contract route: answers checked, and when the next may be.
        self._routes: dict[str, tuple[int, float]] = {}

    def _due(self, key: str) -> bool:
        checked, next_at = self._routes.get(key, (0, 0.0))
        now = time.monotonic()
        if checked >= FIRST_CHECKS and now < next_at:
            return False
        self._routes[key] = (checked + 1, now + self._interval)
        return True

    def observe(self, call: UpstreamCall) -> None:
        if call.status != 200 or call.body is None or self._rate == 0.0:
            return
        key = f"{call.method} {call.route}"
        schema = expected_schema(key)
        if schema is None or not self._due(key):
            return
        if self._rate < 1.0 and random.random() >= self._rate:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.check(call.route, schema, call.body)
            return
        if self._pending >= _MAX_PENDING:
            return  # a burst: the sample thins rather than queueing bodies
        self._pending += 1
        loop.call_later(CHECK_DELAY, self._deferred, call.route, schema, call.body)

    def _deferred(self, route: str, schema: dict[str, Any], body: Any) -> None:
        self._pending -= 1
        self.check(route, schema, body)

    def check(self, route: str, schema: dict[str, Any], body: Any) -> None:
        try:
            self._metrics.observe_contract_check(route)
            found = first_mismatch(body, schema)
            if found is None:
                return
            path, problem = found
            self._metrics.observe_contract_violation(route, path)
            shape = (route, path, problem)
            if shape not in self._shapes and len(self._shapes) < _MAX_SHAPES:
                self._shapes.add(shape)
                log.warning(
                    "upstream answer does not match the contract: %s at %s: %s",
                    route,
                    path,
                    problem,
                    extra={"contract_route": route, "contract_path": path},
                )
        except Exception:
            # A checker bug must not become the caller's problem.
            log.exception("contract check failed")
