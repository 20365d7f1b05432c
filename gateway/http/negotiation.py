"""Content negotiation as GraphQL over HTTP defines it.

A request's ``Accept`` lists media types in order, each with a q-value. A
single result (a query or mutation) is one JSON document: it is answered as
``application/graphql-response+json`` or ``application/json``, whichever the
client ranks higher, whatever else it lists (urql lists ``text/event-stream``
too, and can't read a stream where it expects one document). A subscription
streams, as server-sent events or multipart/mixed, again as the client ranks
them. A single result is streamed only to a client that takes no JSON at all
and takes ``text/event-stream`` (graphql-sse's client runs queries that way);
multipart/mixed's subscription spec has no single results.

An operation that uses ``@defer`` or ``@stream`` is answered in parts, as
multipart/mixed, when the client takes them in the 2022-08-24 draft's shape
(``multipart/mixed;deferSpec=20220824``: Apollo Client sends it for such
operations; ``multipart/mixed`` naming no spec: urql, which reads that shape
too), wherever it ranks it: a client that writes ``@defer`` and reads parts
wants them. Any other client gets the whole answer as one result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "StreamProtocol",
    "prefers_html",
    "response_media_type",
    "single_result_streams",
    "stream_protocol",
    "takes_parts",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# Strawberry's names for its HTTP stream transports.
StreamProtocol = Literal["sse", "multipart-subscription"]


@dataclass(frozen=True)
class _Range:
    media_type: str  # lowercase, parameters stripped
    params: dict[str, str]
    q: float
    position: int


# Clients send the same few Accept values with every request: each is parsed
# once. A longer value is parsed every time rather than kept.
_CACHED_ACCEPT_CHARS = 512


def _ranges(accept: str | None) -> tuple[_Range, ...]:
    """The media ranges of an Accept header, best first (q, then order); q=0 dropped."""
    if accept is not None and len(accept) > _CACHED_ACCEPT_CHARS:
        return _parse_ranges(accept)
    return _cached_ranges(accept)


def _parse_ranges(accept: str | None) -> tuple[_Range, ...]:
    ranges: list[_Range] = []
    for position, part in enumerate((accept or "").split(",")):
        media_type, *raw_params = (p.strip() for p in part.split(";"))
        if not media_type:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        if q > 0:
            ranges.append(_Range(media_type.lower(), params, min(q, 1.0), position))
    return tuple(sorted(ranges, key=lambda r: (-r.q, r.position)))


_cached_ranges = functools.lru_cache(maxsize=256)(_parse_ranges)


def response_media_type(accept: str | None) -> str:
    """The media type of a single result: the client's best of the two JSON types.

    ``application/json`` when Accept is missing, is ``*/*``, or names neither:
    the type every client reads.
    """
    for r in _ranges(accept):
        if r.media_type == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if r.media_type in (JSON, "application/*", "*/*"):
            return JSON
    return JSON


def single_result_streams(accept: str | None) -> bool:
    """True when a query's one result must go as a server-sent event: no JSON accepted."""
    ranges = _ranges(accept)
    json_like = (GRAPHQL_RESPONSE_JSON, JSON, "application/*", "*/*")
    return not any(r.media_type in json_like for r in ranges) and any(
        r.media_type == "text/event-stream" for r in ranges
    )


def stream_protocol(accept: str | None) -> StreamProtocol | None:
    """How a subscription streams over HTTP: the client's best stream type, if any."""
    for r in _ranges(accept):
        if r.media_type == "text/event-stream":
            return "sse"
        if r.media_type == "multipart/mixed" and r.params.get("subscriptionspec", "").startswith(
            "1.0"
        ):
            return "multipart-subscription"
    return None


def takes_parts(accept: str | None) -> bool:
    """True when the client reads ``@defer``/``@stream`` parts as multipart/mixed
    in the 2022-08-24 draft's shape: ``deferSpec=20220824``, or no spec named."""
    for r in _ranges(accept):
        if r.media_type != "multipart/mixed":
            continue
        specs = {name: value for name, value in r.params.items() if name.endswith("spec")}
        if not specs or specs.get("deferspec") == "20220824":
            return True
    return False


def prefers_html(accept: str | None) -> bool:
    """A browser navigating: HTML ranked above either JSON type."""
    for r in _ranges(accept):
        if r.media_type == "text/html":
            return True
        if r.media_type in (GRAPHQL_RESPONSE_JSON, JSON, "application/*"):
            return False
    return False
