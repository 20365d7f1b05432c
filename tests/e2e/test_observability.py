"""What an operator sees: /metrics, logs with request ids, contract drift, a graceful drain."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.sandbox import DEMO_KEYS
from tests.conftest import ALICE, global_id, seeded, start_gateway
from tests.servers import HTTP, SSL_CONTEXT, SandboxControl, ServerProcess, all_ready
from tests.waiting import wait_for
from tests.wsclient import collect, ws_client

KEY = DEMO_KEYS["alice"]
PAGE = "query SessionPage { sessions(first: 5) { totalCount edges { node { title } } } }"


# The tests that count from a gateway of their own.
OWN_GATEWAYS = (
    "test_metrics_parse_with_the_prometheus_parser",
    "test_request_ids_and_json_logs_never_hold_the_key",
    "test_contract_drift_is_counted_and_the_answer_still_served",
)


@pytest.fixture(scope="module")
def own_gateways(
    sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[dict[str, ServerProcess]]:
    """A gateway for each of those tests, logging JSON at debug level to its own
    file; started together, each serves its one test and no other."""
    gateways = {
        name: start_gateway(
            sandbox_server.url,
            logs_dir / f"gateway-{name}.log",
            env={"GATEWAY_LOG_FORMAT": "json"},
            wait=False,
        )
        for name in OWN_GATEWAYS
    }
    all_ready(*gateways.values())
    yield gateways
    for gateway in gateways.values():
        gateway.stop()


@pytest.fixture
def own_gateway(
    own_gateways: dict[str, ServerProcess], request: pytest.FixtureRequest
) -> ServerProcess:
    """The gateway of this test's own (see OWN_GATEWAYS)."""
    return own_gateways[request.node.name]


def _post(server: ServerProcess, query: str, key: str | None = ALICE, **kw: Any) -> httpx.Response:
    headers = {"Authorization": key} if key else {}
    headers.update(kw.pop("headers", {}))
    return HTTP.post(
        f"{server.url}/graphql", json={"query": query, **kw}, headers=headers, timeout=30
    )


