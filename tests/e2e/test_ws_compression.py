"""permessage-deflate: small messages go plain, large ones compressed, both readable.

The client here is the websockets library, as the real clients' sockets are,
with a deflate extension that notes, for each message it receives, whether it
came compressed (the RSV1 bit), before decoding it as usual.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Frame, Opcode

from gateway.http.wsprotocol import PLAIN_BELOW
from tests.conftest import ALICE, global_id, seeded
from tests.servers import ServerProcess
from tests.wsclient import TRANSPORT_WS

EXPORT = """query ($id: ID!) { session(id: $id) { ... on JumpingSession {
  export { angles { name values } } } } }"""
TYPENAME = "{ __typename }"


class _Noting(PerMessageDeflate):
    received: list[tuple[bool, int]]

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        decoded = super().decode(frame, max_size=max_size)
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.received.append((frame.rsv1, len(decoded.data)))
        return decoded


class _NotingFactory(ClientPerMessageDeflateFactory):
    def __init__(self, received: list[tuple[bool, int]]) -> None:
        super().__init__()
        self._received = received

    def process_response_params(self, params: Any, accepted_extensions: Any) -> PerMessageDeflate:
        negotiated = super().process_response_params(params, accepted_extensions)
        negotiated.__class__ = _Noting
        negotiated.received = self._received  # type: ignore[attr-defined]
        return negotiated


async def test_small_messages_plain_large_ones_compressed(gateway_server: ServerProcess) -> None:
    received: list[tuple[bool, int]] = []
    answers: list[dict[str, Any]] = []
    async with connect(
        gateway_server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        extensions=[_NotingFactory(received)],
        compression=None,
    ) as ws:
        assert ws.protocol.extensions, "the gateway took no deflate"
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}}))
        answers.append(json.loads(await ws.recv()))
        session = global_id(seeded("alice", "Vertical Jump")[0])
        export = (EXPORT, {"id": session})
        operations = [(TYPENAME, {}), export, (TYPENAME, {}), export]
        for i, (query, variables) in enumerate(operations):
            payload = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
            async with asyncio.timeout(15):
                while True:
                    answers.append(json.loads(await ws.recv()))
                    if answers[-1]["type"] == "complete":
                        break
    kinds = [a["type"] for a in answers]
    assert kinds == ["connection_ack"] + ["next", "complete"] * 4
    assert answers[1]["payload"] == answers[5]["payload"] == {"data": {"__typename": "Query"}}
    # The second export decodes too: the compression context runs on across
    # the plain messages between.
    assert answers[3]["payload"]["data"]["session"]["export"]["angles"]
    assert answers[7]["payload"] == answers[3]["payload"]
    # Every message the client read went through the extension, in order: the
    # exports came compressed, everything small as it was, before and after.
    large = [False] * 3 + [True] + [False] * 3 + [True, False]
    assert [size >= PLAIN_BELOW for _, size in received] == large
    assert [compressed for compressed, _ in received] == large
