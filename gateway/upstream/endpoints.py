"""Every upstream endpoint the gateway calls, in one table; the only place a route is written.

Each entry has a name the code refers to (``DETAILS``, ``EXPORT``,
``ANALYZED_VIDEO``, ...) and holds the path template, the method (and the
method to fall back to on a 405, where the contract documents two), the media
type of the body it sends, whether a retry is safe (idempotency), the route
family whose circuit breaker guards it, whether its body is read lazily, and
the status whose answer the contract documents: with the entry's
:meth:`~UpstreamEndpoint.operations` (``METHOD /path`` keys), it names the
response schemas in ``gateway/upstream/contract.yaml``.
:class:`~gateway.upstream.UpstreamClient` looks the entry up on every call;
``tests/unit/test_endpoints.py`` checks the table against the contract, and
that no other module outside the sandbox writes a route.

Families group endpoints that fail together upstream (one service behind one
path prefix, as far as the contract shows): a failing export must not stop the
analyzed-video polls, and a failing listing must not stop reads by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from gateway.ids import Activity

__all__ = [
    "ALL",
    "ANALYZED_VIDEO",
    "CREATE_SESSION",
    "DELETE_REPORT_COMMENTS",
    "DELETE_SESSION",
    "DETAILS",
    "ENDPOINTS",
    "EXPORT",
    "FILTER",
    "FORM_ANALYSIS",
    "GAIT_ANALYSIS",
    "JUMP_ANALYSIS",
    "JUMP_RECOMMENDATION",
    "JUMP_SUMMARY",
    "LIFT_ANALYSIS",
    "LIFT_RECOMMENDATION",
    "REPORT_COMMENTS",
    "REPORT_IMAGES",
    "REQUEST_ANALYZED_VIDEO",
    "RUNNING_SUMMARY",
    "RUNNING_TOTALS",
    "SESSIONS",
    "SET_REPORT_COMMENTS",
    "UPDATE_SESSION",
    "UpstreamEndpoint",
    "endpoint",
]

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
    # Tried when the upstream answers 405 to ``method`` (the same resource,
    # documented under two methods).
    fallback_method: str | None = None
    # A body made mostly of per-frame series: kept as the upstream's bytes
    # until a field needs its numbers (most never do).
    lazy: bool = False
    # The success status whose answer the contract documents.
    status: int = 200

    @property
    def methods(self) -> tuple[str, ...]:
        """The method, then the fallback if there is one."""
        if self.fallback_method is None:
            return (self.method,)
        return (self.method, self.fallback_method)

    def operations(self) -> tuple[str, ...]:
        """The contract's keys (``METHOD /path``) of this entry: one per method,
        and per activity where the route is ``{activity}``-templated. With
        ``status``, each names the response schema the contract documents."""
        paths = (
            [self.route.replace("{activity}", a.path) for a in Activity]
            if "{activity}" in self.route
            else [self.route]
        )
        return tuple(f"{method} {path}" for method in self.methods for path in paths)


_TABLE: list[UpstreamEndpoint] = []


def _add(
    method: str,
    route: str,
    media: MediaType,
    idempotent: bool,
    family: str,
    *,
    fallback_method: str | None = None,
    lazy: bool = False,
) -> UpstreamEndpoint:
    entry = UpstreamEndpoint(method, route, media, idempotent, family, fallback_method, lazy)
    _TABLE.append(entry)
    return entry


_SESSION = "/{activity}/sessions/{session_id}/"
_MANAGED = "/session-management/sessions/"
_VIDEO = _MANAGED + "{session_id}/analyzed-video/"
_JUMP = "/jumping/sessions/{session_id}/"
_RUN = "/running/sessions/{session_id}/"
_LIFT = "/weightlifting/sessions/{session_id}/"

# Reads of one session.
DETAILS: Final = _add("GET", _SESSION, "none", True, "details", lazy=True)
EXPORT: Final = _add("GET", _SESSION + "export/", "none", True, "export", lazy=True)
ANALYZED_VIDEO: Final = _add("GET", _VIDEO, "none", True, "video")
# Listings.
SESSIONS: Final = _add("GET", _MANAGED, "none", True, "listing")
FILTER: Final = _add("GET", _MANAGED + "filter/", "none", True, "listing")
# Reports: the POSTs are ones the contract documents as "retrieve or generate".
JUMP_ANALYSIS: Final = _add("POST", _JUMP + "jump-analysis/", "none", True, "reports")
JUMP_SUMMARY: Final = _add("GET", _JUMP + "summary/", "none", True, "reports")
# Creates the threads when there are none: read like the other generated reports.
JUMP_RECOMMENDATION: Final = _add("POST", _JUMP + "recommendation/", "none", True, "reports")
GAIT_ANALYSIS: Final = _add("POST", _RUN + "gait-analysis/", "none", True, "reports")
REPORT_COMMENTS: Final = _add("GET", _RUN + "report-comments/", "none", True, "reports")
RUNNING_SUMMARY: Final = _add("POST", _RUN + "summary/", "none", True, "reports")  # deprecated
FORM_ANALYSIS: Final = _add("POST", _RUN + "form-analysis/", "none", True, "reports")  # deprecated
REPORT_IMAGES: Final = _add("POST", _RUN + "report/", "none", True, "reports")  # deprecated
RUNNING_TOTALS: Final = _add("GET", "/running/sessions/metrics/total/", "none", True, "reports")
# The retrieval guide documents GET, the OpenAPI file POST.
LIFT_ANALYSIS: Final = _add(
    "GET", _LIFT + "lift-analysis/", "none", True, "reports", fallback_method="POST"
)
LIFT_RECOMMENDATION: Final = _add("POST", _LIFT + "recommendation/", "none", True, "reports")
# Writes: never retried.
REQUEST_ANALYZED_VIDEO: Final = _add("POST", _VIDEO, "json", False, "video")
UPDATE_SESSION: Final = _add("PUT", _MANAGED + "{session_id}", "json", False, "writes")
DELETE_SESSION: Final = _add("DELETE", _MANAGED + "{session_id}", "none", False, "writes")
SET_REPORT_COMMENTS: Final = _add("POST", _RUN + "report-comments/", "json", False, "writes")
DELETE_REPORT_COMMENTS: Final = _add("DELETE", _RUN + "report-comments/", "none", False, "writes")
CREATE_SESSION: Final = _add("POST", "/{activity}/sessions/", "multipart", False, "uploads")

ALL: Final[tuple[UpstreamEndpoint, ...]] = tuple(_TABLE)

# By (method, route), for the client; a fallback method finds its entry too.
ENDPOINTS: Final[dict[tuple[str, str], UpstreamEndpoint]] = {
    (method, e.route): e for e in ALL for method in e.methods
}


def endpoint(method: str, route: str) -> UpstreamEndpoint:
    """The table's entry; an endpoint it lacks is treated cautiously (only a GET
    is retried) in a family of its own, so it can't trip another's breaker."""
    found = ENDPOINTS.get((method, route))
    if found is not None:
        return found
    return UpstreamEndpoint(method, route, "json", method == "GET", f"other {route}")
