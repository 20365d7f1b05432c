"""The app factory: the one place that wires the schema to HTTP and WebSocket.

The lifespan owns the process's resources (the upstream client, the event
broker and readiness watchers, the Redis client that persisted queries and
rate limits share) and closes them on shutdown; it hands them to every
request through Starlette's lifespan state, where each operation's
:class:`~schema.context.GatewayContext` borrows them (:mod:`gateway.http.view`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from gateway.broker import create_broker
from gateway.config import Settings
from gateway.http.cors import OriginPolicy
from gateway.http.drain import Drain
from gateway.http.examples import example_routes
from gateway.http.graphiql import Demo, graphiql_routes
from gateway.http.guards import RequestGuard
from gateway.http.probes import probe_routes
from gateway.http.view import GatewayGraphQL
from gateway.http.wsguard import WebSocketGuard, WebSocketLimits
from gateway.logs import RequestIdMiddleware
from gateway.metrics import Metrics
from gateway.ratelimit import RateLimiter
from gateway.services import Services
from gateway.shared_redis import shared_redis
from gateway.tracing import Tracing, tracing_from_settings
from gateway.upstream.client import UpstreamCall, UpstreamClient
from gateway.upstream.drift import ContractDrift
from gateway.upstream.resilience import Resilience
from gateway.watchers import ReadinessWatchers

__all__ = ["create_app"]


class _GatewayApp(Starlette):
    """Starlette, with the request id and tracing outside everything else, so
    that even the 500 of an unhandled error carries its X-Request-ID."""

    tracing: Tracing

    def build_middleware_stack(self) -> ASGIApp:
        return self.tracing.wrap(RequestIdMiddleware(super().build_middleware_stack()))


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    tracing: Tracing | None = None,
    demo: Demo | None = None,
) -> Starlette:
    """The gateway app. ``transport`` replaces the network in unit tests,
    ``tracing`` the one ``OTEL_TRACES_EXPORTER`` asks for, and ``demo`` is the
    sandbox's demo user, whose key and sessions GraphiQL's examples use.

    ``app.state.drain`` is the app's :class:`~gateway.http.drain.Drain`: started,
    ``/readyz`` answers 503."""
    settings = settings or Settings()
    try:
        origins = OriginPolicy.of(settings.cors_origins, sandbox=settings.sandbox)
    except ValueError as exc:
        raise ValueError(f"GATEWAY_CORS_ORIGINS (--cors-origins): {exc}") from None
    ws_limits = WebSocketLimits(
        max_per_address=settings.ws_max_per_address,
        max_per_key=settings.ws_max_per_key,
        init_timeout=settings.ws_init_timeout,
        max_pending_bytes=settings.ws_max_pending_bytes,
    )
    graphql = GatewayGraphQL(settings, origins, ws_limits)
    tracing = tracing or tracing_from_settings(settings.traces_exporter)
    drain = Drain()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        metrics = Metrics(settings.metrics_multiproc_dir)
        drift = ContractDrift(
            metrics, settings.contract_sample_rate, interval=settings.contract_check_interval
        )

        def observe(call: UpstreamCall) -> None:
            metrics.observe_upstream(call)
            drift.observe(call)

        resilience = Resilience(
            settings.retry,
            breaker_threshold=settings.breaker_threshold,
            breaker_ttl=settings.breaker_ttl,
            cache_ttl=settings.cache_ttl,
            refused_key_ttl=settings.refused_key_ttl,
        )
        resilience.breakers.on_change = metrics.observe_breaker
        resilience.on_cache = metrics.observe_cache
        client = UpstreamClient(
            settings.upstream_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_connections=settings.max_connections,
            retry=settings.retry,
            transport=transport,
            observer=observe,
            tracing=tracing,
            resilience=resilience,
        )
        # Settings refuse Redis without a real secret (gateway/config.py).
        broker = create_broker(settings.redis_url, secret=settings.credential_secret.encode())
        async with client:
            await broker.connect()
            watchers = ReadinessWatchers(
                client,
                broker,
                settings.watch,
                secret=settings.credential_secret.encode(),
                metrics=metrics,
            )
            # Persisted queries and rate limits share one Redis client.
            redis = shared_redis(settings.redis_url) if settings.redis_url else None
            limiter = (
                RateLimiter.of(
                    settings.rate_limit_calls_per_second, settings.rate_limit_burst, redis
                )
                if settings.rate_limit_calls_per_second > 0
                else None
            )
            services = Services(
                settings=settings,
                client=client,
                metrics=metrics,
                watchers=watchers,
                broker=broker,
                tracing=tracing,
                rate_limiter=limiter,
            )
            persisted = graphql.persisted_queries
            if persisted is not None:
                persisted.share(redis)
            try:
                # Starlette copies this state into every request's.
                yield {"services": services}
            finally:
                # Subscribers are told, watchers stop and release their leases.
                await watchers.aclose()
                await broker.aclose()
                if persisted is not None:
                    persisted.share(None)
                if redis is not None:
                    await redis.aclose()

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *probe_routes(drain, settings.metrics_token),
    ]
    routes += _optional_routes(settings, demo)
    middleware = [
        # Outermost: a refusal by the guards below still carries CORS headers,
        # so a page on an allowed origin can read it.
        origins.middleware(),
        Middleware(RequestGuard, max_header_bytes=settings.max_header_bytes),
        Middleware(WebSocketGuard, limits=ws_limits),
    ]
    app = _GatewayApp(routes=routes, lifespan=lifespan, middleware=middleware)
    app.tracing = tracing
    app.state.drain = drain
    return app


def _optional_routes(settings: Settings, demo: Demo | None) -> list[BaseRoute]:
    if not settings.graphiql:
        return []
    routes = graphiql_routes(sandbox=settings.sandbox, demo=demo)
    if settings.sandbox:
        routes.extend(example_routes())
    return routes
