"""How the gateway reads a request body: bounded in size and in time, and only
while there is body left to read (tests/security/test_slow_clients.py runs it
under uvicorn)."""

from __future__ import annotations

import asyncio

import pytest
from starlette.datastructures import Headers
from starlette.types import Message

from gateway.http.bodies import BodyStalled, BodyTooLarge, bounded_receive, declared_length

TIMEOUT = 0.05


def _receiver(*messages: Message) -> asyncio.Queue[Message]:
    queue: asyncio.Queue[Message] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    return queue


async def test_a_stalled_body_raises() -> None:
    queue = _receiver({"type": "http.request", "body": b"{", "more_body": True})
    receive = bounded_receive(queue.get, limit=100, timeout=TIMEOUT)
    assert (await receive())["body"] == b"{"
    with pytest.raises(BodyStalled):
        await receive()  # nothing more comes


async def test_a_body_past_the_bound_raises() -> None:
    queue = _receiver({"type": "http.request", "body": b"x" * 101, "more_body": True})
    with pytest.raises(BodyTooLarge):
        await bounded_receive(queue.get, limit=100, timeout=TIMEOUT)()


async def test_after_the_body_waiting_is_not_bounded() -> None:
    """A streamed answer (a subscription) waits on receive for the client to go."""
    queue = _receiver({"type": "http.request", "body": b"{}", "more_body": False})
    receive = bounded_receive(queue.get, limit=100, timeout=TIMEOUT)
    await receive()
    later = asyncio.get_running_loop().call_later(
        4 * TIMEOUT, queue.put_nowait, {"type": "http.disconnect"}
    )
    try:
        assert (await receive())["type"] == "http.disconnect"
    finally:
        later.cancel()


@pytest.mark.parametrize(
    ("value", "declared"),
    [
        (None, 0),
        ("17", 17),
        (" 1073741824 ", 1073741824),
        ("9" * 5000, 10**18),  # past int()'s digit limit: still "too large"
        ("abc", 0),
        ("\u00b2", 0),  # a digit to str.isdigit, not to HTTP
        ("-1", 0),
    ],
)
def test_declared_length(value: str | None, declared: int) -> None:
    headers = Headers(headers={} if value is None else {"content-length": value})
    assert declared_length(headers) == declared
