"""A watch as the broker sees it: its names, and its events as bytes.

Every replica's watch of a (credential, activity, session) meets on the same
names, built from ``Credential.shared_id`` so that the broker never sees a
key: a channel for its events, a lease for its poller, a key for its last
state. An event is one of::

    {"kind": "state", "status": "PROCESSING" | "READY" | "FAILED", "url": ...}
    {"kind": "wake"}                                  poll now
    {"kind": "error", "code": ..., "message": ...}    the watch has ended

An error decodes to the class :data:`gateway.errors.CODES` registers for its
code, so every replica reports what the poller's replica saw. The stored
state is a state event's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from gateway.errors import CODES, GatewayError, UpstreamBadResponse
from gateway.ids import Activity
from gateway.sessions import VideoState, VideoStatus

__all__ = [
    "WAKE",
    "Event",
    "MalformedEvent",
    "Wake",
    "WatchKey",
    "decode",
    "decode_state",
    "encode",
]


@dataclass(frozen=True, slots=True)
class WatchKey:
    shared: str  # Credential.shared_id: the same on every replica
    activity: Activity
    session_id: str

    def _name(self, kind: str) -> str:
        return f"gateway:{kind}:{self.shared}:{self.activity.value}:{self.session_id}"

    @property
    def channel(self) -> str:
        return self._name("video")

    @property
    def lease(self) -> str:
        return self._name("lease")

    @property
    def state(self) -> str:
        return self._name("state")


@dataclass(frozen=True, slots=True)
class Wake:
    """Ask the watch's poller, wherever it runs, to poll now."""


WAKE: Final = Wake()

Event = VideoState | Wake | GatewayError


class MalformedEvent(ValueError):
    """Bytes on a watch's channel that are no event of this version."""


def encode(event: Event) -> bytes:
    if isinstance(event, VideoState):
        return orjson.dumps({"kind": "state", "status": event.status.value, "url": event.url})
    if isinstance(event, Wake):
        return orjson.dumps({"kind": "wake"})
    # The message is the error's fixed one (gateway.errors): no key, no upstream text.
    return orjson.dumps({"kind": "error", "code": event.code, "message": event.message})


def decode(raw: bytes) -> Event | None:
    """The event in ``raw``; ``None`` for a kind this version doesn't know.

    Raises :class:`MalformedEvent` for bytes that aren't an event at all.
    """
    try:
        message = orjson.loads(raw)
        kind = message.get("kind")
        if kind == "state":
            return _state(message)
        if kind == "wake":
            return WAKE
        if kind == "error":
            return _error(message)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedEvent(str(exc)) from exc
    return None


def decode_state(raw: bytes) -> VideoState:
    """A stored state (a state event's bytes)."""
    return _state(orjson.loads(raw))


def _state(message: dict[str, Any]) -> VideoState:
    return VideoState(VideoStatus(message["status"]), message.get("url"))


def _error(message: dict[str, Any]) -> GatewayError:
    code = message.get("code")
    entry = CODES.get(code) if isinstance(code, str) else None
    text = message.get("message")
    if entry is None:
        # A code of another version: the poller's answer, but not one we can name.
        return UpstreamBadResponse(str(text))
    return entry.error(text if isinstance(text, str) else None)
