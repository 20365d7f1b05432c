"""Finding 6: every upstream write waits for the proof that reads already need.

`requestAnalyzedVideo` started processing a running session as weightlifting;
report POSTs (which may generate a report) went out before the ownership and
activity check; comment writes went on after a failed read. Each case here is
a write the caller must not be able to make, and the upstream's counters show
that none was even attempted.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.ids import Activity, encode_global_id
from tests.conftest import ALICE, GraphQLClient, global_id, seeded
from tests.servers import SandboxControl

# If a check failed, these would write to the sandbox: the module's own apps.
pytestmark = pytest.mark.inprocess

REQUEST_VIDEO = """
mutation ($id: ID!, $activity: Activity) {
  requestAnalyzedVideo(id: $id, activity: $activity) { status }
}"""
COMMENTS = """
mutation ($id: ID!) {
  updateReportComments(id: $id, comments: [{name: "text_summary", en: "x"}]) { sessionId }
}"""
DELETE_COMMENTS = "mutation ($id: ID!) { deleteReportComments(id: $id) { sessionId } }"
REPORTS = """
query ($id: ID!) { session(id: $id) {
  ... on JumpingSession { jumpAnalysis { __typename } }
  ... on RunningSession { gaitAnalysis { __typename } }
  ... on WeightliftingSession { recommendations { text } liftAnalysis { name } }
} }"""


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


def writes(sandbox: SandboxControl) -> dict[str, int]:
    """Every call the sandbox saw that is not a GET."""
    routes: dict[str, int] = sandbox.stats()["routes"]
    return {route: n for route, n in routes.items() if not route.startswith("GET ")}


async def test_analyzed_video_of_another_activity_starts_nothing(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    running = next(r for r in seeded("alice", "Running") if r.video_state != "ready")
    for variables in (
        {"id": running.session_id, "activity": "WEIGHTLIFTING"},
        {"id": encode_global_id(Activity.JUMPING, running.session_id)},
    ):
        body = await gql.execute(REQUEST_VIDEO, variables)
        assert codes(body) == {"NOT_FOUND"}, body
    assert writes(sandbox) == {}
    # Its own activity still works, and is proven once.
    body = await gql.execute(REQUEST_VIDEO, {"id": global_id(running)})
    assert body["data"]["requestAnalyzedVideo"]["status"] in ("PROCESSING", "READY"), body
    assert writes(sandbox) == {"POST /session-management/sessions/{session_id}/analyzed-video/": 1}


async def test_report_posts_wait_for_the_proof(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    bobs = [seeded("bob", label)[0] for label in ("Vertical Jump", "Running", "Weightlifting")]
    for record in bobs:
        body = await gql.execute(REPORTS, {"id": global_id(record)}, key=ALICE)
        assert body["data"] == {"session": None}
        assert codes(body) == {"NOT_FOUND"}, body
    # A running session's id under the jumping activity: proven wrong first too.
    run = seeded("alice", "Running")[0]
    body = await gql.execute(REPORTS, {"id": encode_global_id(Activity.JUMPING, run.session_id)})
    assert codes(body) == {"NOT_FOUND"}, body
    assert writes(sandbox) == {}


async def test_report_posts_of_ones_own_sessions_still_load(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    jump = seeded("alice", "Vertical Jump")[0]
    body = await gql.execute(REPORTS, {"id": global_id(jump)})
    assert "errors" not in body, body
    assert sandbox.stats()["routes"] == {
        "GET /jumping/sessions/{session_id}/": 1,
        "POST /jumping/sessions/{session_id}/jump-analysis/": 1,
    }
    # From the caller's own listing no extra proof is needed.
    sandbox.reset()
    listing = (
        "{ sessions(first: 3, activity: JUMPING) { nodes { ... on JumpingSession {"
        " jumpAnalysis { __typename } } } } }"
    )
    body = await gql.execute(listing)
    assert "errors" not in body, body
    routes = sandbox.stats()["routes"]
    assert "GET /jumping/sessions/{session_id}/" not in routes, routes


async def test_comment_writes_after_a_failed_read_never_happen(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    bobs = seeded("bob", "Running")[0]
    mine_as_jump = encode_global_id(Activity.JUMPING, seeded("alice", "Running")[0].session_id)
    for query in (COMMENTS, DELETE_COMMENTS):
        body = await gql.execute(query, {"id": global_id(bobs)}, key=ALICE)
        assert codes(body) == {"NOT_FOUND"}, body
        # Another activity's id is refused before any call.
        body = await gql.execute(query, {"id": mine_as_jump}, key=ALICE)
        assert codes(body) == {"BAD_REQUEST"}, body
    assert writes(sandbox) == {}
