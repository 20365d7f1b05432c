"""One upstream session, as the schema's resolvers reach it.

A :class:`SessionRef` knows which session it is and, when it came from a
listing, the summary fields the listing already carried. Fields the summary
holds cost no upstream call; the rest come from the details endpoint, fetched
at most once per operation through :class:`~gateway.loaders.OperationUpstream`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from gateway.credentials import Credential
from gateway.errors import BadRequest, NotFound, UpstreamBadResponse
from gateway.loaders import OperationUpstream, Resource, routes
from gateway.model import Activity
from gateway.upstream import UpstreamClient

__all__ = [
    "SUMMARY_FIELDS",
    "SessionRef",
    "VideoState",
    "VideoStatus",
    "analyzed_video_params",
    "check_video_state",
    "fetch_video_state",
    "read_video_state",
    "video_state_from",
    "video_state_of",
]

# Fields the session listing carries with the same meaning as the details
# endpoint; anything else (metrics in the listing are empty, for one) is
# taken from the details.
SUMMARY_FIELDS = frozenset(
    {"title", "user_name", "created_at", "video_url", "analyzed_video_url", "exercise", "segments"}
)


class VideoStatus(Enum):
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class VideoState:
    status: VideoStatus
    url: str | None = None

    @property
    def final(self) -> bool:
        return self.status is not VideoStatus.PROCESSING


def video_state_of(url: Any) -> VideoState | None:
    """READY when the payload holds a URL; ``None`` when it can't tell."""
    if isinstance(url, str) and url.strip():
        return VideoState(VideoStatus.READY, url.strip())
    return None


def analyzed_video_params(activity: Activity) -> dict[str, str | int | bool]:
    # The upstream picks the kind of analysis from these flags when it has
    # to generate the video.
    return {
        "is_jump": activity is Activity.JUMPING,
        "is_weight": activity is Activity.WEIGHTLIFTING,
    }


@dataclass(slots=True)
class SessionRef:
    activity: Activity
    session_id: str
    summary: Mapping[str, Any] = field(default_factory=dict)

    def _resource(self, route: str) -> Resource:
        return Resource.session(route, self.activity, self.session_id)

    async def details(self, upstream: OperationUpstream) -> Mapping[str, Any]:
        body = await upstream.load(self._resource(routes.DETAILS))
        if not isinstance(body, Mapping):
            raise UpstreamBadResponse("The session's details are not a JSON object.")
        return body

    async def field(self, upstream: OperationUpstream, key: str) -> Any:
        if key in SUMMARY_FIELDS and key in self.summary:
            return self.summary[key]
        return (await self.details(upstream)).get(key)

    async def export(self, upstream: OperationUpstream) -> Mapping[str, Any]:
        # Most of an export is numbers passed on untouched: lazily decoded.
        body = await upstream.load(self._resource(routes.EXPORT))
        if not isinstance(body, Mapping):
            raise UpstreamBadResponse("The session's export is not a JSON object.")
        return body

    async def resource(
        self,
        upstream: OperationUpstream,
        route: str,
        *,
        method: str = "GET",
        fallback_method: str | None = None,
    ) -> Any:
        """Any per-session resource (analyses, reports), fetched once per operation."""
        return await upstream.load(
            Resource.of(
                route,
                method=method,
                fallback_method=fallback_method,
                session_id=self.session_id,
            )
        )

    async def video_state(self, upstream: OperationUpstream) -> VideoState:
        """From the payload at hand when it holds a URL; else the analyzed-video endpoint,
        which alone tells a video still processing from one that failed."""
        # Reading the field proves the session exists (details or listing),
        # so the endpoint's 404 after it means "not processed yet".
        state = video_state_of(await self.field(upstream, "analyzed_video_url"))
        if state is not None:
            return state
        return await fetch_video_state(upstream, self.activity, self.session_id, known=True)

    async def exists(self, upstream: OperationUpstream) -> None:
        """Raise ``NotFound`` (or another error) unless this caller can see the session."""
        await self.details(upstream)


async def fetch_video_state(
    upstream: OperationUpstream, activity: Activity, session_id: str, *, known: bool = False
) -> VideoState:
    resource = Resource(
        "GET",
        routes.ANALYZED_VIDEO,
        (("session_id", session_id),),
        tuple(sorted(analyzed_video_params(activity).items())),
    )
    return await video_state_from(upstream.load(resource), known=known)


async def video_state_from(answer: Awaitable[Any], *, known: bool = False) -> VideoState:
    """What an analyzed-video answer (GET or POST) tells. The one place that
    decides readiness (the README's DESIGN note has the table):

    - a URL (in ``analyzed_video_url``, or a bare JSON string): READY;
    - 422: the video exists but could not be processed: FAILED;
    - 200 with the URL empty, null or absent, or any 202: PROCESSING;
    - 404 once the session is ``known`` to exist (its details or the listing
      answered): PROCESSING, since the contract's 404 also covers "the
      processed video is not there yet"; otherwise it stays NOT_FOUND.
    """
    try:
        body = await answer
    except BadRequest as exc:
        if exc.upstream_status == 422:
            return VideoState(VideoStatus.FAILED)
        raise
    except NotFound:
        if known:
            return VideoState(VideoStatus.PROCESSING)
        raise
    except UpstreamBadResponse as exc:
        # "Accepted, still working" needs no body, and may come with any.
        if exc.upstream_status == 202:
            return VideoState(VideoStatus.PROCESSING)
        raise
    if isinstance(body, str):
        return video_state_of(body) or VideoState(VideoStatus.PROCESSING)
    if not isinstance(body, Mapping):
        raise UpstreamBadResponse("The analyzed-video answer is not a JSON object.")
    return video_state_of(body.get("analyzed_video_url")) or VideoState(VideoStatus.PROCESSING)


async def read_video_state(
    client: UpstreamClient,
    credential: Credential,
    activity: Activity,
    session_id: str,
    *,
    known: bool = False,
) -> VideoState:
    """The analyzed video's state, read afresh (no per-operation cache): for pollers."""
    return await video_state_from(
        client.get(
            routes.ANALYZED_VIDEO,
            credential,
            path_params={"session_id": session_id},
            params=analyzed_video_params(activity),
        ),
        known=known,
    )


async def check_video_state(
    client: UpstreamClient, credential: Credential, activity: Activity, session_id: str
) -> VideoState:
    """Like :func:`read_video_state`, but first proves the session exists for this
    caller *and this activity* (the details endpoint is activity-specific; the
    analyzed-video one is not, and takes the activity's flags on trust)."""
    details = await client.get(
        routes.DETAILS,
        credential,
        path_params={"activity": activity.path, "session_id": session_id},
    )
    if not isinstance(details, Mapping):
        raise UpstreamBadResponse("The session's details are not a JSON object.")
    ready = video_state_of(details.get("analyzed_video_url"))
    if ready is not None:
        return ready
    return await read_video_state(client, credential, activity, session_id, known=True)
