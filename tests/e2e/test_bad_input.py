"""Bad input and other callers' data: a clear error with a code, and the server keeps serving."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, BOB, GraphQLClient, global_id, seeded
from tests.ids import global_id_of
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

SESSION = """
query ($id: ID!, $a: Activity) {
  session(id: $id, activity: $a) { sessionId title userName angles { name values } }
}"""


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_no_key_is_unauthenticated(gql: GraphQLClient) -> None:
    body = await gql.execute("{ sessions { totalCount } }", key=None)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_wrong_key_is_unauthenticated(gql: GraphQLClient) -> None:
    secret = "API-KEY not-a-real-key-4f9d1c"
    body = await gql.execute("{ sessions { totalCount } }", key=secret)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "4f9d1c" not in str(body)


async def test_introspection_needs_no_key(gql: GraphQLClient) -> None:
    body = await gql.execute("{ __schema { queryType { name } } }", key=None)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_alice_cannot_read_bobs_session(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    bobs = seeded("bob")[0]
    # Bob reads it first: nothing he fetched may reach Alice.
    mine = await gql.execute(SESSION, {"id": global_id(bobs)}, key=BOB)
    assert mine["data"]["session"]["title"] == bobs.title

    for variables in ({"id": global_id(bobs)}, {"id": bobs.session_id, "a": _enum(bobs)}):
        body = await gql.execute(SESSION, variables, key=ALICE)
        assert codes(body) == ["NOT_FOUND"]
        assert body["data"]["session"] is None
        assert bobs.title not in str(body)
        assert "Bob" not in str(body)


async def test_alice_cannot_see_bobs_session_even_by_id_only(gql: GraphQLClient) -> None:
    bobs = seeded("bob")[0]
    body = await gql.execute("query ($id: ID!) { node(id: $id) { id } }", {"id": global_id(bobs)})
    assert codes(body) == ["NOT_FOUND"]
    assert body["data"]["node"] is None


async def test_unknown_and_malformed_ids(gql: GraphQLClient) -> None:
    unknown = global_id_of("running", "0" * 32)
    body = await gql.execute(SESSION, {"id": unknown})
    assert codes(body) == ["NOT_FOUND"]

    for bad in ("not-a-global-id!", "../../admin", "U2Vzc2lvbjpib3hpbmc6MTIz"):
        body = await gql.execute(SESSION, {"id": bad})
        assert codes(body) == ["BAD_REQUEST"], (bad, body)

    body = await gql.execute(SESSION, {"id": "../etc/passwd", "a": "RUNNING"})
    assert codes(body) == ["BAD_REQUEST"]


async def test_activity_that_contradicts_the_id(gql: GraphQLClient) -> None:
    session = seeded("alice", "Running")[0]
    body = await gql.execute(SESSION, {"id": global_id(session), "a": "JUMPING"})
    assert codes(body) == ["BAD_REQUEST"]


async def test_one_failing_item_in_a_list_fails_alone(gql: GraphQLClient) -> None:
    good = [global_id(s) for s in seeded("alice")[:3]]
    bobs = global_id(seeded("bob")[0])
    ids = [good[0], bobs, good[1], "garbage", good[2]]
    body = await gql.execute(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Session { title } } }", {"ids": ids}
    )
    nodes = body["data"]["nodes"]
    assert [n is not None for n in nodes] == [True, False, True, False, True]
    assert [n["id"] for n in nodes if n] == good
    by_index = {e["path"][1]: e["extensions"]["code"] for e in body["errors"]}
    assert by_index == {1: "NOT_FOUND", 3: "BAD_REQUEST"}


async def test_malformed_queries(gql: GraphQLClient) -> None:
    body = await gql.execute("{ sessions { totalCount ")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    body = await gql.execute("{ sessions { noSuchField } }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    body = await gql.execute("{ sessions(first: -1) { totalCount } }")
    assert codes(body) == ["BAD_REQUEST"]
    assert body["errors"][0]["extensions"]["field"] == "first"


async def test_operation_bounds(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(40))
    body = await gql.execute("{ " + aliases + " }")
    assert codes(body) == ["LIMIT_EXCEEDED"]

    # Depth: the default bound (12) is above what the schema can nest, so
    # it is exercised with a lower bound in tests/unit/test_app.py.


async def test_server_keeps_serving_after_bad_input(gql: GraphQLClient) -> None:
    """Each bad input is answered with its own code (checked one by one), and then
    the next good operation is served."""
    for query, code in (
        ("{", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query { sessions(first: 1000) { totalCount } }", "BAD_REQUEST"),
    ):
        body = await gql.execute(query)
        assert codes(body) == [code], (query, body)
    raw_bodies: list[dict[str, object]] = [
        {"content": b"\xff\xfe not json", "headers": {"Content-Type": "application/json"}},
        {"json": ["not", "an", "object"]},
        {"json": {"query": 42}},
        {
            "content": b"--x\r\nnot a part",
            # With a key: without one an upload is refused (401) before its body is read.
            "headers": {"Content-Type": "multipart/form-data; boundary=x", "Authorization": ALICE},
        },
    ]
    for raw in raw_bodies:
        response = await gql.http.post("/graphql", **raw)  # type: ignore[arg-type]
        assert response.status_code == 400, (raw, response.text)
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert codes(response.json()) == ["BAD_REQUEST"], (raw, response.text)
    body = await gql.execute("{ sessions(first: 1) { totalCount } }")
    assert body["data"]["sessions"]["totalCount"] > 0


def _enum(record: object) -> str:
    return {"Vertical Jump": "JUMPING", "Running": "RUNNING", "Weightlifting": "WEIGHTLIFTING"}[
        str(record.activity)  # type: ignore[attr-defined]
    ]
