"""Every operation takes one path: an extension added to the schema runs for a
first and a repeated operation alike, over POST, GET and WebSocket, and for
a subscription. (Repeated texts are served from a cache in front of parsing
and validation, schema.documents, never by a copy of the extensions' work.)"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from starlette.types import ASGIApp
from strawberry.extensions import SchemaExtension

import gateway.http.view
import schema
from gateway.config import Settings
from gateway.http.app import create_app
from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.asgi import ASGIWebSocket, running
from tests.conftest import global_id, seeded

ALICE = "API-KEY alice-demo-key"
READY = global_id(seeded("alice", "Vertical Jump", video="ready")[0])
QUERY = "query ($id: ID!) { session(id: $id) { title } }"
SUBSCRIPTION = "subscription Watch($id: ID!) { analyzedVideo(id: $id) { status } }"
HOOKS = ("operation", "parse", "validate", "execute")


class Probe(SchemaExtension):
    """A throwaway extension: notes each hook it ran, by operation text."""

    runs: ClassVar[list[tuple[str | None, str]]] = []

    def _note(self, hook: str) -> Iterator[None]:
        yield
        self.runs.append((self.execution_context.query, hook))

    def on_operation(self) -> Iterator[None]:
        yield from self._note("operation")

    def on_parse(self) -> Iterator[None]:
        yield from self._note("parse")

    def on_validate(self) -> Iterator[None]:
        yield from self._note("validate")

    def on_execute(self) -> Iterator[None]:
        yield from self._note("execute")


@pytest.fixture
async def app(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ASGIApp]:
    Probe.runs = []
    monkeypatch.setattr(
        gateway.http.view,
        "build_schema",
        functools.partial(schema.build_schema, extensions=[Probe]),
    )
    sandbox = httpx.ASGITransport(app=create_sandbox_app(SandboxConfig()))
    gateway_app = create_app(Settings(upstream_url="http://sandbox"), transport=sandbox)
    async with running(gateway_app) as served:
        yield served


def _hooks(text: str) -> list[str]:
    return [hook for query, hook in Probe.runs if query == text]


async def _ws_operation(app: ASGIApp, message: dict[str, Any]) -> list[dict[str, Any]]:
    """One operation over graphql-transport-ws: its messages up to ``complete``."""
    received = []
    async with ASGIWebSocket(app, "/graphql", ["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": message})
        while True:
            frame = await ws.receive_json()
            if frame["type"] == "ping":
                await ws.send_json({"type": "pong"})
                continue
            received.append(frame)
            if frame["type"] in ("complete", "error"):
                return received


async def test_an_added_extension_runs_on_first_and_repeated_queries_over_post_and_get(
    app: ASGIApp,
) -> None:
    body = {"query": QUERY, "variables": {"id": READY}}
    headers = {"Authorization": ALICE}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        for _ in range(3):
            answer = await client.post("/graphql", json=body, headers=headers)
            assert answer.status_code == 200 and answer.json()["data"]["session"]["title"]
        params = {"query": QUERY, "variables": json.dumps({"id": READY})}
        for _ in range(2):
            answer = await client.get("/graphql", params=params, headers=headers)
            assert answer.status_code == 200 and answer.json()["data"]["session"]["title"]
    assert _hooks(QUERY) == [*HOOKS[1:], HOOKS[0]] * 5


async def test_an_added_extension_runs_on_first_and_repeated_operations_over_websocket(
    app: ASGIApp,
) -> None:
    for _ in range(2):
        frames = await _ws_operation(app, {"query": QUERY, "variables": {"id": READY}})
        assert frames[0]["type"] == "next" and frames[0]["payload"]["data"]["session"]["title"]
    for _ in range(2):
        frames = await _ws_operation(app, {"query": SUBSCRIPTION, "variables": {"id": READY}})
        statuses = [f["payload"]["data"]["analyzedVideo"]["status"] for f in frames[:-1]]
        assert statuses == ["READY"] and frames[-1]["type"] == "complete"
    assert _hooks(QUERY) == [*HOOKS[1:], HOOKS[0]] * 2
    # A subscription's execute hook closes when its stream ends, as its operation does.
    assert sorted(_hooks(SUBSCRIPTION)) == sorted(HOOKS * 2)
