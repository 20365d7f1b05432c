"""One execution per event and selection (schema.shared_events), seen from outside.

Subscribers of the same selection of one session get one execution of it per
event, whatever transport they came by; subscribers whose selections differ
each get exactly the fields they asked for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.conftest import ALICE, upload
from tests.e2e.test_http_edges import parse_metrics, value
from tests.ids import global_id_of
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess
from tests.wsclient import LEGACY_WS, TRANSPORT_WS, ws_client

EVENTS = "gateway_subscription_events_total"
WITH_TITLE = """subscription ($id: ID!) {
  analyzedVideo(id: $id) { status session { title } }
}"""


SSE = "text/event-stream"
MULTIPART = 'multipart/mixed;subscriptionSpec="1.0"'


async def http_events(
    http: httpx.AsyncClient, accept: str, query: str, variables: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """A subscription over HTTP, server-sent events or multipart/mixed
    (``subscriptionSpec="1.0"``): each event's ``data``."""
    async with http.stream(
        "POST",
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": ALICE, "Accept": accept},
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if accept == SSE and line.startswith("data: {"):
                payload = json.loads(line[len("data: ") :])
            elif accept == MULTIPART and line.startswith("{") and '"payload"' in line:
                payload = json.loads(line)["payload"]
            else:
                continue  # framing, heartbeats, the end
            assert "errors" not in payload, payload
            yield payload["data"]


async def until_final(events: AsyncIterator[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Every event up to the READY one (which ends the subscription)."""
    seen: list[dict[str, Any]] = []
    async for event in events:
        seen.append(event[field])
        if event[field]["status"] != "PROCESSING":
            break
    return seen


def events_made(url: str) -> tuple[float, float]:
    """The gateway's count of event results (executed, shared), from /metrics."""
    _, samples = parse_metrics(httpx.get(f"{url}/metrics", verify=SSL_CONTEXT).text)
    return value(samples, EVENTS, how="executed"), value(samples, EVENTS, how="shared")


async def test_subscribers_of_one_selection_share_each_execution(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    """32 subscribers of one document, by four transports: the READY event is
    executed once per selection and its result shared by the others (each
    subscriber ran its own before: 32 executions)."""
    sandbox.configure(processing_delay_s=3600.0)  # ready when the test says so
    session_id = upload(sandbox.url)
    variables = {"id": global_id_of("jumping", session_id)}
    url = gateway_server.url
    async with (
        ws_client(url, ALICE) as a,
        ws_client(url, ALICE) as b,
        ws_client(url, ALICE, LEGACY_WS) as c,
        httpx.AsyncClient(verify=SSL_CONTEXT, base_url=url, timeout=30) as http,
    ):
        streams = [
            *(client.subscribe(WITH_TITLE, variables) for client in (a, b, c) for _ in range(10)),
            http_events(http, SSE, WITH_TITLE, variables),
            http_events(http, MULTIPART, WITH_TITLE, variables),
        ]
        firsts = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 30)
        assert {e["analyzedVideo"]["status"] for e in firsts} == {"PROCESSING"}
        titles = {e["analyzedVideo"]["session"]["title"] for e in firsts}
        assert len(titles) == 1 and None not in titles, titles
        (title,) = titles
        executed, shared = events_made(url)

        sandbox.set_video(session_id, "ready")
        rests = await asyncio.wait_for(
            asyncio.gather(*(until_final(s, "analyzedVideo") for s in streams)), 30
        )
    for rest in rests:
        assert rest[-1]["status"] == "READY"
        assert rest[-1]["session"] == {"title": title}
    # The READY state, one object handed to every subscriber's mailbox: executed
    # once per selection and shared by the rest. Twice here: legacy graphql-ws
    # answers @defer inline where the others deliver parts, so its 10
    # subscribers are a selection of their own.
    executed_after, shared_after = events_made(url)
    assert (executed_after - executed, shared_after - shared) == (2, 30)


async def test_each_selection_gets_exactly_its_own_fields(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    sandbox.configure(processing_delay_s=3600.0)
    first, second = upload(sandbox.url), upload(sandbox.url)
    one, other = global_id_of("jumping", first), global_id_of("jumping", second)
    selections: list[tuple[str, dict[str, Any], set[str]]] = [
        ("subscription ($id: ID!) { analyzedVideo(id: $id) { status } }", {"id": one}, {"status"}),
        (
            "subscription ($id: ID!) { analyzedVideo(id: $id) { s: status url } }",
            {"id": one},
            {"s", "url"},
        ),
        (
            """subscription ($id: ID!) { analyzedVideo(id: $id) {
                 id sessionId status session { id title activity } } }""",
            {"id": one},
            {"id", "sessionId", "status", "session"},
        ),
        # The first selection again, for another session: its own answers.
        (
            "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }",
            {"id": other},
            {"status"},
        ),
        (
            "subscription Named($id: ID!) { analyzedVideo(id: $id) { sessionId } }",
            {"id": other},
            {"sessionId"},
        ),
    ]
    async with ws_client(gateway_server.url, ALICE, TRANSPORT_WS) as client:
        streams = [
            client.subscribe(query, variables)
            for query, variables, _ in selections
            for _ in range(3)  # three subscribers of each
        ]
        firsts = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 30)
        sandbox.set_video(first, "ready")
        sandbox.set_video(second, "ready")
        rests = await asyncio.wait_for(asyncio.gather(*(_rest(s) for s in streams)), 30)
    for index, (first_event, rest) in enumerate(zip(firsts, rests, strict=True)):
        _query, variables, fields = selections[index // 3]
        session_id = first if variables["id"] == one else second
        for event in [first_event, *rest]:
            got = event["analyzedVideo"]
            assert set(got) == fields, (index, got)
            if "sessionId" in got:
                assert got["sessionId"] == session_id
            if "session" in got:
                assert got["session"]["id"] == variables["id"]
                assert set(got["session"]) == {"id", "title", "activity"}
        final = rest[-1]["analyzedVideo"] if rest else first_event["analyzedVideo"]
        if "url" in final:
            assert final["url"].startswith("https://") and session_id in final["url"]


async def _rest(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event async for event in events]
