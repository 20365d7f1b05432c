"""One subscriber's undelivered news from its watch: a single slot, not a queue.

A subscriber wants the session's state now, not every state it went through:
a newer state replaces one not yet read, so a subscriber that reads slowly
costs one slot, whatever the watch delivers meanwhile. What ends the stream
is kept: a final state is never replaced, and the first error stays.

A watch hands its news to many mailboxes through its :class:`Outbox`: a
slice of :data:`SLICE` mailboxes per turn of the event loop, so that a change
with thousands of subscribers wakes them a few dozen at a time, and whatever
else the loop has to do (a query, another connection's frames) runs between
the slices, not after all of them. The outbox hands its items out in order,
each to the subscribers there were when it was handed out: every mailbox gets
them in that order, whoever joins or leaves meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection

from gateway.errors import GatewayError
from gateway.sessions import VideoState

__all__ = ["SLICE", "Mailbox", "Outbox"]

# Mailboxes handed an item in one turn of the loop.
SLICE = 64

_Item = VideoState | GatewayError


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


class Outbox:
    """One watch's hand-outs: each item to each of its mailboxes, in order,
    :data:`SLICE` mailboxes per turn of the loop."""

    __slots__ = ("_done", "_queue", "_scheduled")

    def __init__(self) -> None:
        # Each item not yet everywhere, with its mailboxes; the first one has
        # reached ``_done`` of them.
        self._queue: deque[tuple[tuple[Mailbox, ...], _Item]] = deque()
        self._done = 0
        self._scheduled = False

    def hand_out(self, mailboxes: Collection[Mailbox], item: _Item) -> None:
        """Put ``item`` in ``mailboxes`` (as they are now), after every item
        handed out before it; the first slice at once."""
        if not self._queue and len(mailboxes) <= SLICE:
            for mailbox in mailboxes:
                mailbox.put(item)
            return
        self._queue.append((tuple(mailboxes), item))
        if not self._scheduled:
            self._run()

    def _run(self) -> None:
        self._scheduled = False
        budget = SLICE
        while self._queue and budget:
            mailboxes, item = self._queue[0]
            end = min(self._done + budget, len(mailboxes))
            for mailbox in mailboxes[self._done : end]:
                mailbox.put(item)
            budget -= end - self._done
            self._done = end
            if end == len(mailboxes):
                self._queue.popleft()
                self._done = 0
        if self._queue:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)
