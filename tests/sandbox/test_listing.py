"""`/session-management/sessions/` listing, filtering, pagination, update and delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.sandbox import seed_sessions
from gateway.sandbox.data import date_dmy
from tests.sandbox.conftest import ALICE, BOB

FILTER = "/session-management/sessions/filter/"
ALICE_IDS = [r.session_id for r in seed_sessions("alice")]


async def _filter(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await client.get(FILTER, headers=ALICE, params=params)


async def test_listing_has_every_session_newest_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/session-management/sessions/", headers=ALICE)
    assert response.status_code == 200
    assert list(response.json()["sessions"]) == ALICE_IDS
    bob = await client.get("/session-management/sessions/", headers=BOB)
    assert not set(bob.json()["sessions"]) & set(ALICE_IDS)


async def test_listing_entries(client: httpx.AsyncClient) -> None:
    body = (await client.get("/session-management/sessions/", headers=ALICE)).json()
    for record in seed_sessions("alice"):
        entry = body["sessions"][record.session_id]
        assert entry["activity"] == record.activity.value
        assert entry["title"] == record.title
        assert entry["created_at"]["date"] == date_dmy(record.created_at)
        assert entry["user_name"] == "Alice Runner"
        assert ("exercise" in entry) == (record.exercise is not None)


async def test_first_page_defaults_to_ten(client: httpx.AsyncClient) -> None:
    body = (await _filter(client)).json()
    assert body["query_count"] == 36
    assert list(body["sessions"]) == ALICE_IDS[:10]
    assert body["first_doc_id"] == ALICE_IDS[0]
    assert body["last_doc_id"] == ALICE_IDS[9]


async def test_start_after_id_walks_every_page(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["start_after_id"] = cursor
        body = (await _filter(client, **params)).json()
        assert body["query_count"] == 36
        if not body["sessions"]:
            assert body["first_doc_id"] is None and body["last_doc_id"] is None
            break
        seen.extend(body["sessions"])
        cursor = body["last_doc_id"]
    assert seen == ALICE_IDS


async def test_end_before_id_returns_the_page_before(client: httpx.AsyncClient) -> None:
    body = (await _filter(client, end_before_id=ALICE_IDS[20], limit=5)).json()
    assert list(body["sessions"]) == ALICE_IDS[15:20]
    assert body["first_doc_id"] == ALICE_IDS[15]
    near_start = (await _filter(client, end_before_id=ALICE_IDS[2], limit=5)).json()
    assert list(near_start["sessions"]) == ALICE_IDS[:2]


async def test_both_cursors_bound_a_window(client: httpx.AsyncClient) -> None:
    params = {"start_after_id": ALICE_IDS[3], "end_before_id": ALICE_IDS[6], "limit": 10}
    assert list((await _filter(client, **params)).json()["sessions"]) == ALICE_IDS[4:6]


async def test_filters_ignore_the_cursors(client: httpx.AsyncClient) -> None:
    running = [r.session_id for r in seed_sessions("alice") if r.activity.value == "Running"]
    body = (await _filter(client, activity="Running", start_after_id=ALICE_IDS[30])).json()
    assert body["query_count"] == len(running) == 12
    assert list(body["sessions"]) == running[:10]


@pytest.mark.parametrize("activity", ["Running", "Vertical Jump", "Weightlifting"])
async def test_activity_filter(client: httpx.AsyncClient, activity: str) -> None:
    body = (await _filter(client, activity=activity, limit=50)).json()
    assert body["query_count"] == 12
    assert {s["activity"] for s in body["sessions"].values()} == {activity}


async def test_title_filter_is_a_case_insensitive_substring(client: httpx.AsyncClient) -> None:
    expected = [r.session_id for r in seed_sessions("alice") if "run" in r.title.lower()]
    assert expected
    body = (await _filter(client, title="RuN", limit=50)).json()
    assert list(body["sessions"]) == expected
    assert body["query_count"] == len(expected)


async def test_date_range_is_inclusive(client: httpx.AsyncClient) -> None:
    records = seed_sessions("alice")
    newest, oldest = records[5].created_at, records[12].created_at
    expected = [
        r.session_id for r in records if oldest.date() <= r.created_at.date() <= newest.date()
    ]
    body = (
        await _filter(client, start_date=date_dmy(oldest), end_date=date_dmy(newest), limit=50)
    ).json()
    assert list(body["sessions"]) == expected
    assert records[5].session_id in expected and records[12].session_id in expected


async def test_user_id_filter(client: httpx.AsyncClient) -> None:
    mine = (await _filter(client, user_id="aL1ceRunn3rDem0Uid01")).json()
    assert mine["query_count"] == 36
    assert (await _filter(client, user_id="b0bLifterDem0Uid0002")).status_code == 404


async def test_query_count_counts_matches_not_the_page(client: httpx.AsyncClient) -> None:
    body = (await _filter(client, activity="Running", limit=3)).json()
    assert len(body["sessions"]) == 3
    assert body["query_count"] == 12


@pytest.mark.parametrize("date", ["2025-01-01", "31/02/2025", "1/1/25x", "yesterday"])
async def test_bad_date(client: httpx.AsyncClient, date: str) -> None:
    response = await _filter(client, start_date=date)
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid date format (expected dd/mm/yyyy)."}


async def test_no_match(client: httpx.AsyncClient) -> None:
    response = await _filter(client, title="no such title")
    assert response.status_code == 404
    assert response.json() == {"error": "No sessions found for the given criteria."}


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "ten"}, {"start_after_id": "x"}])
async def test_bad_pagination(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert (await _filter(client, **params)).status_code == 400


async def test_a_cursor_of_another_user_is_invalid(client: httpx.AsyncClient) -> None:
    bobs = seed_sessions("bob")[0].session_id
    assert (await _filter(client, start_after_id=bobs)).status_code == 400


async def test_update_title_and_created_at(client: httpx.AsyncClient) -> None:
    session_id = ALICE_IDS[-1]
    response = await client.put(
        f"/session-management/sessions/{session_id}",
        headers=ALICE,
        json={"title": "Fresh title", "created_at": "2026-01-02 03:04:05"},
    )
    assert response.json() == {"success": f"{session_id} was successfully updated"}
    body = (await _filter(client, limit=1)).json()
    # The new date makes it the newest session.
    entry = body["sessions"][session_id]
    assert entry["title"] == "Fresh title"
    assert entry["created_at"] == {"date": "02/01/2026", "time": "03:04 AM"}


@pytest.mark.parametrize("body", [{}, {"title": 3}, {"created_at": "02/01/2026"}, [1], "not json"])
async def test_bad_update(client: httpx.AsyncClient, body: object) -> None:
    url = f"/session-management/sessions/{ALICE_IDS[0]}/"
    content = body if isinstance(body, str) else None
    json_body = None if isinstance(body, str) else body
    # Declared as JSON: the default flavor refuses an undeclared body with 415.
    headers = {**ALICE, "Content-Type": "application/json"}
    response = await client.put(url, headers=headers, json=json_body, content=content)
    assert response.status_code == 400


async def test_delete_with_and_without_slash(client: httpx.AsyncClient) -> None:
    for session_id, suffix in ((ALICE_IDS[0], ""), (ALICE_IDS[1], "/")):
        url = f"/session-management/sessions/{session_id}{suffix}"
        response = await client.delete(url, headers=ALICE)
        assert response.json() == {"success": f"{session_id} was successfully deleted"}
        again = await client.delete(url, headers=ALICE)
        assert again.status_code == 404
        assert again.json() == {"error": f"Session {session_id} not found"}
        video = f"/session-management/sessions/{session_id}/analyzed-video/"
        assert (await client.get(video, headers=ALICE)).status_code == 404
    assert (await _filter(client)).json()["query_count"] == 34
