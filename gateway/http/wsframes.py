"""The shape of an inbound WebSocket frame, checked before Strawberry sees it.

Strawberry trusts a frame's JSON types: a frame that is valid JSON but not an
object, a ``subscribe`` whose payload is a list, a ``complete`` whose id is an
object, each raised a ``TypeError`` inside its handler (a traceback at ERROR
and a connection dropped without a close frame), and ``"query": 1`` was
answered with ``complete``. :func:`frame_problem` says what is wrong with a
frame, and :class:`gateway.http.wsguard.WebSocketGuard` closes its socket with
4400 (graphql-transport-ws's code for an invalid message) on both protocols.

Only the JSON types of the fields the handlers read are checked; other fields
are left alone, and what the fields mean (a query that doesn't parse, an id
already in use) is the protocol handlers' to answer.
"""

from __future__ import annotations

import orjson

__all__ = ["CLOSE_INVALID_MESSAGE", "frame_problem"]

CLOSE_INVALID_MESSAGE = 4400

# The JSON types a field may have; "absent" is a field that isn't there.
STRING = frozenset({"string"})
OBJECT = frozenset({"object"})
STRING_OR_NULL = frozenset({"string", "null", "absent"})
OBJECT_OR_NULL = frozenset({"object", "null", "absent"})
_SAY = {
    STRING: "a string",
    OBJECT: "an object",
    STRING_OR_NULL: "a string or null",
    OBJECT_OR_NULL: "an object or null",
}

# What the payload of an operation (``subscribe``, legacy ``start``) holds.
_OPERATION = {
    "query": STRING,
    "variables": OBJECT_OR_NULL,
    "operationName": STRING_OR_NULL,
    "extensions": OBJECT_OR_NULL,
}

# Per protocol, per message type: the type each field must have, and whether
# the payload is an operation's. A type not listed is refused on
# graphql-transport-ws (as Strawberry does, without echoing it), and ignored on
# the legacy protocol (as Strawberry does).
_FIELDS: dict[str, dict[str, dict[str, frozenset[str]]]] = {
    "graphql-transport-ws": {
        "connection_init": {"payload": OBJECT_OR_NULL},
        "ping": {"payload": OBJECT_OR_NULL},
        "pong": {"payload": OBJECT_OR_NULL},
        "subscribe": {"id": STRING, "payload": OBJECT},
        "complete": {"id": STRING},
    },
    "graphql-ws": {
        "connection_init": {"payload": OBJECT_OR_NULL},
        "connection_terminate": {},
        "start": {"id": STRING, "payload": OBJECT},
        "stop": {"id": STRING},
    },
}
_OPERATIONS = frozenset({"subscribe", "start"})
_UNKNOWN_REFUSED = frozenset({"graphql-transport-ws"})

_ABSENT = object()


def frame_problem(protocol: str, text: str) -> str | None:
    """Why a text frame of ``protocol`` is refused (a close reason), or ``None``."""
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "WebSocket message must be valid JSON"
    if not isinstance(frame, dict):
        return "WebSocket message must be a JSON object"
    kind = frame.get("type")
    if not isinstance(kind, str):
        return "The message's type must be a string"
    fields = _FIELDS.get(protocol, {}).get(kind)
    if fields is None:
        return "Unknown message type" if protocol in _UNKNOWN_REFUSED else None
    for name, allowed in fields.items():
        if _json_type(frame.get(name, _ABSENT)) not in allowed:
            return f"{kind}: {name} must be {_SAY[allowed]}"
    if kind in _OPERATIONS:
        payload = frame["payload"]
        for name, allowed in _OPERATION.items():
            if _json_type(payload.get(name, _ABSENT)) not in allowed:
                return f"{kind}: payload.{name} must be {_SAY[allowed]}"
    return None


def _json_type(value: object) -> str:
    if value is _ABSENT:
        return "absent"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "other"
