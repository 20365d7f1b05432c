"""Rate limits per key, counted in upstream calls (gateway.ratelimit, schema.rate_limit).

A partner's key spends upstream calls; past its bucket it gets 429 with
Retry-After and RATE_LIMITED, before any upstream call, over HTTP and
WebSockets alike; other keys are not slowed; with Redis, replicas share one
bucket per key.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.config import Settings
from gateway.http.app import create_app
from gateway.ratelimit import MemoryBuckets
from tests.asgi import ASGIWebSocket, CountingUpstream, running
from tests.conftest import ALICE, global_id, seeded, start_gateway
from tests.servers import RedisServer, ServerProcess, free_port

BOB = "API-KEY bob-demo-key"
IDS = [global_id(r) for r in seeded("alice")][:3]
THREE = {
    "query": "query Three($ids: [ID!]!) { nodes(ids: $ids) "
    "{ ... on Session { title export { timestamps } } } }",
    "variables": {"ids": IDS},
}
BOBS = {
    "query": "query Mine { sessions(first: 2) { edges { node { title } } } }",
}


class _Gateway:
    def __init__(self, app: Any, client: httpx.AsyncClient, upstream: CountingUpstream) -> None:
        self.app, self.client, self.upstream = app, client, upstream

    async def post(
        self, body: dict[str, Any], key: str = ALICE, accept: str = "application/json"
    ) -> httpx.Response:
        headers = {"Authorization": key, "Accept": accept}
        return await self.client.post("/graphql", json=body, headers=headers)


async def _gateway(**settings: Any) -> AsyncIterator[_Gateway]:
    upstream = CountingUpstream()
    app = create_app(Settings(upstream_url="http://sandbox", **settings), transport=upstream)
    async with running(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield _Gateway(served, client, upstream)


@pytest.fixture
async def limited() -> AsyncIterator[_Gateway]:
    # Ten calls at once, then one every ten seconds: nothing refills meanwhile.
    async for gateway in _gateway(rate_limit_calls_per_second=0.1, rate_limit_burst=10):
        yield gateway


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_a_key_past_its_bucket_gets_429_before_any_upstream_call(
    limited: _Gateway, accept: str
) -> None:
    first = await limited.post(THREE, accept=accept)
    assert first.status_code == 200 and "errors" not in first.json()
    # Three sessions and their three exports; the first run's estimate is 1.
    cost = first.json()["extensions"]["cost"]
    assert (cost["estimated"], cost["actual"]) == (1, 6)
    assert 4.0 <= cost["remaining"] < 4.5  # ten, less six, refilling 0.1 a second
    calls = limited.upstream.calls
    refused = await limited.post(THREE, accept=accept)
    assert refused.status_code == 429
    assert _code(refused) == "RATE_LIMITED"
    retry_after = refused.json()["errors"][0]["extensions"]["retryAfter"]
    assert refused.headers["retry-after"] == str(retry_after) and retry_after >= 1
    assert "data" not in refused.json()
    assert refused.json()["extensions"]["cost"]["estimated"] == 6  # the last run's calls
    assert limited.upstream.calls == calls  # nothing was called
    # Another key is not slowed: its own bucket.
    bobs = await limited.post(BOBS, key=BOB, accept=accept)
    assert bobs.status_code == 200 and bobs.json()["data"]["sessions"]["edges"]
    metrics = (await limited.client.get("/metrics")).text
    assert 'gateway_rate_limited_total{operation="nodes",type="query"} 1.0' in metrics
    assert "alice-demo-key" not in metrics


async def test_over_a_websocket_the_refusal_is_an_error_and_the_connection_stays(
    limited: _Gateway,
) -> None:
    async with ASGIWebSocket(limited.app, "/graphql", ["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        frames: list[dict[str, Any]] = []
        for n in range(2):
            await ws.send_json({"id": str(n), "type": "subscribe", "payload": THREE})
            while True:
                frame = await ws.receive_json()
                if frame["type"] in ("next", "error"):
                    frames.append(frame)
                if frame["type"] in ("complete", "error"):
                    break
        assert frames[0]["type"] == "next" and frames[0]["payload"]["data"]["nodes"]
        refused = frames[1]["payload"]
        errors = refused if isinstance(refused, list) else refused["errors"]
        assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
        # Still open: a request that needs no upstream call is answered.
        await ws.send_json({"id": "9", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        assert (await ws.receive_json())["payload"]["data"] == {"__typename": "Query"}


async def test_a_subscription_counts_once_at_subscribe(limited: _Gateway) -> None:
    ready = global_id(seeded("alice", "Vertical Jump", video="ready")[0])
    subscription = {
        "query": "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }",
        "variables": {"id": ready},
    }
    async with ASGIWebSocket(limited.app, "/graphql", ["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": subscription})
        event = await ws.receive_json()
        assert event["payload"]["data"]["analyzedVideo"]["status"] == "READY"
        cost = event["payload"]["extensions"]["cost"]
        assert (cost["estimated"], cost["actual"]) == (1, 1)
        assert 9.0 <= cost["remaining"] < 9.5


async def test_off_by_default_and_no_cost_reported() -> None:
    async for gateway in _gateway():
        for _ in range(3):
            answer = await gateway.post(THREE)
            assert answer.status_code == 200 and "extensions" not in answer.json()


async def test_the_bucket_refills_and_settles_debt() -> None:
    clock = [0.0]
    buckets = MemoryBuckets(rate=2.0, burst=10.0, clock=lambda: clock[0])
    assert (await buckets.take("k", 4)).admitted
    assert await buckets.give("k", -10) == -4.0  # ran 14 calls: in debt
    refused = await buckets.take("k", 1)
    assert not refused.admitted and refused.retry_after == pytest.approx(2.5)
    clock[0] += 2.5
    assert (await buckets.take("k", 1)).admitted
    big = await buckets.take("other", 50)  # more than the bucket: a full one admits it
    assert big.admitted and big.remaining == -40.0
    clock[0] += 1000
    assert (await buckets.take("k", 1)).remaining == 9.0  # never above the burst


@pytest.mark.redis
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_replicas_share_each_keys_bucket_through_redis(
    sandbox_server: ServerProcess, logs_dir: Path
) -> None:
    redis = RedisServer(free_port(), logs_dir / "rate-redis.log").start()
    env = {"GATEWAY_RATE_LIMIT_CALLS_PER_SECOND": "0.1", "GATEWAY_RATE_LIMIT_BURST": "10"}
    replicas = [
        start_gateway(
            sandbox_server.url, logs_dir / f"rate-{i}.log", "--redis-url", redis.url, env=env
        )
        for i in range(2)
    ]
    try:

        def post(replica: ServerProcess, key: str, body: dict[str, Any]) -> httpx.Response:
            return httpx.post(
                f"{replica.url}/graphql", json=body, headers={"Authorization": key}, timeout=30
            )

        a, b = replicas
        cost = post(a, ALICE, THREE).json()["extensions"]["cost"]
        assert cost == {"estimated": 1, "actual": 6, "remaining": 4.0}
        # b has never run it (its estimate is 1), but draws on the same bucket:
        # a bucket of its own would have 10 - 6 = 4 left, the shared one is in debt.
        cost = post(b, ALICE, THREE).json()["extensions"]["cost"]
        assert (cost["estimated"], cost["actual"]) == (1, 6)
        assert -2.0 <= cost["remaining"] < 0, cost  # refilled 0.1 a second meanwhile
        refused = post(b, ALICE, THREE)
        assert refused.status_code == 429, refused.text
        body = refused.json()
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) >= 1
        print("\n429 body from the second replica:", json.dumps(body))
        assert post(b, BOB, BOBS).status_code == 200
    finally:
        for replica in replicas:
            replica.stop()
        redis.stop()
