"""One upstream session, as the schema's resolvers reach it.

A :class:`SessionRef` knows which session it is and, when it came from a
listing, the summary fields the listing already carried. Fields the summary
holds cost no upstream call; the rest come from the details endpoint, fetched
at most once per operation through :class:`~gateway.loaders.ResourceLoader`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from gateway.credentials import Credential
from gateway.errors import BadRequest, NotFound, UpstreamBadResponse
from gateway.ids import Activity
from gateway.loaders import Resource, ResourceLoader
from gateway.normalize import json_object
from gateway.upstream.client import MethodNotAllowed, UpstreamClient
from gateway.upstream.endpoints import ANALYZED_VIDEO, DETAILS, EXPORT, UpstreamEndpoint

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


@dataclass(frozen=True, slots=True, weakref_slot=True)
class VideoState:
    """A video's status, as a watch hands it to every subscriber: the same object
    to each, which is what their shared results are kept by (schema.shared_events)."""

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
    # Known to be this caller's and of this activity: it came from the
    # caller's own listing, or its details loaded. Writes wait for this.
    proven: bool = False

    def _resource(self, endpoint: UpstreamEndpoint) -> Resource:
        return Resource.session(endpoint.route, self.activity, self.session_id)

    async def details(self, upstream: ResourceLoader) -> Mapping[str, Any]:
        body = json_object(
            await upstream.load(self._resource(DETAILS)),
            "The session's details are not a JSON object.",
        )
        self.proven = True
        return body

    async def field(self, upstream: ResourceLoader, key: str) -> Any:
        if key in SUMMARY_FIELDS and key in self.summary:
            return self.summary[key]
        return (await self.details(upstream)).get(key)

    async def export(self, upstream: ResourceLoader) -> Mapping[str, Any]:
        # Most of an export is numbers passed on untouched: lazily decoded.
        body = await upstream.load(self._resource(EXPORT))
        return json_object(body, "The session's export is not a JSON object.")

    def report(self, endpoint: UpstreamEndpoint, *, fallback: bool = False) -> Resource:
        """A per-session report (``{session_id}`` only), by its method or its fallback."""
        return Resource.at(endpoint, fallback=fallback, session_id=self.session_id)

    async def load_report(self, upstream: ResourceLoader, endpoint: UpstreamEndpoint) -> Any:
        """A report's or analysis' body, fetched once per operation. A POST may
        generate the report upstream, a write: it waits for the proof that the
        session is the caller's and of this activity (its details, loaded once
        per operation however many ask). On a 405 the fallback method is tried,
        after the same proof."""
        if endpoint.method != "GET":
            await self.exists(upstream)
        try:
            return await upstream.load(self.report(endpoint))
        except MethodNotAllowed:
            if endpoint.fallback_method is None:
                raise
        await self.exists(upstream)
        return await upstream.load(self.report(endpoint, fallback=True))

    async def video_state(self, upstream: ResourceLoader) -> VideoState:
        """From the payload at hand when it holds a URL; else the analyzed-video endpoint,
        which alone tells a video still processing from one that failed."""
        # Reading the field proves the session exists (details or listing),
        # so the endpoint's 404 after it means "not processed yet".
        state = video_state_of(await self.field(upstream, "analyzed_video_url"))
        if state is not None:
            return state
        return await fetch_video_state(upstream, self.activity, self.session_id, known=True)

    async def exists(self, upstream: ResourceLoader) -> None:
        """Raise ``NotFound`` (or another error) unless this caller can see the session
        as one of its activity (the details endpoint is activity-specific)."""
        if not self.proven:
            await self.details(upstream)


async def fetch_video_state(
    upstream: ResourceLoader, activity: Activity, session_id: str, *, known: bool = False
) -> VideoState:
    resource = replace(
        Resource.at(ANALYZED_VIDEO, session_id=session_id),
        params=tuple(sorted(analyzed_video_params(activity).items())),
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
    body = json_object(body, "The analyzed-video answer is not a JSON object.")
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
            ANALYZED_VIDEO.route,
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
    details = json_object(
        await client.get(
            DETAILS.route,
            credential,
            path_params={"activity": activity.path, "session_id": session_id},
        ),
        "The session's details are not a JSON object.",
    )
    ready = video_state_of(details.get("analyzed_video_url"))
    if ready is not None:
        return ready
    return await read_video_state(client, credential, activity, session_id, known=True)
