"""A graphql-transport-ws subscription carried on by its selection's group.

Once a subscription's first event is out, its operation may hand it on to
its group (:mod:`schema.fanout`), which executes each later event once for
all its members. What stays on the connection is this: the subscription's id
(taken until it completes, counted against the connection's bound), and its
frames, written as the group hands it each payload.

A member's frames are written by a task of their own, so the group never
waits on a connection: a client that doesn't read holds up only its own
writes, until the connection's bound on unread results closes it with 4413
(:mod:`gateway.http.wsguard`). Frames are written in order; while one is being
written, only the newest of those that came meanwhile waits (a subscriber
wants the state now, not every state it went through), and a final one is
never replaced.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from gateway.http.incremental import too_large
from schema.fanout import Carried

__all__ = ["CarriedOperation"]

log = logging.getLogger(__name__)


class CarriedOperation(Carried):
    """One subscription id of one connection, written to by its group."""

    __slots__ = ("_bound", "_handler", "_id", "_left", "_queued", "_writing")

    def __init__(self, handler: Any, operation_id: str, bound: int) -> None:
        super().__init__()
        # The connection's protocol handler (gateway.http.wsguard): its
        # operations, and where its messages go.
        self._handler = handler
        self._id = operation_id
        # No payload larger than this is sent (the view's bound on answers).
        self._bound = bound
        self._left = False
        self._writing: asyncio.Task[None] | None = None
        self._queued: tuple[bytes, bool] | None = None

    def send(self, payload: bytes, final: bool) -> None:
        if self._left:
            return
        if self._writing is not None:
            if self._queued is None or not self._queued[1]:
                self._queued = (payload, final)
            return
        self._writing = asyncio.create_task(self._write(payload, final))

    def leave(self) -> None:
        # Nothing more goes out for an id the client completed (it may be
        # reused at once): not what waits, nor what a write has still to send.
        self._left = True
        self._queued = None
        super().leave()

    async def _write(self, payload: bytes, final: bool) -> None:
        handler, operation_id = self._handler, self._id
        # The frames, as Strawberry's handler encodes them, with the payload as
        # it is: the same bytes for every member of the group.
        quoted = orjson.dumps(operation_id)
        head = b'{"id":' + quoted + b',"type":"next","payload":'
        send = handler.websocket.send_text
        try:
            while not self._left:
                if len(head) + len(payload) + 1 > self._bound:  # as the view bounds messages
                    payload = self._refusal()
                await send((head + payload + b"}").decode())
                if final:
                    if self._left:
                        return
                    # The id is free again before the client hears so, as
                    # Strawberry has it.
                    handler.forget_carried(operation_id, self)
                    await send((b'{"id":' + quoted + b',"type":"complete"}').decode())
                    return
                queued, self._queued = self._queued, None
                if queued is None:
                    return
                payload, final = queued
        except Exception as exc:
            # The connection is going (the client left, or fell behind and is
            # being closed): its end ends this subscription.
            log.debug("a carried subscription's frame was not written: %s", type(exc).__name__)
        finally:
            self._writing = None

    def _refusal(self) -> bytes:
        """A payload past the bound, refused as the view refuses any answer."""
        return orjson.dumps({"data": None, "errors": [too_large(self._bound)]})
