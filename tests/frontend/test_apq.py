"""Automatic persisted queries as Apollo's link sends them, over GET and POST."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.errors import BadRequest, PersistedQueryNotFound
from gateway.http.apq import PersistedQueries
from gateway.shared_redis import shared_redis
from tests.conftest import ALICE, start_gateway
from tests.servers import SSL_CONTEXT, RedisServer, ServerProcess, all_ready, free_port


def apq(query: str) -> dict[str, object]:
    return {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


async def get(
    http: httpx.AsyncClient, query: str | None, extensions: dict[str, object]
) -> httpx.Response:
    params = {"extensions": json.dumps(extensions), "variables": "{}"}
    if query is not None:
        params["query"] = query
    return await http.get("/graphql", params=params, headers={"Authorization": ALICE})


async def post(
    http: httpx.AsyncClient, query: str | None, extensions: dict[str, object], **headers: str
) -> httpx.Response:
    body: dict[str, object] = {"extensions": extensions}
    if query is not None:
        body["query"] = query
    return await http.post("/graphql", json=body, headers={"Authorization": ALICE, **headers})


@pytest.mark.inprocess
async def test_store_is_a_bounded_lru_that_checks_hashes() -> None:
    store = PersistedQueries(capacity=2)
    queries = [f"{{ q{i}: __typename }}" for i in range(3)]
    with pytest.raises(PersistedQueryNotFound):
        await store.resolve(None, apq(queries[0]))
    with pytest.raises(BadRequest):
        await store.resolve(queries[1], apq(queries[0]))
    with pytest.raises(BadRequest):
        await store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": "nothex"}})
    with pytest.raises(BadRequest):
        await store.resolve(None, {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}})
    for i, q in enumerate(queries):
        assert await store.resolve(q, apq(q)) == q
        assert len(store) == min(i, 2)  # kept only once it has run and proved valid
        await store.register(q, apq(q), valid=True)
    assert len(store) == 2
    with pytest.raises(PersistedQueryNotFound):  # the oldest went
        await store.resolve(None, apq(queries[0]))
    assert await store.resolve(None, apq(queries[2])) == queries[2]
    assert await store.resolve(queries[0], None) == queries[0]  # not persisted: as is


@pytest.mark.inprocess
async def test_store_keeps_only_valid_texts_within_its_bytes() -> None:
    store = PersistedQueries(capacity=100, max_bytes=100)
    invalid = "{ not a document"
    await store.register(invalid, apq(invalid), valid=False)
    with pytest.raises(PersistedQueryNotFound):
        await store.resolve(None, apq(invalid))
    texts = [f"{{ q{i}: __typename }}" + " " * 20 for i in range(5)]  # 40 bytes each
    for text in texts:
        await store.register(text, apq(text), valid=True)
    assert len(store) == 2 and store.bytes <= 100
    assert await store.resolve(None, apq(texts[-1])) == texts[-1]


@pytest.mark.inprocess
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_hash_only_then_query_then_hash_only(
    gateway_http: httpx.AsyncClient, method: str
) -> None:
    send = get if method == "GET" else post
    query = f"query Apq{method} {{ sessions(first: 2) {{ totalCount }} }}"
    missing = await send(gateway_http, None, apq(query))
    assert missing.status_code == 200
    assert codes(missing) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    stored = await send(gateway_http, query, apq(query))
    assert stored.status_code == 200 and stored.json()["data"]["sessions"]["totalCount"] > 0
    again = await send(gateway_http, None, apq(query))
    assert again.json() == stored.json()
    if method == "GET":
        assert "Authorization" in again.headers["vary"]


@pytest.mark.inprocess
async def test_not_found_under_graphql_response_json_is_400(
    gateway_http: httpx.AsyncClient,
) -> None:
    query = "query ApqStrict { __typename }"
    response = await post(
        gateway_http, None, apq(query), Accept="application/graphql-response+json"
    )
    assert response.status_code == 400
    assert codes(response) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.inprocess
async def test_a_hash_that_is_not_the_querys_is_refused(gateway_http: httpx.AsyncClient) -> None:
    planted = "query Planted { __typename }"
    response = await post(gateway_http, "{ sessions { totalCount } }", apq(planted))
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]
    missing = await post(gateway_http, None, apq(planted))
    assert codes(missing) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.fixture
def redis_replicas(
    sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    redis = RedisServer(free_port(), logs_dir / "redis-apq.log").start()
    a, b = (
        start_gateway(
            sandbox_server.url, logs_dir / f"apq-{name}.log", "--redis-url", redis.url, wait=False
        )
        for name in "ab"
    )
    all_ready(a, b)
    yield a, b
    a.stop()
    b.stop()
    redis.stop()


@pytest.mark.redis
async def test_replicas_share_persisted_queries_through_redis(
    redis_replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    query = "query ApqShared { sessions(first: 1) { totalCount } }"
    async with (
        httpx.AsyncClient(verify=SSL_CONTEXT, base_url=redis_replicas[0].url) as a,
        httpx.AsyncClient(verify=SSL_CONTEXT, base_url=redis_replicas[1].url) as b,
    ):
        assert codes(await post(b, None, apq(query))) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert (await post(a, query, apq(query))).status_code == 200
        shared = await post(b, None, apq(query))
    assert shared.status_code == 200 and "errors" not in shared.json()


@pytest.mark.inprocess
async def test_unreachable_redis_falls_back_to_the_process() -> None:
    redis = shared_redis(f"redis://127.0.0.1:{free_port()}/0")
    store = PersistedQueries(capacity=10, redis=redis)
    query = "query Fallback { __typename }"
    try:
        with pytest.raises(PersistedQueryNotFound):
            await store.resolve(None, apq(query))
        assert await store.resolve(query, apq(query)) == query
        await store.register(query, apq(query), valid=True)
        assert await store.resolve(None, apq(query)) == query
    finally:
        await redis.aclose()
