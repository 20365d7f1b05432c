"""The upload is streamed to the upstream in chunks, never as one body in memory."""

from __future__ import annotations

import json

import httpx
import orjson

from gateway.ids import Activity
from gateway.uploads import NewSession
from tests.unit.conftest import gateway_client

VIDEO = bytes(range(256)) * 4096 * 3  # 3 MiB: spooled to disk by the form parser


class RecordingUpstream(httpx.AsyncBaseTransport):
    """Answers an upload like the upstream, recording how its body arrived."""

    def __init__(self) -> None:
        self.chunks: list[int] = []
        self.body = b""
        self.headers: httpx.Headers | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.chunks.append(len(chunk))
            self.body += chunk
        self.headers = request.headers
        return httpx.Response(200, content=orjson.dumps({"session_id": "abc123", "title": "T"}))


async def test_the_video_is_streamed_in_chunks() -> None:
    upstream = RecordingUpstream()
    operations = {
        "query": (
            "mutation ($v: Upload, $i: CreateSessionInput!) "
            "{ createSession(video: $v, input: $i) { sessionId title } }"
        ),
        "variables": {"v": None, "i": {"weightlifting": {"exercise": "snatch", "title": "T"}}},
    }
    async with gateway_client(transport=upstream) as client:
        response = await client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.v"]})},
            files={"0": ("lift.mov", VIDEO, "video/quicktime")},
            headers={"Authorization": "API-KEY alice-demo-key"},
        )
    assert response.json() == {"data": {"createSession": {"sessionId": "abc123", "title": "T"}}}
    # The whole video arrived, with the contract's field names...
    assert VIDEO in upstream.body
    assert b'name="video"; filename="lift.mov"' in upstream.body
    assert b'name="exercise_name"\r\n\r\nsnatch' in upstream.body
    assert upstream.headers is not None
    assert upstream.headers["content-type"].startswith("multipart/form-data")
    # ...in bounded chunks read from the file as it went, not as one body.
    assert max(upstream.chunks) <= 64 * 1024
    assert sum(1 for n in upstream.chunks if n == 64 * 1024) >= len(VIDEO) // (64 * 1024) - 1


def test_the_form_uses_the_contracts_names() -> None:
    new = NewSession(Activity.RUNNING, title="Hill", incline_degrees=2.0)
    assert new.form() == {"session_name": "Hill", "incline_degree": "2"}
    lift = NewSession(Activity.WEIGHTLIFTING, exercise="clean", barbell_mass=82.5)
    assert lift.form() == {"exercise_name": "clean", "barbell_mass": "82.5"}
