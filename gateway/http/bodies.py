"""Request bodies, bounded in size and in time, as they stream in.

A ``Content-Length`` can be missing or wrong, so a body is counted as it
arrives, and refused past its bound (:class:`BodyTooLarge`); one that goes
too long without a byte arriving is let go (:class:`BodyStalled`). A body
whose ``Content-Length`` already declares more than the bound is refused
before any of it is read (:func:`declared_length`).
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive

__all__ = ["BodyStalled", "BodyTooLarge", "bounded_receive", "closing", "declared_length"]


class BodyTooLarge(Exception):
    pass


class BodyStalled(Exception):
    pass


def bounded_receive(receive: Receive, limit: int, timeout: float) -> Receive:
    """``receive``, refusing a body (an upload, say) larger than ``limit`` bytes,
    counted as it streams in: a Content-Length can be missing or wrong; and one
    that goes ``timeout`` seconds without a byte arriving.

    Once the body is complete, ``receive`` is the server's own again: waiting
    for the client to disconnect (a subscription's stream does) is not bounded.
    """
    seen = 0
    complete = False

    async def bounded() -> Message:
        nonlocal seen, complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout(timeout):
                message = await receive()
        except TimeoutError:
            raise BodyStalled from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            complete = not message.get("more_body", False)
        else:
            complete = True  # http.disconnect: there is no more body to wait for
        return message

    return bounded


def declared_length(headers: Headers) -> int:
    """The body's length as its Content-Length declares it; 0 without one (a
    chunked body is counted as it arrives instead)."""
    declared = headers.get("content-length", "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return 0  # the server refuses one that isn't a number
    # More digits than any bound has: too many for int() to be worth it.
    return int(declared) if len(declared) <= 18 else 10**18


def closing(response: Response) -> Response:
    """``response``, closing the connection after it: the rest of the body is
    left unread, so the connection can't carry another request."""
    response.headers["Connection"] = "close"
    return response
