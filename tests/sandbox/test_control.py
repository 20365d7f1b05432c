"""The `/__sandbox__/` control surface: counters, knobs and failure injection."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.sandbox import seed_sessions
from gateway.sandbox.data import Activity
from tests.sandbox.conftest import ALICE, BOB

JUMP = next(r for r in seed_sessions("alice") if r.activity is Activity.JUMPING)
JUMP_DETAILS = f"/jumping/sessions/{JUMP.session_id}/"
VIDEO_KEY = "GET /session-management/sessions/{session_id}/analyzed-video/"


async def _stats(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/__sandbox__/stats")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def _config(client: httpx.AsyncClient, **knobs: object) -> httpx.Response:
    return await client.post("/__sandbox__/config", json=knobs)


async def test_stats_count_by_route_template_and_session(client: httpx.AsyncClient) -> None:
    assert await _stats(client) == {
        "total": 0,
        "routes": {},
        "by_session": {},
        "in_flight": 0,
        "max_in_flight": 0,
        "with_cookies": 0,
    }
    await client.get(JUMP_DETAILS, headers={**ALICE, "Cookie": "csrftoken=x"})
    await client.get(JUMP_DETAILS)  # a 401 still reached the upstream
    await client.get(
        f"/session-management/sessions/{JUMP.session_id}/analyzed-video/", headers=ALICE
    )
    await client.get("/session-management/sessions/filter/", headers=ALICE)
    await client.put(f"/session-management/sessions/{JUMP.session_id}/", headers=ALICE, json={})
    await client.get("/nowhere/")  # not a contract route: not counted
    stats = await _stats(client)
    assert stats["total"] == 5
    assert stats["with_cookies"] == 1
    assert stats["routes"] == {
        "GET /jumping/sessions/{session_id}/": 2,
        VIDEO_KEY: 1,
        "GET /session-management/sessions/filter/": 1,
        # Served with and without the slash, counted under the contract's spelling.
        "PUT /session-management/sessions/{session_id}": 1,
    }
    assert stats["by_session"] == {
        JUMP.session_id: {
            "GET /jumping/sessions/{session_id}/": 2,
            VIDEO_KEY: 1,
            "PUT /session-management/sessions/{session_id}": 1,
        }
    }
    reset = await client.post("/__sandbox__/reset-stats")
    assert reset.json() == {"ok": True}
    assert (await _stats(client))["total"] == 0


async def test_latency_and_max_in_flight(client: httpx.AsyncClient) -> None:
    config = await _config(client, latency_ms=100, gate=8)
    assert config.json()["latency_ms"] == 100
    assert config.json()["gate"] == 8
    responses = await asyncio.gather(*(client.get(JUMP_DETAILS, headers=ALICE) for _ in range(8)))
    assert all(r.status_code == 200 for r in responses)
    # Eight requests in parallel, not in series: all eight counted at once
    # (the gate holds each until the eighth arrives, then opens once).
    stats = await _stats(client)
    assert stats["max_in_flight"] == 8
    assert stats["in_flight"] == 0
    assert (await _config(client)).json()["gate"] is None


async def test_fail_next(client: httpx.AsyncClient) -> None:
    await _config(client, fail_next={"status": 503, "count": 2, "path_contains": "/jumping/"})
    other = await client.get("/session-management/sessions/filter/", headers=ALICE)
    assert other.status_code == 200
    for _ in range(2):
        failed = await client.get(JUMP_DETAILS, headers=ALICE)
        assert failed.status_code == 503
        assert failed.json() == {"error": "Service temporarily unavailable"}
    assert (await client.get(JUMP_DETAILS, headers=ALICE)).status_code == 200
    # Failed requests were still seen by the upstream.
    assert (await _stats(client))["routes"]["GET /jumping/sessions/{session_id}/"] == 3  # type: ignore[index]


async def test_fail_next_before_auth_and_by_method(client: httpx.AsyncClient) -> None:
    await _config(client, fail_next={"status": 500, "method": "post"})
    assert (await client.get(JUMP_DETAILS)).status_code == 401
    failed = await client.post(JUMP_DETAILS + "recommendation/")
    assert failed.status_code == 500
    assert failed.json() == {"error": "An unexpected error occurred"}


async def test_garbage_body(client: httpx.AsyncClient) -> None:
    await _config(client, fail_next={"garbage": True, "count": 1})
    response = await client.get(JUMP_DETAILS, headers=ALICE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == "<html>oops</html>"
    assert (await client.get(JUMP_DETAILS, headers=ALICE)).json()["title"] == JUMP.title


async def test_fail_next_list_and_clear(client: httpx.AsyncClient) -> None:
    body = (
        await _config(
            client, fail_next=[{"status": 429, "path_contains": "x"}, {"status": 502, "count": 3}]
        )
    ).json()
    assert [(r["status"], r["count"]) for r in body["fail_next"]] == [(429, 1), (502, 3)]
    cleared = (await _config(client, fail_next=None)).json()
    assert cleared["fail_next"] == []
    assert (await client.get(JUMP_DETAILS, headers=ALICE)).status_code == 200


async def test_fail_next_with_retry_after(client: httpx.AsyncClient) -> None:
    config = await _config(client, fail_next={"status": 429, "retry_after": 2})
    assert config.json()["fail_next"][0]["retry_after"] == 2
    failed = await client.get(JUMP_DETAILS, headers=ALICE)
    assert failed.status_code == 429
    assert failed.headers["retry-after"] == "2"
    assert failed.json() == {"error": "Too many requests"}
    assert "retry-after" not in (await client.get(JUMP_DETAILS, headers=ALICE)).headers
    refused = await _config(client, fail_next={"status": 429, "retry_after": "soon"})
    assert refused.status_code == 400


async def test_export_frames_override(client: httpx.AsyncClient) -> None:
    await _config(client, export_frames=1000)
    body = (await client.get(JUMP_DETAILS + "export/", headers=ALICE)).json()
    assert len(body["all_timestamps"]) == 1000
    assert {len(v) for v in body["keypoints"].values()} == {1000}
    await _config(client, export_frames=None)
    body = (await client.get(JUMP_DETAILS + "export/", headers=ALICE)).json()
    assert len(body["all_timestamps"]) == JUMP.frames


async def test_route_latency_slows_only_the_routes_it_names(client: httpx.AsyncClient) -> None:
    body = (await _config(client, route_latency_ms={"/export/": 300})).json()
    assert body["route_latency_ms"] == {"/export/": 300.0}
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await client.get(JUMP_DETAILS, headers=ALICE)).status_code == 200
    details = loop.time() - started
    started = loop.time()
    assert (await client.get(JUMP_DETAILS + "export/", headers=ALICE)).status_code == 200
    export = loop.time() - started
    assert export >= 0.3 > details
    await _config(client, route_latency_ms=None)
    assert (await client.get("/__sandbox__/config")).json()["route_latency_ms"] == {}


async def test_processing_delay_knob(client: httpx.AsyncClient) -> None:
    body = (await _config(client, processing_delay_s=0.5)).json()
    assert body == {
        "latency_ms": 0.0,
        "route_latency_ms": {},
        "processing_delay_s": 0.5,
        "export_frames": None,
        "gate": None,
        "deviations": True,
        "session_cookies": False,
        "fail_next": [],
        "fail_rate": None,
        "flavor": "strict",
    }
    assert (await client.get("/__sandbox__/config")).json() == body


@pytest.mark.parametrize(
    "payload",
    [
        {"latency_ms": -1},
        {"latency_ms": "fast"},
        {"export_frames": 0},
        {"fail_next": {"status": 99}},
        {"fail_next": {"count": 0}},
        {"fail_next": "soon"},
        {"fail_rate": {"rate": 1.5}},
        {"fail_rate": {"rate": 0.5, "status": 99}},
        {"fail_rate": 0.5},
        {"session_cookies": "yes"},
        {"route_latency_ms": {"/export/": -1}},
        {"route_latency_ms": {"": 10}},
        {"route_latency_ms": 1500},
        {"unknown": 1},
    ],
)
async def test_bad_config_changes_nothing(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    before = (await client.get("/__sandbox__/config")).json()
    response = await client.post("/__sandbox__/config", json={"processing_delay_s": 9, **payload})
    assert response.status_code == 400
    assert "error" in response.json()
    assert (await client.get("/__sandbox__/config")).json() == before


async def test_control_session_endpoints(client: httpx.AsyncClient) -> None:
    info = (await client.get(f"/__sandbox__/sessions/{JUMP.session_id}")).json()
    assert info == {
        "session_id": JUMP.session_id,
        "owner": "alice",
        "activity": "Vertical Jump",
        "video_status": "ready",
    }
    assert (await client.get("/__sandbox__/sessions/unknown")).status_code == 404
    assert (
        await client.post(f"/__sandbox__/sessions/{JUMP.session_id}/exploded")
    ).status_code == 404


async def test_reset_sessions_undoes_every_write(client: httpx.AsyncClient) -> None:
    details = await client.get(JUMP_DETAILS, headers=ALICE)
    put = "/session-management/sessions/" + JUMP.session_id
    assert (await client.put(put, headers=ALICE, json={"title": "Renamed"})).status_code == 200
    await client.post(f"/__sandbox__/sessions/{JUMP.session_id}/failed")
    upload = await client.post(
        "/jumping/sessions/", headers=ALICE, files={"video": ("v.mp4", b"x" * 64, "video/mp4")}
    )
    uploaded = upload.json()["session_id"]
    assert (await client.post("/__sandbox__/reset-sessions")).json() == {"ok": True}
    assert (await client.get(JUMP_DETAILS, headers=ALICE)).json() == details.json()
    status = (await client.get(f"/__sandbox__/sessions/{JUMP.session_id}")).json()
    assert status["video_status"] == JUMP.video_state.value
    assert (await client.get(f"/__sandbox__/sessions/{uploaded}")).status_code == 404
    again = await client.post(
        "/jumping/sessions/", headers=ALICE, files={"video": ("v.mp4", b"x" * 64, "video/mp4")}
    )
    assert again.json()["session_id"] != uploaded  # ids are never reused


async def test_session_cookies_knob_reads_the_cookie_before_the_key(
    client: httpx.AsyncClient,
) -> None:
    """The reading that hurts a shared client most: Django's session
    authentication ahead of the key (tests/security/test_upstream_cookies.py)."""

    async def get(headers: dict[str, str]) -> httpx.Response:
        response = await client.get(JUMP_DETAILS, headers=headers)
        # This test's client keeps cookies (the very habit the gateway must
        # not have): each request sends only what it says.
        client.cookies.clear()
        return response

    assert (await _config(client, session_cookies=True)).json()["session_cookies"] is True
    alices = await get(ALICE)
    assert alices.status_code == 200
    cookie = {"Cookie": f"sessionid={alices.cookies['sessionid']}"}
    # No key at all, or another's: the cookie's user.
    assert (await get(cookie)).status_code == 200
    assert (await get(BOB)).status_code == 404
    bob_with_alices_cookie = await get({**BOB, **cookie})
    assert bob_with_alices_cookie.status_code == 200
    assert bob_with_alices_cookie.json() == alices.json()
    await _config(client, session_cookies=False)
    assert (await get(cookie)).status_code == 401
    assert (await get({**BOB, **cookie})).status_code == 404
