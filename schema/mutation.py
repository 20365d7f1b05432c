"""Root mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway.errors import BadRequest
from gateway.loaders import routes
from gateway.sessions import VideoState, analyzed_video_params, fetch_video_state, parse_video_body
from gateway.sessions import VideoStatus as VideoStatusValue
from schema.context import GatewayContext, upstream_of
from schema.query import ActivityArg, IdArg, resolve_ref
from schema.types import AnalyzedVideo

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
        try:
            body = await upstream.call(
                "POST",
                routes.ANALYZED_VIDEO,
                path_params={"session_id": ref.session_id},
                json=analyzed_video_params(ref.activity),
            )
            state = parse_video_body(body)
        except BadRequest as exc:
            if exc.upstream_status == 422:
                state = VideoState(VideoStatusValue.FAILED)
            elif exc.upstream_status == 400:
                # "Video already analyzed": the GET has its URL.
                state = await fetch_video_state(upstream, ref.activity, ref.session_id)
            else:
                raise
        watchers = info.context.services.watchers
        if watchers is not None:
            await watchers.wake(upstream.credential, ref.activity, ref.session_id, state)
        return AnalyzedVideo.of(state)
