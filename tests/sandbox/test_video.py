"""Uploads and the simulated processing of analyzed videos."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from gateway.sandbox import SandboxConfig, create_sandbox_app, seed_sessions
from gateway.sandbox.data import Activity, SessionRecord, VideoState
from gateway.sandbox.flavors import FLAVORS
from tests.sandbox.conftest import ALICE, FakeClock

RECORDS = seed_sessions("alice")
READY = next(r for r in RECORDS if r.video_state is VideoState.READY)
NOT_REQUESTED = [r for r in RECORDS if r.video_state is VideoState.NOT_REQUESTED]
FAILED = next(r for r in RECORDS if r.video_state is VideoState.FAILED)

VIDEO_FAILED = {"error": "Video could not be processed", "error_code": "VIDEO_PROCESSING_FAILED"}


def _video(record: SessionRecord | str) -> str:
    session_id = record if isinstance(record, str) else record.session_id
    return f"/session-management/sessions/{session_id}/analyzed-video/"


def _details(record: SessionRecord) -> str:
    return f"/{record.activity.path}/sessions/{record.session_id}/"


def test_seeded_video_states() -> None:
    for user in ("alice", "bob"):
        states = [r.video_state for r in seed_sessions(user)]
        assert states.count(VideoState.NOT_REQUESTED) == 2
        assert states.count(VideoState.FAILED) == 1
        assert states.count(VideoState.READY) == 33


async def test_ready_video(client: httpx.AsyncClient) -> None:
    got = await client.get(_video(READY), headers=ALICE)
    url = got.json()["analyzed_video_url"]
    assert url.startswith("https://") and READY.session_id in url
    details = (await client.get(_details(READY), headers=ALICE)).json()
    assert details["analyzed_video_url"] == url
    posted = await client.post(_video(READY), headers=ALICE, json={"is_jump": False})
    assert posted.status_code == 400
    assert posted.json() == {"error": "Video already analyzed"}


async def test_failed_video(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, _video(FAILED), headers=ALICE)
        assert response.status_code == 422
        assert response.json() == VIDEO_FAILED


def _answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json() if response.content else None


@pytest.mark.parametrize("flavor", list(FLAVORS))
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_not_requested_video_starts_on_request(
    client: httpx.AsyncClient, clock: FakeClock, method: str, flavor: str
) -> None:
    record = NOT_REQUESTED[0]
    details = (await client.get(_details(record), headers=ALICE)).json()
    assert details.get("analyzed_video_url") in ("", None)
    not_ready = FLAVORS[flavor].not_ready_body()
    requested = FLAVORS[flavor].requested_body()
    first = await client.request(method, _video(record), headers=ALICE)
    assert _answer(first) == (not_ready if method == "GET" else requested)
    clock.advance(4.9)
    assert _answer(await client.get(_video(record), headers=ALICE)) == not_ready
    # A second POST while processing neither fails nor restarts the clock.
    assert _answer(await client.post(_video(record), headers=ALICE)) == requested
    clock.advance(0.2)
    ready = (await client.get(_video(record), headers=ALICE)).json()["analyzed_video_url"]
    assert ready.endswith("analyzed_video.mp4")


async def test_running_details_omit_the_url_while_processing(client: httpx.AsyncClient) -> None:
    running = next(r for r in NOT_REQUESTED + RECORDS if r.activity is Activity.RUNNING)
    await client.post(f"/__sandbox__/sessions/{running.session_id}/processing")
    body = (await client.get(_details(running), headers=ALICE)).json()
    assert "analyzed_video_url" not in body
    jump = next(r for r in RECORDS if r.activity is Activity.JUMPING)
    await client.post(f"/__sandbox__/sessions/{jump.session_id}/processing")
    assert (await client.get(_details(jump), headers=ALICE)).json()["analyzed_video_url"] == ""


async def _upload(
    client: httpx.AsyncClient,
    path: str,
    fields: dict[str, str] | None = None,
    video: bytes | None = b"x" * 100_000,
) -> httpx.Response:
    files = {"video": ("clip.mp4", video, "video/mp4")} if video is not None else None
    return await client.post(path, headers=ALICE, data=fields or {}, files=files)


async def test_upload_then_processing_with_a_real_delay() -> None:
    app = create_sandbox_app(SandboxConfig(processing_delay_s=0.3))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await _upload(client, "/running/sessions/", {"session_name": "Evening run"})
        assert response.status_code == 200
        body = response.json()
        assert body["title"] == "Evening run"
        session_id = body["session_id"]
        assert len(session_id) == 32 and int(session_id, 16) >= 0
        # The default flavor: 404 while processing.
        assert (await client.get(_video(session_id), headers=ALICE)).status_code == 404
        details = await client.get(f"/running/sessions/{session_id}/", headers=ALICE)
        assert details.status_code == 200
        assert "analyzed_video_url" not in details.json()
        listing = await client.get("/session-management/sessions/filter/", headers=ALICE)
        assert next(iter(listing.json()["sessions"])) == session_id  # the newest
        await asyncio.sleep(0.35)
        url = (await client.get(_video(session_id), headers=ALICE)).json()["analyzed_video_url"]
        assert url.endswith("analyzed_video.mp4")
        control = (await client.get(f"/__sandbox__/sessions/{session_id}")).json()
        assert control["video_status"] == "ready"


async def test_upload_without_a_video(client: httpx.AsyncClient) -> None:
    response = await _upload(client, "/jumping/sessions/", {"session_name": "x"}, video=None)
    assert response.status_code == 400
    assert response.json() == {"error": "No video file was provided"}


async def test_upload_default_title(client: httpx.AsyncClient) -> None:
    response = await _upload(client, "/jumping/sessions/")
    assert response.json()["title"].startswith("Vertical Jump ")


@pytest.mark.parametrize("fields", [{}, {"exercise_name": "deadlift"}])
async def test_weightlifting_upload_needs_a_valid_exercise(
    client: httpx.AsyncClient, fields: dict[str, str]
) -> None:
    response = await _upload(client, "/weightlifting/sessions/", fields)
    assert response.status_code == 400
    assert "exercise_name" in response.json()["error"]


async def test_weightlifting_upload(client: httpx.AsyncClient) -> None:
    response = await _upload(
        client,
        "/weightlifting/sessions/",
        {"exercise_name": "clean_and_jerk", "barbell_mass": "92.5"},
    )
    session_id = response.json()["session_id"]
    details = await client.get(f"/weightlifting/sessions/{session_id}/", headers=ALICE)
    assert details.json()["exercise"] == "clean_and_jerk"
    assert details.json()["metrics"]["barbell_weight"] == 92.5


async def test_an_empty_video_fails_processing(client: httpx.AsyncClient, clock: FakeClock) -> None:
    session_id = (await _upload(client, "/jumping/sessions/", video=b"")).json()["session_id"]
    assert (await client.get(_video(session_id), headers=ALICE)).status_code == 404
    clock.advance(6)
    response = await client.get(_video(session_id), headers=ALICE)
    assert response.status_code == 422
    assert response.json() == VIDEO_FAILED


async def test_upload_is_streamed_not_buffered(app: Starlette, client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        boundary = b"--b0undary"
        yield boundary + b'\r\nContent-Disposition: form-data; name="video"; filename="v.mp4"\r\n'
        yield b"Content-Type: video/mp4\r\n\r\n"
        for _ in range(64):
            yield b"\x01" * 65_536
        yield b"\r\n" + boundary + b"--\r\n"

    response = await client.post(
        "/running/sessions/",
        headers={**ALICE, "Content-Type": "multipart/form-data; boundary=b0undary"},
        content=chunks(),
    )
    assert response.status_code == 200
    state = app.state.sandbox
    assert state.sessions[response.json()["session_id"]].video_size == 64 * 65_536


async def test_malformed_multipart(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/running/sessions/",
        headers={**ALICE, "Content-Type": "multipart/form-data"},
        content=b"garbage",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["ready", "failed"])
async def test_force_state(client: httpx.AsyncClient, target: str) -> None:
    record = NOT_REQUESTED[1]
    forced = await client.post(f"/__sandbox__/sessions/{record.session_id}/{target}")
    assert forced.json()["video_status"] == target
    response = await client.get(_video(record), headers=ALICE)
    assert response.status_code == (200 if target == "ready" else 422)
