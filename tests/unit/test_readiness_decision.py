"""The readiness decision: READY, PROCESSING or FAILED from what the upstream answered."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import BadRequest, NotFound, UpstreamBadResponse
from gateway.ids import Activity
from gateway.sessions import (
    VideoState,
    VideoStatus,
    analyzed_video_params,
    check_video_state,
    read_video_state,
    video_state_from,
    video_state_of,
)
from gateway.upstream.client import UpstreamClient

KEY = Credential("API-KEY k-123456")
FAST = RetryPolicy(attempts=1, base_delay=0.001, max_delay=0.001, total_budget=1.0)
URL = "https://storage.invalid/v.mp4"


@pytest.mark.parametrize(
    ("url", "state"),
    [
        (URL, VideoState(VideoStatus.READY, URL)),
        (f"  {URL}\n", VideoState(VideoStatus.READY, URL)),
        ("", None),
        ("   ", None),
        (None, None),
        (42, None),
        ([URL], None),
    ],
)
def test_a_url_means_ready_and_nothing_else_decides(url: Any, state: VideoState | None) -> None:
    assert video_state_of(url) == state


def test_only_processing_is_not_final() -> None:
    assert not VideoState(VideoStatus.PROCESSING).final
    assert VideoState(VideoStatus.READY, URL).final
    assert VideoState(VideoStatus.FAILED).final


@pytest.mark.parametrize(
    ("activity", "flags"),
    [
        (Activity.JUMPING, {"is_jump": True, "is_weight": False}),
        (Activity.RUNNING, {"is_jump": False, "is_weight": False}),
        (Activity.WEIGHTLIFTING, {"is_jump": False, "is_weight": True}),
    ],
)
def test_analyzed_video_flags(activity: Activity, flags: dict[str, bool]) -> None:
    assert analyzed_video_params(activity) == flags


async def _answer(value: Any) -> Any:
    if isinstance(value, Exception):
        raise value
    return value


def _bad_request(status: int) -> BadRequest:
    error = BadRequest("refused")
    error.upstream_status = status
    return error


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ({"analyzed_video_url": URL}, VideoState(VideoStatus.READY, URL)),
        ({"analyzed_video_url": ""}, VideoState(VideoStatus.PROCESSING)),
        ({"analyzed_video_url": None}, VideoState(VideoStatus.PROCESSING)),
        ({}, VideoState(VideoStatus.PROCESSING)),
        (_bad_request(422), VideoState(VideoStatus.FAILED)),
    ],
)
async def test_an_analyzed_video_answer(answer: Any, state: VideoState) -> None:
    assert await video_state_from(_answer(answer)) == state


async def test_other_refusals_and_odd_bodies_are_errors_not_states() -> None:
    with pytest.raises(BadRequest):
        await video_state_from(_answer(_bad_request(400)))
    with pytest.raises(NotFound):
        await video_state_from(_answer(NotFound("gone")))
    for body in ([URL], 1):
        with pytest.raises(UpstreamBadResponse) as info:
            await video_state_from(_answer(body))
        assert str(info.value) == "The analyzed-video answer is not a JSON object."
    # A bare JSON string is one reading of the contract: the URL itself.
    assert await video_state_from(_answer(URL)) == VideoState(VideoStatus.READY, URL)


class Upstream:
    """A fake upstream answering details and analyzed-video calls; records them."""

    def __init__(self, details: httpx.Response, video: httpx.Response) -> None:
        self.details, self.video = details, video
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        return self.video if "analyzed-video" in request.url.path else self.details

    def client(self) -> UpstreamClient:
        return UpstreamClient("http://upstream", transport=httpx.MockTransport(self), retry=FAST)


async def test_check_reads_a_ready_url_from_the_details_alone() -> None:
    upstream = Upstream(httpx.Response(200, json={"analyzed_video_url": URL}), httpx.Response(500))
    async with upstream.client() as client:
        state = await check_video_state(client, KEY, Activity.RUNNING, "s1")
    assert state == VideoState(VideoStatus.READY, URL)
    assert upstream.calls == ["GET /running/sessions/s1/?"]


async def test_check_asks_the_video_endpoint_when_the_details_cannot_tell() -> None:
    upstream = Upstream(
        httpx.Response(200, json={"analyzed_video_url": ""}),
        httpx.Response(422, json={"error": "x", "error_code": "VIDEO_PROCESSING_FAILED"}),
    )
    async with upstream.client() as client:
        state = await check_video_state(client, KEY, Activity.WEIGHTLIFTING, "s2")
    assert state == VideoState(VideoStatus.FAILED)
    assert upstream.calls == [
        "GET /weightlifting/sessions/s2/?",
        "GET /session-management/sessions/s2/analyzed-video/?is_jump=false&is_weight=true",
    ]


async def test_check_stops_at_details_that_refuse_or_break_the_contract() -> None:
    for details, error in (
        (httpx.Response(404, json={"error": "Session not found"}), NotFound),
        (httpx.Response(200, json=[1, 2]), UpstreamBadResponse),
    ):
        upstream = Upstream(details, httpx.Response(200, json={"analyzed_video_url": URL}))
        async with upstream.client() as client:
            with pytest.raises(error) as info:
                await check_video_state(client, KEY, Activity.JUMPING, "s3")
        assert len(upstream.calls) == 1, upstream.calls
        if error is UpstreamBadResponse:
            assert str(info.value) == "The session's details are not a JSON object."


async def test_read_polls_the_video_endpoint_only() -> None:
    upstream = Upstream(httpx.Response(500), httpx.Response(200, json={"analyzed_video_url": ""}))
    async with upstream.client() as client:
        state = await read_video_state(client, KEY, Activity.JUMPING, "s4")
    assert state == VideoState(VideoStatus.PROCESSING)
    assert upstream.calls == [
        "GET /session-management/sessions/s4/analyzed-video/?is_jump=true&is_weight=false"
    ]
