"""Root mutations: analyzed videos, creating and editing sessions, report comments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from gateway.errors import BadRequest, NotFound
from gateway.loaders import Resource, routes
from gateway.model import Activity as ActivityValue
from gateway.model import encode_global_id
from gateway.reports import LANGUAGES, report_routes, translations
from gateway.sessions import (
    SessionRef,
    analyzed_video_params,
    fetch_video_state,
    video_state_from,
)
from gateway.uploads import check_title, check_video, create_session
from schema.context import GatewayContext, upstream_of
from schema.inputs import CreateSessionInput, ReportCommentInput
from schema.query import ActivityArg, IdArg, resolve_ref
from schema.types import AnalyzedVideo, RunningSession, Session, session_type

__all__ = ["Mutation"]

Ctx = Info[GatewayContext, Any]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Ask the upstream to generate the session's analyzed video. Answers its "
            "status at once (READY if it already exists); subscribe to "
            "`analyzedVideo` to learn when it is ready."
        )
    )
    async def request_analyzed_video(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> AnalyzedVideo:
        ref = resolve_ref(id, activity)
        upstream = upstream_of(info)
        # The analyzed-video endpoint takes the activity's flags on trust: the
        # (activity-specific) details prove the session is this caller's and
        # of this activity before anything starts processing.
        await ref.exists(upstream)
        try:
            state = await video_state_from(
                upstream.call(
                    "POST",
                    routes.ANALYZED_VIDEO,
                    path_params={"session_id": ref.session_id},
                    json=analyzed_video_params(ref.activity),
                )
            )
        except BadRequest as exc:
            if exc.upstream_status != 400:
                raise
            # "Video already analyzed": the GET has its URL.
            state = await fetch_video_state(upstream, ref.activity, ref.session_id)
        watchers = info.context.services.watchers
        await watchers.wake(upstream.credential, ref.activity, ref.session_id, state)
        return AnalyzedVideo.of(state)

    @strawberry.mutation(
        description=(
            "Upload a video and create a session from it. Send the request with the "
            "GraphQL multipart request spec: the file goes in a form part that the "
            "`map` points at `variables.video`. The video is streamed to the "
            "upstream, which then analyses it; the session is listed at once."
        )
    )
    async def create_session(
        self,
        info: Ctx,
        # Nullable in the schema only so that a request whose `map` misses this
        # variable gets BAD_REQUEST naming `video`, not a bare coercion error.
        video: Annotated[
            Upload | None,
            strawberry.argument(
                description="Required: the video file, sent by the multipart request spec."
            ),
        ],
        input: Annotated[
            CreateSessionInput,
            strawberry.argument(description="The activity, and its settings."),
        ],
    ) -> Session:
        # The app closes the request's files once the response is sent.
        new = input.checked()
        max_bytes = info.context.services.settings.max_upload_bytes
        upload = check_video(video, "video", max_bytes=max_bytes)
        session_id, title = await create_session(upstream_of(info), new, upload)
        summary = {"title": title} if title else {}
        return session_type(SessionRef(new.activity, session_id, summary))

    @strawberry.mutation(
        description=(
            "Change a session's title or creation time (at least one). Answers the "
            "session as it is afterwards."
        )
    )
    async def update_session(
        self,
        info: Ctx,
        id: IdArg,
        activity: ActivityArg = None,
        title: Annotated[str | None, strawberry.argument(description="The new title.")] = None,
        created_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="The new creation time (ISO-8601; without a zone, UTC)."
            ),
        ] = None,
    ) -> Session:
        ref = resolve_ref(id, activity)
        payload: dict[str, str] = {}
        checked_title = check_title(title, "title")
        if checked_title is not None:
            payload["title"] = checked_title
        if created_at is not None:
            moment = created_at.astimezone(UTC) if created_at.tzinfo else created_at
            payload["created_at"] = moment.strftime("%Y-%m-%d %H:%M:%S")
        if not payload:
            raise BadRequest("Pass `title`, `createdAt`, or both.", field="title")
        upstream = upstream_of(info)
        # NOT_FOUND for a session this caller can't see, or of another activity,
        # before anything changes.
        await ref.exists(upstream)
        await upstream.call(
            "PUT", routes.SESSION, path_params={"session_id": ref.session_id}, json=payload
        )
        upstream.forget(Resource.session(routes.DETAILS, ref.activity, ref.session_id))
        return session_type(ref)

    @strawberry.mutation(
        description="Delete a session and everything about it. Answers its global id."
    )
    async def delete_session(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> strawberry.ID:
        ref = resolve_ref(id, activity)
        upstream = upstream_of(info)
        await ref.exists(upstream)
        await upstream.call("DELETE", routes.SESSION, path_params={"session_id": ref.session_id})
        upstream.forget(Resource.session(routes.DETAILS, ref.activity, ref.session_id))
        return strawberry.ID(encode_global_id(ref.activity, ref.session_id))

    @strawberry.mutation(
        description=(
            "Set a running session's report comments. Each named comment gets the "
            "languages given; a language left out keeps its current text, and "
            "comments not named are left as they are."
        )
    )
    async def update_report_comments(
        self,
        info: Ctx,
        id: IdArg,
        comments: Annotated[
            list[ReportCommentInput],
            strawberry.argument(description="The comments to set, by name."),
        ],
        activity: ActivityArg = None,
    ) -> RunningSession:
        ref = _running(id, activity)
        updates = _checked_comments(comments)
        upstream = upstream_of(info)
        resource = _comments_resource(ref)
        # Proven first: only then does a 404 from the comments mean "none yet".
        await ref.exists(upstream)
        try:
            current = await upstream.load(resource)
        except NotFound:
            current = {}
        merged = {
            name: {**translations(_get(current, name)), **texts} for name, texts in updates.items()
        }
        await upstream.call(
            "POST",
            report_routes.REPORT_COMMENTS,
            path_params={"session_id": ref.session_id},
            json=merged,
        )
        upstream.forget(resource)
        return RunningSession(ref=ref)

    @strawberry.mutation(description="Delete all of a running session's report comments.")
    async def delete_report_comments(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> RunningSession:
        ref = _running(id, activity)
        upstream = upstream_of(info)
        await ref.exists(upstream)
        await upstream.call(
            "DELETE", report_routes.REPORT_COMMENTS, path_params={"session_id": ref.session_id}
        )
        upstream.forget(_comments_resource(ref))
        return RunningSession(ref=ref)


def _running(id: str, activity: ActivityValue | None) -> SessionRef:
    ref = resolve_ref(id, activity)
    if ref.activity is not ActivityValue.RUNNING:
        raise BadRequest("Only running sessions have report comments.", field="id")
    return ref


def _comments_resource(ref: SessionRef) -> Resource:
    return Resource.of(report_routes.REPORT_COMMENTS, session_id=ref.session_id)


def _get(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, Mapping) else None


_COMMENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_COMMENT_LENGTH = 10_000


def _checked_comments(comments: list[ReportCommentInput]) -> dict[str, dict[str, str]]:
    if not comments:
        raise BadRequest("Pass at least one comment.", field="comments")
    out: dict[str, dict[str, str]] = {}
    for index, comment in enumerate(comments):
        where = f"comments.{index}"
        if not _COMMENT_NAME.fullmatch(comment.name):
            raise BadRequest(
                f"`{where}.name` must be lower-case letters, digits and '_', e.g. `text_summary`.",
                field=f"{where}.name",
            )
        texts: dict[str, str] = {}
        for language in LANGUAGES:
            text = getattr(comment, language)
            if text is None:
                continue
            if not text.strip() or len(text) > _MAX_COMMENT_LENGTH:
                raise BadRequest(
                    f"`{where}.{language}` must hold 1 to {_MAX_COMMENT_LENGTH} characters.",
                    field=f"{where}.{language}",
                )
            texts[language] = text
        if not texts:
            raise BadRequest(f"`{where}` needs `en`, `ru` or both.", field=where)
        out.setdefault(comment.name, {}).update(texts)
    return out
