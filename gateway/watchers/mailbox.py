"""One subscriber's undelivered news from its watch: a single slot, not a queue.

A subscriber wants the session's state now, not every state it went through:
a newer state replaces one not yet read, so a subscriber that reads slowly
costs one slot, whatever the watch delivers meanwhile. What ends the stream
is kept: a final state is never replaced, and the first error stays.

A watch hands its news to many mailboxes at once (:func:`hand_out`): a slice
per turn of the event loop, so that a change with thousands of subscribers
wakes them a few dozen at a time, and whatever else the loop has to do (a
query, another connection's frames) runs between the slices, not after all
of them. Each hand-out is numbered, so that a mailbox reached late by an
older one (it sat in a later slice) keeps the newer item.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Collection, Sequence

from gateway.errors import GatewayError
from gateway.sessions import VideoState

__all__ = ["SLICE", "Mailbox", "hand_out"]

# Mailboxes handed an item in one turn of the loop.
SLICE = 64
_hand_outs = itertools.count(1)


class Mailbox:
    __slots__ = ("_item", "_last", "_waiter")

    def __init__(self) -> None:
        self._item: VideoState | GatewayError | None = None
        self._last = 0  # the newest hand-out put here
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: VideoState | GatewayError, hand_out: int | None = None) -> None:
        """Hold ``item``; ``hand_out`` numbers it, and an older one is ignored."""
        if hand_out is not None:
            if hand_out < self._last:
                return
            self._last = hand_out
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


def hand_out(mailboxes: Collection[Mailbox], item: VideoState | GatewayError) -> None:
    """Put ``item`` in each of ``mailboxes`` (as they are now): :data:`SLICE` of
    them at once, the next slice at the loop's next turn. A mailbox keeps the
    newer of two items handed out one after the other, whichever reaches it first."""
    number = next(_hand_outs)
    if len(mailboxes) <= SLICE:
        for mailbox in mailboxes:
            mailbox.put(item, number)
        return
    _put_slice(tuple(mailboxes), 0, item, number)


def _put_slice(
    mailboxes: Sequence[Mailbox], start: int, item: VideoState | GatewayError, number: int
) -> None:
    end = start + SLICE
    for mailbox in mailboxes[start:end]:
        mailbox.put(item, number)
    if end < len(mailboxes):
        asyncio.get_running_loop().call_soon(_put_slice, mailboxes, end, item, number)
