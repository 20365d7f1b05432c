"""Contract drift, live: do the upstream's answers still match its contract?

A sample of the upstream's 200 bodies (``Settings.contract_sample_rate``) is
checked against the contract's schema for its route (:mod:`gateway.contract`,
known deviations included). A mismatch is counted in
``gateway_upstream_contract_violations_total{route, path}`` and logged once
per new shape; the answer itself is served as well as it can be, as always.

The check runs after the call has returned (``loop.call_soon``), not inside
the request's own chain of awaits, and it only reads the body. Its paths
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
from collections.abc import Callable
from typing import Any

from gateway.contract import expected_schema
from gateway.metrics import Metrics
from gateway.rawjson import RawNumbers
from gateway.upstream import UpstreamCall

__all__ = ["ContractDrift", "first_mismatch"]

log = logging.getLogger("gateway.contract")

# New shapes logged per process, at most: after that they are only counted.
_MAX_SHAPES = 1000

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list | RawNumbers),
}


def _type_name(value: Any) -> str:
    if isinstance(value, RawNumbers):
        return "array"
    for name in ("null", "boolean", "integer", "number", "string", "object", "array"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


def first_mismatch(value: Any, schema: dict[str, Any], path: str = "$") -> tuple[str, str] | None:
    """The first place where ``value`` breaks ``schema`` (the draft-4 subset the
    contract uses), as (path, what was wrong); ``None`` when it conforms."""
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        if not any(_TYPES[name](value) for name in names if name in _TYPES):
            return path, f"expected {'|'.join(names)}, got {_type_name(value)}"
    if "anyOf" in schema:
        if all(first_mismatch(value, branch, path) for branch in schema["anyOf"]):
            return path, f"matches none of {len(schema['anyOf'])} alternatives"
    if "enum" in schema and value not in schema["enum"]:
        return path, "not one of the documented values"
    if isinstance(value, str) and "pattern" in schema:
        if re.search(schema["pattern"], value) is None:
            return path, "does not match the documented pattern"
    if isinstance(value, dict):
        return _object_mismatch(value, schema, path)
    if "items" in schema:
        if isinstance(value, RawNumbers):
            return _raw_numbers_mismatch(value, schema["items"], path + "[]")
        if isinstance(value, list):
            items = schema["items"]
            for item in value:
                found = first_mismatch(item, items, path + "[]")
                if found is not None:
                    return found
    return None


def _object_mismatch(
    value: dict[str, Any], schema: dict[str, Any], path: str
) -> tuple[str, str] | None:
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            return f"{path}.{name}", "missing"
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        sub = properties.get(name)
        if sub is not None:
            found = first_mismatch(item, sub, f"{path}.{name}")
        elif extra is False:
            return f"{path}.*", "a property the contract does not list"
        elif isinstance(extra, dict):
            found = first_mismatch(item, extra, f"{path}.*")
        else:
            continue
        if found is not None:
            return found
    return None


def _raw_numbers_mismatch(
    value: RawNumbers, items: dict[str, Any], path: str
) -> tuple[str, str] | None:
    # Plain numbers by construction (see gateway.rawjson): only an integer
    # schema can still refuse one.
    kinds = items.get("type")
    names = kinds if isinstance(kinds, list) else [kinds]
    if "number" in names or kinds is None or "anyOf" in items:
        return None
    if "integer" in names and b"." not in value.raw:
        return None
    return path, f"expected {'|'.join(str(n) for n in names)}, got number"


class ContractDrift:
    """Checks a sample of upstream bodies; an upstream observer."""

    def __init__(self, metrics: Metrics, sample_rate: float) -> None:
        self._metrics = metrics
        self._rate = min(max(sample_rate, 0.0), 1.0)
        self._shapes: set[tuple[str, str, str]] = set()

    def observe(self, call: UpstreamCall) -> None:
        if call.status != 200 or call.body is None or self._rate == 0.0:
            return
        if self._rate < 1.0 and random.random() >= self._rate:
            return
        key = f"{call.method} {call.route}"
        schema = expected_schema(key)
        if schema is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.check(call.route, schema, call.body)
            return
        loop.call_soon(self.check, call.route, schema, call.body)

    def check(self, route: str, schema: dict[str, Any], body: Any) -> None:
        try:
            self._metrics.contract_checks.labels(route).inc()
            found = first_mismatch(body, schema)
            if found is None:
                return
            path, problem = found
            self._metrics.contract_violations.labels(route, path).inc()
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
