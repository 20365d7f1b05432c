"""Metrics: exposition by prometheus-client, one registry per app (the
multiprocess mode several workers share: tests/e2e/test_worker_metrics.py)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import Metrics
from gateway.upstream.client import UpstreamCall


def families_of(text: str) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    out: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(family.name, {})[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_each_app_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.observe_error("BAD_REQUEST")
    assert 'gateway_errors_total{code="BAD_REQUEST"} 1.0' in a.render().decode()
    assert "BAD_REQUEST" not in b.render().decode()


def test_labels_are_escaped_and_attempts_bounded() -> None:
    metrics = Metrics()
    metrics.observe_upstream(UpstreamCall("BREW", '/odd"route\\/', None, 0.5, 9))
    families = families_of(metrics.render().decode())
    samples = families["gateway_upstream_requests"]
    ((_, labels),) = [k for k in samples if k[0] == "gateway_upstream_requests_total"]
    assert dict(labels) == {
        "method": "OTHER",
        "route": '/odd"route\\/',
        "status": "error",
        "attempts": "5",
    }


async def test_breaker_state_and_cache_lookups_are_exposed() -> None:
    import httpx

    from gateway.config import RetryPolicy, Settings
    from gateway.sandbox import SandboxConfig, create_sandbox_app
    from tests.conftest import global_id, seeded
    from tests.unit.conftest import gateway_client, run

    sandbox = httpx.ASGITransport(app=create_sandbox_app(SandboxConfig()))
    failing = True

    async def upstream(request: httpx.Request) -> httpx.Response:
        if failing and "/filter/" in request.url.path:
            return httpx.Response(503, json={"error": "down"})
        return await sandbox.handle_async_request(request)

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await upstream(request)

    settings = Settings(
        upstream_url="http://sandbox",
        retry=RetryPolicy(attempts=1),
        breaker_threshold=2,
        breaker_ttl=60.0,
        cache_ttl=30.0,
    )
    page = "{ sessions(first: 2) { edges { node { title } } } }"
    one = seeded("alice", "Vertical Jump")[0]
    # Exports are cacheable (details, listings and the video status never are).
    detail = f'{{ session(id: "{global_id(one)}") {{ export {{ timestamps }} }} }}'
    async with gateway_client(settings, transport=Transport()) as client:
        for _ in range(2):
            assert "errors" not in await run(client, detail)
        for _ in range(3):
            assert (await run(client, page))["errors"]
        failing = False
        assert (await run(client, page))["errors"], "the breaker is open: fails fast"
        text = (await client.get("/metrics")).text
    families = families_of(text)
    assert (
        families["gateway_upstream_breaker_state"][
            ("gateway_upstream_breaker_state", (("family", "listing"),))
        ]
        == 2.0
    )
    assert (
        families["gateway_upstream_breaker_opened"][
            ("gateway_upstream_breaker_opened_total", (("family", "listing"),))
        ]
        == 1.0
    )
    lookups = families["gateway_upstream_cache_lookups"]
    assert lookups[("gateway_upstream_cache_lookups_total", (("result", "hit"),))] == 1
    assert lookups[("gateway_upstream_cache_lookups_total", (("result", "miss"),))] == 1


def test_a_labelled_child_is_prometheus_clients_own_and_counts_alike() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.observe_operation("subscription", "analyzedVideo", "ok", 0.2)
    child = metrics.labelled(metrics.operations, "subscription", "analyzedVideo", "ok")
    assert child is metrics.operations.labels("subscription", "analyzedVideo", "ok")
    assert metrics.labelled(metrics.operations, "query", "session", "ok") is not child
    samples = families_of(metrics.render().decode())["gateway_operations"]
    labels = (("operation", "analyzedVideo"), ("outcome", "ok"), ("type", "subscription"))
    assert samples[("gateway_operations_total", labels)] == 3.0
