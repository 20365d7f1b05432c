"""A small GraphQL-over-WebSocket client for tests, speaking either protocol.

Real clients (gql) are used where the point is interoperability; this one
gives tests exact control: many subscriptions on one socket, raw messages.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

__all__ = ["SubscriptionError", "WSClient", "ws_client"]

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class SubscriptionError(Exception):
    def __init__(self, payload: Any) -> None:
        super().__init__(json.dumps(payload))
        self.payload = payload

    @property
    def codes(self) -> list[str]:
        errors = (
            self.payload
            if isinstance(self.payload, list)
            else self.payload.get("errors", [self.payload])
        )
        return [e.get("extensions", {}).get("code") for e in errors]


class WSClient:
    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = itertools.count(1)
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        # Legacy graphql-ws keep-alives ("ka", no id): counted, each one signalled.
        self.keep_alives: asyncio.Queue[None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            kind = message.get("type")
            if kind in ("ping",):
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if kind == "ka":
                self.keep_alives.put_nowait(None)
                continue
            queue = self._queues.get(message.get("id", ""))
            if queue is not None:
                queue.put_nowait(message)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        op_id = str(next(self._ids))
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queues[op_id] = queue
        start = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.ws.send(
            json.dumps(
                {
                    "id": op_id,
                    "type": start,
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        try:
            while True:
                message = await queue.get()
                kind = message["type"]
                if kind in ("next", "data"):
                    payload = message["payload"]
                    if payload.get("errors"):
                        raise SubscriptionError(payload["errors"])
                    yield payload["data"]
                elif kind == "error":
                    raise SubscriptionError(message["payload"])
                elif kind == "complete":
                    return
        finally:
            self._queues.pop(op_id, None)

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


@asynccontextmanager
async def ws_client(
    url: str, key: str | None, protocol: str = TRANSPORT_WS, *, header_key: str | None = None
) -> AsyncIterator[WSClient]:
    headers = {"Authorization": header_key} if header_key else None
    async with connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=headers,
    ) as ws:
        payload = {"Authorization": key} if key else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        client = WSClient(ws, protocol)
        try:
            yield client
        finally:
            client._reader.cancel()


async def collect(
    events: AsyncIterator[dict[str, Any]], timeout: float = 15.0
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def run() -> None:
        async for event in events:
            out.append(event)

    await asyncio.wait_for(run(), timeout)
    return out
