"""Texts seen before are neither parsed nor validated again (schema.documents),
and answer exactly as the first time.

Each operation below is sent three times to one gateway: the first parses and
validates its text, the next two find both done. Status, media type and body
must be the same all three times, and the metrics must count each alike.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schema.bounds
import schema.documents
from gateway.config import Settings
from gateway.errors import LimitExceeded
from schema.documents import Documents
from tests.asgi import ASGIWebSocket, CountingUpstream, running
from tests.conftest import global_id, seeded
from tests.unit.conftest import gateway_client

ALICE = "API-KEY alice-demo-key"
JUMP = global_id(seeded("alice", "Vertical Jump")[0])
BOB_ONLY = global_id(seeded("bob")[0])

ONE = "query ($id: ID!) { session(id: $id) { title activity createdAt } }"
TWO_OPS = """
query A($id: ID!) { session(id: $id) { title } }
query B { sessions(first: 2) { edges { node { activity } } } }
"""
PAGE = "query ($n: Int) { sessions(first: $n) { edges { node { title } } } }"
CASES: list[tuple[str, dict[str, Any]]] = [
    ("valid", {"query": ONE, "variables": {"id": JUMP}}),
    ("listing", {"query": "{ sessions(first: 3) { totalCount edges { node { title } } } }"}),
    (
        "fragments",
        {
            "query": "{ sessions(first: 2) { ...P } } "
            "fragment P on SessionConnection { edges { node { __typename title } } }"
        },
    ),
    ("another caller's session", {"query": ONE, "variables": {"id": BOB_ONLY}}),
    ("not an id", {"query": ONE, "variables": {"id": "bm90LWFuLWlk"}}),
    ("variable of the wrong type", {"query": PAGE, "variables": {"n": "three"}}),
    ("missing variable", {"query": ONE, "variables": {}}),
    ("operation A", {"query": TWO_OPS, "operationName": "A", "variables": {"id": JUMP}}),
    ("operation B", {"query": TWO_OPS, "operationName": "B"}),
    ("no such operation", {"query": TWO_OPS, "operationName": "C"}),
    ("no key", {"query": ONE, "variables": {"id": JUMP}, "key": None}),
    ("wrong key", {"query": ONE, "variables": {"id": JUMP}, "key": "API-KEY nope-nope-nope"}),
    ("a mutation", {"query": 'mutation { deleteSession(id: "bm90LWFuLWlk") }'}),
]


def _post(client: httpx.AsyncClient, case: dict[str, Any], accept: str) -> Any:
    payload = {k: v for k, v in case.items() if k != "key"}
    key = case.get("key", ALICE)
    headers = {"Accept": accept, **({"Authorization": key} if key else {})}
    return client.post("/graphql", json=payload, headers=headers)


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times a text was parsed and validated."""
    counts = {"parse": 0, "validate": 0}
    parse, validate = schema.documents.parse, schema.bounds.validate_document

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        counts["parse"] += 1
        return parse(*args, **kwargs)

    def counted_validate(*args: Any, **kwargs: Any) -> Any:
        counts["validate"] += 1
        return validate(*args, **kwargs)

    import strawberry.schema.schema as strawberry_schema

    monkeypatch.setattr(strawberry_schema, "parse", counted_parse)
    monkeypatch.setattr(schema.documents, "parse", counted_parse)
    monkeypatch.setattr(schema.bounds, "validate_document", counted_validate)
    return counts


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
@pytest.mark.parametrize(("name", "case"), CASES, ids=[c[0] for c in CASES])
async def test_the_second_and_third_time_answer_as_the_first(
    name: str, case: dict[str, Any], accept: str, work: dict[str, int]
) -> None:
    async with gateway_client() as client:
        answers = []
        for _ in range(3):
            response = await _post(client, case, accept)
            answers.append(
                (response.status_code, response.headers["content-type"], response.json())
            )
        metrics = (await client.get("/metrics")).text
    assert answers[1] == answers[0] and answers[2] == answers[0], name
    status, _, body = answers[0]
    invalid = name in ("no such operation",)
    # Parsed once; validated once, unless no operation of that name was there to run.
    assert work == {"parse": 1, "validate": 0 if invalid else 1}, work
    if name == "valid":
        assert status == 200 and body["data"]["session"]["activity"] == "JUMPING"
        assert (
            'gateway_operations_total{operation="session",outcome="ok",type="query"} 3.0' in metrics
        )
    if name == "another caller's session":
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert 'gateway_errors_total{code="NOT_FOUND"} 3.0' in metrics
    if name == "variable of the wrong type" and accept != "application/json":
        assert status == 400 and "data" not in body
    if name == "no key":
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_operations_by_name_are_told_apart(work: dict[str, int]) -> None:
    async with gateway_client() as client:
        for _ in range(2):
            a = (await _post(client, CASES[7][1], "application/json")).json()
            b = (await _post(client, CASES[8][1], "application/json")).json()
            assert set(a["data"]) == {"session"} and set(b["data"]) == {"sessions"}
    assert work == {"parse": 1, "validate": 1}


async def test_a_mutation_remembered_from_a_post_is_still_refused_over_get(
    work: dict[str, int],
) -> None:
    mutation = 'mutation { deleteSession(id: "bm90LWFuLWlk") }'
    async with gateway_client() as client:
        await client.post("/graphql", json={"query": mutation}, headers={"Authorization": ALICE})
        await client.post("/graphql", json={"query": mutation}, headers={"Authorization": ALICE})
        response = await client.get(
            "/graphql",
            params={"query": mutation},
            headers={"Authorization": ALICE, "Accept": "application/json"},
        )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert work == {"parse": 1, "validate": 1}


