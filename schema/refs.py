"""How a root field names a session: the id arguments, and the ``SessionRef`` they resolve to.

Queries, mutations and subscriptions all take a session the same way (a
global id, or the upstream id with its activity) and import it from here.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.errors import BadRequest
from gateway.ids import Activity as ActivityValue
from gateway.ids import decode_global_id, validate_session_id
from gateway.sessions import SessionRef
from schema.types import Activity

__all__ = ["ActivityArg", "IdArg", "resolve_ref"]

IdArg = Annotated[
    strawberry.ID,
    strawberry.argument(description="A global session id, or the upstream id with `activity`."),
]
ActivityArg = Annotated[
    Activity | None,  # type: ignore[valid-type]
    strawberry.argument(description="Needed with an upstream id; checked with a global id."),
]


def resolve_ref(id: str, activity: ActivityValue | None) -> SessionRef:
    """A session from a global id, or from an upstream id plus its activity."""
    if activity is not None:
        try:
            decoded_activity, session_id = decode_global_id(id)
        except BadRequest:
            return SessionRef(activity, validate_session_id(id))
        if decoded_activity is not activity:
            raise BadRequest("The id names a session of another activity.", field="activity")
        return SessionRef(activity, session_id)
    try:
        decoded_activity, session_id = decode_global_id(id)
    except BadRequest as exc:
        raise BadRequest(
            "Pass a global session id, or the upstream session id with its `activity`.",
            field="id",
        ) from exc
    return SessionRef(decoded_activity, session_id)
