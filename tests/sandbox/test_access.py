"""Authentication, isolation between users, and the error bodies of unknown paths and methods."""

from __future__ import annotations

import httpx
import pytest

from gateway.sandbox import DEMO_KEYS, seed_sessions
from gateway.sandbox.data import Activity
from tests.sandbox.conftest import ALICE, BOB

ALICE_RUN = next(r for r in seed_sessions("alice") if r.activity is Activity.RUNNING)
DETAILS = f"/running/sessions/{ALICE_RUN.session_id}/"


def test_demo_keys() -> None:
    assert DEMO_KEYS == {"alice": "alice-demo-key", "bob": "bob-demo-key"}


async def test_missing_token(client: httpx.AsyncClient) -> None:
    response = await client.get(DETAILS)
    assert response.status_code == 401
    assert response.json() == {"error": "No token provided."}


@pytest.mark.parametrize(
    "header", ["API-KEY nope", "Bearer nope", "Token alice-demo-key", "API-KEY", "alice-demo-key"]
)
async def test_invalid_token(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get(DETAILS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized access", "error_code": "INVALID_API_KEY"}


@pytest.mark.parametrize("scheme", ["API-KEY", "Bearer", "api-key", "bearer"])
async def test_both_schemes_are_accepted(client: httpx.AsyncClient, scheme: str) -> None:
    response = await client.get(DETAILS, headers={"Authorization": f"{scheme} alice-demo-key"})
    assert response.status_code == 200


async def test_another_users_session_is_an_unknown_session(client: httpx.AsyncClient) -> None:
    as_bob = await client.get(DETAILS, headers=BOB)
    unknown = await client.get("/running/sessions/" + "0" * 32 + "/", headers=ALICE)
    assert as_bob.status_code == unknown.status_code == 404
    assert as_bob.json() == unknown.json() == {"error": "The session does not exist."}
    video = f"/session-management/sessions/{ALICE_RUN.session_id}/analyzed-video/"
    assert (await client.get(video, headers=BOB)).status_code == 404
    assert (await client.delete(video[: -len("analyzed-video/")], headers=BOB)).status_code == 404
    # Bob could not touch it: it is still Alice's.
    assert (await client.get(DETAILS, headers=ALICE)).status_code == 200


async def test_a_session_under_another_activity_is_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/jumping/sessions/{ALICE_RUN.session_id}/", headers=ALICE)
    assert response.status_code == 404
    assert response.json() == {"error": "Session data not found"}


async def test_unknown_path(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere/", headers=ALICE)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


async def test_missing_trailing_slash_is_not_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get(DETAILS.rstrip("/"), headers=ALICE)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", DETAILS, {"GET", "HEAD"}),
        ("POST", DETAILS + "export/", {"GET", "HEAD"}),
        ("GET", DETAILS + "gait-analysis/", {"POST"}),
        ("PUT", DETAILS + "report-comments/", {"GET", "HEAD", "POST", "DELETE"}),
        ("GET", "/session-management/sessions/abc", {"PUT", "DELETE"}),
        ("GET", "/__sandbox__/reset-stats", {"POST"}),
    ],
)
async def test_method_not_allowed(
    client: httpx.AsyncClient, method: str, path: str, allow: set[str]
) -> None:
    response = await client.request(method, path, headers=ALICE)
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed"}
    assert set(response.headers["allow"].split(", ")) == allow


async def test_lift_analysis_answers_get_and_post_alike(client: httpx.AsyncClient) -> None:
    lift = next(r for r in seed_sessions("alice") if r.activity is Activity.WEIGHTLIFTING)
    path = f"/weightlifting/sessions/{lift.session_id}/lift-analysis/"
    got, posted = await client.get(path, headers=ALICE), await client.post(path, headers=ALICE)
    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json()
    assert set(got.json()["positions"]) == {"en", "ru"}
