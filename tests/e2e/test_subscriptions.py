"""Push when an analyzed video becomes ready: real clients over real sockets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import ALICE, BOB, GraphQLClient, global_id, seeded, start_gateway, upload
from tests.ids import global_id_of
from tests.servers import HTTP, SSL_CONTEXT, SandboxControl, ServerProcess, all_ready
from tests.waiting import until
from tests.wsclient import LEGACY_WS, TRANSPORT_WS, SubscriptionError, collect, ws_client

SUBSCRIPTION = """
subscription ($id: ID!) { analyzedVideo(id: $id) { id sessionId status url } }
"""


def jumping(session_id: str) -> str:
    return global_id_of("jumping", session_id)


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_gql_client_gets_ready_event_then_completion(
    gateway_server: ServerProcess, sandbox: SandboxControl, subprotocol: str
) -> None:
    sandbox.configure(processing_delay_s=3600.0)  # ready when the test says so
    session_id = upload(sandbox.url)
    transport = WebsocketsTransport(
        url=gateway_server.url.replace("http", "ws") + "/graphql",
        init_payload={"Authorization": ALICE},
        subprotocols=[subprotocol],  # type: ignore[list-item]
    )
    events = []
    async with Client(transport=transport) as session:
        request = GraphQLRequest(SUBSCRIPTION, variable_values={"id": jumping(session_id)})
        async for event in session.subscribe(request):
            events.append(event["analyzedVideo"])
            if len(events) == 1:
                sandbox.set_video(session_id, "ready")
    # The generator ended on its own: the server completed the subscription.
    statuses = [e["status"] for e in events]
    assert statuses[0] == "PROCESSING"
    assert statuses[-1] == "READY" and statuses.count("READY") == 1
    ready = events[-1]
    assert ready["url"].startswith("https://") and ready["sessionId"] == session_id


async def test_http_multipart_subscription(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    """Clients without WebSockets subscribe over plain HTTP (multipart/mixed)."""
    sandbox.configure(processing_delay_s=3600.0)  # ready when the test says so
    session_id = upload(sandbox.url)
    async with httpx.AsyncClient(
        verify=SSL_CONTEXT, base_url=gateway_server.url, timeout=15
    ) as http:
        async with http.stream(
            "POST",
            "/graphql",
            json={"query": SUBSCRIPTION, "variables": {"id": jumping(session_id)}},
            headers={
                "Authorization": ALICE,
                "Accept": 'multipart/mixed;subscriptionSpec="1.0",application/json',
            },
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("multipart/mixed")
            body = ""
            async for chunk in response.aiter_text():
                body += chunk
                if '"PROCESSING"' in body and not body.count('"READY"'):
                    sandbox.set_video(session_id, "ready")
    assert '"status":"PROCESSING"' in body.replace(" ", "")
    assert '"status":"READY"' in body.replace(" ", "")


async def test_server_sent_events_subscription(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    ready = seeded("alice", video="ready")[0]
    async with httpx.AsyncClient(
        verify=SSL_CONTEXT, base_url=gateway_server.url, timeout=15
    ) as http:
        async with http.stream(
            "POST",
            "/graphql",
            json={"query": SUBSCRIPTION, "variables": {"id": global_id(ready)}},
            headers={"Authorization": ALICE, "Accept": "text/event-stream"},
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            body = "".join([chunk async for chunk in response.aiter_text()])
    assert "event: next" in body and '"READY"' in body
    assert "event: complete" in body


@pytest.fixture(scope="module")
def own_gateways(
    sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[dict[str, ServerProcess]]:
    """The gateways of the two tests that need one of their own, started together."""
    gateways = {
        "fifty": start_gateway(sandbox_server.url, logs_dir / "gateway-fifty.log", wait=False),
        "bounded": start_gateway(
            sandbox_server.url,
            logs_dir / "bounded.log",
            env={"GATEWAY_WATCH_MAX_PER_CREDENTIAL": "2", "GATEWAY_WATCH_MAX_PER_CONNECTION": "3"},
            wait=False,
        ),
    }
    all_ready(*gateways.values())
    yield gateways
    for gateway in gateways.values():
        gateway.stop()


async def test_fifty_subscribers_poll_like_one(
    own_gateways: dict[str, ServerProcess], sandbox: SandboxControl
) -> None:
    """Fifty subscribers of one session share one watcher: one start, one poll
    schedule. Exact counts, on a gateway of its own so that no other watcher
    adds to its figures."""
    details = "GET /jumping/sessions/{session_id}/"
    video = "GET /session-management/sessions/{session_id}/analyzed-video/"
    gateway = own_gateways["fifty"]
    try:
        sandbox.configure(processing_delay_s=3600.0)  # flips only when told
        session_id = upload(sandbox.url)

        def calls(route: str) -> int:
            return int(sandbox.stats()["by_session"].get(session_id, {}).get(route, 0))

        async with ws_client(gateway.url, ALICE) as client:
            streams = [
                client.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}) for _ in range(50)
            ]
            firsts = await asyncio.gather(*(anext(s) for s in streams))
            assert {f["analyzedVideo"]["status"] for f in firsts} == {"PROCESSING"}
            assert metric(gateway, "gateway_readiness_watchers") == 1
            # A few polls of the one watcher, then the video is ready.
            await until(lambda: calls(video) >= 4, "the watcher polled three times")
            sandbox.set_video(session_id, "ready")
            results = await asyncio.gather(*(collect(s) for s in streams))
        assert all(r[-1]["analyzedVideo"]["status"] == "READY" for r in results)
        # One start (details, then the video's state) for fifty, and every other
        # call to the analyzed-video endpoint is one of the single watcher's polls.
        assert calls(details) == 1
        assert calls(video) == metric(gateway, "gateway_readiness_polls_total") + 1
    finally:
        gateway.stop()


def metric(gateway: ServerProcess, name: str) -> float:
    text = HTTP.get(f"{gateway.url}/metrics").text
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    assert match, name
    return float(match.group(1))


async def test_request_analyzed_video_wakes_the_watcher(
    gateway_server: ServerProcess, sandbox: SandboxControl, gql: GraphQLClient
) -> None:
    record = seeded("alice", video="not_requested")[-1]
    async with ws_client(gateway_server.url, ALICE) as client:
        events = client.subscribe(SUBSCRIPTION, {"id": global_id(record)})
        first = await anext(events)
        body = await gql.execute(
            "mutation ($id: ID!) { requestAnalyzedVideo(id: $id) { status url } }",
            {"id": global_id(record)},
        )
        assert "errors" not in body, body
        rest = await collect(events)
    statuses = [first["analyzedVideo"]["status"]] + [e["analyzedVideo"]["status"] for e in rest]
    assert statuses[-1] == "READY"


async def test_unknown_session_fails_at_once(gateway_server: ServerProcess) -> None:
    async with ws_client(gateway_server.url, ALICE) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": jumping("0" * 32)}), timeout=5)
    assert info.value.codes == ["NOT_FOUND"]


async def test_bob_cannot_subscribe_to_alices_session(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    session_id = upload(sandbox.url, ALICE)
    async with (
        ws_client(gateway_server.url, ALICE) as alice,
        ws_client(gateway_server.url, BOB) as bob,
    ):
        alices = asyncio.create_task(
            collect(alice.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}))
        )
        with pytest.raises(SubscriptionError) as info:
            await collect(bob.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}), timeout=5)
        assert info.value.codes == ["NOT_FOUND"]
        events = await alices
    assert events[-1]["analyzedVideo"]["status"] == "READY"


async def test_no_key_is_unauthenticated(gateway_server: ServerProcess) -> None:
    session = seeded("alice")[0]
    async with ws_client(gateway_server.url, None) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": global_id(session)}), timeout=5)
    assert info.value.codes == ["UNAUTHENTICATED"]


async def test_key_from_the_upgrade_request_header(gateway_server: ServerProcess) -> None:
    ready = seeded("alice", video="ready")[0]
    async with ws_client(gateway_server.url, None, header_key=ALICE) as client:
        events = await collect(client.subscribe(SUBSCRIPTION, {"id": global_id(ready)}))
    assert [e["analyzedVideo"]["status"] for e in events] == ["READY"]


async def test_dashboard_watches_many_sessions_on_one_subscription(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    uploaded = [upload(sandbox.url) for _ in range(3)]
    ready = seeded("alice", video="ready")[:2]
    failed = seeded("alice", video="failed")[:1]
    ids = [jumping(s) for s in uploaded] + [global_id(r) for r in ready + failed]
    async with ws_client(gateway_server.url, ALICE) as client:
        events = await collect(
            client.subscribe(
                "subscription ($ids: [ID!]!) "
                "{ analyzedVideos(ids: $ids) { sessionId status url } }",
                {"ids": ids},
            )
        )
    final = {e["analyzedVideos"]["sessionId"]: e["analyzedVideos"]["status"] for e in events}
    assert final == {
        **{s: "READY" for s in uploaded},
        **{r.session_id: "READY" for r in ready},
        failed[0].session_id: "FAILED",
    }


async def test_dashboard_subscription_is_bounded(gateway_server: ServerProcess) -> None:
    ids = [jumping(f"{i:032x}") for i in range(51)]
    async with ws_client(gateway_server.url, ALICE) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(
                client.subscribe(
                    "subscription ($ids: [ID!]!) { analyzedVideos(ids: $ids) { status } }",
                    {"ids": ids},
                ),
                timeout=5,
            )
    assert info.value.codes == ["BAD_REQUEST"]


async def test_bounds_per_key_and_per_connection(
    own_gateways: dict[str, ServerProcess], sandbox: SandboxControl
) -> None:
    gateway = own_gateways["bounded"]
    try:
        sandbox.configure(processing_delay_s=30.0)
        sessions = [upload(sandbox.url) for _ in range(3)]
        async with ws_client(gateway.url, ALICE) as client:
            open_ = [client.subscribe(SUBSCRIPTION, {"id": jumping(s)}) for s in sessions[:2]]
            for events in open_:
                await anext(events)
            # A third distinct session for the same key is past the watcher bound.
            with pytest.raises(SubscriptionError) as info:
                await collect(client.subscribe(SUBSCRIPTION, {"id": jumping(sessions[2])}), 5)
            assert info.value.codes == ["LIMIT_EXCEEDED"]
            assert "per API key" in str(info.value)
            # Bob is not affected by Alice's bound.
            bobs = upload(sandbox.url, BOB)
            async with ws_client(gateway.url, BOB) as bob:
                assert await anext(bob.subscribe(SUBSCRIPTION, {"id": jumping(bobs)}))

        async with ws_client(gateway.url, ALICE) as client:
            streams = [
                client.subscribe(SUBSCRIPTION, {"id": jumping(sessions[0])}) for _ in range(4)
            ]
            results = await asyncio.gather(
                *(asyncio.wait_for(anext(s), 5) for s in streams), return_exceptions=True
            )
        # Exactly one refused, with the code every bound carries (three timing
        # out would not pass), and three answered with their first event.
        refused = [r for r in results if isinstance(r, SubscriptionError)]
        assert [r.codes for r in refused] == [["LIMIT_EXCEEDED"]], results
        assert "3 subscriptions" in str(refused[0])
        answered = [r for r in results if isinstance(r, dict)]
        assert [a["analyzedVideo"]["status"] for a in answered] == ["PROCESSING"] * 3
        assert gateway.alive()
    finally:
        gateway.stop()


async def test_a_failing_id_leaks_no_watches(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    sandbox.configure(processing_delay_s=30.0)
    ids = [jumping("0" * 32)] + [jumping(upload(sandbox.url)) for _ in range(5)]
    async with ws_client(gateway_server.url, ALICE) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(
                client.subscribe(
                    "subscription ($ids: [ID!]!) { analyzedVideos(ids: $ids) { status } }",
                    {"ids": ids},
                ),
                timeout=5,
            )
    assert info.value.codes == ["NOT_FOUND"]
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway_server.url) as http:

        async def none_left() -> bool:
            return "gateway_readiness_watchers 0" in (await http.get("/metrics")).text

        await until(none_left, "every watch was stopped")


async def test_a_session_of_another_activity_is_not_found(
    gateway_server: ServerProcess,
) -> None:
    lift = seeded("alice", "Weightlifting")[0]
    wrong = global_id_of("jumping", lift.session_id)
    async with ws_client(gateway_server.url, ALICE) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": wrong}), timeout=5)
    assert info.value.codes == ["NOT_FOUND"]
