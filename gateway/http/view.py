"""The GraphQL endpoint: Strawberry's view as the gateway serves it.

It speaks GraphQL over HTTP as the spec and the clients do
(:mod:`gateway.http.graphql_http`), bounds request bodies
(:mod:`gateway.http.bodies`), encodes answers with orjson within the answer
bound, serves its own GraphiQL, and gives each operation a
:class:`~schema.context.GatewayContext` over what the lifespan made.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import orjson
from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
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
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.http.apq import PersistedQueries
from gateway.http.bodies import (
    BodyStalled,
    BodyTooLarge,
    bounded_receive,
    closing,
    declared_length,
)
from gateway.http.cors import OriginPolicy
from gateway.http.graphiql import graphiql_page_response
from gateway.http.graphql_http import GraphQLOverHTTP
from gateway.http.incremental import INCREMENTAL_PROTOCOL, EncodedPart, too_large
from gateway.http.wsguard import BoundedTransportWSHandler, BoundedWSHandler, WebSocketLimits
from schema import build_schema
from schema.context import GatewayContext

__all__ = ["GatewayGraphQL"]

_NO_ACK_PAYLOAD: UnsetType = UNSET


class _TextWebSocketAdapter(ASGIWebSocketAdapter):
    """GraphQL-over-WebSocket messages are text frames: both protocols say so,
    and clients (gql, graphql-ws) reject binary ones."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        await self.send_text(encoded if isinstance(encoded, str) else encoded.decode())

    async def send_text(self, text: str) -> None:
        """A message already encoded (gateway.http.wscarry builds its frames)."""
        # A client that has gone (or was closed for falling behind) loses the
        # message: the connection's own end stops its operations. Raising here
        # would log each operation's end as an error.
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect:
            return


class GatewayGraphQL(GraphQLOverHTTP[GatewayContext, None]):
    """Strawberry's ASGI view (made to speak GraphQL over HTTP as the spec and the
    clients do) with our context, JSON encoder and GraphiQL page."""

    websocket_adapter_class = _TextWebSocketAdapter  # type: ignore[assignment]
    # The per-WebSocket bound refused with LIMIT_EXCEEDED (gateway/http/wsguard.py).
    graphql_transport_ws_handler_class = BoundedTransportWSHandler
    graphql_ws_handler_class = BoundedWSHandler

    def __init__(
        self,
        settings: Settings,
        origins: OriginPolicy,
        ws_limits: WebSocketLimits,
    ) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            multipart_uploads_enabled=True,
            # WebSockets (both protocols), and plain HTTP for clients without
            # them: multipart/mixed (Apollo's spec) and server-sent events;
            # and the parts of @defer and @stream as multipart/mixed.
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                INCREMENTAL_PROTOCOL,
            ),
            max_subscriptions_per_connection=settings.watch.max_per_connection,
            keep_alive=True,
            keep_alive_interval=settings.ws_keep_alive_interval,
        )
        self._settings = settings
        self.max_response_bytes = settings.max_response_bytes
        self._origins = origins
        self._ws_limits = ws_limits
        # Its Redis connection, if any, is the lifespan's (gateway.http.app).
        self.persisted_queries = PersistedQueries(
            settings.apq_cache_size, max_bytes=settings.apq_cache_bytes
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
        request = Request(scope=scope, receive=bounded_receive(receive, limit, timeout))
        too_large = HTTPException(413, f"The request body is larger than {limit} bytes.")
        try:
            if declared_length(headers) > limit:
                # Refused before a byte of it is read: nothing to wait for.
                response = closing(self.error_response(request, too_large))
            else:
                try:
                    response = await self.run(request)
                except (HTTPException, GatewayError) as exc:
                    response = self.error_response(request, exc)
                except StarletteHTTPException as exc:
                    # Starlette's own, e.g. a multipart body its parser refuses.
                    refusal = HTTPException(exc.status_code, exc.detail)
                    response = self.error_response(request, refusal)
                except BodyTooLarge:
                    response = self.error_response(request, too_large)
                except BodyStalled:
                    stalled = HTTPException(
                        408, f"The request body stopped arriving for {timeout:g} seconds."
                    )
                    response = closing(self.error_response(request, stalled))
            await response(scope, receive, send)
        finally:
            await request.close()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        # What the lifespan made (gateway.http.app), in the request's state.
        return GatewayContext(request=request, services=request.state.services)

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
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
        if isinstance(data, EncodedPart):  # bounded with its answer's other parts
            return data.encoded
        return _bounded_json(data, self._settings.max_response_bytes)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own GraphiQL build, never Strawberry's CDN-loaded page.
        return graphiql_page_response(request)


def _bounded_json(data: object, max_bytes: int) -> bytes:
    """``data`` as JSON, or, past ``max_bytes``, its errors alone plus ours.

    The output budget (gateway.budget) stops most answers growing past the
    bound while they are built; this is the backstop for what it estimates
    low, so no answer larger than the bound is ever sent. The parts of an
    incremental answer are bounded together (gateway.http.incremental).
    """
    encoded = orjson.dumps(data)
    if len(encoded) <= max_bytes or not isinstance(data, dict):
        return encoded
    refusal = too_large(max_bytes)
    payload = data.get("payload")
    if isinstance(payload, dict | orjson.Fragment):  # a WebSocket message: keep its envelope
        return orjson.dumps({**data, "payload": {"data": None, "errors": [refusal]}})
    return orjson.dumps({"data": None, "errors": [refusal]})
