"""The pooled transport's failures, against a real (misbehaving) server on loopback.

Each scenario is a raw asyncio TCP server, so the failure is on the wire,
not simulated inside httpx: an answer that never comes, a refused
connection, a body cut off mid-way, a 503 before a 200. Every one must end
in the same error codes as before the transport changed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import NotFound, UpstreamUnavailable
from gateway.upstream.client import UpstreamCall, UpstreamClient

KEY = Credential("API-KEY k-transport")
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002, total_budget=5.0)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback server calling ``handler`` per request with its 1-based number."""
    served: list[int] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                served.append(len(served) + 1)
                await handler(reader, writer, len(served))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", served
    finally:
        server.close()
        await server.wait_closed()


async def answer(writer: asyncio.StreamWriter, status: str, body: bytes) -> None:
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()


def upstream(url: str, calls: list[UpstreamCall], **kwargs: float) -> UpstreamClient:
    # No transport passed: the production one.
    return UpstreamClient(url, retry=FAST, observer=calls.append, **kwargs)  # type: ignore[arg-type]


async def test_an_answer_that_never_comes_times_out_after_retries() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await asyncio.sleep(30)

    calls: list[UpstreamCall] = []
    async with raw_server(silent) as (url, served):
        async with upstream(url, calls, read_timeout=0.2) as client:
            with pytest.raises(UpstreamUnavailable) as info:
                await client.get("/x/", KEY)
    assert info.value.code == "UPSTREAM_UNAVAILABLE"
    assert calls[0].attempts == 3 and calls[0].status is None
    assert len(served) == 3


async def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on ``port`` now.
    calls: list[UpstreamCall] = []
    async with upstream(f"http://127.0.0.1:{port}", calls) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.get("/x/", KEY)
    assert calls[0].attempts == 3


async def test_a_body_cut_off_mid_way_is_retried_then_unavailable() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b'{"series": [1, 2,')
        await writer.drain()
        # Reset, not a clean close: SO_LINGER 0 sends RST.
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()
        raise ConnectionResetError

    calls: list[UpstreamCall] = []
    async with raw_server(cut) as (url, served):
        async with upstream(url, calls) as client:
            with pytest.raises(UpstreamUnavailable):
                await client.get("/x/", KEY)
    assert calls[0].attempts == 3 and len(served) == 3


async def test_a_body_cut_off_once_then_whole_succeeds() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if n == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
            await writer.drain()
            writer.transport.abort()
            raise ConnectionResetError
        await answer(writer, "200 OK", b'{"ok": 2}')

    calls: list[UpstreamCall] = []
    async with raw_server(once) as (url, _):
        async with upstream(url, calls) as client:
            assert await client.get("/x/", KEY) == {"ok": 2}
    assert calls[0].attempts == 2


async def test_503_then_200_succeeds_on_the_same_pool() -> None:
    async def flaky(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if n == 1:
            await answer(writer, "503 Service Unavailable", b'{"error": "busy"}')
        else:
            await answer(writer, "200 OK", b'{"n": %d}' % n)

    calls: list[UpstreamCall] = []
    async with raw_server(flaky) as (url, served):
        async with upstream(url, calls) as client:
            assert await client.get("/x/", KEY) == {"n": 2}
    assert calls[0].attempts == 2 and calls[0].status == 200 and served == [1, 2]


async def test_statuses_keep_their_codes_and_keys_stay_out() -> None:
    seen: list[bytes] = []

    async def not_found(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await answer(writer, "404 Not Found", b'{"error": "no session for API-KEY k-transport"}')

    async with raw_server(not_found) as (url, _):
        async with upstream(url, []) as client:
            with pytest.raises(NotFound) as info:
                await client.get("/x/", KEY)
    seen.append(str(info.value).encode())
    assert info.value.code == "NOT_FOUND" and b"k-transport" not in seen[0]


async def test_many_requests_in_flight_share_the_pool() -> None:
    in_flight = peak = 0

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        await answer(writer, "200 OK", b'{"ok": true}')

    async with raw_server(slow) as (url, served):
        async with UpstreamClient(url, retry=FAST, max_connections=8) as client:
            # Distinct paths: identical reads in flight would share one call.
            results = await asyncio.gather(
                *(client.get("/x/{n}/", KEY, path_params={"n": str(n)}) for n in range(40))
            )
    assert results == [{"ok": True}] * 40
    # The pool's bound holds: never more than 8 connections at once.
    assert peak == 8 and len(served) == 40


async def test_a_cookie_the_upstream_sets_is_never_sent_back() -> None:
    # A host name, not an address: aiohttp's own jar keeps no cookie of an
    # IP address, and would hide a jar that keeps them for a name.
    heads: list[bytes] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                body = b'{"ok": true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Set-Cookie: sessionid=alice-session; Path=/\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    # Bound to the address, so that the name's other addresses (::1) find
    # nothing listening rather than another test's port.
    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with upstream(f"http://localhost:{port}", []) as client:
            for key in ("API-KEY k-alice", "API-KEY k-bob", "API-KEY k-bob"):
                await client.get("/x/", Credential(key))
    finally:
        server.close()
        await server.wait_closed()
    assert len(heads) == 3
    assert not [h for h in heads if b"\r\ncookie:" in h.lower()]


async def test_a_cookie_set_on_the_client_is_not_kept_either() -> None:
    heads: list[bytes] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                await answer(writer, "200 OK", b"{}")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with upstream(url, []) as one, upstream(url, []) as other:
            # What a line of future code might do; it must not stick.
            one._http.cookies.set("sessionid", "alice-session")
            one._http.cookies["csrftoken"] = "x"
            one._http.cookies.update({"more": "y"})
            assert not one._http.cookies
            await one.get("/x/", KEY)
            await other.get("/x/", KEY)
    finally:
        server.close()
        await server.wait_closed()
    assert len(heads) == 2
    assert not [h for h in heads if b"\r\ncookie:" in h.lower()]
