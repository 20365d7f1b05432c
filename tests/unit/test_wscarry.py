"""A carried subscription's frames on its connection (gateway.http.wscarry)."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.http.wscarry import CarriedOperation


class Handler:
    """The protocol handler's part a member uses: its socket, and its ids."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.gate = asyncio.Event()
        self.websocket = self
        self._carried: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}

    async def send_text(self, text: str) -> None:
        await self.gate.wait()  # a client that isn't reading, until the test says
        self.sent.append(text)

    def forget_carried(self, operation_id: str, member: Any) -> None:
        if self._carried.get(operation_id) is member:
            del self._carried[operation_id]
            self.operations.pop(operation_id, None)


async def test_nothing_more_goes_out_once_the_client_has_completed_the_id() -> None:
    """A READY being written when the client completes the subscription and
    takes its id again: the old member's ``complete`` never goes out, and the
    new subscription keeps its place."""
    handler = Handler()
    old = CarriedOperation(handler, "s0", bound=1 << 20)
    handler._carried["s0"] = old
    old.send(b'{"data":{"analyzedVideo":{"status":"READY"}}}', final=True)
    await asyncio.sleep(0)  # its write is under way, waiting on the socket
    # The client's complete (cleanup_operation), then a new subscription, s0 again.
    del handler._carried["s0"]
    old.leave()
    new = object()
    handler._carried["s0"] = new
    handler.operations["s0"] = new
    handler.gate.set()
    await asyncio.sleep(0.01)
    assert all('"complete"' not in text for text in handler.sent), handler.sent
    assert len(handler.sent) <= 1  # at most the frame already on its way
    assert handler._carried["s0"] is new and handler.operations["s0"] is new


async def test_a_slow_member_gets_the_newest_change_and_its_final_one_in_order() -> None:
    handler = Handler()
    member = CarriedOperation(handler, "s0", bound=1 << 20)
    handler._carried["s0"] = member
    member.send(b'{"n":1}', final=False)
    await asyncio.sleep(0)
    member.send(b'{"n":2}', final=False)  # replaced by the next while waiting
    member.send(b'{"n":3}', final=False)
    member.send(b'{"n":4}', final=True)
    member.send(b'{"n":5}', final=False)  # nothing replaces a final one
    handler.gate.set()
    await asyncio.sleep(0.01)
    assert handler.sent == [
        '{"id":"s0","type":"next","payload":{"n":1}}',
        '{"id":"s0","type":"next","payload":{"n":4}}',
        '{"id":"s0","type":"complete"}',
    ]
    assert "s0" not in handler._carried
