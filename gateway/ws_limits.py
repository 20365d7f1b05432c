"""The subscriptions-per-WebSocket bound, refused with ``LIMIT_EXCEEDED`` like every other bound.

Strawberry enforces ``max_subscriptions_per_connection`` itself, but its
refusal is a bare ``{"message": "Subscription limit reached"}``: no
``extensions.code``, which every error of ours carries. These handlers make
the same check first (the same condition, on the same bookkeeping) and send
the refusal with its code; Strawberry's own check then never fires.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from gateway.errors import LimitExceeded

__all__ = ["BoundedTransportWSHandler", "BoundedWSHandler"]


def _refusal(limit: int) -> GraphQLError:
    return GraphQLError(
        f"At most {limit} subscriptions at once on one WebSocket.",
        extensions={"code": LimitExceeded.code},
    )


class BoundedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws: an ``error`` message for the refused id; the socket stays open."""

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
    """Legacy graphql-ws: an ``error`` message for the refused id."""

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
