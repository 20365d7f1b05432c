"""Mutations end to end: uploads by the multipart request spec, edits, deletions, comments.

These tests write: like every module marked inprocess, they have their own
sandbox and gateway apps.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import ALICE, BOB, GraphQLClient, global_id, seeded
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 400  # ~100 KB

CREATE = """
mutation ($video: Upload, $input: CreateSessionInput!) {
  createSession(video: $video, input: $input) {
    id sessionId activity title
    ... on WeightliftingSession { exercise metrics(names: ["barbell_weight"]) { value } }
    ... on RunningSession { metrics(names: ["incline"]) { value } }
  }
}"""

SESSION = "query ($id: ID!) { session(id: $id) { sessionId title createdAt } }"
LIST = "{ sessions(first: 3) { totalCount edges { node { sessionId } } } }"


async def upload(
    gql: GraphQLClient,
    variables: dict[str, Any],
    *,
    files: dict[str, Any] | None = None,
    mapping: dict[str, list[str]] | None = None,
    key: str = ALICE,
) -> httpx.Response:
    """A request by the GraphQL multipart request spec: operations, map, then the files."""
    operations = {"query": CREATE, "variables": {"video": None, **variables}}
    return await gql.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps(mapping if mapping is not None else {"0": ["variables.video"]}),
        },
        files=files if files is not None else {"0": ("clip.mp4", VIDEO, "video/mp4")},
        headers={"Authorization": key},
    )


def error_of(body: dict[str, Any]) -> tuple[str, str | None]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("field")


UPLOAD_ROUTES = {
    "JUMPING": "POST /jumping/sessions/",
    "RUNNING": "POST /running/sessions/",
    "WEIGHTLIFTING": "POST /weightlifting/sessions/",
}


@pytest.mark.parametrize(
    ("activity", "settings"),
    [
        ("JUMPING", {"jumping": {"title": "Uploaded jump"}}),
        ("RUNNING", {"running": {"title": "Uploaded run", "inclineDegrees": 2.5}}),
        (
            "WEIGHTLIFTING",
            {"weightlifting": {"title": "Uploaded lift", "exercise": "clean", "barbellMass": 85}},
        ),
    ],
)
async def test_upload_creates_a_session_that_is_listed(
    gql: GraphQLClient,
    sandbox: SandboxControl,
    activity: str,
    settings: dict[str, Any],
) -> None:
    total = (await gql.execute(LIST))["data"]["sessions"]["totalCount"]
    response = await upload(gql, {"input": settings})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    created = body["data"]["createSession"]
    assert created["activity"] == activity
    title = next(iter(settings.values()))["title"]
    assert created["title"] == title
    # The upload went once, as multipart with the contract's field names, and
    # the activity's settings reached the upstream (they show in its metrics).
    assert sandbox.calls(UPLOAD_ROUTES[activity]) == 1
    if activity == "WEIGHTLIFTING":
        assert created["exercise"] == "clean"
        assert created["metrics"] == [{"value": 85.0}]
    if activity == "RUNNING":
        assert created["metrics"] == [{"value": 2.5}]
    async with sandbox.client() as http:
        state = (await http.get(f"/__sandbox__/sessions/{created['sessionId']}")).json()
    assert state["owner"] == "alice"

    # Listed (newest first: among the first ones), and readable by its new id.
    listed = (await gql.execute(LIST))["data"]["sessions"]
    assert listed["totalCount"] == total + 1
    found = await gql.execute(
        "query ($t: String) { sessions(title: $t) { nodes { sessionId title activity } } }",
        {"t": title},
    )
    assert found["data"]["sessions"]["nodes"] == [
        {"sessionId": created["sessionId"], "title": title, "activity": activity}
    ]
    again = await gql.execute(SESSION, {"id": created["id"]})
    assert again["data"]["session"]["title"] == title


async def test_upload_without_title_gets_the_upstreams(gql: GraphQLClient) -> None:
    response = await upload(gql, {"input": {"jumping": {}}})
    created = response.json()["data"]["createSession"]
    assert created["activity"] == "JUMPING"
    assert created["title"]  # e.g. "Vertical Jump 28/02/2025 06:00 PM"


BAD_UPLOADS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "unknown exercise",
        {"input": {"weightlifting": {"exercise": "deadlift"}}},
        {},
        "input.weightlifting.exercise",
    ),
    (
        "negative barbell mass",
        {"input": {"weightlifting": {"exercise": "snatch", "barbellMass": -20}}},
        {},
        "input.weightlifting.barbellMass",
    ),
    (
        "zero barbell mass",
        {"input": {"weightlifting": {"exercise": "snatch", "barbellMass": 0}}},
        {},
        "input.weightlifting.barbellMass",
    ),
    (
        "incline out of range",
        {"input": {"running": {"inclineDegrees": 80}}},
        {},
        "input.running.inclineDegrees",
    ),
    ("blank title", {"input": {"jumping": {"title": "   "}}}, {}, "input.jumping.title"),
    (
        "file mapped to the wrong variable",
        {"input": {"jumping": {}}},
        {"mapping": {"0": ["variables.file"]}},
        "video",
    ),
    (
        "empty file",
        {"input": {"jumping": {}}},
        {"files": {"0": ("clip.mp4", b"", "video/mp4")}},
        "video",
    ),
]


@pytest.mark.parametrize(
    ("variables", "request_parts", "field"),
    [case[1:] for case in BAD_UPLOADS],
    ids=[case[0] for case in BAD_UPLOADS],
)
async def test_bad_uploads_name_the_field_and_send_nothing(
    gql: GraphQLClient,
    sandbox: SandboxControl,
    variables: dict[str, Any],
    request_parts: dict[str, Any],
    field: str,
) -> None:
    response = await upload(gql, variables, **request_parts)
    body = response.json()
    assert error_of(body) == ("BAD_REQUEST", field), body
    assert body["data"] is None
    assert sandbox.calls() == 0


async def test_a_string_instead_of_a_file_is_a_bad_request(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    body = await gql.execute(CREATE, {"video": "clip.mp4", "input": {"jumping": {}}})
    assert error_of(body) == ("BAD_REQUEST", "video")
    assert sandbox.calls() == 0


async def test_a_map_naming_a_missing_part_or_two_activities_are_refused(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    # The map points at part "0", but the file was sent as part "1".
    response = await upload(
        gql,
        {"input": {"jumping": {}}},
        files={"1": ("clip.mp4", VIDEO, "video/mp4")},
    )
    assert response.status_code == 400
    # @oneOf: exactly one activity.
    response = await upload(gql, {"input": {"jumping": {}, "running": {}}})
    assert error_of(response.json())[0] == "GRAPHQL_VALIDATION_FAILED"
    assert sandbox.calls() == 0


UPDATE = """
mutation ($id: ID!, $title: String, $at: DateTime) {
  updateSession(id: $id, title: $title, createdAt: $at) { sessionId title createdAt }
}"""


async def test_update_session_title_and_date(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    record = seeded("alice", "Running")[1]
    body = await gql.execute(
        UPDATE, {"id": global_id(record), "title": "  Renamed run ", "at": "2024-05-06T07:08:00Z"}
    )
    assert "errors" not in body, body
    assert body["data"]["updateSession"] == {
        "sessionId": record.session_id,
        "title": "Renamed run",
        "createdAt": "2024-05-06T07:08:00+00:00",
    }
    # Checked, changed, then read afresh.
    assert sandbox.calls("PUT /session-management/sessions/{session_id}") == 1
    assert sandbox.calls("GET /running/sessions/{session_id}/") == 2

    again = await gql.execute(SESSION, {"id": global_id(record)})
    assert again["data"]["session"]["title"] == "Renamed run"
    found = await gql.execute('{ sessions(title: "renamed") { nodes { sessionId } } }')
    assert found["data"]["sessions"]["nodes"] == [{"sessionId": record.session_id}]


async def test_update_session_bad_input(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    record = seeded("alice", "Vertical Jump")[1]
    for variables, field in (
        ({"id": global_id(record)}, "title"),
        ({"id": global_id(record), "title": ""}, "title"),
        ({"id": "nonsense"}, "id"),
    ):
        body = await gql.execute(UPDATE, variables)
        assert error_of(body) == ("BAD_REQUEST", field), body
    assert sandbox.calls() == 0


DELETE = "mutation ($id: ID!) { deleteSession(id: $id) }"


async def test_delete_session(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    response = await upload(gql, {"input": {"jumping": {"title": "To delete"}}})
    created = response.json()["data"]["createSession"]
    total = (await gql.execute(LIST))["data"]["sessions"]["totalCount"]

    body = await gql.execute(DELETE, {"id": created["id"]})
    assert body == {"data": {"deleteSession": created["id"]}}
    assert sandbox.calls("DELETE /session-management/sessions/{session_id}") == 1

    listed = (await gql.execute(LIST))["data"]["sessions"]
    assert listed["totalCount"] == total - 1
    assert created["sessionId"] not in str(listed)
    # A deleted session: NOT_FOUND to read, to delete again and to update.
    for query, variables in (
        (SESSION, {"id": created["id"]}),
        (DELETE, {"id": created["id"]}),
        (UPDATE, {"id": created["id"], "title": "Back?"}),
    ):
        body = await gql.execute(query, variables)
        assert error_of(body)[0] == "NOT_FOUND", body


async def test_nobody_deletes_or_renames_another_users_session(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    bobs = seeded("bob")[0]
    for query, variables in (
        (DELETE, {"id": global_id(bobs)}),
        (UPDATE, {"id": global_id(bobs), "title": "Mine"}),
    ):
        body = await gql.execute(query, variables, key=ALICE)
        assert error_of(body)[0] == "NOT_FOUND"
    assert sandbox.calls("DELETE /session-management/sessions/{session_id}") == 0
    assert sandbox.calls("PUT /session-management/sessions/{session_id}") == 0
    mine = await gql.execute(SESSION, {"id": global_id(bobs)}, key=BOB)
    assert mine["data"]["session"]["title"] == bobs.title


COMMENTS = """
mutation ($id: ID!, $comments: [ReportCommentInput!]!) {
  updateReportComments(id: $id, comments: $comments) { reportComments { name en ru } }
}"""
DELETE_COMMENTS = """
mutation ($id: ID!) { deleteReportComments(id: $id) { sessionId reportComments { name } } }
"""
READ_COMMENTS = """
query ($id: ID!) { session(id: $id) { ... on RunningSession { reportComments { name en ru } } } }
"""


async def test_report_comments_update_keeps_what_is_not_named(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    record = seeded("alice", "Running")[2]
    before = (await gql.execute(READ_COMMENTS, {"id": global_id(record)}))["data"]["session"]
    old = {c["name"]: c for c in before["reportComments"]}
    assert old["text_summary"]["ru"]

    body = await gql.execute(
        COMMENTS,
        {
            "id": global_id(record),
            "comments": [
                {"name": "text_summary", "en": "Great pacing."},
                {"name": "text_coach_note", "en": "Rest on Sunday.", "ru": "Отдых в воскресенье."},
            ],
        },
    )
    assert "errors" not in body, body
    after = {c["name"]: c for c in body["data"]["updateReportComments"]["reportComments"]}
    # English changed, Russian kept; a new comment added; the others untouched.
    assert after["text_summary"] == {
        "name": "text_summary",
        "en": "Great pacing.",
        "ru": old["text_summary"]["ru"],
    }
    assert after["text_coach_note"]["ru"] == "Отдых в воскресенье."
    assert after["text_push_angle"] == old["text_push_angle"]
    assert sandbox.calls("POST /running/sessions/{session_id}/report-comments/") == 1


async def test_report_comments_delete_then_set_again(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    record = seeded("alice", "Running")[3]
    body = await gql.execute(DELETE_COMMENTS, {"id": global_id(record)})
    assert body == {
        "data": {"deleteReportComments": {"sessionId": record.session_id, "reportComments": None}}
    }
    assert sandbox.calls("DELETE /running/sessions/{session_id}/report-comments/") == 1

    body = await gql.execute(
        COMMENTS, {"id": global_id(record), "comments": [{"name": "text_summary", "ru": "Хорошо."}]}
    )
    assert body["data"]["updateReportComments"]["reportComments"] == [
        {"name": "text_summary", "en": None, "ru": "Хорошо."}
    ]


async def test_report_comments_bad_input(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    running = global_id(seeded("alice", "Running")[0])
    jumping = global_id(seeded("alice", "Vertical Jump")[0])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"id": jumping, "comments": [{"name": "text_summary", "en": "x"}]}, "id"),
        ({"id": running, "comments": []}, "comments"),
        ({"id": running, "comments": [{"name": "Bad Name", "en": "x"}]}, "comments.0.name"),
        ({"id": running, "comments": [{"name": "text_summary"}]}, "comments.0"),
        (
            {
                "id": running,
                "comments": [{"name": "text_a", "en": "x"}, {"name": "text_b", "ru": " "}],
            },
            "comments.1.ru",
        ),
    ]
    for variables, field in cases:
        body = await gql.execute(COMMENTS, variables)
        assert error_of(body) == ("BAD_REQUEST", field), body
    body = await gql.execute(DELETE_COMMENTS, {"id": jumping})
    assert error_of(body) == ("BAD_REQUEST", "id")
    assert sandbox.calls() == 0
