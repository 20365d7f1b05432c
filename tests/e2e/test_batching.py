"""Each distinct upstream resource is fetched at most once per operation, concurrently."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient, global_id, seeded
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

DETAILS = "GET /{activity}/sessions/{session_id}/"
EXPORT = "GET /{activity}/sessions/{session_id}/export/"
FILTER = "GET /session-management/sessions/filter/"
VIDEO = "GET /session-management/sessions/{session_id}/analyzed-video/"


def route_total(sandbox: SandboxControl, template: str) -> int:
    """Calls to a route template, summed over the three activities."""
    routes = sandbox.stats()["routes"]
    return sum(
        n
        for route, n in routes.items()
        if route == template
        or route
        in {template.replace("{activity}", a) for a in ("jumping", "running", "weightlifting")}
    )


async def test_same_session_through_aliases_and_fragments_costs_one_call(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    session = seeded("alice", "Vertical Jump")[0]
    query = """
    query ($id: ID!) {
      a: session(id: $id) { title ...More }
      b: session(id: $id) { sessionId angles(names: ["kne_angle"]) { name } }
      c: node(id: $id) { ... on JumpingSession { endFrames ...More } }
    }
    fragment More on Session { userName createdAt metrics { name } }
    """
    body = await gql.execute(query, {"id": global_id(session)})
    assert "errors" not in body, body
    assert body["data"]["a"]["title"] == session.title
    assert body["data"]["b"]["sessionId"] == session.session_id
    assert route_total(sandbox, DETAILS) == 1
    assert sandbox.calls() == 1


async def test_one_session_of_each_activity_costs_three_concurrent_calls(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    ids = [
        global_id(seeded("alice", label)[0])
        for label in ("Vertical Jump", "Running", "Weightlifting")
    ]
    query = """
    query ($j: ID!, $r: ID!, $w: ID!) {
      j: session(id: $j) { title angles { name } }
      r: session(id: $r) { title metrics { name value } }
      w: session(id: $w) { title ... on WeightliftingSession { exercise } }
    }
    """
    # Once without latency: the steady state is what's measured, not the
    # first connections to the upstream or the first parse of the query.
    await gql.execute(query, {"j": ids[0], "r": ids[1], "w": ids[2]})
    # Each call held until three are in flight: a gateway calling one at a
    # time would show max_in_flight 1 here, on any machine.
    sandbox.configure(gate=3)
    sandbox.reset()
    body = await gql.execute(query, {"j": ids[0], "r": ids[1], "w": ids[2]})
    assert "errors" not in body, body
    stats = sandbox.stats()
    assert route_total(sandbox, DETAILS) == 3
    assert stats["total"] == 3
    # All three were in flight at once (the sandbox counts), not one after
    # another: the count proves it where a stopwatch would only suggest it.
    assert stats["max_in_flight"] == 3


async def test_listing_fields_cost_one_call(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    body = await gql.execute(
        "{ sessions(first: 10) { edges { node { title createdAt userName videoUrl } } } }"
    )
    assert "errors" not in body, body
    edges = body["data"]["sessions"]["edges"]
    assert len(edges) == 10
    assert all(e["node"]["title"] and e["node"]["createdAt"] for e in edges)
    assert sandbox.calls() == 1
    assert sandbox.calls(FILTER) == 1


async def test_analyzed_video_on_a_page_costs_at_most_ten_more(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    body = await gql.execute(
        "{ sessions(first: 10) { edges { node { title analyzedVideo { status url } } } } }"
    )
    assert "errors" not in body, body
    statuses = {e["node"]["analyzedVideo"]["status"] for e in body["data"]["sessions"]["edges"]}
    assert statuses <= {"READY", "PROCESSING", "FAILED"}
    assert sandbox.calls(FILTER) == 1
    assert sandbox.calls() - 1 <= 10


async def test_angles_on_a_page_cost_one_details_call_per_session(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    body = await gql.execute(
        "{ sessions(first: 10) { edges { node { title angles { name values } } } } }"
    )
    assert "errors" not in body, body
    assert sandbox.calls(FILTER) == 1
    assert route_total(sandbox, DETAILS) == 10
    assert sandbox.calls() == 11


async def test_export_is_fetched_only_when_selected(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    session = seeded("alice", "Weightlifting")[0]
    query = "query ($id: ID!) { session(id: $id) { title angles { name } %s } }"
    body = await gql.execute(query % "", {"id": global_id(session)})
    assert "errors" not in body, body
    assert route_total(sandbox, EXPORT) == 0

    sandbox.reset()
    body = await gql.execute(
        query % 'export { keypoints(names: ["lknex"]) { name values } }',
        {"id": global_id(session)},
    )
    assert "errors" not in body, body
    assert route_total(sandbox, EXPORT) == 1
    assert body["data"]["session"]["export"]["keypoints"][0]["name"] == "lknex"


async def test_each_operation_fetches_afresh(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    """Loaders die with their operation: nothing is cached across requests."""
    session = seeded("alice", "Running")[0]
    for _ in range(2):
        body = await gql.execute(
            "query ($id: ID!) { session(id: $id) { title } }", {"id": global_id(session)}
        )
        assert "errors" not in body
    assert route_total(sandbox, DETAILS) == 2
