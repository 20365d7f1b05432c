"""Process metrics, exposed by ``prometheus_client`` in the Prometheus text format.

Labels are chosen from fixed sets (route templates, status classes, error
codes, the schema's root fields): never caller input, never a credential.

Several worker processes share one ``/metrics`` through prometheus-client's
multiprocess mode: each worker writes its values to files in a directory and
the scrape merges them. prometheus-client picks that storage when it is
imported, from ``PROMETHEUS_MULTIPROC_DIR``, so that variable has to be set
(to an empty directory) before the workers start; ``Settings.metrics_multiproc_dir``
carries the same path, which makes :meth:`Metrics.render` merge the files.
Everything here is therefore a plain counter, gauge or histogram updated when
something happens, never a callback read at scrape time (a scrape would only
see its own worker's callbacks).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from gateway.upstream.client import UpstreamCall

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

_UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_OPERATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Attempts beyond this share one label value: the retry policy's bound is a
# setting, and a label set must not grow with it.
_MAX_ATTEMPT_LABEL = 5
_BREAKER_STATES = {"closed": 0, "half-opened": 1, "opened": 2}
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})


class Metrics:
    """The gateway's metric families, in a registry of their own (one per app)."""

    def __init__(self, multiproc_dir: str | None = None) -> None:
        self._multiproc_dir = multiproc_dir
        # Each family's children by label values, as ``labels()`` hands them out
        # (see ``labelled``); no more of them than the families hold anyway.
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.registry = r = CollectorRegistry()
        self.operations = Counter(
            "gateway_operations",
            "GraphQL operations by type, root field and outcome (ok, partial, error).",
            ["type", "operation", "outcome"],
            registry=r,
        )
        self.operation_seconds = Histogram(
            "gateway_operation_seconds",
            "GraphQL operation latency by type and root field.",
            ["type", "operation"],
            buckets=_OPERATION_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "gateway_errors", "GraphQL errors by extensions.code.", ["code"], registry=r
        )
        self.rate_limited = Counter(
            "gateway_rate_limited",
            "Operations refused by a key's rate limit, by type and root field.",
            ["type", "operation"],
            registry=r,
        )
        self.upstream_calls = Counter(
            "gateway_upstream_requests",
            "Upstream calls by method, route template, status class and attempts taken.",
            ["method", "route", "status", "attempts"],
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_request_seconds",
            "Upstream call latency (retries included) by route template and status class.",
            ["route", "status"],
            buckets=_UPSTREAM_BUCKETS,
            registry=r,
        )
        self.upstream_retries = Counter(
            "gateway_upstream_retries", "Upstream retries by route template.", ["route"], registry=r
        )
        self.contract_checks = Counter(
            "gateway_upstream_contract_checks",
            "Upstream 200 bodies checked against the contract, by route template.",
            ["route"],
            registry=r,
        )
        self.contract_violations = Counter(
            "gateway_upstream_contract_violations",
            "Upstream 200 bodies that do not match the contract, by route template and the "
            "JSON path of the first mismatch (array indices dropped).",
            ["route", "path"],
            registry=r,
        )
        self.breaker_state = Gauge(
            "gateway_upstream_breaker_state",
            "Each route family's circuit breaker: 0 closed, 1 half-open, 2 open.",
            ["family"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.breaker_opened = Counter(
            "gateway_upstream_breaker_opened",
            "Times a route family's circuit breaker opened.",
            ["family"],
            registry=r,
        )
        self.cache_lookups = Counter(
            "gateway_upstream_cache_lookups",
            "Reads looked up in the upstream response cache, by result (hit, miss).",
            ["result"],
            registry=r,
        )
        self.subscriptions_active = Gauge(
            "gateway_subscriptions_active",
            "GraphQL subscriptions being served, by root field.",
            ["operation"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.subscriptions = Counter(
            "gateway_subscriptions",
            "GraphQL subscriptions ended, by root field and how (complete, error, closed).",
            ["operation", "outcome"],
            registry=r,
        )
        self.subscription_events = Counter(
            "gateway_subscription_events",
            "Subscription event results, by how each was made: executed for its selection, "
            "or shared, the same result and bytes as another subscriber's of that selection.",
            ["how"],
            registry=r,
        )
        self.subscriptions_carried = Gauge(
            "gateway_subscriptions_carried",
            "GraphQL subscriptions carried on by their selection's group after their first "
            "event, each without an operation of its own.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.watchers_active = Gauge(
            "gateway_readiness_watchers",
            "Sessions this process watches for its subscribers.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.polls = Counter(
            "gateway_readiness_polls",
            "Upstream polls made by this process's readiness watchers.",
            registry=r,
        )
        self.broker_up = Gauge(
            "gateway_broker_up",
            "1 when the event broker answered its last health check, else 0.",
            multiprocess_mode="livemostrecent",
            registry=r,
        )
        self.broker_rejected = Counter(
            "gateway_broker_rejected",
            "Broker messages and stored states dropped for a bad signature (forged or corrupt).",
            registry=r,
        )
        self._broker_rejected_seen = 0
        self.ready = Gauge(
            "gateway_ready",
            "1 while the process takes traffic, 0 once it drains for shutdown.",
            multiprocess_mode="livemin",
            registry=r,
        )
        self.ready.set(1)

    def labelled(self, family: Counter | Gauge | Histogram, *values: str) -> Any:
        """``family.labels(*values)``, looked up once per label set: what every
        subscriber's operation records as it ends costs a dict lookup, not
        prometheus-client's validation and lock each time."""
        key = (id(family), values)  # the families live as long as this object
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*values)
        return child

    def observe_broker_rejected(self, total: int) -> None:
        """Bring the counter up to the broker's own running count."""
        if total > self._broker_rejected_seen:
            self.broker_rejected.inc(total - self._broker_rejected_seen)
            self._broker_rejected_seen = total

    def observe_contract_check(self, route: str) -> None:
        self.contract_checks.labels(route).inc()

    def observe_contract_violation(self, route: str, path: str) -> None:
        self.contract_violations.labels(route, path).inc()

    def observe_upstream(self, call: UpstreamCall) -> None:
        status = "error" if call.status is None else f"{call.status // 100}xx"
        method = call.method if call.method in _METHODS else "OTHER"
        attempts = str(min(call.attempts, _MAX_ATTEMPT_LABEL))
        self.labelled(self.upstream_calls, method, call.route, status, attempts).inc()
        self.labelled(self.upstream_seconds, call.route, status).observe(call.seconds)
        if call.attempts > 1:
            self.upstream_retries.labels(call.route).inc(call.attempts - 1)

    def observe_breaker(self, family: str, state: str) -> None:
        self.breaker_state.labels(family).set(_BREAKER_STATES.get(state, 2))
        if state == "opened":
            self.breaker_opened.labels(family).inc()

    def observe_cache(self, hit: bool) -> None:
        self.cache_lookups.labels("hit" if hit else "miss").inc()

    def observe_operation(self, kind: str, operation: str, outcome: str, seconds: float) -> None:
        self.labelled(self.operations, kind, operation, outcome).inc()
        self.labelled(self.operation_seconds, kind, operation).observe(seconds)

    def observe_error(self, code: str) -> None:
        self.errors.labels(code).inc()

    def render(self) -> bytes:
        if self._multiproc_dir is None:
            return generate_latest(self.registry)
        # Every worker's files, merged; this process's own registry is among them.
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self._multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
