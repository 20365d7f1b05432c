"""Liveness, readiness and metrics: what orchestrators and Prometheus ask.

``/healthz`` answers while the process runs; ``/readyz`` while it is not
draining and the upstream and the broker answer; ``/metrics`` in the
Prometheus text format, behind a bearer token when one is set.
"""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.broker.signed import SignedBroker
from gateway.credentials import Credential
from gateway.http.drain import Drain
from gateway.metrics import CONTENT_TYPE
from gateway.services import Services
from gateway.upstream.client import UpstreamClient, UpstreamRequest
from gateway.upstream.endpoints import SESSIONS

__all__ = ["probe_routes"]


def probe_routes(drain: Drain, metrics_token: str | None) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services: Services = request.state.services
        if drain.draining:
            services.metrics.ready.set(0)
            return JSONResponse({"status": "draining"}, status_code=503)
        checks: dict[str, str] = {"upstream": await _probe_upstream(services.client)}
        checks["broker"] = "ok" if await services.broker.healthy() else "unreachable"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "checks": checks},
            status_code=200 if ok else 503,
        )

    async def metrics_endpoint(request: Request) -> Response:
        if not _metrics_allowed(request, metrics_token):
            return PlainTextResponse(
                "Send the metrics token: Authorization: Bearer <token>.",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        services: Services = request.state.services
        services.metrics.broker_up.set(1 if await services.broker.healthy() else 0)
        if isinstance(services.broker, SignedBroker):
            # Broker messages and states dropped for a bad signature.
            services.metrics.observe_broker_rejected(services.broker.rejected)
        services.metrics.ready.set(0 if drain.draining else 1)
        return Response(services.metrics.render(), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]


def _metrics_allowed(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


async def _probe_upstream(client: UpstreamClient) -> str:
    """Reachability only: the key sent is a fixed one no caller has (never a caller's),
    so the upstream's 401 means it's up."""
    probe = Credential("API-KEY readiness-probe")
    try:
        async with asyncio.timeout(3.0):
            request = UpstreamRequest(SESSIONS.method, SESSIONS.route, idempotent=False)
            await client.request(request, probe)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        status = getattr(exc, "upstream_status", None)
        if status is not None and status < 500:
            return "ok"
        return type(exc).__name__
    return "ok"
