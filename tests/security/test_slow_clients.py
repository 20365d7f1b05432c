"""Finding 3: slow clients hold no connection for long.

A probe declared ``Content-Length: 10485760`` and trickled the body: no answer
within 30 s, and the 413 came only once more than the bound had arrived. Now a
body declared larger than its bound is refused with 413 before a byte of it is
read, and a body that stops arriving is answered 408 after
``GATEWAY_BODY_TIMEOUT`` seconds without progress; both close the connection.

Headers that never finish are the proxy's to bound: uvicorn has no timeout on
reading them (tests/deploy/test_nginx_timeouts.py checks nginx's).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ALICE, start_gateway
from tests.servers import ServerProcess

BODY_TIMEOUT = 1.0
# How long a test waits on the socket for an answer: generous, and far short
# of what the client declared it would send.
WAIT = 5.0
GIGABYTE = 1024 * 1024 * 1024
JSON = "application/json"
MULTIPART = "multipart/form-data; boundary=xyz"


@pytest.fixture(scope="module")
def slow_gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    server = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-slow-clients.log",
        env={"GATEWAY_BODY_TIMEOUT": str(BODY_TIMEOUT)},
    )
    yield server
    server.stop()


def _head(port: int, content_type: str, length: int) -> bytes:
    return (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: {ALICE}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """The answer's status, headers and body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    status_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), WAIT)
    return int(status_line.split()[1]), headers, body


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (after its answer)."""
    try:
        return await asyncio.wait_for(reader.read(1), WAIT) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("content_type", [JSON, MULTIPART], ids=["json", "upload"])
async def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    slow_gateway: ServerProcess, content_type: str
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_gateway.port)
    try:
        # Headers only: not one byte of the gigabyte follows.
        writer.write(_head(slow_gateway.port, content_type, GIGABYTE))
        await writer.drain()
        status, headers, body = await _answer(reader)
        closed = await _closed(reader)
    finally:
        writer.close()
    assert status == 413, body
    (error,) = json.loads(body)["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "larger than" in error["message"]
    # The body is left unread, so the connection can't carry another request.
    assert headers.get("connection") == "close"
    assert closed
    assert slow_gateway.alive()


# A whole JSON request, and the start of an upload whose file is 1,000 bytes long.
_OPERATION = json.dumps({"query": "{ __typename }"}).encode()
_UPLOAD = (
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="0"; filename="v.mp4"\r\n'
    b"Content-Type: video/mp4\r\n\r\n" + b"\0" * 1000
)


@pytest.mark.parametrize(
    ("content_type", "payload"), [(JSON, _OPERATION), (MULTIPART, _UPLOAD)], ids=["json", "upload"]
)
async def test_a_body_that_stops_arriving_times_out(
    slow_gateway: ServerProcess, content_type: str, payload: bytes
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_gateway.port)
    try:
        writer.write(_head(slow_gateway.port, content_type, len(payload)))
        writer.write(payload[: len(payload) // 2])  # ...and then nothing more
        await writer.drain()
        status, headers, body = await _answer(reader)
        closed = await _closed(reader)
    finally:
        writer.close()
    assert status == 408, body
    (error,) = json.loads(body)["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert headers.get("connection") == "close"
    assert closed


async def test_a_slow_body_that_keeps_arriving_is_served(slow_gateway: ServerProcess) -> None:
    """The bound is on a pause, not on the whole body: each piece resets it."""
    payload = _OPERATION
    size = -(-len(payload) // 5)
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)]
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_gateway.port)
    try:
        writer.write(_head(slow_gateway.port, JSON, len(payload)))
        for piece in pieces:  # over two body timeouts in all
            await asyncio.sleep(BODY_TIMEOUT / 2)
            writer.write(piece)
            await writer.drain()
        status, _, body = await _answer(reader)
    finally:
        writer.close()
    assert len(pieces) == 5
    assert status == 200, body
    assert json.loads(body) == {"data": {"__typename": "Query"}}
