"""Finding 1: a fragment fan-out of a few hundred bytes must not stall the gateway.

Each fragment spreads the next one twice, so the operation's expanded form
doubles at every level: 2**40 fields at 40 levels, in 1.6 KB. Validation must
refuse it in time linear in the document while the process keeps serving.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import GraphQLClient
from tests.servers import SSL_CONTEXT, ServerProcess

LEVELS = 40


def fan_out(levels: int, salt: int, root: str = "Query", body: str = "{ ...F0 }") -> str:
    # The salt makes every text new, as an attacker's would be: no cache helps.
    fragments = " ".join(
        f"fragment F{i} on {root} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{body} {fragments} fragment F{levels} on {root} {{ s{salt}: __typename }}"


async def test_fragment_fan_out_is_refused_while_health_answers(
    gql: GraphQLClient, gateway_server: ServerProcess
) -> None:
    async def attack(salt: int) -> dict[str, object]:
        # No key at all: the attack needs none.
        return await gql.execute(fan_out(LEVELS, salt), key=None)

    async def health() -> list[int]:
        statuses = []
        async with httpx.AsyncClient(
            verify=SSL_CONTEXT, base_url=gateway_server.url, timeout=5
        ) as http:
            for _ in range(20):
                statuses.append((await http.get("/healthz")).status_code)
        return statuses

    results, statuses = await asyncio.wait_for(
        asyncio.gather(asyncio.gather(*(attack(s) for s in range(8))), health()), 60
    )
    for body in results:
        assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED", body  # type: ignore[index]
    assert statuses == [200] * 20
    assert gateway_server.alive()


@pytest.mark.inprocess
async def test_fan_out_under_introspection_and_over_get(gql: GraphQLClient) -> None:
    schema_attack = fan_out(LEVELS, 1, root="__Schema", body="{ __schema { ...F0 } }")
    body = await gql.execute(schema_attack, key=None)
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

    response = await gql.http.get("/graphql", params={"query": fan_out(LEVELS, 2)})
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


@pytest.mark.inprocess
async def test_fragments_spread_within_bounds_still_run(gql: GraphQLClient) -> None:
    # Four levels: 16 copies of one field, well within the bound; graphql-core
    # merges them into one answer.
    body = await gql.execute(fan_out(4, 3))
    assert body == {"data": {"s3": "Query"}}


@pytest.mark.inprocess
async def test_directives_and_variables_are_bounded_before_the_rules(
    gql: GraphQLClient,
) -> None:
    # graphql-core's rules cost more per directive and per variable than per
    # field: both are bounded, and a document past a bound never reaches them.
    directives = "{ __typename " + "@skip(if: false) " * 21 + "}"
    variables = "query (" + ", ".join(f"$v{i}: Int" for i in range(51)) + ") { __typename }"
    inline = "{ " + "... on Query { " * 25 + "__typename" + " }" * 25 + " }"
    for document in (directives, variables, inline):
        body = await gql.execute(document, key=None)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["LIMIT_EXCEEDED"], body


@pytest.mark.inprocess
async def test_fields_merged_pairwise_are_bounded(gql: GraphQLClient) -> None:
    # graphql-core compares fields of one response name pairwise: a thousand
    # `__typename` (10 KB) cost a tenth of a second, seven hundred (within the
    # token bound) half that,
    # 240 `session { id }` a quarter. Both are refused before that rule runs.
    repeated = "{ " + "__typename " * 700 + "}"
    nested = "{ " + "session { id } " * 120 + "}"
    side_by_side = (
        "{ "
        + " ".join(f"...F{i}" for i in range(60))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(60))
    )
    for document in (repeated, nested, side_by_side):
        body = await gql.execute(document, key=None)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["LIMIT_EXCEEDED"], body
        assert "merged" in body["errors"][0]["message"]


@pytest.mark.inprocess
async def test_fragments_side_by_side_as_clients_write_them_still_run(
    gql: GraphQLClient,
) -> None:
    # Apollo adds `__typename` to every selection set, and an app spreads a
    # fragment per component: twelve side by side merge as before.
    fragments = " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(12))
    spreads = " ".join(f"...F{i}" for i in range(12))
    body = await gql.execute(f"{{ __typename {spreads} }} {fragments}")
    assert body == {"data": {"__typename": "Query"}}
