"""uvicorn's WebSocket protocol, with small messages sent uncompressed.

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
"""

from __future__ import annotations

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
    """uvicorn's ``websockets-sansio`` protocol; its deflate sends small messages plain."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn.available_extensions = [
            _plain_small(factory) for factory in self.conn.available_extensions or []
        ]


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
