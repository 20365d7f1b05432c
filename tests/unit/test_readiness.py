"""The readiness table of the README, row by row, on an injected transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import NotFound, UpstreamBadResponse
from gateway.ids import Activity
from gateway.sessions import VideoState, VideoStatus, check_video_state, read_video_state
from gateway.upstream.client import UpstreamClient

KEY = Credential("API-KEY k-readiness")
URL = "https://storage.example/analyzed.mp4"
READY = VideoState(VideoStatus.READY, URL)
PROCESSING = VideoState(VideoStatus.PROCESSING)
FAILED = VideoState(VideoStatus.FAILED)


def answer(status: int, body: Any = ..., raw: bytes | None = None) -> httpx.Response:
    if raw is not None:
        return httpx.Response(status, content=raw)
    if body is ...:
        return httpx.Response(status)
    return httpx.Response(status, json=body)


def client(video: httpx.Response, details: httpx.Response | None = None) -> UpstreamClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/analyzed-video/"):
            return video
        assert details is not None
        return details

    return UpstreamClient(
        "http://upstream",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
    )


@pytest.mark.parametrize(
    ("video", "known", "expected"),
    [
        (answer(200, {"analyzed_video_url": URL}), False, READY),
        (answer(200, URL), False, READY),
        (answer(200, {"analyzed_video_url": ""}), False, PROCESSING),
        (answer(200, {"analyzed_video_url": None}), False, PROCESSING),
        (answer(200, {}), False, PROCESSING),
        (answer(200, ""), False, PROCESSING),
        (answer(202), False, PROCESSING),
        (answer(202, {"detail": "working on it"}), False, PROCESSING),
        (answer(404, {"error": "not found"}), True, PROCESSING),
        (answer(422, {"error": "could not process"}), False, FAILED),
    ],
    ids=[
        "url",
        "bare-url",
        "empty",
        "null",
        "absent",
        "bare-empty",
        "202-empty",
        "202-json",
        "404-known",
        "422",
    ],
)
async def test_analyzed_video_answers(
    video: httpx.Response, known: bool, expected: VideoState
) -> None:
    async with client(video) as upstream:
        state = await read_video_state(upstream, KEY, Activity.JUMPING, "s1", known=known)
    assert state == expected


async def test_a_404_proves_nothing_on_its_own() -> None:
    async with client(answer(404, {"error": "not found"})) as upstream:
        with pytest.raises(NotFound):
            await read_video_state(upstream, KEY, Activity.JUMPING, "s1")


async def test_a_body_that_is_not_json_is_still_a_bad_response() -> None:
    async with client(answer(200, raw=b"<html>oops</html>")) as upstream:
        with pytest.raises(UpstreamBadResponse):
            await read_video_state(upstream, KEY, Activity.JUMPING, "s1", known=True)


@pytest.mark.parametrize("field", [{"analyzed_video_url": ""}, {"analyzed_video_url": None}, {}])
async def test_details_then_a_404_video_is_processing(field: dict[str, Any]) -> None:
    details = answer(200, {"title": "t", **field})
    async with client(answer(404, {"error": "not found"}), details) as upstream:
        assert await check_video_state(upstream, KEY, Activity.JUMPING, "s1") == PROCESSING


async def test_details_holding_the_url_need_no_second_call() -> None:
    details = answer(200, {"analyzed_video_url": URL})
    async with client(answer(500), details) as upstream:
        assert await check_video_state(upstream, KEY, Activity.JUMPING, "s1") == READY


async def test_a_404_on_the_details_stays_not_found() -> None:
    async with client(answer(200, {}), answer(404, {"error": "gone"})) as upstream:
        with pytest.raises(NotFound):
            await check_video_state(upstream, KEY, Activity.JUMPING, "s1")
