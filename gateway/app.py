"""The Starlette app: the one module that wires the schema to HTTP and WebSocket.

The lifespan owns the process's resources (the upstream client, the event
broker and readiness watchers) and closes them on shutdown; each request
gets a fresh :class:`~schema.context.GatewayContext` that borrows them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types.unset import UNSET, UnsetType

from gateway import errors
from gateway.apq import PersistedQueries
from gateway.broker import create_broker
from gateway.broker.signed import SignedBroker
from gateway.config import Settings
from gateway.cors import OriginPolicy
from gateway.credentials import Credential
from gateway.drain import Drain
from gateway.drift import ContractDrift
from gateway.endpoints import SESSIONS
from gateway.errors import GatewayError
from gateway.graphiql import graphiql_page_response, graphiql_routes
from gateway.graphql_http import GraphQLOverHTTP
from gateway.guards import RequestGuard
from gateway.logs import RequestIdMiddleware
from gateway.metrics import CONTENT_TYPE, Metrics
from gateway.resilience import Resilience
from gateway.services import Services
from gateway.tracing import Tracing, tracing_from_settings
from gateway.upstream import UpstreamCall, UpstreamClient
from gateway.watchers import ReadinessWatchers
from gateway.wsguard import (
    BoundedTransportWSHandler,
    BoundedWSHandler,
    WebSocketGuard,
    WebSocketLimits,
)
from schema import build_schema
from schema.context import GatewayContext

__all__ = ["GatewayGraphQL", "create_app"]

log = logging.getLogger("gateway")

_NO_ACK_PAYLOAD: UnsetType = UNSET


class _TextWebSocketAdapter(ASGIWebSocketAdapter):
    """GraphQL-over-WebSocket messages are text frames: both protocols say so,
    and clients (gql, graphql-ws) reject binary ones."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        # A client that has gone (or was closed for falling behind) loses the
        # message: the connection's own end stops its operations. Raising here
        # would log each operation's end as an error.
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        try:
            encoded = self.view.encode_json(message)
            await self.ws.send_text(encoded if isinstance(encoded, str) else encoded.decode())
        except WebSocketDisconnect:
            return


