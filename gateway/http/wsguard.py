"""The bounds on WebSocket connections: how many, what each may hold, how long it may idle.

:class:`WebSocketGuard` is ASGI middleware that sees every WebSocket
connection's messages, whichever GraphQL protocol it speaks:

- **Connections are bounded** per client address (checked at the upgrade) and
  per API key (checked at ``connection_init``, by :meth:`WebSocketLimits.admit_key`).
- **``connection_init`` is due** within ``init_timeout`` seconds of the
  upgrade, on both protocols (Strawberry's own timer covers only
  ``graphql-transport-ws``); else the connection is closed with 4408.
- **Results wait in a bounded queue.** Sends wait while the client isn't
  reading (uvicorn's flow control). Results that wait past ``max_pending_bytes``
  mean the client has fallen behind: it is closed with 4413 and every later
  result is dropped, so a client that never reads holds at most that much
  memory, not every result it asked for. If it can't even take the close
  frame, the connection is aborted.
- **Frames are checked before the protocol handlers see them**
  (:func:`gateway.http.wsframes.frame_problem`): a frame that isn't a JSON object,
  or whose fields have the wrong JSON type, closes its socket with 4400 and a
  short reason, on both protocols.
- **A disconnect is an event, not an error:** one INFO line.

Two bounds sit in the GraphQL protocols instead, where the messages are
understood: **subscriptions per connection**, refused by the protocol
handlers here (Strawberry's own refusal, a bare ``{"message": "Subscription
limit reached"}``, has no ``extensions.code``: these make the same check
first, on the same bookkeeping, and refuse with ``LIMIT_EXCEEDED``), and
queries and mutations run a few at a time per connection
(``schema.extensions.WebSocketOperationLimit``, a schema extension).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import Counter
from contextlib import aclosing
from typing import Any

from graphql import GraphQLError, OperationType
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage
from strawberry.types.execution import PreExecutionError

from gateway.errors import LimitExceeded
from gateway.http.graphql_http import GraphQLOverHTTP
from gateway.http.incremental import EncodedPart, encoded_parts
from gateway.http.wscarry import CarriedOperation
from gateway.http.wsframes import CLOSE_INVALID_MESSAGE, frame_problem
from schema.context import GatewayContext
from schema.fanout import Fanout, Offer, offered

__all__ = [
    "CLOSE_INIT_TIMEOUT",
    "CLOSE_INVALID_MESSAGE",
    "CLOSE_TOO_SLOW",
    "BoundedTransportWSHandler",
    "BoundedWSHandler",
    "WebSocketGuard",
    "WebSocketLimits",
]

log = logging.getLogger(__name__)

# graphql-transport-ws's code for a missing connection_init; used for both protocols.
CLOSE_INIT_TIMEOUT = 4408
CLOSE_TOO_SLOW = 4413
# How long a client that has fallen behind gets to take its close frame.
_CLOSE_GRACE = 2.0


class SlowConsumer(ConnectionResetError):
    """Raised to a sender whose client has fallen behind: the result is dropped.
    An ``OSError``, so Starlette reports it as a disconnect."""


class WebSocketLimits:
    """Counts of open connections per client address and per API key fingerprint."""

    def __init__(
        self,
        *,
        max_per_address: int,
        max_per_key: int,
        init_timeout: float,
        max_pending_bytes: int,
    ) -> None:
        self.max_per_address = max_per_address
        self.max_per_key = max_per_key
        self.init_timeout = init_timeout
        self.max_pending_bytes = max_pending_bytes
        self.per_address: Counter[str] = Counter()
        self.per_key: Counter[str] = Counter()

    def admit_key(self, scope: Scope, fingerprint: str) -> bool:
        """Count the connection against its key; ``False`` when the key is at its bound.
        A connection counts once, whatever it sends later."""
        if "gateway.ws_key" in scope:
            return True
        if self.max_per_key and self.per_key[fingerprint] >= self.max_per_key:
            return False
        self.per_key[fingerprint] += 1
        scope["gateway.ws_key"] = fingerprint
        return True

    def _release(self, scope: Scope, address: str) -> None:
        _decrement(self.per_address, address)
        key = scope.get("gateway.ws_key")
        if key is not None:
            _decrement(self.per_key, key)


def _decrement(counter: Counter[str], name: str) -> None:
    counter[name] -= 1
    if counter[name] <= 0:
        del counter[name]


class WebSocketGuard:
    def __init__(self, app: ASGIApp, *, limits: WebSocketLimits) -> None:
        self._app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self._app(scope, receive, send)
            return
        limits = self._limits
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        if limits.max_per_address and limits.per_address[address] >= limits.max_per_address:
            log.info("WebSocket refused: %d connections from this address", limits.max_per_address)
            await send({"type": "websocket.close", "code": WS_1008_POLICY_VIOLATION})
            return
        limits.per_address[address] += 1
        connection = _Connection(send, limits)
        try:
            await self._app(scope, connection.receiver(receive), connection.send)
        except OSError:
            pass  # the client went away mid-send; logged below
        finally:
            limits._release(scope, address)
            await connection.finish()
        log.info("WebSocket closed%s", f" ({connection.reason})" if connection.reason else "")


class _Connection:
    """One connection's outgoing side: the init timer and the bounded send queue."""

    def __init__(self, send: Send, limits: WebSocketLimits) -> None:
        self._send = send
        self._limits = limits
        self._pending = 0
        self._acked = False
        self._closed = False
        self._init_timer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._protocol: str | None = None
        self.reason = ""

    def receiver(self, receive: Receive) -> Receive:
        """``receive``, ending the connection at the first frame of the wrong shape:
        the app sees a disconnect instead of the frame."""

        async def checked() -> Message:
            message = await receive()
            text = message.get("text") if message["type"] == "websocket.receive" else None
            if text is None or self._protocol is None:
                return message
            problem = frame_problem(self._protocol, text)
            if problem is None:
                return message
            self._close(CLOSE_INVALID_MESSAGE, problem)
            await self.finish()  # the close frame is out before the app hears of it
            return {"type": "websocket.disconnect", "code": CLOSE_INVALID_MESSAGE}

        return checked

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self._protocol = message.get("subprotocol")
            await self._send(message)
            self._init_timer = asyncio.create_task(self._await_init())
            return
        if kind == "websocket.close":
            self._closed = True
        if kind != "websocket.send":
            await self._send(message)
            return
        if self._closed:
            raise SlowConsumer("the connection is closing")
        data = message.get("text") or message.get("bytes") or b""
        if not self._acked and '"connection_ack"' in str(data):
            self._acked = True
        size = len(data)
        if self._pending + size > self._limits.max_pending_bytes:
            self._close(CLOSE_TOO_SLOW, "Client too slow: results dropped")
            raise SlowConsumer("the client has fallen behind")
        self._pending += size
        try:
            await self._send(message)
        finally:
            self._pending -= size

    async def _await_init(self) -> None:
        await asyncio.sleep(self._limits.init_timeout)
        if not self._acked and not self._closed:
            self._close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")

    def _close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        self.reason = reason
        self._closing = asyncio.create_task(self._close_now(code, reason))

    async def _close_now(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(_CLOSE_GRACE):
                await self._send({"type": "websocket.close", "code": code, "reason": reason})
            return
        except (TimeoutError, OSError, RuntimeError):
            pass
        # The client can't even take the close frame: drop the connection, and
        # with it every result still waiting to be written.
        server_send = inspect.unwrap(self._send)
        transport: Any = getattr(getattr(server_send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()

    async def finish(self) -> None:
        if self._init_timer is not None:
            self._init_timer.cancel()
        if self._closing is not None:
            await asyncio.gather(self._closing, return_exceptions=True)


class _CarriedOn(_OperationStreamClosed):
    """Ends an operation handed on to its group: no ``complete`` is sent (the
    group sends it when the subscription ends)."""


def _refusal(limit: int) -> GraphQLError:
    return GraphQLError(
        f"At most {limit} subscriptions at once on one WebSocket.",
        extensions={"code": LimitExceeded.code},
    )


class BoundedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws: an ``error`` message for the refused id; the socket stays open.
    A ``connection_init`` whose payload is null is one without a payload, as the
    protocol has it (Strawberry's closes it with 4400). ``@defer`` and ``@stream``
    are answered in parts, one ``next`` message each (Strawberry's refuses them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.context, GatewayContext):
            self.context.incremental = True
        # Subscriptions carried on by their group, by id (gateway.http.wscarry).
        self._carried: dict[str, CarriedOperation] = {}

    async def run_operation(self, operation: Operation[Any, None]) -> None:
        # Each operation runs in a task of its own: the offer is this one's.
        offered().set(Offer())
        await super().run_operation(operation)

    async def _send_result_stream(
        self, operation: Operation[Any, None], result_source: Any
    ) -> None:
        view = self.view
        bound = view.max_response_bytes if isinstance(view, GraphQLOverHTTP) else 2**62
        first = True
        async with aclosing(encoded_parts(result_source, bound)) as results:
            async for result in results:
                if isinstance(result, EncodedPart):
                    payload = result.fragment()
                    message: Any = {"id": operation.id, "type": "next", "payload": payload}
                    await operation.send_operation_message(message)
                elif first and isinstance(result, PreExecutionError):
                    await self._handle_pre_execution_error(operation, result)
                    return
                else:
                    await operation.send_next(result)
                if first and self._carry_on(operation, result, bound):
                    raise _CarriedOn
                first = False

    def _carry_on(self, operation: Operation[Any, None], result: Any, bound: int) -> bool:
        """Hand the subscription on to its selection's group (schema.fanout),
        now that its first event is out: its operation then ends, without a
        ``complete``."""
        offer = offered().get()
        fanout = getattr(self.schema, "fanout", None)
        if offer is None or not isinstance(fanout, Fanout):
            return False
        if not callable(getattr(self.websocket, "send_text", None)):
            return False  # an adapter that can't send a frame as it is
        if operation.completed or self.operations.get(operation.id) is not operation:
            return False  # ended meanwhile (the client completed it)
        member = CarriedOperation(self, operation.id, bound)
        if not fanout.carry(offer, result, member):
            return False
        self._carried[operation.id] = member
        operation.task = None  # done as soon as the operation has ended
        return True

    def forget_carried(self, operation_id: str, member: CarriedOperation) -> None:
        """A carried subscription has completed: its id is free (unless it is
        another's already)."""
        if self._carried.get(operation_id) is member:
            del self._carried[operation_id]
            self.operations.pop(operation_id, None)

    async def cleanup_operation(self, operation_id: str) -> None:
        member = self._carried.pop(operation_id, None)
        if member is None:
            await super().cleanup_operation(operation_id)
            return
        self.operations.pop(operation_id, None)
        member.leave()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if message.get("payload", {}) is None:
            message = {"type": "connection_init"}
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            limit is not None
            and self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            payload = [_refusal(limit).formatted]
            await self.send_message({"id": message["id"], "type": "error", "payload": payload})
            return
        await super().handle_subscribe(message)


class BoundedWSHandler(BaseGraphQLWSHandler[Any, None]):
    """Legacy graphql-ws: an ``error`` message for the refused id, and queries
    and mutations answered once (Strawberry's handler runs every operation as
    a subscription, and a query ended as INTERNAL)."""

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        # The schema's document cache: parsed here, not parsed again to run.
        view = self.view
        if not isinstance(view, GraphQLOverHTTP):
            raise TypeError("the legacy handler serves the gateway's view (gateway.http.app)")
        kind = view.documents.operation_type(query, operation_name)
        if kind in (None, OperationType.SUBSCRIPTION):
            # Subscriptions, and documents that don't parse or name no
            # operation: Strawberry's path reports those with their codes.
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation_name,
            )
            if isinstance(result, PreExecutionError) and result.errors:
                payload: Any = result.errors[0].formatted
                await self.send_message({"type": "error", "id": operation_id, "payload": payload})
                return
            await self.send_data_message(result, operation_id)
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            self.tasks.pop(operation_id, None)

    async def handle_start(self, message: StartMessage) -> None:
        limit = self.max_subscriptions_per_connection
        operation_id = message["id"]
        if (
            limit is not None
            and self.connection_acknowledged
            and operation_id not in self.tasks
            and len(self.tasks) >= limit
        ):
            payload: Any = _refusal(limit).formatted
            await self.send_message({"type": "error", "id": operation_id, "payload": payload})
            return
        await super().handle_start(message)
