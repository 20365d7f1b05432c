"""Global ids and cursors built from their documented format (README, "Ids and
cursors"), never with the gateway's own helpers: a test that encodes with the
code under test agrees with any bug in it."""

from __future__ import annotations

import base64

__all__ = ["cursor", "global_id_of"]

# The activity labels the upstream sends -> the id's activity part.
ACTIVITY_PARTS = {
    "Vertical Jump": "jumping",
    "Running": "running",
    "Weightlifting": "weightlifting",
}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def global_id_of(activity: str, session_id: str) -> str:
    """`base64url("Session:<activity>:<upstream id>")`, unpadded; activity as in the REST path."""
    assert activity in ACTIVITY_PARTS.values(), activity
    return _b64(f"Session:{activity}:{session_id}")


def cursor(kind: str, value: str) -> str:
    """`base64url("id:<upstream id>")` (the unfiltered list) or `base64url("at:<offset>")`."""
    assert kind in ("id", "at"), kind
    return _b64(f"{kind}:{value}")
