"""@defer and @stream over HTTP, in process: parts where the client reads them, else one result.

A client that takes ``multipart/mixed;deferSpec=20220824`` (Apollo Client) or a
bare ``multipart/mixed`` (urql) gets the parts in the 2022-08-24 draft's shape;
one that takes only JSON gets the same answer with the deferred fields in it.
Every multipart answer here is merged back (as the clients merge it) and
compared with the single-result one. Timing (the first part before a slow
export) is tests/e2e/test_defer.py's, on a real server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from graphql.execution import (
    CompletedResult,
    IncrementalDeferResult,
    IncrementalStreamResult,
    PendingResult,
    SubsequentIncrementalExecutionResult,
)

from gateway.config import Settings
from gateway.http.incremental import EncodedPart, encoded_parts
from gateway.sandbox import SandboxConfig, create_sandbox_app
from schema.incremental import Defer20220824, DeferredPart
from tests.conftest import ALICE, global_id, seeded
from tests.unit.conftest import gateway_client

# What Apollo Client 4 sends for an operation with @defer (Defer20220824Handler).
APOLLO = (
    "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"
)
# What urql sends for every query.
URQL = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
PARTS_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824'

RUN = seeded("alice", "Running")[0]

SESSION = """
query ($id: ID!) {
  session(id: $id) {
    title
    metrics { name }
    ... @defer(label: "export") {
      export { metrics { name value values } timestamps(frames: {start: 0, end: 3}) }
    }
  }
}
"""


async def post(
    client: httpx.AsyncClient, query: str, accept: str | None, **variables: Any
) -> httpx.Response:
    headers = {"Authorization": ALICE}
    if accept is not None:
        headers["Accept"] = accept
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def parts_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON parts of a multipart/mixed answer, each checked against its Content-Length."""
    assert response.headers["content-type"] == PARTS_TYPE, response.text
    body = response.content
    assert body.startswith(b"---\r\n") and body.endswith(b"\r\n-----\r\n"), body[-40:]
    parts = []
    for piece in body[len(b"---") : -len(b"--\r\n")].split(b"\r\n---")[:-1]:
        head, _, payload = piece.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().strip().split("\r\n") if line)
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(headers["Content-Length"]) == len(payload)
        parts.append(json.loads(payload))
    assert [p.get("hasNext") for p in parts] == [True] * (len(parts) - 1) + [False], parts
    return parts


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts merged as the 2022-08-24 draft says (and Apollo Client and urql do)."""
    data = parts[0]["data"]
    errors = list(parts[0].get("errors", []))
    for part in parts[1:]:
        assert set(part) <= {"incremental", "hasNext", "errors"}, part
        errors += part.get("errors", [])
        for delivery in part.get("incremental", []):
            errors += delivery.get("errors", [])
            path = delivery["path"]
            if "items" in delivery:
                target = _at(data, path[:-1])
                assert path[-1] == len(target), (path, target)  # in order, none missing
                target.extend(delivery["items"])
            elif delivery["data"] is not None:
                _merge(_at(data, path), delivery["data"])
    return {"data": data, **({"errors": errors} if errors else {})}


def _at(data: Any, path: list[str | int]) -> Any:
    for key in path:
        data = data[key]
    return data


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def without_defer(query: str) -> str:
    for directive in ('@defer(label: "export")', '@defer(label: "list")', "@defer"):
        query = query.replace(directive, "")
    return query.replace('@stream(initialCount: 1, label: "rest")', "").replace(
        "@stream(initialCount: 1)", ""
    )


async def test_parts_come_as_apollo_client_reads_them() -> None:
    async with gateway_client() as client:
        response = await post(client, SESSION, APOLLO, id=global_id(RUN))
        single = await post(client, without_defer(SESSION), "application/json", id=global_id(RUN))
    assert response.status_code == 200
    first, deferred = parts_of(response)
    assert first == {
        "data": {"session": {"title": RUN.title, "metrics": first["data"]["session"]["metrics"]}},
        "hasNext": True,
    }
    assert first["data"]["session"]["metrics"]
    assert deferred == {
        "incremental": [
            {
                "data": {"export": deferred["incremental"][0]["data"]["export"]},
                "path": ["session"],
                "label": "export",
            }
        ],
        "hasNext": False,
    }
    assert merged([first, deferred]) == single.json()


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/graphql-response+json",
        None,
        # Apollo's subscription spec only: a query is one result.
        "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json",
        # A draft these parts don't follow.
        "multipart/mixed;incrementalSpec=v0.2,application/json",
    ],
)
async def test_a_client_that_takes_one_result_gets_the_deferred_fields_in_it(
    accept: str | None,
) -> None:
    async with gateway_client() as client:
        response = await post(client, SESSION, accept, id=global_id(RUN))
        plain = await post(client, without_defer(SESSION), accept, id=global_id(RUN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/")
    body = response.json()
    assert "hasNext" not in body and "errors" not in body, body
    assert body["data"]["session"]["export"]["metrics"]
    assert body == plain.json()


async def test_urql_gets_parts_only_for_an_operation_that_defers() -> None:
    async with gateway_client() as client:
        deferring = await post(client, SESSION, URQL, id=global_id(RUN))
        plain = await post(client, without_defer(SESSION), URQL, id=global_id(RUN))
    assert merged(parts_of(deferring)) == plain.json()
    assert plain.headers["content-type"].startswith("application/graphql-response+json")


STREAMED = """
query {
  sessions(first: 5) {
    totalCount
    edges @stream(initialCount: 1) { node { id title } }
  }
}
"""

STREAMED_IN_DEFERRED = """
query {
  sessions(first: 5) {
    totalCount
    ... @defer(label: "list") {
      edges @stream(initialCount: 1, label: "rest") { cursor node { id } }
    }
  }
}
"""


@pytest.mark.parametrize("query", [STREAMED, STREAMED_IN_DEFERRED])
async def test_streamed_items_are_placed_by_their_index(query: str) -> None:
    async with gateway_client() as client:
        response = await post(client, query, APOLLO)
        single = await post(client, query, "application/json")
        plain = await post(client, without_defer(query), "application/json")
    parts = parts_of(response)
    items = [d for p in parts[1:] for d in p.get("incremental", []) if "items" in d]
    assert items and all(d["path"][:2] == ["sessions", "edges"] for d in items)
    assert merged(parts) == single.json() == plain.json()
    assert len(single.json()["data"]["sessions"]["edges"]) == 5


async def test_server_sent_events_carry_one_part_each() -> None:
    async with gateway_client() as client:
        response = await post(client, SESSION, "text/event-stream", id=global_id(RUN))
        single = await post(client, SESSION, "application/json", id=global_id(RUN))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e and not e.startswith(":")]
    assert [e.split("\n")[0] for e in events] == ["event: next", "event: next", "event: complete"]
    parts = [json.loads(e.split("\n")[1].removeprefix("data: ")) for e in events[:2]]
    assert parts[0]["hasNext"] is True and parts[1]["hasNext"] is False
    assert parts[1]["incremental"][0]["path"] == ["session"]
    assert merged(parts) == single.json()


EXPORTS = """
query ($id: ID!) {
  sessions(first: 3) {
    edges { node { id ... @defer { export { timestamps(frames: {start: 0, end: 1}) } } } }
  }
  again: session(id: $id) { ... @defer { export { metrics { name } } } }
}
"""


async def test_deferred_exports_cost_one_call_per_distinct_session() -> None:
    sandbox = create_sandbox_app(SandboxConfig(validate_contract=True))
    stats = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://s")
    async with gateway_client(sandbox=sandbox) as client, stats:
        listed = await post(client, "{ sessions(first: 3) { edges { node { id } } } }", None)
        first_id = listed.json()["data"]["sessions"]["edges"][0]["node"]["id"]
        await stats.post("/__sandbox__/reset-stats")
        response = await post(client, EXPORTS, APOLLO, id=first_id)
        by_session = (await stats.get("/__sandbox__/stats")).json()["by_session"]
    parts = parts_of(response)
    deliveries = [d for p in parts[1:] for d in p.get("incremental", [])]
    assert sorted(str(d["path"]) for d in deliveries) == sorted(
        [str(["sessions", "edges", i, "node"]) for i in range(3)] + [str(["again"])]
    )
    exports = {
        session: n
        for session, routes in by_session.items()
        for route, n in routes.items()
        if route.endswith("/export/")
    }
    # Three sessions, one of them asked for twice: one call each.
    assert list(exports.values()) == [1, 1, 1], by_session


async def test_the_answer_bound_covers_all_its_parts() -> None:
    query = """
    query ($id: ID!) {
      session(id: $id) {
        angles { name values }
        ... @defer { export { angles { name values } } }
      }
    }
    """
    async with gateway_client() as client:
        unbounded = parts_of(await post(client, query, APOLLO, id=global_id(RUN)))
    sizes = [len(json.dumps(p, separators=(",", ":"))) for p in unbounded]
    assert len(sizes) == 2
    # Each part alone fits; both don't.
    bound = max(sizes) + min(sizes) // 2
    settings = Settings(upstream_url="http://sandbox", max_response_bytes=bound)
    async with gateway_client(settings) as client:
        response = await post(client, query, APOLLO, id=global_id(RUN))
    first, *rest = parts_of(response)
    assert first == unbounded[0]
    codes = [
        e["extensions"]["code"]
        for p in rest
        for e in p.get("errors", [])
        + [x for d in p.get("incremental", []) for x in d.get("errors", [])]
    ]
    assert codes == ["LIMIT_EXCEEDED"], rest
    sent = sum(len(json.dumps(p, separators=(",", ":"))) for p in [first, *rest])
    assert sent <= bound


async def test_a_part_past_the_bound_is_the_last_and_the_rest_is_cancelled() -> None:
    closed = []

    async def results() -> AsyncIterator[Any]:
        try:
            yield DeferredPart(
                {"incremental": [{"data": {"a": "x" * 50}, "path": []}], "hasNext": True}
            )
            yield DeferredPart(
                {"incremental": [{"data": {"b": "y" * 50}, "path": []}], "hasNext": True}
            )
            yield DeferredPart({"hasNext": False})
        finally:
            closed.append(True)

    sent = [part async for part in encoded_parts(results(), max_bytes=120)]
    assert all(isinstance(part, EncodedPart) for part in sent)
    bodies = [json.loads(part.encoded) for part in sent]
    assert bodies[0]["incremental"][0]["data"] == {"a": "x" * 50}
    assert bodies[1] == {
        "errors": [
            {
                "message": "The answer is larger than 120 bytes; select less.",
                "extensions": {"code": "LIMIT_EXCEEDED"},
            }
        ],
        "hasNext": False,
    }
    assert len(sent) == 2 and closed == [True]


async def test_errors_of_a_deferred_part_have_their_codes() -> None:
    sandbox = create_sandbox_app(SandboxConfig(validate_contract=True))
    control = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://s")
    query = """
    query ($id: ID!) {
      session(id: $id) { title ... @defer { export { timestamps } } }
    }
    """
    async with gateway_client(sandbox=sandbox) as client, control:
        failing = {"status": 404, "count": 100, "path_contains": "/export/"}
        await control.post("/__sandbox__/config", json={"fail_next": failing})
        response = await post(client, query, APOLLO, id=global_id(RUN))
        await control.post("/__sandbox__/config", json={"fail_next": None})
    first, deferred = parts_of(response)
    assert first["data"] == {"session": {"title": RUN.title}}
    (delivery,) = deferred["incremental"]
    assert delivery["path"] == ["session"]
    assert delivery["data"] == {"export": {"timestamps": None}}
    assert [e["extensions"]["code"] for e in delivery["errors"]] == ["NOT_FOUND"]
    assert delivery["errors"][0]["path"] == ["session", "export", "timestamps"]


async def test_a_persisted_query_that_defers_runs_by_its_hash() -> None:
    digest = hashlib.sha256(SESSION.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    variables = json.dumps({"id": global_id(RUN)})
    headers = {"Authorization": ALICE, "Accept": APOLLO}
    async with gateway_client() as client:
        params = {"extensions": extensions, "variables": variables}
        unknown = await client.get("/graphql", params=params, headers=headers)
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        full = await client.post(
            "/graphql",
            json={
                "query": SESSION,
                "variables": {"id": global_id(RUN)},
                "extensions": json.loads(extensions),
            },
            headers=headers,
        )
        # Stored once its stream had validated it: the hash alone now runs it,
        # through the document cache, in parts again.
        again = await client.get("/graphql", params=params, headers=headers)
    assert parts_of(again) == parts_of(full)


async def test_a_mutation_that_defers_answers_in_parts() -> None:
    mutation = """
    mutation ($id: ID!) {
      updateSession(id: $id, title: "Deferred") { id ... @defer { title } }
    }
    """
    async with gateway_client() as client:
        response = await post(client, mutation, APOLLO, id=global_id(RUN))
    first, deferred = parts_of(response)
    assert first["data"] == {"updateSession": {"id": global_id(RUN)}}
    assert deferred["incremental"] == [{"data": {"title": "Deferred"}, "path": ["updateSession"]}]


async def test_a_request_error_is_one_part() -> None:
    async with gateway_client() as client:
        response = await post(client, "{ session { title ... @defer { nope } } }", APOLLO)
    (only,) = parts_of(response)
    assert "data" not in only
    assert {e["extensions"]["code"] for e in only["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}


def test_failed_fragments_and_streams_are_delivered_as_null_with_their_errors() -> None:
    settled: list[GraphQLError] = []
    translate = Defer20220824(
        [PendingResult("0", ["a"], "first"), PendingResult("1", ["list"], None)],
        {("list",): 2},
        settled.extend,
    )
    error = GraphQLError("boom", extensions={"code": "X"})
    part = translate.part(
        SubsequentIncrementalExecutionResult(
            has_next=True,
            incremental=[
                IncrementalStreamResult(items=[1, 2], id="1"),
                IncrementalDeferResult(data={"b": 1}, id="0", sub_path=["c"]),
            ],
        )
    )
    assert part.payload == {
        "incremental": [
            {"items": [1, 2], "path": ["list", 2]},
            {"data": {"b": 1}, "path": ["a", "c"], "label": "first"},
        ],
        "hasNext": True,
    }
    part = translate.part(
        SubsequentIncrementalExecutionResult(
            has_next=False,
            completed=[CompletedResult("1", [error]), CompletedResult("0", [error])],
        )
    )
    formatted = [error.formatted]
    assert part.payload == {
        "incremental": [
            {"items": None, "path": ["list", 4], "errors": formatted},
            {"data": None, "path": ["a"], "label": "first", "errors": formatted},
        ],
        "hasNext": False,
    }
    assert settled == [error, error] and part.errors == [error, error]
