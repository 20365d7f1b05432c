"""Root subscriptions: push when an analyzed video becomes ready."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, aclosing
from typing import Annotated, TypeVar, cast

import strawberry

from gateway.errors import BadRequest
from gateway.ids import encode_global_id
from gateway.sessions import SessionRef, VideoState
from gateway.watchers import ReadinessWatchers
from schema.context import Ctx
from schema.fanout import Source, offered
from schema.refs import ActivityArg, IdArg, resolve_ref
from schema.types import Session, VideoStatus, session_type

__all__ = ["AnalyzedVideoEvent", "Subscription"]

T = TypeVar("T")


@strawberry.type(description="A change in a session's analyzed video.")
class AnalyzedVideoEvent:
    session_id: str = strawberry.field(description="The upstream's session id.")
    id: strawberry.ID = strawberry.field(description="The session's global id.")
    status: VideoStatus = strawberry.field(description="The video's status now.")  # type: ignore[valid-type]
    url: str | None = strawberry.field(description="The analyzed video's URL, once READY.")
    ref: strawberry.Private[SessionRef]
    state: strawberry.Private[VideoState]
    # A change handed to every subscriber of the watch at once, whose result
    # they share; not a subscriber's first event, the state when it joined.
    shared: strawberry.Private[bool] = False

    @strawberry.field(
        description=(
            "The session itself, so that a normalized client cache (Apollo, urql's "
            "graphcache) updates the session it holds. `id` and `analyzedVideo` come "
            "from this event and cost no upstream call; other fields are fetched."
        )
    )
    def session(self) -> Session:
        return session_type(self.ref, known_video=self.state)

    def sharing(self) -> tuple[VideoState, tuple[str, str]] | None:
        """How this event's result is shared (schema.shared_events): by its state, the
        object every subscriber of the watch gets, and by which session it is about;
        ``None``: executed for this subscriber alone."""
        if not self.shared:
            return None
        return self.state, (self.ref.activity.value, self.ref.session_id)

    @classmethod
    def of(cls, ref: SessionRef, state: VideoState, *, shared: bool = False) -> AnalyzedVideoEvent:
        return cls(
            session_id=ref.session_id,
            id=strawberry.ID(encode_global_id(ref.activity, ref.session_id)),
            status=state.status,
            url=state.url,
            ref=ref,
            state=state,
            shared=shared,
        )


def _watchers(info: Ctx) -> ReadinessWatchers:
    return info.context.services.watchers


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "The session's analyzed-video status: the current one at once, then each "
            "change; completes after READY (with the URL) or FAILED."
        )
    )
    async def analyzed_video(
        self, info: Ctx, id: IdArg, activity: ActivityArg = None
    ) -> AsyncGenerator[AnalyzedVideoEvent, None]:
        ref = resolve_ref(id, activity)
        credential = info.context.require_credential()
        watchers = _watchers(info)
        # Where the transport can carry the subscription on after its first
        # event, one group per selection serves the later ones (schema.fanout).
        offer = offered().get()
        async with watchers.watch(credential, ref.activity, ref.session_id) as states:
            first = True
            async for state in states:
                if first and offer is not None:
                    event_of = functools.partial(AnalyzedVideoEvent.of, ref, shared=True)
                    offer.source = Source(
                        watchers, credential, ref.activity, ref.session_id, state, event_of
                    )
                yield AnalyzedVideoEvent.of(ref, state, shared=not first)
                first = False

    @strawberry.subscription(
        description=(
            "Several sessions on one subscription, for dashboards: each one's current "
            "status at once, then every change; completes when all are READY or FAILED."
        )
    )
    async def analyzed_videos(
        self,
        info: Ctx,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global session ids.")],
    ) -> AsyncGenerator[AnalyzedVideoEvent, None]:
        watchers = _watchers(info)
        limit = watchers.policy.max_ids_per_subscription
        if not ids or len(ids) > limit:
            raise BadRequest(f"Watch between 1 and {limit} sessions at once.", field="ids")
        refs = list({ref.session_id: ref for ref in (resolve_ref(i, None) for i in ids)}.values())
        credential = info.context.require_credential()
        async with AsyncExitStack() as stack:
            # Open every watch first, concurrently: an id the caller can't see
            # fails the subscription before anything is streamed.
            streams = await _enter_all(
                stack, [watchers.watch(credential, ref.activity, ref.session_id) for ref in refs]
            )
            # Closed (its pumps stopped) before the watches are left.
            merged = _merge(list(zip(refs, streams, strict=True)))
            seen: set[str] = set()  # sessions whose first event has gone out
            async with aclosing(merged):
                async for ref, state in merged:
                    yield AnalyzedVideoEvent.of(ref, state, shared=ref.session_id in seen)
                    seen.add(ref.session_id)


async def _enter_all(
    stack: AsyncExitStack, managers: list[AbstractAsyncContextManager[T]]
) -> list[T]:
    """Enter context managers concurrently; each one entered is exited with the
    stack, also when another failed to enter (then the first failure is raised)."""
    results = await asyncio.gather(*(m.__aenter__() for m in managers), return_exceptions=True)
    for manager, result in zip(managers, results, strict=True):
        if not isinstance(result, BaseException):
            stack.push_async_exit(manager)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return cast(list[T], results)


async def _merge(
    streams: list[tuple[SessionRef, AsyncIterator[VideoState]]],
) -> AsyncGenerator[tuple[SessionRef, VideoState], None]:
    """Interleave several state streams as events arrive; ends when all have ended."""
    queue: asyncio.Queue[tuple[SessionRef, VideoState] | Exception | None] = asyncio.Queue()

    async def pump(ref: SessionRef, stream: AsyncIterator[VideoState]) -> None:
        try:
            async for state in stream:
                await queue.put((ref, state))
        except Exception as exc:
            await queue.put(exc)
        finally:
            await queue.put(None)

    tasks = [asyncio.create_task(pump(ref, stream)) for ref, stream in streams]
    try:
        remaining = len(tasks)
        while remaining:
            item = await queue.get()
            if item is None:
                remaining -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
