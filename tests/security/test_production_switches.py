"""Finding 11: the switches a production deployment needs, and strict input.

Outside sandbox mode, introspection and "Did you mean" suggestions were on
with no way to turn them off; /metrics was open to anyone; malformed global
ids (padding, `!!`, spaces) decoded to the same session as the real one; and
date-coercion errors echoed Python's own message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import ALICE, GATEWAY_ENV, GraphQLClient, global_id, seeded
from tests.inprocess import Apps, running_apps
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

TOKEN = "metrics-token-for-tests"


@pytest.fixture(scope="module")
async def locked_down() -> AsyncIterator[Apps]:
    env = {**GATEWAY_ENV, "GATEWAY_INTROSPECTION": "false", "GATEWAY_METRICS_TOKEN": TOKEN}
    async with running_apps(env) as apps:
        yield apps


async def test_introspection_and_suggestions_can_be_turned_off(
    locked_down: Apps, gql: GraphQLClient
) -> None:
    async with locked_down.gateway_client() as http:
        body = (
            await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in body or body["data"] is None
        body = (await http.post("/graphql", json={"query": "{ sesions { totalCount } }"})).json()
        message = body["errors"][0]["message"]
        assert "Cannot query field 'sesions'" in message and "Did you mean" not in message
        # __typename is not introspection of the schema.
        body = (await http.post("/graphql", json={"query": "{ __typename }"})).json()
        assert body == {"data": {"__typename": "Query"}}
    # The default (for partners building clients) keeps both.
    body = await gql.execute("{ __schema { queryType { name } } }")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    body = await gql.execute("{ sesions { totalCount } }")
    assert "Did you mean 'sessions'" in body["errors"][0]["message"]


async def test_metrics_can_require_a_token(locked_down: Apps) -> None:
    async with locked_down.gateway_client() as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "gateway_" in right.text


async def test_only_canonical_global_ids_name_a_session(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    gid = global_id(seeded("alice", "Running")[0])
    query = "query ($id: ID!) { session(id: $id) { sessionId } }"
    body = await gql.execute(query, {"id": gid})
    assert body["data"]["session"]["sessionId"]
    sandbox.reset()
    for variant in (
        gid + "=",
        gid + "==",
        gid[:4] + "!!" + gid[4:],
        " " + gid,
        gid[:6] + " " + gid[6:],
    ):
        body = await gql.execute(query, {"id": variant})
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", variant
    assert sandbox.calls() == 0


async def test_coercion_errors_name_the_format_not_pythons_message(gql: GraphQLClient) -> None:
    cases = [
        ("query ($d: Date) { sessions(from: $d) { totalCount } }", {"d": "2024-13-45"}),
        ('{ sessions(from: "yesterday") { totalCount } }', None),
    ]
    for query, variables in cases:
        body = await gql.execute(query, variables, key=ALICE)
        message = body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Expected a date as YYYY-MM-DD." in message, message
        assert "isoformat" not in message and "month must be" not in message, message
    mutation = 'mutation { updateSession(id: "x", createdAt: "soon") { sessionId } }'
    message = (await gql.execute(mutation))["errors"][0]["message"]
    assert "Expected an ISO-8601 date and time" in message, message
