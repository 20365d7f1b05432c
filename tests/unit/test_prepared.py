"""Operations seen before run directly (schema.prepared), and answer exactly as the first time.

Each operation below is sent three times to one gateway: the first goes
Strawberry's way (and, if it validates, is remembered), the next two go the
direct way. Status, media type and body must be the same all three times,
and the metrics must count each of them alike.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schema as gateway_schema
from gateway.config import Settings
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
def direct_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every operation that ran the direct way, by its root label."""
    seen: list[str] = []
    original = gateway_schema.GatewaySchema._execute_prepared

    async def spy(self: Any, prepared: Any, *args: Any) -> Any:
        seen.append(prepared.root)
        return await original(self, prepared, *args)

    monkeypatch.setattr(gateway_schema.GatewaySchema, "_execute_prepared", spy)
    return seen


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
@pytest.mark.parametrize(("name", "case"), CASES, ids=[c[0] for c in CASES])
async def test_the_second_and_third_time_answer_as_the_first(
    name: str, case: dict[str, Any], accept: str, direct_runs: list[str]
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
    # Only what parsed and validated is remembered; the rest goes Strawberry's way each time.
    assert len(direct_runs) == (0 if invalid else 2), direct_runs
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


async def test_operations_by_name_are_told_apart(direct_runs: list[str]) -> None:
    async with gateway_client() as client:
        for _ in range(2):
            a = (await _post(client, CASES[7][1], "application/json")).json()
            b = (await _post(client, CASES[8][1], "application/json")).json()
            assert set(a["data"]) == {"session"} and set(b["data"]) == {"sessions"}
    assert direct_runs == ["session", "sessions"]


async def test_a_mutation_remembered_from_a_post_is_still_refused_over_get(
    direct_runs: list[str],
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
    assert direct_runs == ["deleteSession"]  # the second POST only


async def test_the_estimate_follows_the_variables_of_each_call(direct_runs: list[str]) -> None:
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
    assert len(direct_runs) == 3


async def test_an_estimate_that_never_fits_is_refused_every_time(direct_runs: list[str]) -> None:
    settings = Settings(upstream_url="http://sandbox", max_response_estimate=10_000)
    query = "{ sessions(first: 500) { edges { node { title } } } }"
    async with gateway_client(settings) as client:
        for _ in range(3):
            body = (await _post(client, {"query": query}, "application/json")).json()
            assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
            assert "data" not in body
    assert len(direct_runs) == 2


def test_the_cache_keeps_the_most_recently_used() -> None:
    from graphql import parse

    from schema.prepared import PreparedOperations

    schema = gateway_schema.build_schema(Settings())._schema
    cache = PreparedOperations(maxsize=2)
    for text in ("{ a: sessions { totalCount } }", "{ b: sessions { totalCount } }"):
        cache.remember(schema, text, None, parse(text))
    assert cache.get("{ a: sessions { totalCount } }", None) is not None  # now the most recent
    cache.remember(
        schema, "{ c: sessions { totalCount } }", None, parse("{ c: sessions { totalCount } }")
    )
    assert cache.get("{ b: sessions { totalCount } }", None) is None
    assert cache.get("{ a: sessions { totalCount } }", None) is not None
    assert len(cache) == 2
    long = "{ sessions { totalCount } }" + " " * 20_000
    cache.remember(schema, long, None, parse(long))
    assert cache.get(long, None) is None
