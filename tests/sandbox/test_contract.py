"""Every 200 body the sandbox serves matches `contract.yaml`, with only the documented quirks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from gateway.sandbox import DEMO_KEYS, seed_sessions
from gateway.sandbox.app import contract_endpoints
from gateway.sandbox.data import Activity, SessionRecord, VideoState, user_by_key
from gateway.sandbox.validation import json_body_violations
from gateway.upstream.contract import DEVIATIONS
from tests.sandbox.conftest import ALICE, BOB, FakeClock
from tests.sandbox.contract import operations

# The quirks the contract's examples show but its schemas deny are named once,
# with their reasons, in gateway/upstream/contract.py (DEVIATIONS).


# --- what to call ------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: str
    status: int = 200
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)

    def url(self, session_id: str = "") -> str:
        return self.key.split(" ", 1)[1].replace("{session_id}", session_id)

    async def call(
        self, client: httpx.AsyncClient, session_id: str = "", headers: dict[str, str] = ALICE
    ) -> httpx.Response:
        method = self.key.split(" ", 1)[0]
        return await client.request(
            method, self.url(session_id), headers=headers, json=self.json, params=self.params
        )


_COMMENTS = {"text_summary": {"en": "Keep it up", "ru": "Так держать"}}

PER_SESSION: dict[Activity, tuple[Case, ...]] = {
    Activity.JUMPING: (
        Case("GET /jumping/sessions/{session_id}/"),
        Case("GET /jumping/sessions/{session_id}/export/"),
        Case("POST /jumping/sessions/{session_id}/jump-analysis/"),
        Case("POST /jumping/sessions/{session_id}/recommendation/"),
        Case("GET /jumping/sessions/{session_id}/summary/"),
        Case("POST /jumping/sessions/{session_id}/summary/", status=201),
    ),
    Activity.RUNNING: (
        Case("GET /running/sessions/{session_id}/"),
        Case("GET /running/sessions/{session_id}/export/"),
        Case("POST /running/sessions/{session_id}/gait-analysis/"),
        Case("POST /running/sessions/{session_id}/form-analysis/"),
        Case("GET /running/sessions/{session_id}/metrics/"),
        Case("POST /running/sessions/{session_id}/recommendation/"),
        Case("GET /running/sessions/{session_id}/report-comments/"),
        Case("POST /running/sessions/{session_id}/report-comments/", json=_COMMENTS),
        Case("POST /running/sessions/{session_id}/report/"),
        Case("POST /running/sessions/{session_id}/summary/"),
        Case("DELETE /running/sessions/{session_id}/report-comments/"),
    ),
    Activity.WEIGHTLIFTING: (
        Case("GET /weightlifting/sessions/{session_id}/"),
        Case("GET /weightlifting/sessions/{session_id}/export/"),
        Case("GET /weightlifting/sessions/{session_id}/lift-analysis/"),
        Case("POST /weightlifting/sessions/{session_id}/lift-analysis/"),
        Case("POST /weightlifting/sessions/{session_id}/recommendation/"),
    ),
}

# Any session, any activity; the state-changing ones last.
MANAGEMENT = (
    Case("GET /session-management/sessions/{session_id}/analyzed-video/", params={"is_jump": "0"}),
    Case("PUT /session-management/sessions/{session_id}", json={"title": "Renamed"}),
    Case("DELETE /session-management/sessions/{session_id}"),
)
# Needs a session whose analyzed video was never requested.
POST_ANALYZED = Case(
    "POST /session-management/sessions/{session_id}/analyzed-video/", json={"is_jump": False}
)
GLOBAL = (
    Case("GET /session-management/sessions/"),
    Case("GET /session-management/sessions/filter/"),
    Case("GET /session-management/sessions/filter/", params={"activity": "Running"}),
    Case("GET /running/sessions/metrics/total/"),
)
UPLOADS = {
    "POST /jumping/sessions/": {},
    "POST /running/sessions/": {"incline_degree": "2"},
    "POST /weightlifting/sessions/": {"exercise_name": "snatch", "barbell_mass": "80"},
}

ALL_SESSIONS = [(user, record) for user in ("alice", "bob") for record in seed_sessions(user)]


def _headers(user: str) -> dict[str, str]:
    return ALICE if user == "alice" else BOB


def _check(response: httpx.Response, case: Case) -> None:
    assert response.status_code == case.status, (case.key, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    violations = json_body_violations(case.key, case.status, response.content)
    assert violations == [], (case.key, violations)


def test_every_operation_is_served_and_validated() -> None:
    served = {endpoint.key for endpoint in contract_endpoints()}
    validated = {c.key for cases in PER_SESSION.values() for c in cases}
    validated |= {c.key for c in (*MANAGEMENT, POST_ANALYZED, *GLOBAL)} | set(UPLOADS)
    assert served == operations()
    assert validated == operations()
    assert {d.operation for d in DEVIATIONS} - {"*"} <= operations()
    assert all(d.why for d in DEVIATIONS)


@pytest.mark.parametrize(
    ("user", "record"), ALL_SESSIONS, ids=[r.session_id[:8] for _, r in ALL_SESSIONS]
)
async def test_every_endpoint_of_every_seeded_session(
    small_client: httpx.AsyncClient, user: str, record: SessionRecord
) -> None:
    # Short series keep schema validation fast; shapes and quirks are the same.
    for case in PER_SESSION[record.activity]:
        _check(await case.call(small_client, record.session_id, _headers(user)), case)


@pytest.mark.parametrize("activity", list(Activity))
async def test_full_size_bodies(client: httpx.AsyncClient, activity: Activity) -> None:
    record = next(r for r in seed_sessions("bob") if r.activity is activity)
    for case in PER_SESSION[activity]:
        _check(await case.call(client, record.session_id, BOB), case)


async def test_management_endpoints(client: httpx.AsyncClient) -> None:
    records = seed_sessions("alice")
    for case in GLOBAL:
        _check(await case.call(client), case)
    not_requested = next(r for r in records if r.video_state is VideoState.NOT_REQUESTED)
    _check(await POST_ANALYZED.call(client, not_requested.session_id), POST_ANALYZED)
    for case in MANAGEMENT:
        _check(await case.call(client, records[0].session_id), case)


_ALICES = seed_sessions("alice")
# (params, status): a filter that matches nothing answers 404 (validated too).
FILTERS = (
    ({"start_after_id": _ALICES[2].session_id, "limit": "3"}, 200),
    ({"end_before_id": _ALICES[5].session_id, "limit": "2"}, 200),
    ({"limit": "1"}, 200),
    ({"limit": "100"}, 200),
    ({"title": _ALICES[0].title or ""}, 200),
    ({"title": "no such title"}, 404),
    ({"activity": "Vertical Jump", "start_date": "01/01/2025", "end_date": "31/12/2025"}, 200),
    ({"start_date": "01/01/2030"}, 404),
    ({"end_date": "01/01/2000"}, 404),
    ({"user_id": user_by_key(DEMO_KEYS["alice"]).user_id}, 200),  # type: ignore[union-attr]
    ({"user_id": "nobody"}, 404),
    ({"activity": "Weightlifting", "title": "#", "limit": "5"}, 200),
)


@pytest.mark.parametrize(("params", "status"), FILTERS, ids=lambda p: str(p))
async def test_every_filter_parameter(
    client: httpx.AsyncClient, params: dict[str, str], status: int
) -> None:
    case = Case("GET /session-management/sessions/filter/", status=status, params=params)
    _check(await case.call(client), case)


async def test_bodies_after_writes_and_in_every_processing_state(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """An upload, then the session's details and video while processing, after a
    PUT, when ready and when failed: every body validated (by _check here, and
    by the sandbox's own middleware for all of them)."""
    response = await client.post(
        "/jumping/sessions/",
        headers=ALICE,
        data={"session_name": "Fresh"},
        files={"video": ("clip.mp4", b"\x00" * 4096, "video/mp4")},
    )
    _check(response, Case("POST /jumping/sessions/"))
    session_id = response.json()["session_id"]
    details = Case("GET /jumping/sessions/{session_id}/")
    video = Case(
        "GET /session-management/sessions/{session_id}/analyzed-video/", params={"is_jump": "1"}
    )
    processing = await video.call(client, session_id)
    # The default flavor (strict) answers 404 while processing; the others'
    # forms are validated in tests/sandbox/test_flavors.py.
    _check(processing, Case(video.key, status=404, params=video.params))
    assert processing.json() == {"error": "Analyzed video not found"}
    _check(await details.call(client, session_id), details)
    rename = Case(
        "PUT /session-management/sessions/{session_id}",
        json={"title": "Renamed", "created_at": "2025-03-01 09:30:00"},
    )
    _check(await rename.call(client, session_id), rename)
    _check(await details.call(client, session_id), details)
    clock.advance(60)
    ready = await video.call(client, session_id)
    _check(ready, video)
    assert ready.json()["analyzed_video_url"].startswith("https://")
    _check(await details.call(client, session_id), details)
    await client.post(f"/__sandbox__/sessions/{session_id}/failed")
    failed = await video.call(client, session_id)
    # The one status the contract lacks, named in DEVIATIONS.
    assert failed.status_code == 422
    assert failed.json() == {
        "error": "Video could not be processed",
        "error_code": "VIDEO_PROCESSING_FAILED",
    }
    _check(await details.call(client, session_id), details)


async def test_filter_cursors_are_null_on_an_empty_page(client: httpx.AsyncClient) -> None:
    last = seed_sessions("alice")[-1].session_id
    case = Case("GET /session-management/sessions/filter/", params={"start_after_id": last})
    response = await case.call(client)
    _check(response, case)
    assert response.json()["first_doc_id"] is None


@pytest.mark.parametrize("key", sorted(UPLOADS))
async def test_uploads(client: httpx.AsyncClient, key: str) -> None:
    path = key.split(" ", 1)[1]
    response = await client.post(
        path,
        headers=ALICE,
        data={"session_name": "Upload", **UPLOADS[key]},
        files={"video": ("clip.mp4", b"\x00" * 4096, "video/mp4")},
    )
    _check(response, Case(key))
