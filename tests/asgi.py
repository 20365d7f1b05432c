"""The gateway app in process, as a server would run it: no socket.

:func:`running` runs the app's lifespan and hands its state to every request,
as uvicorn does; :class:`ASGIWebSocket` is a WebSocket client for such an
app (Starlette's TestClient would do it from a thread, through a client
library the project does not otherwise use).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class CountingUpstream(httpx.AsyncBaseTransport):
    """The sandbox app as the gateway's upstream, in process, counting the calls it gets."""

    def __init__(self) -> None:
        from gateway.sandbox import SandboxConfig, create_sandbox_app

        self.calls = 0
        self._sandbox = httpx.ASGITransport(app=create_sandbox_app(SandboxConfig()))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self._sandbox.handle_async_request(request)


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[ASGIApp]:
    """``app`` with its lifespan started; each request gets a copy of its state."""
    async with app.router.lifespan_context(app) as state:
        shared = dict(state or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                scope = {**scope, "state": {**shared, **scope.get("state", {})}}
            await app(scope, receive, send)

        yield with_state


class WebSocketClosed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed with {code}: {reason}")
        self.code = code


class ASGIWebSocket:
    def __init__(self, app: ASGIApp, path: str, subprotocols: list[str]) -> None:
        self._app = app
        self._scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"gateway")],
            "subprotocols": subprotocols,
            "client": ("127.0.0.1", 50000),
            "server": ("gateway", 80),
            "state": {},
        }
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ASGIWebSocket:
        self._task = asyncio.create_task(
            self._app(self._scope, self._to_app.get, self._from_app.put)  # type: ignore[arg-type]
        )
        await self._to_app.put({"type": "websocket.connect"})
        accepted = await self._next()
        assert accepted["type"] == "websocket.accept", accepted
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        assert self._task is not None
        await asyncio.wait_for(self._task, 10)

    async def _next(self) -> Message:
        return await asyncio.wait_for(self._from_app.get(), 10)

    async def send_json(self, data: object) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json(self) -> Any:
        message = await self._next()
        if message["type"] == "websocket.close":
            raise WebSocketClosed(message.get("code", 1000), message.get("reason", ""))
        return json.loads(message.get("text") or message["bytes"])
