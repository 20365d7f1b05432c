"""The upstream writes a mutation makes: each proven, sent, and its stale reads forgotten.

Every write first proves that the caller sees the session as one of its
activity (the details endpoint is activity-specific; the write endpoints are
not), so that a session of another caller or activity is NOT_FOUND before
anything changes. After the write, the operation's cached copy of what it
changed is dropped, so fields read later in the same operation see the new
state. Creating a session is in :mod:`gateway.uploads`, with its form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.errors import BadRequest, NotFound
from gateway.loaders import Resource, ResourceLoader
from gateway.localized import translations
from gateway.sessions import (
    SessionRef,
    VideoState,
    analyzed_video_params,
    fetch_video_state,
    video_state_from,
)
from gateway.upstream.client import UpstreamRequest
from gateway.upstream.endpoints import (
    DELETE_REPORT_COMMENTS,
    DELETE_SESSION,
    DETAILS,
    REPORT_COMMENTS,
    REQUEST_ANALYZED_VIDEO,
    SET_REPORT_COMMENTS,
    UPDATE_SESSION,
)

__all__ = [
    "delete_report_comments",
    "delete_session",
    "request_analyzed_video",
    "set_report_comments",
    "update_session",
]


async def request_analyzed_video(upstream: ResourceLoader, ref: SessionRef) -> VideoState:
    """Ask the upstream to generate the analyzed video; its state right after."""
    # The analyzed-video endpoint takes the activity's flags on trust: the
    # (activity-specific) details prove the session is this caller's and of
    # this activity before anything starts processing.
    await ref.exists(upstream)
    try:
        return await video_state_from(
            upstream.call(
                UpstreamRequest.to(
                    REQUEST_ANALYZED_VIDEO,
                    path_params={"session_id": ref.session_id},
                    json=analyzed_video_params(ref.activity),
                )
            )
        )
    except BadRequest as exc:
        if exc.upstream_status != 400:
            raise
    # "Video already analyzed": the GET has its URL.
    return await fetch_video_state(upstream, ref.activity, ref.session_id)


async def update_session(
    upstream: ResourceLoader,
    ref: SessionRef,
    *,
    title: str | None = None,
    created_at: datetime | None = None,
) -> None:
    """Set the (checked) title, the creation time, or both; ``None`` keeps one as it is."""
    payload: dict[str, str] = {}
    if title is not None:
        payload["title"] = title
    if created_at is not None:
        # The upstream's own format, in UTC; a time without a zone is taken as UTC.
        moment = created_at.astimezone(UTC) if created_at.tzinfo else created_at
        payload["created_at"] = moment.strftime("%Y-%m-%d %H:%M:%S")
    await ref.exists(upstream)
    await upstream.call(
        UpstreamRequest.to(UPDATE_SESSION, path_params={"session_id": ref.session_id}, json=payload)
    )
    upstream.forget(_details(ref))


async def delete_session(upstream: ResourceLoader, ref: SessionRef) -> None:
    await ref.exists(upstream)
    await upstream.call(
        UpstreamRequest.to(DELETE_SESSION, path_params={"session_id": ref.session_id})
    )
    upstream.forget(_details(ref))


async def set_report_comments(
    upstream: ResourceLoader, ref: SessionRef, updates: Mapping[str, Mapping[str, str]]
) -> None:
    """Set the languages given of each named comment (``{name: {language: text}}``);
    other languages and other comments keep their text. The upstream replaces a
    comment whole, so its current texts are read and merged first."""
    resource = ref.report(REPORT_COMMENTS)
    # Proven first: only then does a 404 from the comments mean "none yet".
    await ref.exists(upstream)
    try:
        current = await upstream.load(resource)
    except NotFound:
        current = {}
    merged = {
        name: {**translations(_member(current, name)), **texts} for name, texts in updates.items()
    }
    await upstream.call(
        UpstreamRequest.to(
            SET_REPORT_COMMENTS, path_params={"session_id": ref.session_id}, json=merged
        )
    )
    upstream.forget(resource)


async def delete_report_comments(upstream: ResourceLoader, ref: SessionRef) -> None:
    await ref.exists(upstream)
    await upstream.call(
        UpstreamRequest.to(DELETE_REPORT_COMMENTS, path_params={"session_id": ref.session_id})
    )
    upstream.forget(ref.report(REPORT_COMMENTS))


def _details(ref: SessionRef) -> Resource:
    return Resource.session(DETAILS.route, ref.activity, ref.session_id)


def _member(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, Mapping) else None
