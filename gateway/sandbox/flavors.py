"""Flavors: the readings of one contract that different upstreams have made.

The contract leaves room: how a video that is still processing looks, the date
format of each endpoint, the shape of the metrics, and whether a body must
declare its media type. Each flavor is one consistent set of answers, so the
gateway can be tested against every reading (``session-gateway sandbox
--flavor NAME``; the end-to-end suite runs its readiness, subscription and
mutation tests against each one).

The default, ``strict``, is the least forgiving reading: bodies without their
media type get 415 (as Django REST Framework answers), and the analyzed-video
endpoint answers 404 while the video is processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = ["DEFAULT_FLAVOR", "FLAVORS", "Flavor", "flavor_named"]

# How the analyzed-video endpoint's GET answers while the video is processing.
NotReady = Literal["empty", "null", "accepted", "missing"]
# What the details, export and listing hold in `analyzed_video_url` meanwhile.
UrlField = Literal["empty", "null", "absent"]
# Dates of `created_at`: as the contract's examples have them (jumping ISO,
# the others DD/MM/YYYY), or one format everywhere.
Dates = Literal["contract", "iso", "dmy"]
# Metrics: the seeded mix of the contract's shapes, or one shape everywhere
# (running metrics as per-segment arrays with `{avg, min, max}` calculated
# metrics, or as single numbers).
Metrics = Literal["mixed", "arrays", "numbers"]


@dataclass(frozen=True, slots=True)
class Flavor:
    name: str
    not_ready: NotReady
    url_field: UrlField
    dates: Dates
    metrics: Metrics
    # Bodies must carry their media type (application/json, multipart/form-data).
    strict_media: bool
    description: str

    def not_ready_body(self) -> tuple[int, Any]:
        """The GET's status and body while processing (``None`` body: empty)."""
        if self.not_ready == "missing":
            return 404, {"error": "Analyzed video not found"}
        if self.not_ready == "accepted":
            return 202, None
        return 200, {"analyzed_video_url": None if self.not_ready == "null" else ""}

    def requested_body(self) -> tuple[int, Any]:
        """The POST's status and body when it started (or joined) processing.

        A POST never answers 404 for a session that exists: that would read as
        "no such session" whatever the reading."""
        if self.not_ready == "accepted":
            return 202, {"detail": "Analyzed video generation started."}
        return 200, {"analyzed_video_url": None if self.not_ready == "null" else ""}

    def shape_url(self, body: dict[str, Any]) -> dict[str, Any]:
        """A details, export or listing body with `analyzed_video_url` as this
        flavor shows it while processing (the sandbox builds it as "")."""
        if body.get("analyzed_video_url") == "":
            if self.url_field == "null":
                body["analyzed_video_url"] = None
            elif self.url_field == "absent":
                del body["analyzed_video_url"]
        return body


FLAVORS: Final[dict[str, Flavor]] = {
    f.name: f
    for f in (
        Flavor(
            "strict",
            not_ready="missing",
            url_field="empty",
            dates="contract",
            metrics="mixed",
            strict_media=True,
            description="404 while processing, media types enforced (the default)",
        ),
        Flavor(
            "lenient",
            not_ready="empty",
            url_field="empty",
            dates="contract",
            metrics="mixed",
            strict_media=False,
            description="200 with an empty URL while processing, any body accepted",
        ),
        Flavor(
            "nulls",
            not_ready="null",
            url_field="null",
            dates="iso",
            metrics="arrays",
            strict_media=True,
            description="null URLs while processing, ISO dates, metrics as arrays",
        ),
        Flavor(
            "accepted",
            not_ready="accepted",
            url_field="absent",
            dates="dmy",
            metrics="numbers",
            strict_media=True,
            description="202 with no body while processing, URL absent, DD/MM/YYYY dates, "
            "metrics as numbers",
        ),
    )
}

DEFAULT_FLAVOR: Final = "strict"


def flavor_named(name: str) -> Flavor:
    try:
        return FLAVORS[name]
    except KeyError:
        raise ValueError(
            f"unknown sandbox flavor {name!r} (expected one of {', '.join(FLAVORS)})"
        ) from None