class GatewayGraphQL(GraphQLOverHTTP[GatewayContext, None]):
    """Strawberry's ASGI view (made to speak GraphQL over HTTP as the spec and the
    clients do) with our context, JSON encoder and GraphiQL page."""

    websocket_adapter_class = _TextWebSocketAdapter  # type: ignore[assignment]
    # The per-WebSocket bound refused with LIMIT_EXCEEDED (gateway/wsguard.py).
    graphql_transport_ws_handler_class = BoundedTransportWSHandler
    graphql_ws_handler_class = BoundedWSHandler

    def __init__(
        self,
        services_ref: _ServicesRef,
        settings: Settings,
        origins: OriginPolicy,
        ws_limits: WebSocketLimits | None = None,
    ) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            multipart_uploads_enabled=True,
            # WebSockets (both protocols), and plain HTTP for clients without
            # them: multipart/mixed (Apollo's spec) and server-sent events.
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
            ),
            max_subscriptions_per_connection=settings.watch.max_per_connection,
            keep_alive=True,
            keep_alive_interval=settings.ws_keep_alive_interval,
        )
        self._services = services_ref
        self._settings = settings
        self._origins = origins
        self._ws_limits = ws_limits
        self.persisted_queries = PersistedQueries(
            settings.apq_cache_size, settings.redis_url, max_bytes=settings.apq_cache_bytes
        )

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        # Strawberry lets same-origin pages and clients without an Origin
        # through before asking; other pages need the CORS allow-list.
        return self._origins.allows(origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # As Strawberry's own, but: bodies are bounded as they stream in (an
        # upload may be large, an operation may not) and in time (a client
        # that stops sending one is let go), errors at the HTTP level are
        # GraphQL errors with a code too, and the request is closed
        # afterwards, which closes the uploaded files of a multipart request.
        # Every route that reads a body is this one.
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/")
        limit = self._settings.max_upload_bytes if multipart else self._settings.max_request_bytes
        timeout = self._settings.body_timeout
        request = Request(scope=scope, receive=_bounded(receive, limit, timeout))
        too_large = HTTPException(413, f"The request body is larger than {limit} bytes.")
        try:
            if _declared_length(headers) > limit:
                # Refused before a byte of it is read: nothing to wait for.
                response = _closing(self.error_response(request, too_large))
            else:
                try:
                    response = await self.run(request)
                except (HTTPException, GatewayError) as exc:
                    response = self.error_response(request, exc)
                except StarletteHTTPException as exc:
                    # Starlette's own, e.g. a multipart body its parser refuses.
                    refusal = HTTPException(exc.status_code, exc.detail)
                    response = self.error_response(request, refusal)
                except _BodyTooLarge:
                    response = self.error_response(request, too_large)
                except _BodyStalled:
                    stalled = HTTPException(
                        408, f"The request body stopped arriving for {timeout:g} seconds."
                    )
                    response = _closing(self.error_response(request, stalled))
            await response(scope, receive, send)
        finally:
            await request.close()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        return GatewayContext(request=request, services=self._services.get())

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        if self._ws_limits is None:
            return _NO_ACK_PAYLOAD
        try:
            credential = context.credential()
        except GatewayError:
            return _NO_ACK_PAYLOAD  # each operation reports it
        scope = context.request.scope
        if credential is not None and not self._ws_limits.admit_key(scope, credential.fingerprint):
            raise ConnectionRejectionError(
                {
                    "message": f"At most {self._ws_limits.max_per_key} connections per API key.",
                    "extensions": {"code": errors.LimitExceeded.code},
                }
            )
        return _NO_ACK_PAYLOAD

    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            # orjson's error subclasses json's, which Strawberry turns into a
            # 400; bytes that aren't UTF-8 land here too instead of in a 500.
            raise json.JSONDecodeError(str(exc), "", 0) from exc

    def encode_json(self, data: object) -> bytes:
        # Payloads are mostly long arrays of floats: orjson is several times
        # faster than the standard library here.
        return _bounded_json(data, self._settings.max_response_bytes)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own GraphiQL build, never Strawberry's CDN-loaded page.
        return graphiql_page_response(request)


class _BodyTooLarge(Exception):
    pass


class _BodyStalled(Exception):
    pass


def _bounded_json(data: object, max_bytes: int) -> bytes:
    """``data`` as JSON, or, past ``max_bytes``, its errors alone plus ours.

    The output budget (gateway.budget) stops most answers growing past the
    bound while they are built; this is the backstop for what it estimates
    low, so no answer larger than the bound is ever sent.
    """
    encoded = orjson.dumps(data)
    if len(encoded) <= max_bytes or not isinstance(data, dict):
        return encoded
    refusal = {
        "message": f"The answer is larger than {max_bytes} bytes; select less.",
        "extensions": {"code": errors.LimitExceeded.code},
    }
    if isinstance(data.get("payload"), dict):  # a WebSocket message: keep its envelope
        return orjson.dumps({**data, "payload": {"data": None, "errors": [refusal]}})
    return orjson.dumps({"data": None, "errors": [refusal]})


def _bounded(receive: Receive, limit: int, timeout: float) -> Receive:
    """``receive``, refusing a body (an upload, say) larger than ``limit`` bytes,
    counted as it streams in: a Content-Length can be missing or wrong; and one
    that goes ``timeout`` seconds without a byte arriving.

    Once the body is complete, ``receive`` is the server's own again: waiting
    for the client to disconnect (a subscription's stream does) is not bounded.
    """
    seen = 0
    complete = False

    async def bounded() -> Message:
        nonlocal seen, complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout(timeout):
                message = await receive()
        except TimeoutError:
            raise _BodyStalled from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
            complete = not message.get("more_body", False)
        else:
            complete = True  # http.disconnect: there is no more body to wait for
        return message

    return bounded


def _declared_length(headers: Headers) -> int:
    """The body's length as its Content-Length declares it; 0 without one (a
    chunked body is counted as it arrives instead)."""
    declared = headers.get("content-length", "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return 0  # the server refuses one that isn't a number
    # More digits than any bound has: too many for int() to be worth it.
    return int(declared) if len(declared) <= 18 else 10**18


def _closing(response: Response) -> Response:
    """``response``, closing the connection after it: the rest of the body is
    left unread, so the connection can't carry another request."""
    response.headers["Connection"] = "close"
    return response


class _ServicesRef:
    """Lets routes built before start-up reach what the lifespan creates."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def set(self, services: Services | None) -> None:
        self._services = services

    def get(self) -> Services:
        if self._services is None:
            raise RuntimeError("the app's lifespan has not started")
        return self._services


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
) -> Starlette:
    """The gateway app. ``transport`` replaces the network in unit tests, and
    ``tracing`` the one ``OTEL_TRACES_EXPORTER`` asks for.

    ``app.state.drain`` is the app's :class:`~gateway.drain.Drain`: started,
    ``/readyz`` answers 503."""
    settings = settings or Settings()
    try:
        origins = OriginPolicy.of(settings.cors_origins, sandbox=settings.sandbox)
    except ValueError as exc:
        raise ValueError(f"GATEWAY_CORS_ORIGINS (--cors-origins): {exc}") from None
    ref = _ServicesRef()
    ws_limits = WebSocketLimits(
        max_per_address=settings.ws_max_per_address,
        max_per_key=settings.ws_max_per_key,
        init_timeout=settings.ws_init_timeout,
        max_pending_bytes=settings.ws_max_pending_bytes,
    )
    graphql = GatewayGraphQL(ref, settings, origins, ws_limits)
    tracing = tracing or tracing_from_settings(settings.traces_exporter)
    drain = Drain()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        metrics = Metrics(settings.metrics_multiproc_dir)
        drift = ContractDrift(metrics, settings.contract_sample_rate)

        def observe(call: UpstreamCall) -> None:
            metrics.observe_upstream(call)
            drift.observe(call)

        resilience = Resilience(
            settings.retry,
            breaker_threshold=settings.breaker_threshold,
            breaker_ttl=settings.breaker_ttl,
            cache_ttl=settings.cache_ttl,
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
            services = Services(
                settings=settings,
                client=client,
                metrics=metrics,
                watchers=watchers,
                broker=broker,
                tracing=tracing,
            )
            ref.set(services)
            try:
                yield
            finally:
                ref.set(None)
                # Subscribers are told, watchers stop and release their leases.
                await watchers.aclose()
                await broker.aclose()
                if graphql.persisted_queries is not None:
                    await graphql.persisted_queries.aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services = ref.get()
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
        if not _metrics_allowed(request, settings.metrics_token):
            return PlainTextResponse(
                "Send the metrics token: Authorization: Bearer <token>.",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        services = ref.get()
        services.metrics.broker_up.set(1 if await services.broker.healthy() else 0)
        if isinstance(services.broker, SignedBroker):
            # Broker messages and states dropped for a bad signature.
            services.metrics.observe_broker_rejected(services.broker.rejected)
        services.metrics.ready.set(0 if drain.draining else 1)
        return Response(services.metrics.render(), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]
    routes += _optional_routes(settings)
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


def _optional_routes(settings: Settings) -> list[BaseRoute]:
    if not settings.graphiql:
        return []
    demo_key: str | None = None
    if settings.sandbox:
        from gateway.sandbox import DEMO_KEYS  # sandbox mode only

        demo_key = DEMO_KEYS["alice"]
    return graphiql_routes(sandbox=settings.sandbox, demo_key=demo_key)


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
            await client.request(SESSIONS.method, SESSIONS.route, probe, idempotent=False)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        status = getattr(exc, "upstream_status", None)
        if status is not None and status < 500:
            return "ok"
        return type(exc).__name__
    return "ok"
