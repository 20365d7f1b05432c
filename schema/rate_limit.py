"""Rate limits on every operation, whatever the transport (gateway.ratelimit).

An operation's cost is its upstream calls. Before it runs, it is estimated
as the calls the same operation made the last time it ran here (1 the first
time); the key's bucket must hold that much, or the operation is refused
with ``RATE_LIMITED`` and ``extensions.retryAfter`` before any upstream
call. Once it has run, the bucket is settled on the calls really made. A
subscription is charged once, when it starts. Each answer says what it
cost, as GitHub's and Shopify's GraphQL APIs do:
``extensions.cost = {estimated, actual, remaining}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import GatewayError, RateLimited
from schema.context import GatewayContext, current_scope
from schema.documents import Documents
from schema.telemetry import root_field

__all__ = ["RateLimit"]


class RateLimit(SchemaExtension):
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._cost: dict[str, float] | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        context = ec.context
        limiter = context.services.rate_limiter if isinstance(context, GatewayContext) else None
        if limiter is None:
            yield
            return
        try:
            credential = context.credential()
        except GatewayError:
            credential = None  # each field reports it; nothing is called
        if credential is None:
            yield
            return
        key = credential.shared_id(context.services.settings.credential_secret.encode())
        entry = self._documents.get(ec.query) if ec.query is not None else None
        name = ec.operation_name
        estimate = max(1, entry.calls.get(name, 1)) if entry is not None else 1
        verdict = await limiter.take(key, estimate)
        self._cost = {"estimated": estimate, "actual": 0, "remaining": verdict.remaining}
        if not verdict.admitted:
            kind, root = root_field(ec.schema._schema, ec.graphql_document, name)
            context.services.metrics.rate_limited.labels(kind, root).inc()
            raise RateLimited(
                f"This key has spent its upstream calls for now (this operation is "
                f"estimated at {estimate}); try again in {verdict.retry_after:.1f} s.",
                retry_after=verdict.retry_after,
            )
        if ec.operation_type is OperationType.SUBSCRIPTION:
            self._cost["actual"] = estimate  # charged once, at subscribe
            yield
            return
        try:
            yield
        finally:
            scope = current_scope().get()
            actual = scope.calls if scope is not None else estimate
            # Most operations cost what they did last time: nothing to settle,
            # and no second trip to the bucket (to Redis, with replicas).
            remaining = (
                verdict.remaining
                if actual == estimate
                else await limiter.settle(key, estimate, actual)
            )
            if entry is not None:
                entry.calls[name] = actual
            self._cost = {"estimated": estimate, "actual": actual, "remaining": remaining}

    def get_results(self) -> dict[str, Any]:
        if self._cost is None:
            return {}
        remaining = self._cost["remaining"]
        # Unknown while Redis can't be reached (the limit fails open).
        shown = round(remaining, 1) if remaining != float("inf") else None
        return {"cost": {**self._cost, "remaining": shown}}
