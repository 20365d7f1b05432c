"""OpenTelemetry tracing: optional (``pip install session-gateway[otel]``).

On when ``OTEL_TRACES_EXPORTER`` names an exporter; everything else is the
SDK's own ``OTEL_*`` configuration (service name and resource attributes,
sampler, batch processor, the OTLP endpoint and headers), read by the SDK.

What is traced:

* each HTTP request and WebSocket connection, by the maintained ASGI
  instrumentation, which also continues an incoming W3C ``traceparent``;
* each GraphQL operation (:meth:`Tracing.operation`), a child of the request;
* each upstream call (:meth:`Tracing.upstream`), a child of the operation,
  whose ``traceparent`` goes to the upstream with the request;
* each subscription, from its start to its end, with an event per update.

Attributes hold route templates, operation types and root fields, status
codes: never a key, never a variable's value. When tracing is off, every
hook here is a no-op that costs an attribute check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "NO_SUBSCRIPTION_SPAN",
    "NO_TRACING",
    "SubscriptionSpan",
    "Tracing",
    "UpstreamSpan",
    "tracing_from_settings",
]

log = logging.getLogger(__name__)

# OTEL_TRACES_EXPORTER=otlp means OTLP over HTTP/protobuf, the exporter the
# [otel] extra installs (the gRPC one can be named as otlp_proto_grpc).
_ALIASES = {"otlp": "otlp_proto_http"}
# Probes and scrapes would drown the traces that matter.
_EXCLUDED_URLS = "/healthz,/readyz,/metrics"


class UpstreamSpan:
    """One upstream call's span; :meth:`end` records how it went."""

    __slots__ = ("_span",)

    def __init__(self, span: Span | None) -> None:
        self._span = span

    def end(self, status: int | None, attempts: int) -> None:
        span = self._span
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("gateway.upstream.attempts", attempts)
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if status is None or status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()


_NO_UPSTREAM_SPAN = UpstreamSpan(None)


class SubscriptionSpan:
    """A span that outlives one call: a subscription's, marked at each update."""

    __slots__ = ("_span",)

    def __init__(self, span: Span | None) -> None:
        self._span = span

    def event(self, name: str, **attributes: int | str) -> None:
        if self._span is not None:
            self._span.add_event(name, attributes)

    def end(self, outcome: str) -> None:
        if self._span is not None:
            self._span.set_attribute("graphql.outcome", outcome)
            self._span.end()
            self._span = None


NO_SUBSCRIPTION_SPAN = SubscriptionSpan(None)


class Tracing:
    """The gateway's tracer, or nothing at all (``Tracing(None)``)."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self._tracer: Tracer | None = None
        if provider is not None:
            self._tracer = provider.get_tracer("session-gateway")

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The app inside the ASGI instrumentation: a server span per request,
        continuing the caller's ``traceparent``."""
        if self.provider is None:
            return app
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        wrapped: ASGIApp = OpenTelemetryMiddleware(
            app,
            excluded_urls=_EXCLUDED_URLS,
            tracer_provider=self.provider,
            # A span per WebSocket frame would be noise; the subscription's
            # own span marks each update.
            exclude_spans=["receive", "send"],
        )
        return wrapped

    @contextmanager
    def operation(self, kind: str, root_field: str) -> Iterator[Span | None]:
        """The span of one GraphQL operation, current while it executes."""
        if self._tracer is None:
            yield None
            return
        with self._tracer.start_as_current_span(
            f"graphql.{kind} {root_field}",
            attributes={"graphql.operation.type": kind, "graphql.root_field": root_field},
        ) as span:
            yield span

    def upstream(self, method: str, route: str, headers: MutableMapping[str, str]) -> UpstreamSpan:
        """Start an upstream call's span and put its ``traceparent`` into ``headers``."""
        if self._tracer is None:
            return _NO_UPSTREAM_SPAN
        from opentelemetry import propagate, trace
        from opentelemetry.trace import SpanKind

        span = self._tracer.start_span(
            f"{method} {route}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "url.template": route},
        )
        propagate.inject(headers, context=trace.set_span_in_context(span))
        return UpstreamSpan(span)

    def start_subscription(self, root_field: str) -> SubscriptionSpan:
        """A subscription's span, from its start to its end; not made current
        (the watches it reads are shared with other subscribers)."""
        if self._tracer is None:
            return NO_SUBSCRIPTION_SPAN
        span = self._tracer.start_span(
            f"graphql.subscription {root_field}",
            attributes={"graphql.operation.type": "subscription", "graphql.root_field": root_field},
        )
        return SubscriptionSpan(span)


NO_TRACING = Tracing(None)


def tracing_from_settings(exporters: str | None) -> Tracing:
    """A tracer provider exporting to ``exporters`` (``OTEL_TRACES_EXPORTER``'s
    value, comma-separated names); off when unset, ``none``, or when the
    ``[otel]`` extra is not installed."""
    names = [n.strip() for n in (exporters or "").split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    if not names:
        return NO_TRACING
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "OTEL_TRACES_EXPORTER is set but OpenTelemetry is not installed "
            "(pip install 'session-gateway[otel]'): tracing is off"
        )
        return NO_TRACING
    # The SDK reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, the sampler
    # and the batch processor's settings itself.
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "session-gateway"}))
    provider = TracerProvider(resource=resource)
    found = {ep.name: ep for ep in entry_points(group="opentelemetry_traces_exporter")}
    for name in names:
        entry = found.get(_ALIASES.get(name, name))
        if entry is None:
            log.warning("unknown OTEL_TRACES_EXPORTER %r: skipped", name)
            continue
        exporter: Any = entry.load()()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)
