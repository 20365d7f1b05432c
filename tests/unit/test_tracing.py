"""Tracing: the caller's trace continues through the operation to every upstream call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import Settings
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.tracing import Tracing, tracing_from_settings
from tests.conftest import global_id, seeded
from tests.unit.conftest import gateway_client

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
QUERY = """
query ($j: ID!, $r: ID!) {
  j: session(id: $j) { title }
  r: session(id: $r) { title }
}
"""


class _Recorder:
    """The sandbox app, noting each contract request's path and traceparent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            parent = headers.get(b"traceparent")
            self.seen.append((scope["path"], parent.decode() if parent else None))
        await self.app(scope, receive, send)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


def _tracing(exporter: InMemorySpanExporter) -> Tracing:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider)


async def test_a_traceparent_is_continued_to_every_upstream_call(
    exporter: InMemorySpanExporter,
) -> None:
    upstream = _Recorder(create_sandbox_app(SandboxConfig()))
    ids = {
        "j": global_id(seeded("alice", "Vertical Jump")[0]),
        "r": global_id(seeded("alice", "Running")[0]),
    }
    async with gateway_client(
        Settings(upstream_url="http://sandbox"),
        transport=httpx.ASGITransport(app=upstream),
        tracing=_tracing(exporter),
    ) as client:
        response = await client.post(
            "/graphql",
            json={"query": QUERY, "variables": ids},
            headers={"Authorization": "API-KEY alice-demo-key", "traceparent": TRACEPARENT},
        )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    by_id = {s.context.span_id: s for s in spans}
    assert {format(s.context.trace_id, "032x") for s in spans} == {TRACE_ID}

    (operation,) = [s for s in spans if s.name.startswith("graphql.")]
    assert operation.name == "graphql.query session"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "query"
    calls = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert sorted(s.name for s in calls) == [
        "GET /jumping/sessions/{session_id}/",
        "GET /running/sessions/{session_id}/",
    ]
    for call in calls:
        assert call.parent is not None and call.parent.span_id == operation.context.span_id
        assert call.attributes is not None
        assert call.attributes["http.response.status_code"] == 200
        assert call.attributes["gateway.upstream.attempts"] == 1
    # The operation hangs under the HTTP request's server span, which
    # continues the caller's trace.
    assert operation.parent is not None
    server = by_id[operation.parent.span_id]
    assert server.kind is SpanKind.SERVER
    assert (
        server.parent is not None
        and format(server.parent.span_id, "016x") == (TRACEPARENT.split("-")[2])
    )

    # The upstream got each call's own span as its parent.
    sent = {path: parent for path, parent in upstream.seen}
    assert len(sent) == 2
    for call in calls:
        expected = f"00-{TRACE_ID}-{format(call.context.span_id, '016x')}-01"
        assert expected in sent.values()
    for span in spans:
        assert "alice-demo-key" not in str(span.attributes) + str(span.events)


def test_tracing_is_off_unless_an_exporter_is_named() -> None:
    assert not tracing_from_settings(None).enabled
    assert not tracing_from_settings("none").enabled
    assert tracing_from_settings("console").enabled


async def test_a_subscription_has_a_span_with_its_updates(
    exporter: InMemorySpanExporter,
) -> None:
    ready = seeded("alice", "Vertical Jump", "ready")[0]
    async with gateway_client(tracing=_tracing(exporter)) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }",
                "variables": {"id": global_id(ready)},
            },
            headers={"Authorization": "API-KEY alice-demo-key", "Accept": "text/event-stream"},
        )
    assert response.status_code == 200, response.text
    assert "READY" in response.text
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("graphql.")]
    assert span.name == "graphql.subscription analyzedVideo"
    assert span.attributes is not None and span.attributes["graphql.outcome"] == "ok"
    assert [e.name for e in span.events] == ["graphql.subscription.update"]
