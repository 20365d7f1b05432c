"""Finding 10: an upload without a well-formed key is refused before its body is read.

A 200 MB multipart body without a key used to be read whole before the
answer said UNAUTHENTICATED. Now the headers alone decide: the answer comes
while the client is still sending, so only a little of the body is ever read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx

from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess

OPERATIONS = {
    "query": "mutation ($v: Upload) { createSession(video: $v, input: {activity: JUMPING}) "
    "{ id } }",
    "variables": {"v": None},
}
BOUNDARY = "----bound"
BODY_BYTES = 200 * 1024 * 1024


async def _multipart_stream(sent: list[int]) -> AsyncIterator[bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{json.dumps(OPERATIONS)}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
        f'name="map"\r\n\r\n{{"0": ["variables.v"]}}\r\n--{BOUNDARY}\r\n'
        'Content-Disposition: form-data; name="0"; filename="a.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    yield head
    chunk = b"\x00" * (1024 * 1024)
    for _ in range(BODY_BYTES // len(chunk)):
        sent[0] += len(chunk)
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def _post(url: str, headers: dict[str, str]) -> tuple[httpx.Response | None, int]:
    sent = [0]
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=url, timeout=60) as http:
        try:
            response = await http.post(
                "/graphql",
                content=_multipart_stream(sent),
                headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(BODY_BYTES + 1024),
                    **headers,
                },
            )
        except httpx.HTTPError:
            # The server answered and closed while we were still sending.
            return None, sent[0]
    return response, sent[0]


async def test_upload_without_key_is_refused_before_the_body(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    for headers in ({}, {"Authorization": "API-KEY a\tb"}, {"Authorization": " "}):
        response, sent = await _post(gateway_server.url, headers)
        if response is not None:
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # Far less than the 200 MB offered left the client: the socket's
        # buffers, not the body.
        assert sent < BODY_BYTES // 4, sent
    assert sandbox.calls() == 0
    assert gateway_server.alive()
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway_server.url) as http:
        assert (await http.get("/healthz")).status_code == 200
