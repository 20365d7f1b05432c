"""The live contract check agrees with jsonschema, and names mismatches by schema paths only."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import orjson
import pytest

from gateway.metrics import Metrics
from gateway.sandbox import SandboxConfig, create_sandbox_app, seed_sessions
from gateway.upstream import drift as drift_module
from gateway.upstream.client import UpstreamCall
from gateway.upstream.contract import expected_schema
from gateway.upstream.drift import CHECK_DELAY, FIRST_CHECKS, ContractDrift, first_mismatch
from gateway.upstream.rawjson import LazyBody, RawNumbers
from tests.lazy import decode_lazy

ALICE = {"Authorization": "API-KEY alice-demo-key"}
ROUTES = {
    "Vertical Jump": ("jumping", ("", "export/")),
    "Running": ("running", ("", "export/", "metrics/")),
    "Weightlifting": ("weightlifting", ("", "export/", "lift-analysis/")),
}


async def _bodies() -> list[tuple[str, bytes]]:
    """Every GET body of one session of each activity, and the lists, as the sandbox sends them."""
    app = create_sandbox_app(SandboxConfig(export_frames=20))
    out: list[tuple[str, bytes]] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as s:
        for label, (activity, suffixes) in ROUTES.items():
            record = next(r for r in seed_sessions("alice") if r.activity == label)
            for suffix in suffixes:
                route = f"/{activity}/sessions/{{session_id}}/{suffix}"
                response = await s.get(
                    route.replace("{session_id}", record.session_id), headers=ALICE
                )
                assert response.status_code == 200, route
                out.append((f"GET {route}", response.content))
        for route in ("/session-management/sessions/", "/session-management/sessions/filter/"):
            response = await s.get(route, headers=ALICE)
            out.append((f"GET {route}", response.content))
    return out


async def test_sandbox_bodies_conform_and_agree_with_jsonschema() -> None:
    for key, raw in await _bodies():
        schema = expected_schema(key)
        assert schema is not None, key
        body = orjson.loads(raw)
        assert first_mismatch(body, schema) is None, key
        assert first_mismatch(decode_lazy(raw), schema) is None, f"{key} (lazy)"
        assert first_mismatch(LazyBody.parse(raw), schema) is None, f"{key} (LazyBody)"
        jsonschema.Draft4Validator(schema).validate(body)


async def test_mismatches_are_found_where_jsonschema_finds_them() -> None:
    key, raw = next(b for b in await _bodies() if b[0] == "GET /running/sessions/{session_id}/")
    schema = expected_schema(key)
    assert schema is not None
    body = orjson.loads(raw)
    cases: list[tuple[str, Any, str]] = [
        ("activity", 12, "$.activity"),
        ("metrics", "fast", "$.metrics"),
        ("all_timestamps", ["a"], "$.all_timestamps[]"),
    ]
    for name, value, path in cases:
        broken = copy.deepcopy(body)
        broken[name] = value
        found = first_mismatch(broken, schema)
        assert found is not None and found[0] == path, (name, found)
        assert list(jsonschema.Draft4Validator(schema).iter_errors(broken)), name
    missing = copy.deepcopy(body)
    del missing["angles"]
    assert first_mismatch(missing, schema) == ("$.angles", "missing")
    # A map's keys are the upstream's, never part of a path.
    odd = copy.deepcopy(body)
    odd["metrics"]["caller-key-looking-name"] = "x"
    found = first_mismatch(odd, schema)
    assert found is not None and found[0] == "$.metrics.*"


def test_sampling_rate_and_counts() -> None:
    metrics = Metrics()
    route = "/session-management/sessions/filter/"
    bad = UpstreamCall("GET", route, 200, 0.01, 1, {"query_count": "7", "sessions": {}})
    good = UpstreamCall("GET", route, 200, 0.01, 1, {"query_count": 7, "sessions": {}})
    for call in (bad, good, bad):
        ContractDrift(metrics, 1.0).observe(call)
    ContractDrift(metrics, 0.0).observe(bad)
    # Not 200, or a route the contract has no schema for: not checked.
    ContractDrift(metrics, 1.0).observe(UpstreamCall("GET", route, 404, 0.01, 1, None))
    ContractDrift(metrics, 1.0).observe(UpstreamCall("GET", "/elsewhere/", 200, 0.01, 1, {}))
    assert metrics.contract_checks.labels(route)._value.get() == 3
    assert metrics.contract_violations.labels(route, "$.query_count")._value.get() == 2


@pytest.mark.parametrize("rate", [0.25])
def test_a_partial_rate_checks_about_that_share(rate: float) -> None:
    metrics = Metrics()
    route = "/session-management/sessions/filter/"
    drift = ContractDrift(metrics, rate)
    for _ in range(2000):
        drift.observe(UpstreamCall("GET", route, 200, 0.01, 1, {"sessions": {}}))
    checked = metrics.contract_checks.labels(route)._value.get()
    assert 300 < checked < 700


def test_lazy_arrays_and_json_types() -> None:
    def check(value: Any, items: dict[str, Any]) -> Any:
        return first_mismatch(
            {"a": value}, {"properties": {"a": {"type": "array", "items": items}}}
        )

    assert check(RawNumbers(b"[1.5, 2]"), {"type": "number"}) is None
    assert check(RawNumbers(b"[1, 2]"), {"type": "integer"}) is None
    assert check(RawNumbers(b"[1.5]"), {"type": "integer"}) == (
        "$.a[]",
        "expected integer, got number",
    )
    assert check(RawNumbers(b"[1]"), {"type": "string"}) is not None
    assert check(RawNumbers(b"[]"), {"type": "string"}) is None
    assert check(RawNumbers(b"[1, 2]"), {"anyOf": [{"type": "number"}]}) is None
    # A boolean is no number, an integer is one, None is null only.
    assert check([True], {"type": "number"}) == ("$.a[]", "expected number, got boolean")
    assert check([1, 2.5], {"type": "number"}) is None
    assert check([None], {"type": ["number", "null"]}) is None
    assert check([None], {"type": "number"}) == ("$.a[]", "expected number, got null")


def test_a_lazy_body_is_checked_member_by_member() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    assert first_mismatch(LazyBody.parse(b'{"n": 1, "s": "x"}'), schema) is None
    assert first_mismatch(LazyBody.parse(b'{"n": "1", "s": "x"}'), schema) == (
        "$.n",
        "expected integer, got string",
    )
    # Valid JSON syntax that orjson refuses (no float holds it).
    assert first_mismatch(LazyBody.parse(b'{"n": 1e999}'), schema) == ("$.n", "not valid JSON")


async def test_in_a_loop_the_check_runs_after_the_answer_not_before() -> None:
    """Inside the event loop the check waits CHECK_DELAY, so the resolvers that
    were waiting for the answer resume (and the answer is sent) first."""
    metrics = Metrics()
    route = "/session-management/sessions/filter/"
    drift = ContractDrift(metrics, 1.0)
    seen_next: list[float] = []
    drift.observe(UpstreamCall("GET", route, 200, 0.01, 1, {"query_count": "7", "sessions": {}}))
    # What the answer's waiters do next, queued after the observation: they run
    # before the check (with call_soon, the check ran first).
    asyncio.get_running_loop().call_soon(
        lambda: seen_next.append(metrics.contract_checks.labels(route)._value.get())
    )
    await asyncio.sleep(0)
    assert seen_next == [0]
    await asyncio.sleep(CHECK_DELAY * 5)
    assert metrics.contract_checks.labels(route)._value.get() == 1
    assert metrics.contract_violations.labels(route, "$.query_count")._value.get() == 1


async def test_a_burst_thins_the_sample_instead_of_queueing_bodies() -> None:
    metrics = Metrics()
    route = "/session-management/sessions/filter/"
    drift = ContractDrift(metrics, 1.0)
    for _ in range(1000):
        drift.observe(UpstreamCall("GET", route, 200, 0.01, 1, {"sessions": {}}))
    await asyncio.sleep(CHECK_DELAY * 5)
    checked = metrics.contract_checks.labels(route)._value.get()
    assert 0 < checked < 1000
    # Once drained, the next answer is checked again.
    drift.observe(UpstreamCall("GET", route, 200, 0.01, 1, {"sessions": {}}))
    await asyncio.sleep(CHECK_DELAY * 5)
    assert metrics.contract_checks.labels(route)._value.get() == checked + 1


def test_each_route_is_checked_first_then_once_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metrics = Metrics()
    routes = ["/session-management/sessions/filter/", "/session-management/sessions/"]
    clock = [1000.0]
    monkeypatch.setattr(drift_module.time, "monotonic", lambda: clock[0])
    drift = ContractDrift(metrics, 1.0, interval=10.0)

    def burst(n: int) -> None:
        for _ in range(n):
            for route in routes:
                drift.observe(UpstreamCall("GET", route, 200, 0.01, 1, {"sessions": {}}))

    def checked() -> list[float]:
        return [metrics.contract_checks.labels(r)._value.get() for r in routes]

    burst(500)  # a busy second: the first answers of each route, then none
    assert checked() == [FIRST_CHECKS, FIRST_CHECKS]
    clock[0] += 9.9
    burst(100)
    assert checked() == [FIRST_CHECKS, FIRST_CHECKS]
    clock[0] += 0.2  # an interval after the last check: one more each
    burst(100)
    assert checked() == [FIRST_CHECKS + 1, FIRST_CHECKS + 1]
    clock[0] += 3600  # a quiet hour, then one answer: checked at once
    burst(1)
    assert checked() == [FIRST_CHECKS + 2, FIRST_CHECKS + 2]