async def test_the_estimate_follows_the_variables_of_each_call(work: dict[str, int]) -> None:
    # 10 KB: a page of 3 titles is under it, a page of 500 over.
    settings = Settings(upstream_url="http://sandbox", max_response_estimate=10_000)
    async with gateway_client(settings) as client:
        bodies = []
        for n in (3, 500, 3, 500):
            response = await _post(
                client, {"query": PAGE, "variables": {"n": n}}, "application/json"
            )
            bodies.append(response.json())
    codes = [(b.get("errors") or [{}])[0].get("extensions", {}).get("code") for b in bodies]
    assert codes == [None, "LIMIT_EXCEEDED", None, "LIMIT_EXCEEDED"]
    assert all("data" not in b for b in bodies[1::2])  # a request error: nothing ran
    assert work == {"parse": 1, "validate": 1}


async def test_an_estimate_that_never_fits_is_refused_every_time(work: dict[str, int]) -> None:
    settings = Settings(upstream_url="http://sandbox", max_response_estimate=10_000)
    query = "{ sessions(first: 500) { edges { node { title } } } }"
    async with gateway_client(settings) as client:
        for _ in range(3):
            body = (await _post(client, {"query": query}, "application/json")).json()
            assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
            assert "data" not in body
    assert work == {"parse": 1, "validate": 1}


def _documents(**bounds: int) -> Documents:
    return Documents(
        **{"max_chars": 32_000, "max_cached_chars": 16_000, "max_tokens": 800, "max_bytes": 10**6}
        | bounds
    )


def test_the_cache_keeps_the_most_recently_used_within_its_bytes() -> None:
    a, b, c = (f"{{ {name}: sessions {{ totalCount }} }}" for name in "abc")
    documents = _documents()
    documents.parse(a)
    weight = documents.bytes
    documents = _documents(max_bytes=2 * weight)
    for text in (a, b):
        documents.parse(text)
    assert documents.get(a) is not None  # now the most recent
    documents.parse(c)
    assert documents.get(b) is None
    assert documents.get(a) is not None and documents.get(c) is not None
    assert len(documents) == 2 and documents.bytes <= 2 * weight


def test_a_document_is_weighed_by_its_tokens_not_only_its_text() -> None:
    documents = _documents()
    small, large = "{ a }", "{ " + " ".join(f"a{i}: b" for i in range(200)) + " }"
    documents.parse(small)
    light = documents.bytes
    documents.parse(large)
    assert documents.bytes - light > 600 * 300  # 600 tokens, several hundred bytes each


def test_no_cache_keeps_a_long_text_and_a_too_long_one_is_refused_unparsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = _documents(max_chars=20_000, max_cached_chars=1_000)
    padded = "{ __typename } #" + "x" * 5_000
    assert documents.parse(padded) is not None
    assert documents.get(padded) is None and documents.bytes == 0
    monkeypatch.setattr(schema.documents, "parse", None)  # never reached
    with pytest.raises(LimitExceeded):
        documents.parse("{ __typename } #" + "x" * 20_000)


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_several_operations_and_no_name_is_a_request_error(accept: str) -> None:
    upstream = CountingUpstream()
    async with gateway_client(transport=upstream) as client:
        for _ in range(2):  # the first parse and the cached document alike
            answer = await _post(client, {"query": TWO_OPS, "variables": {"id": JUMP}}, accept)
            assert answer.status_code == 400
            body = answer.json()
            assert "data" not in body
            assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
            assert "operation name" in body["errors"][0]["message"]
        named = await _post(client, CASES[8][1], accept)
        assert named.status_code == 200 and named.json()["data"]["sessions"]
    assert upstream.calls == 1  # the named one only


async def test_over_a_websocket_no_such_operation_is_a_coded_error_not_an_internal_one() -> None:
    from gateway.http.app import create_app

    upstream = CountingUpstream()
    app = create_app(Settings(upstream_url="http://sandbox"), transport=upstream)
    async with running(app) as served:
        async with ASGIWebSocket(served, "/graphql", ["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            errors = []
            for n, name in enumerate((None, "C")):
                payload = {"query": TWO_OPS, "operationName": name}
                await ws.send_json({"id": str(n), "type": "subscribe", "payload": payload})
                frame = await ws.receive_json()
                assert frame["type"] == "error" and frame["id"] == str(n)
                errors.append(frame["payload"][0])
            # The connection serves on.
            await ws.send_json({"id": "9", "type": "subscribe", "payload": CASES[8][1]})
            assert (await ws.receive_json())["payload"]["data"]["sessions"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST", "BAD_REQUEST"]
    assert "operation name" in errors[0]["message"] and '"C"' in errors[1]["message"]
    assert upstream.calls == 1


async def test_over_a_websocket_a_too_long_document_is_a_coded_error() -> None:
    from gateway.http.app import create_app

    app = create_app(Settings(upstream_url="http://sandbox", max_query_chars=1000))
    async with running(app) as served:
        async with ASGIWebSocket(served, "/graphql", ["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            padded = "{ __typename } #" + "x" * 2000
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": padded}})
            frame = await ws.receive_json()
            assert frame["type"] == "error"
            assert frame["payload"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
            await ws.send_json(
                {"id": "2", "type": "subscribe", "payload": {"query": "{ __typename }"}}
            )
            assert (await ws.receive_json())["payload"]["data"] == {"__typename": "Query"}
