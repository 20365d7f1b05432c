"""@defer on a real server: the first part comes before a slow export, on every transport.

The sandbox answers each export after 1.5 s and the listing (and a session's
details) after 0.6 s. The session page's query defers the exports: its first
part comes once the listing is in, well before any export could have been
answered; the exports start only after it (none during the first part), one
per distinct session, all at once; the deferred part follows when they are in.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import ALICE
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import TRANSPORT_WS

EXPORT_S = 1.5
LISTING_S = 0.6
APOLLO = (
    "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"
)

PAGE = """
query SessionPage {
  sessions(first: 3) {
    edges {
      node {
        id
        title
        ... @defer(label: "export") { export { timestamps(frames: {start: 0, end: 2}) } }
      }
    }
  }
}
"""


@pytest.fixture
def slow_export(sandbox: SandboxControl) -> SandboxControl:
    # The first key that matches a path applies: exports, then everything else.
    sandbox.configure(
        route_latency_ms={"/export/": EXPORT_S * 1000, "/sessions/": LISTING_S * 1000}
    )
    return sandbox


async def export_calls(stats: httpx.AsyncClient) -> dict[str, int]:
    by_session = (await stats.get("/__sandbox__/stats")).json()["by_session"]
    return {
        session: n
        for session, routes in by_session.items()
        for route, n in routes.items()
        if route.endswith("/export/")
    }


async def timed(parts: AsyncIterator[dict[str, Any]]) -> list[tuple[float, dict[str, Any]]]:
    started = time.monotonic()
    return [(time.monotonic() - started, part) async for part in parts]


def check(timeline: list[tuple[float, dict[str, Any]]], exports: dict[str, int]) -> None:
    (first_at, first), (last_at, last) = timeline
    edges = first["data"]["sessions"]["edges"]
    assert first["hasNext"] is True and len(edges) == 3
    assert all("export" not in e["node"] and e["node"]["title"] for e in edges)
    # The first part waited for the listing, and for no export.
    assert LISTING_S <= first_at < EXPORT_S, timeline
    assert last["hasNext"] is False
    paths = sorted(d["path"][2] for d in last["incremental"])
    assert paths == [0, 1, 2]
    assert all(d["label"] == "export" for d in last["incremental"])
    # The exports started after the first part, all at once, one per session.
    assert last_at - first_at >= EXPORT_S - 0.05, timeline
    assert last_at < first_at + 2 * EXPORT_S, timeline
    assert sorted(exports.values()) == [1, 1, 1], exports


async def none_during_the_first_part(stats: httpx.AsyncClient) -> dict[str, int]:
    """The exports asked for while the first part is still being made (its listing waits)."""
    await asyncio.sleep(LISTING_S / 2)
    return await export_calls(stats)


async def multipart_parts(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    assert response.headers["content-type"] == ('multipart/mixed; boundary="-"; deferSpec=20220824')
    buffer = b""
    async for chunk in response.aiter_raw():
        buffer += chunk
        while True:
            start = buffer.find(b"\r\n\r\n")
            end = buffer.find(b"\r\n---", start)
            if start < 0 or end < 0:
                break
            yield json.loads(buffer[start + 4 : end])
            buffer = buffer[end + len(b"\r\n---") :]


async def test_multipart_first_part_comes_before_the_slow_export(
    gateway_server: ServerProcess, slow_export: SandboxControl
) -> None:
    async with (
        httpx.AsyncClient(base_url=gateway_server.url, timeout=30) as http,
        httpx.AsyncClient(base_url=slow_export.url) as stats,
    ):
        headers = {"Authorization": ALICE, "Accept": APOLLO}
        during = asyncio.create_task(none_during_the_first_part(stats))
        async with http.stream("POST", "/graphql", json={"query": PAGE}, headers=headers) as r:
            timeline = await timed(multipart_parts(r))
        assert await during == {}
        check(timeline, await export_calls(stats))


async def test_server_sent_events_first_part_comes_before_the_slow_export(
    gateway_server: ServerProcess, slow_export: SandboxControl
) -> None:
    async def events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "next":
                yield json.loads(line.removeprefix("data: "))

    async with (
        httpx.AsyncClient(base_url=gateway_server.url, timeout=30) as http,
        httpx.AsyncClient(base_url=slow_export.url) as stats,
    ):
        headers = {"Authorization": ALICE, "Accept": "text/event-stream"}
        during = asyncio.create_task(none_during_the_first_part(stats))
        async with http.stream("POST", "/graphql", json={"query": PAGE}, headers=headers) as r:
            timeline = await timed(events(r))
        assert await during == {}
        check(timeline, await export_calls(stats))


async def test_graphql_transport_ws_sends_each_part_as_a_next_message(
    gateway_server: ServerProcess, slow_export: SandboxControl
) -> None:
    url = gateway_server.url.replace("http://", "ws://") + "/graphql"
    async with (
        connect(url, subprotocols=[TRANSPORT_WS]) as ws,  # type: ignore[list-item]
        httpx.AsyncClient(base_url=slow_export.url) as stats,
    ):
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": PAGE}}
        kinds: list[str] = []

        async def nexts() -> AsyncIterator[dict[str, Any]]:
            await ws.send(json.dumps(subscribe))
            while True:
                message = json.loads(await ws.recv())
                kinds.append(message["type"])
                if message["type"] == "complete":
                    return
                assert message["type"] == "next" and message["id"] == "1", message
                yield message["payload"]

        during = asyncio.create_task(none_during_the_first_part(stats))
        timeline = await timed(nexts())
        assert await during == {}
        check(timeline, await export_calls(stats))
    assert kinds == ["next", "next", "complete"]


async def test_a_client_of_one_result_waits_for_the_export(
    gateway_server: ServerProcess, slow_export: SandboxControl
) -> None:
    async with (
        httpx.AsyncClient(base_url=gateway_server.url, timeout=30) as http,
        httpx.AsyncClient(base_url=slow_export.url) as stats,
    ):
        started = time.monotonic()
        response = await http.post(
            "/graphql", json={"query": PAGE}, headers={"Authorization": ALICE}
        )
        took = time.monotonic() - started
        exports = await export_calls(stats)
    body = response.json()
    assert "errors" not in body and "hasNext" not in body
    edges = body["data"]["sessions"]["edges"]
    assert all(len(e["node"]["export"]["timestamps"]) == 2 for e in edges)
    assert took >= LISTING_S + EXPORT_S - 0.05
    assert sorted(exports.values()) == [1, 1, 1]
