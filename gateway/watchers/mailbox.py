"""One subscriber's undelivered news from its watch: a single slot, not a queue.

A subscriber wants the session's state now, not every state it went through:
a newer state replaces one not yet read, so a subscriber that reads slowly
costs one slot, whatever the watch delivers meanwhile. What ends the stream
is kept: a final state is never replaced, and the first error stays.
"""

from __future__ import annotations

import asyncio

from gateway.errors import GatewayError
from gateway.sessions import VideoState

__all__ = ["Mailbox"]


class Mailbox:
    __slots__ = ("_item", "_waiter")

    def __init__(self) -> None:
        self._item: VideoState | GatewayError | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: VideoState | GatewayError) -> None:
        held = self._item
        if isinstance(held, GatewayError) or (isinstance(held, VideoState) and held.final):
            return
        self._item = item
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> VideoState | GatewayError:
        while (item := self._item) is None:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        self._item = None
        return item
