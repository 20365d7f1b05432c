"""Domain values shared by the client side and the schema: activities and global ids."""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import re

from gateway.errors import BadRequest

__all__ = [
    "Activity",
    "b64_decode",
    "b64_encode",
    "decode_global_id",
    "encode_global_id",
    "is_session_id",
    "validate_session_id",
]


class Activity(enum.Enum):
    JUMPING = "jumping"
    RUNNING = "running"
    WEIGHTLIFTING = "weightlifting"

    @property
    def path(self) -> str:
        """The first path segment of this activity's endpoints."""
        return self.value

    @property
    def label(self) -> str:
        """The string the upstream uses in ``activity`` fields and filters."""
        return _LABELS[self]

    @classmethod
    def from_label(cls, label: object) -> Activity | None:
        if not isinstance(label, str):
            return None
        return _BY_LABEL.get(label.strip().lower())


_LABELS = {
    Activity.JUMPING: "Vertical Jump",
    Activity.RUNNING: "Running",
    Activity.WEIGHTLIFTING: "Weightlifting",
}
_BY_LABEL = {
    "vertical jump": Activity.JUMPING,
    "jumping": Activity.JUMPING,
    "jump": Activity.JUMPING,
    "running": Activity.RUNNING,
    "weightlifting": Activity.WEIGHTLIFTING,
}

# Upstream ids are opaque strings (hex in practice). Anything else is refused
# before it reaches a URL, so input can't turn into another path.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PREFIX = "Session"


def is_session_id(value: str) -> bool:
    return _SESSION_ID.fullmatch(value) is not None


def validate_session_id(session_id: str) -> str:
    if not is_session_id(session_id):
        raise BadRequest("A session id holds only letters, digits, '-' and '_'.", field="id")
    return session_id


def b64_encode(text: str) -> str:
    """``text`` as unpadded URL-safe base64: the spelling of global ids and cursors."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def b64_decode(token: str) -> str:
    """The text :func:`b64_encode` wrote; ``ValueError`` (``binascii.Error``,
    ``UnicodeError``) when ``token`` isn't base64 of UTF-8. Lenient as base64's
    decoder is: callers that need the canonical spelling re-encode and compare."""
    return base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii")).decode()


def encode_global_id(activity: Activity, session_id: str) -> str:
    return b64_encode(f"{_PREFIX}:{activity.value}:{session_id}")


# Clients send the same ids over and over; a bad one raises, which isn't kept.
@functools.lru_cache(maxsize=4096)
def decode_global_id(global_id: str) -> tuple[Activity, str]:
    """``(activity, upstream id)`` from a global id; ``BadRequest`` if it isn't one.

    Only the canonical spelling, the one :func:`encode_global_id` writes, is
    accepted: base64's decoder skips characters outside its alphabet and
    takes padding, so ``id=``, ``i d`` or ``id!!`` would otherwise all name
    the same session, and a cache or log keyed on the id would see several.
    """
    try:
        prefix, activity, session_id = b64_decode(global_id).split(":", 2)
        if prefix != _PREFIX:
            raise ValueError(prefix)
        decoded = Activity(activity), validate_session_id(session_id)
    except (ValueError, UnicodeError, binascii.Error, BadRequest) as exc:
        raise BadRequest(f"{global_id[:64]!r} is not a session id.", field="id") from exc
    if encode_global_id(*decoded) != global_id:
        raise BadRequest(f"{global_id[:64]!r} is not a session id.", field="id")
    return decoded
