"""uvicorn's WebSocket protocol, with small messages sent uncompressed and the
frames of one turn of the event loop written together.

Browsers and the client libraries offer permessage-deflate, and uvicorn takes
it: every message is then compressed, each with its connection's own
compressor. A push is the same small frame to thousands of subscribers (a
``next`` with an analyzed video's status is about 300 bytes, then a
``complete``): compressing each one, per subscriber, saves a few hundred bytes
a message, and a message under :data:`PLAIN_BELOW` fits one TCP segment
compressed or not.

RFC 7692 lets a sender choose per message: a message sent without the RSV1
bit is not compressed, and the receiver's decompressor (its context kept
across messages) only reads the messages that have it. Larger messages, query
results and exports, are compressed as before.

The compressor is made for a connection's first large message, not when the
connection opens: a dashboard's connection, fifty subscriptions that only ever
get small frames, never holds one. With uvicorn's settings the deflate state of
a connection is 46.6 KB with its compressor and 7.8 KB without (tracemalloc,
100 of each): 0.76 KiB of every subscription's memory, at 50 a connection.

uvicorn hands each frame to the socket as it is sent: a system call, and on
loopback the receiver's wake-up, per frame. A subscription's last event is two
frames, ``next`` then ``complete``, sent one after the other; subscriptions of
one connection that a change reaches together send theirs in the same turn of
the loop too. Here the frames written in one turn go to the socket together,
at the end of that turn: one write. Flow control is the transport's, as
before (a send waits while the transport is paused); closing or aborting the
connection goes to the transport at once, closing after what is waiting.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode

__all__ = ["PLAIN_BELOW", "GatewayWebSocketProtocol"]

# Bytes: a message shorter than this is sent as it is.
PLAIN_BELOW = 1024

_WHOLE_MESSAGES = (Opcode.TEXT, Opcode.BINARY)
_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


class _SmallMessagesPlain(PerMessageDeflate):
    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: dict[Any, Any] | None = None,
    ) -> None:
        # As without context takeover, the parent makes no compressor here; the
        # first message compressed makes it (see encode).
        super().__init__(
            remote_no_context_takeover,
            True,
            remote_max_window_bits,
            local_max_window_bits,
            compress_settings,
        )
        self.local_no_context_takeover = local_no_context_takeover

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode not in _DATA:
            return frame  # a ping, pong or close: never compressed
        # Only a whole message in one frame: a fragmented one is compressed
        # throughout, as its first frame said.
        if frame.fin and frame.opcode in _WHOLE_MESSAGES and len(frame.data) < PLAIN_BELOW:
            return frame
        if "encoder" not in self.__dict__ and not self.local_no_context_takeover:
            self.encoder = zlib.compressobj(
                wbits=-self.local_max_window_bits, **self.compress_settings
            )
        return super().encode(frame)


class _Factory(ServerPerMessageDeflateFactory):
    def process_request_params(
        self, params: Sequence[tuple[str, str | None]], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[tuple[str, str | None]], PerMessageDeflate]:
        response, negotiated = super().process_request_params(params, accepted_extensions)
        extension = _SmallMessagesPlain(
            negotiated.remote_no_context_takeover,
            negotiated.local_no_context_takeover,
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            negotiated.compress_settings,
        )
        return response, extension


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol; its deflate sends small messages
    plain, and the frames of a turn of the loop are written together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn.available_extensions = [
            _plain_small(factory) for factory in self.conn.available_extensions or []
        ]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = _TurnWrites(self.transport, self.loop)  # type: ignore[assignment]


class _TurnWrites:
    """A transport whose writes in one turn of the loop reach the socket as one."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, abort, pause_reading, get_extra_info...)
        # is the transport's own.
        return getattr(self._transport, name)


def _plain_small(factory: Any) -> Any:
    """uvicorn's deflate factory, as ours with the same settings; any other as it is."""
    if type(factory) is not ServerPerMessageDeflateFactory:
        return factory
    return _Factory(
        server_no_context_takeover=factory.server_no_context_takeover,
        client_no_context_takeover=factory.client_no_context_takeover,
        server_max_window_bits=factory.server_max_window_bits,
        client_max_window_bits=factory.client_max_window_bits,
        compress_settings=factory.compress_settings,
        require_client_max_window_bits=factory.require_client_max_window_bits,
    )