def _json_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _samples(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


async def test_metrics_parse_with_the_prometheus_parser(
    own_gateway: ServerProcess, sandbox: SandboxControl
) -> None:
    assert "errors" not in _post(own_gateway, PAGE).json()
    assert _post(own_gateway, "{ sessions { totalCount } }", key="API-KEY nope").json()["errors"]
    assert _post(own_gateway, "{ nosuchfield }").json()["errors"]
    # More failures than any retry policy tries: the page fails, retried.
    sandbox.configure(fail_next={"status": 503, "count": 20, "path_contains": "/filter/"})
    assert _post(own_gateway, PAGE).json()["errors"]
    sandbox.configure(fail_next=None)
    session = seeded("alice", "Vertical Jump", "ready")[0]
    async with ws_client(own_gateway.url, ALICE) as ws:
        events = await collect(
            ws.subscribe(
                "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }",
                {"id": global_id(session)},
            )
        )
    assert events[-1]["analyzedVideo"]["status"] == "READY"

    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=own_gateway.url) as http:
        families = _samples((await http.get("/metrics")).text)
    kinds = {name: f.type for name, f in families.items()}
    assert kinds["gateway_operations"] == "counter"
    assert kinds["gateway_operation_seconds"] == "histogram"
    assert kinds["gateway_upstream_requests"] == "counter"
    assert kinds["gateway_upstream_request_seconds"] == "histogram"
    assert kinds["gateway_upstream_retries"] == "counter"
    assert kinds["gateway_errors"] == "counter"
    assert kinds["gateway_readiness_watchers"] == "gauge"
    assert kinds["gateway_subscriptions_active"] == "gauge"
    assert kinds["gateway_upstream_contract_violations"] == "counter"

    def value(family: str, sample: str, **labels: str) -> float:
        return sum(
            s.value
            for s in families[family].samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert value("gateway_operations", "gateway_operations_total", operation="sessions") >= 2
    assert value("gateway_operations", "gateway_operations_total", outcome="error") >= 2
    assert value("gateway_operations", "gateway_operations_total", operation="invalid") == 1
    assert (
        value(
            "gateway_subscriptions",
            "gateway_subscriptions_total",
            operation="analyzedVideo",
            outcome="ok",
        )
        == 1
    )
    assert (
        value(
            "gateway_subscriptions_active",
            "gateway_subscriptions_active",
            operation="analyzedVideo",
        )
        == 0
    )
    route = "/session-management/sessions/filter/"
    failed = [
        s
        for s in families["gateway_upstream_requests"].samples
        if s.name == "gateway_upstream_requests_total"
        and s.labels["route"] == route
        and s.labels["status"] == "5xx"
    ]
    assert [s.value for s in failed] == [1.0]
    attempts = int(failed[0].labels["attempts"])
    assert attempts >= 2
    retries = value("gateway_upstream_retries", "gateway_upstream_retries_total", route=route)
    assert retries == attempts - 1
    buckets = [
        s
        for s in families["gateway_upstream_request_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["route"] == route
    ]
    assert buckets and buckets[-1].labels["le"] == "+Inf"
    assert value("gateway_errors", "gateway_errors_total", code="UNAUTHENTICATED") >= 1
    assert value("gateway_errors", "gateway_errors_total", code="GRAPHQL_VALIDATION_FAILED") >= 1
    for family in families.values():
        for sample in family.samples:
            for label in sample.labels.values():
                assert KEY not in label and "nope" not in label, (sample.name, label)


def test_request_ids_and_json_logs_never_hold_the_key(
    own_gateway: ServerProcess, sandbox: SandboxControl
) -> None:
    given = _post(own_gateway, PAGE, headers={"X-Request-ID": "trace-me-123"})
    assert given.headers["x-request-id"] == "trace-me-123"
    dirty = _post(own_gateway, PAGE, headers={"X-Request-ID": "a b<c>/" + "x" * 200})
    assert dirty.headers["x-request-id"] == ("abc" + "x" * 200)[:64]
    fresh = HTTP.get(f"{own_gateway.url}/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    # Errors of every kind, with the real key: refused by the upstream,
    # failing upstream, bad input, an unparsable body.
    sandbox.configure(fail_next={"status": 500, "path_contains": "/filter/"})
    assert _post(own_gateway, PAGE, headers={"X-Request-ID": "failing-1"}).json()["errors"]
    assert _post(own_gateway, "{ session(id: 12) { title } }").json()["errors"]
    assert _post(own_gateway, PAGE, key=f"API-KEY {KEY}x").json()["errors"]
    broken = HTTP.post(
        f"{own_gateway.url}/graphql",
        content=b"{not json",
        headers={"Authorization": ALICE, "content-type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.headers["x-request-id"]

    lines = _json_lines(own_gateway)
    access = [line for line in lines if line["logger"] == "gateway.access"]
    mine = [line for line in access if line["request_id"] == "trace-me-123"]
    assert len(mine) == 1
    assert mine[0]["operation"] == "SessionPage"
    assert mine[0]["status"] == 200 and mine[0]["method"] == "POST"
    assert mine[0]["duration_ms"] > 0 and {"time", "level", "message"} <= set(mine[0])
    assert any(line["request_id"] == "failing-1" for line in access)
    assert any(line["request_id"] == fresh.headers["x-request-id"] for line in access)
    assert all(line["request_id"] for line in access)
    text = own_gateway.log()
    assert "Unauthenticated" in text or "UNAUTHENTICATED" in text  # errors were logged
    assert KEY not in text
    assert KEY not in HTTP.get(f"{own_gateway.url}/metrics").text


def test_contract_drift_is_counted_and_the_answer_still_served(
    own_gateway: ServerProcess, sandbox: SandboxControl
) -> None:
    sandbox.configure(wrong_type="query_count")
    try:
        first = _post(own_gateway, PAGE).json()
        second = _post(own_gateway, PAGE).json()
    finally:
        sandbox.configure(wrong_type=None)
    for body in (first, second):
        assert "errors" not in body, body
        # The upstream's count came as a string: the gateway counts the page.
        assert len(body["data"]["sessions"]["edges"]) == 5
    assert _post(own_gateway, PAGE).json()["data"]["sessions"]["totalCount"] > 5

    def checks_done() -> bool:
        text = HTTP.get(f"{own_gateway.url}/metrics").text
        families = _samples(text).get("gateway_upstream_contract_checks")
        return (
            families is not None
            and sum(s.value for s in families.samples if s.name.endswith("_total")) >= 3
        )

    # Each check runs a moment after its upstream answer (gateway.upstream.drift.CHECK_DELAY).
    wait_for(checks_done, "the three contract checks")
    families = _samples(HTTP.get(f"{own_gateway.url}/metrics").text)
    violations = [
        s
        for s in families["gateway_upstream_contract_violations"].samples
        if s.name.endswith("_total")
    ]
    assert [(s.labels, s.value) for s in violations] == [
        ({"route": "/session-management/sessions/filter/", "path": "$.query_count"}, 2.0)
    ]
    checks = [
        s for s in families["gateway_upstream_contract_checks"].samples if s.name.endswith("_total")
    ]
    assert sum(s.value for s in checks) == 3
    warnings = [
        line for line in _json_lines(own_gateway) if line["logger"] == "gateway.upstream.drift"
    ]
    assert len(warnings) == 1, "logged once per new shape"
    assert "$.query_count" in warnings[0]["message"]
    assert "expected integer, got string" in warnings[0]["message"]


def test_drain_lets_a_slow_request_finish(
    sandbox_server: ServerProcess, sandbox: SandboxControl, logs_dir: Path
) -> None:
    gateway = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-drain.log",
        env={"GATEWAY_DRAIN_DELAY": "1.0", "GATEWAY_DRAIN_SECONDS": "10"},
    )
    try:
        sandbox.configure(latency_ms=2000)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(_post, gateway, PAGE)
            _wait_for(lambda: sandbox.stats()["in_flight"] > 0)
            os.kill(gateway.pid, signal.SIGTERM)
            time.sleep(0.2)
            # Still listening for GATEWAY_DRAIN_DELAY, but no longer ready.
            ready = HTTP.get(f"{gateway.url}/readyz", timeout=5)
            assert ready.status_code == 503 and ready.json() == {"status": "draining"}
            response = slow.result(timeout=30)
        assert response.status_code == 200
        assert "errors" not in response.json()
        assert len(response.json()["data"]["sessions"]["edges"]) == 5
        _wait_for(lambda: not gateway.alive())
        assert "shutting down" in gateway.log()
    finally:
        sandbox.configure(latency_ms=0)
        gateway.stop()


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
