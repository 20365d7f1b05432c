"""The WebSocket protocol: the frames of one turn of the loop in one write, and a
compressor only once a message needs one."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from gateway.http.wsprotocol import _SmallMessagesPlain, _TurnWrites


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info {name}"


def _turn_writes() -> tuple[_TurnWrites, _Transport]:
    transport = _Transport()
    return _TurnWrites(transport, asyncio.get_running_loop()), transport  # type: ignore[arg-type]


async def test_the_frames_of_one_turn_reach_the_socket_as_one_write() -> None:
    turn, transport = _turn_writes()
    turn.write(b"next")
    turn.write(b"")
    turn.write(b"complete")
    assert transport.writes == []  # not yet: at the end of this turn
    await asyncio.sleep(0)
    assert transport.writes == [b"nextcomplete"]
    turn.write(b"later")
    await asyncio.sleep(0)
    assert transport.writes == [b"nextcomplete", b"later"]


async def test_closing_writes_what_waits_first_and_aborting_drops_it() -> None:
    turn, transport = _turn_writes()
    turn.write(b"close frame")
    turn.close()
    assert transport.writes == [b"close frame"] and transport.closed
    await asyncio.sleep(0)
    assert transport.writes == [b"close frame"]

    turn, transport = _turn_writes()
    turn.write(b"never sent")
    turn.abort()  # the transport's own
    await asyncio.sleep(0)
    assert transport.aborted and transport.writes == []


async def test_everything_else_is_the_transports_own() -> None:
    turn, transport = _turn_writes()
    assert turn.get_extra_info("peername") == "info peername"
    assert not turn.is_closing()
    transport.close()
    assert turn.is_closing()


def test_a_connections_compressor_waits_for_its_first_large_message() -> None:
    """Pings, closes and small messages never make one; the first large message does,
    and the messages after it are compressed in one context."""
    deflate = _SmallMessagesPlain(False, False, 12, 12, {"memLevel": 5})
    for frame in (
        Frame(Opcode.PING, b"keep-alive"),
        Frame(Opcode.TEXT, b'{"type":"next"}'),
        Frame(Opcode.CLOSE, b"\x03\xe8"),
    ):
        assert deflate.encode(frame) is frame
    assert "encoder" not in vars(deflate)
    large = b'{"values": [' + b"0.5, " * 400 + b"1]}"
    first, second = (
        deflate.encode(Frame(Opcode.TEXT, large)),
        deflate.encode(Frame(Opcode.TEXT, large)),
    )
    assert "encoder" in vars(deflate) and first.rsv1 and second.rsv1
    assert len(second.data) < len(first.data) < len(large)  # the context carried over
    reader = PerMessageDeflate(False, False, 12, 12)
    assert reader.decode(first).data == reader.decode(second).data == large
