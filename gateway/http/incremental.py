"""``@defer`` and ``@stream`` on the wire: an incremental answer's parts, as they are sent.

Where the transport delivers parts, the executor answers an operation that
defers or streams with graphql-core's initial result followed by
:class:`~schema.incremental.DeferredPart` s (:mod:`schema.execution`). Here
each becomes one encoded part, sent as soon as it is ready: first
``{"data", "errors"?, "extensions"?, "hasNext": true}``, then
``{"incremental": [...], "hasNext"}`` until ``hasNext`` is false, as

- parts of a ``multipart/mixed; boundary="-"; deferSpec=20220824`` response
  (:class:`MultipartPartsTransport`: Apollo Client, urql);
- ``next`` events of a server-sent event stream (graphql-sse);
- ``next`` messages of graphql-transport-ws (graphql-ws, Apollo's GraphQLWsLink).

All the parts of one answer share its bound (``max_response_bytes``, which
``view._bounded_json`` applies to a single result): the part that would take
the answer past it is replaced by a last part holding only the refusal
(``LIMIT_EXCEEDED``, ``hasNext: false``), and the work still to come is
cancelled. The output budget (:mod:`gateway.budget`), charged as the parts are
built, stops most answers before this has to.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, ClassVar, cast

import orjson
from graphql.execution import InitialIncrementalExecutionResult
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestProtocol, process_result
from strawberry.http.streaming import HTTPStreamTransport, JSONEncoder
from strawberry.types import ExecutionResult

from gateway.errors import LimitExceeded
from schema.incremental import DeferredPart
from schema.shared_events import shared_payload

__all__ = [
    "INCREMENTAL_PROTOCOL",
    "EncodedPart",
    "MultipartPartsTransport",
    "encoded_parts",
    "too_large",
]

# The name the view knows the multipart/mixed parts transport by (Strawberry's
# request protocols are "http", "sse" and "multipart-subscription").
INCREMENTAL_PROTOCOL = cast(GraphQLRequestProtocol, "multipart-incremental")

_BOUNDARY = "-"


def too_large(max_bytes: int) -> dict[str, Any]:
    """The error of an answer refused for its size."""
    return {
        "message": f"The answer is larger than {max_bytes} bytes; select less.",
        "extensions": {"code": LimitExceeded.code},
    }


class EncodedPart:
    """One part of an incremental answer, encoded; ``first`` opens the answer."""

    __slots__ = ("encoded", "first")
    # Strawberry's view asks every streamed result for its errors (to report
    # them to a hook); a part's were settled when it was built.
    errors = None

    def __init__(self, encoded: bytes, *, first: bool) -> None:
        self.encoded = encoded
        self.first = first

    def as_response(self) -> GraphQLHTTPResponse:
        """Itself, where Strawberry's view expects a processed result: only this
        module's transports, and the view's ``encode_json``, read it."""
        return cast(GraphQLHTTPResponse, self)

    def fragment(self) -> orjson.Fragment:
        """The part, to be embedded as it is in a message (graphql-transport-ws)."""
        return orjson.Fragment(self.encoded)


async def encoded_parts(results: AsyncIterator[Any], max_bytes: int) -> AsyncGenerator[Any, None]:
    """``results``, an incremental answer's parts encoded and bounded together.

    A subscription's event whose execution was shared is passed on encoded,
    once for all its subscribers (:func:`schema.shared_events.shared_payload`).
    Anything else (a single result, a request error, other events) is passed on
    as it is, for the transport to send as it always does.
    """
    used = 0
    first = True
    try:
        async for result in results:
            payload: Mapping[str, Any]
            if isinstance(result, InitialIncrementalExecutionResult):
                initial = process_result(cast(ExecutionResult, result))
                payload = {**initial, "hasNext": result.has_next}
            elif isinstance(result, DeferredPart):
                payload = result.payload
            else:
                # A subscription event executed once for all its subscribers:
                # encoded once too, and the same bytes sent to each.
                shared = shared_payload(result, max_bytes)
                yield result if shared is None else EncodedPart(shared, first=first)
                first = False
                continue
            encoded = orjson.dumps(payload)
            used += len(encoded)
            if used > max_bytes:
                refusal: dict[str, Any] = {"data": None} if first else {}
                refusal |= {"errors": [too_large(max_bytes)], "hasNext": False}
                yield EncodedPart(orjson.dumps(refusal), first=first)
                return  # closing the results cancels the work still to come
            yield EncodedPart(encoded, first=first)
            first = False
    finally:
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()


class MultipartPartsTransport(HTTPStreamTransport):
    """``multipart/mixed; boundary="-"; deferSpec=20220824``: one part per result.

    Each part ends with the boundary, so a client reads it as soon as it
    arrives; the first also opens with it (urql skips what comes before).
    A single result (nothing was deferred after all, or a request error) is
    one part with ``hasNext: false``.
    """

    protocol: ClassVar[GraphQLRequestProtocol] = INCREMENTAL_PROTOCOL
    batching_error: ClassVar[str] = "Batching is not supported with @defer and @stream"
    headers: ClassVar[Mapping[str, str]] = {
        "Content-Type": f'multipart/mixed; boundary="{_BOUNDARY}"; deferSpec=20220824',
        # Let a proxy pass each part on as it comes (nginx buffers otherwise).
        "X-Accel-Buffering": "no",
        "Cache-Control": "no-cache",
    }
    # An empty part would read as a result to the clients: no heartbeats (the
    # parts of one answer come within the upstream's timeouts).
    heartbeat_interval: float = 24 * 3600.0
    send_initial_heartbeat: ClassVar[bool] = False

    def accepts(self, accept: str) -> bool:
        # Chosen for an operation that defers (GraphQLOverHTTP.parse_http_body),
        # never from the headers alone.
        return False

    def encode_next(self, response: GraphQLHTTPResponse, encode_json: JSONEncoder) -> str:
        part: object = response
        if isinstance(part, EncodedPart):
            body, size, first = part.encoded.decode(), len(part.encoded), part.first
        else:
            body, first = encode_json({**response, "hasNext": False}), True
            size = len(body.encode())
        return "".join(
            (
                f"--{_BOUNDARY}" if first else "",
                "\r\nContent-Type: application/json; charset=utf-8",
                f"\r\nContent-Length: {size}\r\n\r\n",
                body,
                f"\r\n--{_BOUNDARY}",
            )
        )

    def encode_complete(self) -> str:
        return "--\r\n"

    def heartbeat_message(self, encode_json: JSONEncoder) -> str:
        return ""
