"""Root mutations: analyzed videos, creating and editing sessions, report comments."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from gateway import writes
from gateway.errors import BadRequest
from gateway.ids import Activity as ActivityValue
from gateway.ids import encode_global_id
from gateway.localized import LANGUAGES
from gateway.sessions import SessionRef
from gateway.uploads import check_title, check_video, create_session
from schema.context import Ctx, upstream_of
from schema.inputs import CreateSessionInput, ReportCommentInput
from schema.refs import ActivityArg, IdArg, resolve_ref
from schema.types import AnalyzedVideo, RunningSession, Session, session_type

__all__ = ["Mutation"]


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
        state = await writes.request_analyzed_video(upstream, ref)
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
        checked_title = check_title(title, "title")
        if checked_title is None and created_at is None:
            raise BadRequest("Pass `title`, `createdAt`, or both.", field="title")
        # NOT_FOUND for a session this caller can't see, or of another activity,
        # before anything changes.
        await writes.update_session(
            upstream_of(info), ref, title=checked_title, created_at=created_at
        )
        return session_type(ref)

    @strawberry.mutation(
        description="Delete a session and everything about it. Answers its global id."
    )
    async def delete_session(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> strawberry.ID:
        ref = resolve_ref(id, activity)
        await writes.delete_session(upstream_of(info), ref)
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
        await writes.set_report_comments(upstream_of(info), ref, updates)
        return RunningSession(ref=ref)

    @strawberry.mutation(description="Delete all of a running session's report comments.")
    async def delete_report_comments(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> RunningSession:
        ref = _running(id, activity)
        await writes.delete_report_comments(upstream_of(info), ref)
        return RunningSession(ref=ref)


def _running(id: str, activity: ActivityValue | None) -> SessionRef:
    ref = resolve_ref(id, activity)
    if ref.activity is not ActivityValue.RUNNING:
        raise BadRequest("Only running sessions have report comments.", field="id")
    return ref


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
