"""What the app lifespan owns and every request borrows."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.broker import Broker
from gateway.config import Settings
from gateway.metrics import Metrics
from gateway.ratelimit import RateLimiter
from gateway.tracing import NO_TRACING, Tracing
from gateway.upstream.client import UpstreamClient
from gateway.watchers import ReadinessWatchers

__all__ = ["Services"]


@dataclass
class Services:
    settings: Settings
    client: UpstreamClient
    # The readiness watchers and their event broker (see gateway.watchers):
    # the lifespan always starts both.
    watchers: ReadinessWatchers
    broker: Broker
    metrics: Metrics = field(default_factory=lambda: Metrics())
    tracing: Tracing = NO_TRACING
    # Per-key rate limits (GATEWAY_RATE_LIMIT_CALLS_PER_SECOND), when on.
    rate_limiter: RateLimiter | None = None
