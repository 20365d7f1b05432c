"""Finding 2: a wrong key must not multiply upstream calls, and keys are bounded.

With a wrong key, three aliases of `nodes(100 ids)` made 200 upstream calls,
all answered 401. The first 401 now fails every field still pending, so at
most one concurrent wave reaches the upstream. A megabyte "key" was sent on
every call, and a 4 MB header was accepted: both are refused up front.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.config import Settings
from gateway.credentials import MAX_AUTHORIZATION_LENGTH
from tests.conftest import ALICE, GraphQLClient, global_id, seeded
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess

WRONG = "API-KEY not-a-key-anyone-has"


def _nodes_query(ids: list[str]) -> str:
    listed = ", ".join(f'"{i}"' for i in ids)
    return " ".join(
        f"{alias}: nodes(ids: [{listed}]) {{ ... on Session {{ title }} }}" for alias in "abc"
    )


@pytest.mark.inprocess
async def test_first_401_fails_every_pending_field(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    # 100 distinct ids per alias: the ids needn't exist, the key is wrong anyway.
    records = seeded("alice")
    ids = [global_id(records[i % len(records)]) for i in range(len(records))]
    ids += [f"U2Vzc2lvbjpqdW1waW5nOmZha2V{i:04d}" for i in range(100 - len(ids))]
    assert len(set(ids)) == 100
    body = await gql.execute("{ " + _nodes_query(ids) + " }", key=WRONG)
    codes = {e["extensions"]["code"] for e in body["errors"]}
    # Ids that aren't session ids are BAD_REQUEST without any call; every
    # other field is UNAUTHENTICATED, none LIMIT_EXCEEDED.
    assert "UNAUTHENTICATED" in codes and codes <= {"UNAUTHENTICATED", "BAD_REQUEST"}, codes
    # One concurrent wave at most: was 200.
    assert 1 <= sandbox.calls() <= Settings().max_concurrency_per_operation


@pytest.mark.inprocess
async def test_a_right_key_still_loads_every_node(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    ids = [global_id(r) for r in seeded("alice")[:5]]
    body = await gql.execute("{ " + _nodes_query(ids) + " }", key=ALICE)
    assert "errors" not in body, body
    assert all(len(body["data"][alias]) == 5 for alias in "abc")


@pytest.mark.inprocess
async def test_an_overlong_key_makes_no_upstream_call(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    key = "API-KEY " + "k" * MAX_AUTHORIZATION_LENGTH
    body = await gql.execute("{ sessions(first: 3) { totalCount } }", key=key)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "k" * 64 not in str(body)
    assert sandbox.calls() == 0


async def test_oversized_headers_are_refused_before_the_app(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    async with httpx.AsyncClient(
        verify=SSL_CONTEXT, base_url=gateway_server.url, timeout=30
    ) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ sessions(first: 3) { totalCount } }"},
            headers={"Authorization": "API-KEY " + "k" * (4 * 1024 * 1024)},
        )
        assert response.status_code == 431
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        # Many small headers add up the same way.
        many = {f"x-filler-{i}": "v" * 100 for i in range(Settings().max_header_bytes // 100)}
        response = await http.get("/healthz", headers=many)
        assert response.status_code == 431
        assert (await http.get("/healthz")).status_code == 200
    assert sandbox.calls() == 0
    assert gateway_server.alive()
