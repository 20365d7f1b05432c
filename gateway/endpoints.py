"""What the gateway knows about each upstream endpoint it calls, in one table.

For every (method, path template): the media type of the body it sends, whether
a retry is safe (idempotency), and the route family whose circuit breaker
guards it. :class:`~gateway.upstream.UpstreamClient` reads it on every call;
``tests/unit/test_endpoints.py`` checks it against the contract and against
the templates the rest of the code uses.

Families group endpoints that fail together upstream (one service behind one
path prefix, as far as the contract shows): a failing export must not stop the
analyzed-video polls, and a failing listing must not stop reads by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ENDPOINTS", "UpstreamEndpoint", "endpoint"]

MediaType = Literal["none", "json", "multipart"]


@dataclass(frozen=True, slots=True)
class UpstreamEndpoint:
    method: str
    route: str
    # What the request body is: ``json`` bodies carry
    # ``Content-Type: application/json`` (an upstream that parses by media
    # type, as Django REST Framework does, answers 415 without it).
    media: MediaType
    # Safe to send twice: GETs, and POSTs the contract documents as reads.
    idempotent: bool
    family: str


def _e(
    method: str, route: str, media: MediaType, idempotent: bool, family: str
) -> UpstreamEndpoint:
    return UpstreamEndpoint(method, route, media, idempotent, family)


_SESSION = "/{activity}/sessions/{session_id}/"
_VIDEO = "/session-management/sessions/{session_id}/analyzed-video/"

ENDPOINTS: Final[dict[tuple[str, str], UpstreamEndpoint]] = {
    (e.method, e.route): e
    for e in (
        # Reads of one session.
        _e("GET", _SESSION, "none", True, "details"),
        _e("GET", _SESSION + "export/", "none", True, "export"),
        _e("GET", _VIDEO, "none", True, "video"),
        _e("GET", "/session-management/sessions/", "none", True, "listing"),
        _e("GET", "/session-management/sessions/filter/", "none", True, "listing"),
        # Reports: POSTs the contract documents as "retrieve or generate".
        _e("POST", "/jumping/sessions/{session_id}/jump-analysis/", "none", True, "reports"),
        _e("GET", "/jumping/sessions/{session_id}/summary/", "none", True, "reports"),
        _e("POST", "/running/sessions/{session_id}/gait-analysis/", "none", True, "reports"),
        _e("GET", "/running/sessions/{session_id}/report-comments/", "none", True, "reports"),
        _e("POST", "/running/sessions/{session_id}/summary/", "none", True, "reports"),
        _e("POST", "/running/sessions/{session_id}/form-analysis/", "none", True, "reports"),
        _e("POST", "/running/sessions/{session_id}/report/", "none", True, "reports"),
        _e("GET", "/running/sessions/metrics/total/", "none", True, "reports"),
        _e("GET", "/weightlifting/sessions/{session_id}/lift-analysis/", "none", True, "reports"),
        _e("POST", "/weightlifting/sessions/{session_id}/lift-analysis/", "none", True, "reports"),
        _e("POST", "/weightlifting/sessions/{session_id}/recommendation/", "none", True, "reports"),
        # Writes: never retried.
        _e("POST", _VIDEO, "json", False, "video"),
        _e("PUT", "/session-management/sessions/{session_id}", "json", False, "writes"),
        _e("DELETE", "/session-management/sessions/{session_id}", "none", False, "writes"),
        _e("POST", "/running/sessions/{session_id}/report-comments/", "json", False, "writes"),
        _e("DELETE", "/running/sessions/{session_id}/report-comments/", "none", False, "writes"),
        _e("POST", "/{activity}/sessions/", "multipart", False, "uploads"),
    )
}


def endpoint(method: str, route: str) -> UpstreamEndpoint:
    """The table's entry; an endpoint it lacks is treated cautiously (only a GET
    is retried) in a family of its own, so it can't trip another's breaker."""
    found = ENDPOINTS.get((method, route))
    if found is not None:
        return found
    return UpstreamEndpoint(method, route, "json", method == "GET", f"other {route}")
