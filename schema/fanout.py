"""Subscriptions carried on by their selection once their first event is out.

A dashboard's subscribers ask for the same few things. Each subscription is
an operation of its own while it starts: the size bound, the document cache,
trusted documents, the rate limit, its extensions' hooks, and its first event
(the state when it joined), executed for it alone. After that, a subscriber
whose selection is the same as others' (the same document, variables and
operation, the same API key, the same session: what :mod:`schema.shared_events`
shares an execution by) waits for the same events and gets the same bytes.
Here those subscribers stop being operations: each becomes a :class:`Carried`,
a few hundred bytes, in the :class:`Fanout` group of its selection, and its
operation ends (its task, generators, executor and extensions' state go).

A group is one task. It follows the session's watch (as one follower, not
one per subscriber: :meth:`gateway.watchers.ReadinessWatchers.follow`),
executes its selection once per change (through the same shared executions as
every other subscriber of it), encodes it once, and hands the bytes to each
member, :data:`SLICE` per turn of the event loop. Handing out never waits on a
member: the transport writes each member's frames on its own
(:meth:`Carried.send`), so one that doesn't read delays no other, and its
transport's own bound (graphql-transport-ws closes it with 4413) applies as
before. A final state, or the watch's end (an error), goes out and ends every
member.

What each subscription still has of its own: its place in its connection's
protocol (a ``complete`` from the client ends it, an id stays taken), its count
against the key's bound on subscriptions (:meth:`ReadinessWatchers.hold`), and
its telemetry: an extension that keeps something per subscription until its end
(:class:`schema.telemetry.TelemetryExtension`) hands it to the member at the
operation's end (``Offer.carried``), and the member tells it each event and the
end.

Only what is known to be the same for every member is carried on: a
subscription of one session (``analyzedVideo``), over a transport that asks for
it (:class:`Offer`; graphql-transport-ws), whose first event had no errors and
no extensions (the rate limit's ``cost`` is one), and whose selection can be
shared. Anything else keeps its own operation, as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import orjson
from graphql import ExecutionResult, GraphQLError
from strawberry.http import process_result
from strawberry.types import ExecutionResult as StrawberryResult

from gateway.errors import GatewayError, WatchFailed
from gateway.sessions import VideoState
from schema.extensions import report_errors
from schema.shared_events import shared_payload

if TYPE_CHECKING:
    from gateway.credentials import Credential
    from gateway.ids import Activity
    from gateway.watchers import ReadinessWatchers
    from gateway.watchers.registry import Following

__all__ = ["SLICE", "Carried", "Fanout", "Observer", "Offer", "Source", "offered"]

log = logging.getLogger(__name__)

# Members handed an event in one turn of the loop.
SLICE = 64


class Executor(Protocol):
    """A subscription's executor, as a group uses it (the gateway's is
    :class:`schema.execution.GatewayExecutionContext`)."""

    context_value: Any

    def build_per_event_executor(self, payload: Any) -> Any: ...


class Observer(Protocol):
    """What an extension keeps per subscription until its end (telemetry)."""

    def event(self, errors: int) -> None: ...

    def end(self, errors: list[GraphQLError] | None, data: Any) -> None: ...


class Source(NamedTuple):
    """The resolver's part of an offer: the watched session, the state its first
    event is about, and the event (root value) each later state makes."""

    watchers: ReadinessWatchers
    credential: Credential
    activity: Activity
    session_id: str
    state: VideoState
    event_of: Callable[[VideoState], object]


class Offer:
    """What one subscription operation offers to be carried on by, filled while
    its first event is executed: the session's watch and how to make its events
    (by the resolver, :attr:`source`), the subscription's executor and selection
    (by the executor, :meth:`execution`). Made by a transport that can carry
    subscriptions on, for each operation it runs (:func:`offered`)."""

    __slots__ = ("carried", "executor", "selection", "source")

    def __init__(self) -> None:
        self.source: Source | None = None
        self.executor: Executor | None = None
        self.selection: tuple[Hashable, ...] | None = None
        # Set once the transport has handed the subscription on.
        self.carried: Carried | None = None

    def execution(self, executor: Executor, selection: tuple[Hashable, ...]) -> None:
        """The executor's part: the subscription's executor, and its selection's key."""
        if self.executor is None:
            self.executor, self.selection = executor, selection


_offer: contextvars.ContextVar[Offer | None] = contextvars.ContextVar(
    "gateway_fanout_offer", default=None
)


def offered() -> contextvars.ContextVar[Offer | None]:
    """The running operation's offer, set by its transport (``None``: none)."""
    return _offer


class Carried:
    """One subscription carried on by its selection's group: the transport's
    subclass writes its frames (:meth:`send`) and ends it (:meth:`leave`)."""

    __slots__ = ("_ended", "_group", "_release", "last", "observers")

    def __init__(self) -> None:
        self.last: VideoState | None = None
        self.observers: tuple[Observer, ...] = ()
        self._group: _Group | None = None
        self._release: Callable[[], None] | None = None
        # (errors, data) of its last result, once it has ended.
        self._ended: tuple[list[GraphQLError] | None, Any] | None = None

    def send(self, payload: bytes, final: bool) -> None:
        """Write a ``next`` with ``payload``, encoded JSON (then, if ``final``, a
        ``complete``); without waiting for it to be written. Nothing more is
        written once it has left (:meth:`leave`)."""
        raise NotImplementedError

    def observe(self, observer: Observer) -> None:
        if self._ended is not None:
            observer.end(*self._ended)  # it ended before the operation did
            return
        self.observers = (*self.observers, observer)

    def leave(self) -> None:
        """The subscriber has gone (the client completed it, or disconnected)."""
        group = self._group
        if group is not None:
            group.leave(self)
        self._end(None, {})

    def _end(self, errors: list[GraphQLError] | None, data: Any) -> None:
        if self._ended is not None:
            return
        self._ended = (errors, data)
        if self._group is not None:
            self._group.carried.dec()
            self._group = None
        if self._release is not None:
            self._release()
        for observer in self.observers:
            observer.end(errors, data)


class Fanout:
    """Every group of this process, by selection and session."""

    def __init__(self) -> None:
        self._groups: dict[Hashable, _Group] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def carry(self, offer: Offer, result: Any, member: Carried) -> bool:
        """Hand the subscription on to its group, after its first event
        (``result``) has been sent; ``False``: it keeps its own operation."""
        source, executor, selection = offer.source, offer.executor, offer.selection
        if source is None or executor is None or selection is None:
            return False
        if getattr(result, "errors", None) or getattr(result, "extensions", None):
            return False
        watchers = source.watchers
        key = (*selection, source.activity, source.session_id)
        group = self._groups.get(key)
        if group is None:
            following = watchers.follow(
                source.credential, source.activity, source.session_id, source.state
            )
            if following is None:
                return False
            group = _Group(self, key, executor, source.event_of, following)
            self._groups[key] = group
        elif not group.follows_current(source.state):
            return False  # a change, or the watch's end, is on its way to its own stream
        member.last = source.state
        member._release = watchers.hold(source.credential)
        group.join(member)
        offer.carried = member
        return True

    def _gone(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]


class _Group:
    """One selection of one session: its members, and the task that serves them."""

    def __init__(
        self,
        fanout: Fanout,
        key: Hashable,
        executor: Executor,
        event_of: Callable[[VideoState], object],
        following: Following,
    ) -> None:
        self.key = key
        self._fanout = fanout
        self._executor = executor
        self._event_of = event_of
        self._following = following
        self.members: dict[Carried, None] = {}
        self.carried = executor.context_value.services.metrics.subscriptions_carried
        # In a context of its own: not that of the subscriber who made it.
        self._task = asyncio.create_task(self._run(), context=contextvars.Context())
        # Also when it is cancelled before it ever ran.
        self._task.add_done_callback(self._done)

    def join(self, member: Carried) -> None:
        member._group = self
        self.members[member] = None
        self.carried.inc()

    def follows_current(self, known: VideoState) -> bool:
        """Whether a subscriber whose last event was about ``known`` may join."""
        return self._following.is_current(known)

    def leave(self, member: Carried) -> None:
        self.members.pop(member, None)
        if not self.members:
            # No one may join it from now on: a newcomer starts a group anew.
            self._fanout._gone(self)
            self._task.cancel()

    async def _run(self) -> None:
        try:
            async for state in self._following.changes():
                if state.final:
                    self._fanout._gone(self)  # no one joins what is ending
                result = await self._execute(state)
                await self._hand_out(state, result, state.final)
        except GatewayError as exc:
            # The watch has ended (access lost, the broker gone, shutdown).
            self._fanout._gone(self)
            await self._hand_out(None, _failed(exc), True)

    async def _execute(self, state: VideoState) -> ExecutionResult:
        executor = self._executor.build_per_event_executor(self._event_of(state))
        result: Any = executor.execute_operation(False)
        if executor.is_awaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    async def _hand_out(
        self, state: VideoState | None, result: ExecutionResult, final: bool
    ) -> None:
        errors = result.errors
        payload = self._encoded(result)
        count = len(errors or ())
        sent = 0
        for member in list(self.members):
            # A member that joined with this state already has it.
            if member._ended is not None or (state is not None and member.last == state):
                continue
            member.last = state
            member.send(payload, final)
            for observer in member.observers:
                observer.event(count)
            if final:
                self.members.pop(member, None)
                member._end(errors, result.data)
            sent += 1
            if sent % SLICE == 0:
                await asyncio.sleep(0)
        if sent > 1:
            # The execution counted itself once: the others got the same result.
            metrics = self._executor.context_value.services.metrics
            metrics.labelled(metrics.subscription_events, "shared").inc(sent - 1)

    def _encoded(self, result: ExecutionResult) -> bytes:
        """A result's ``next`` payload, once for every member: its errors settled
        and counted, its bytes shared with other subscribers' where they can be."""
        context = self._executor.context_value
        if result.errors:
            report_errors(result.errors, context)
        payload = shared_payload(result, context.services.settings.max_response_bytes)
        if payload is None:  # errors, or past the bound (the transport refuses it)
            answer = StrawberryResult(data=result.data, errors=result.errors)
            payload = orjson.dumps(process_result(answer))
        return payload

    def _done(self, task: asyncio.Task[None]) -> None:
        self._following.close()
        self._fanout._gone(self)
        members = list(self.members)
        self.members.clear()
        if task.cancelled():
            # Only an empty group is cancelled, or every task as the loop stops.
            for member in members:
                member._end(None, {})
            return
        if not members:
            return
        # Members left without their end (a bug): each is told, not left waiting.
        exc = task.exception()
        if exc is not None:
            log.error("a subscription group failed", exc_info=exc)
        result = _failed(WatchFailed("Watching this session failed; subscribe again."))
        payload = self._encoded(result)
        for member in members:
            member.send(payload, True)
            member._end(result.errors, None)


def _failed(exc: GatewayError) -> ExecutionResult:
    """The result a subscription ends with when its watch does: as Strawberry
    makes one of an exception raised by a subscription's stream."""
    return ExecutionResult(None, [GraphQLError(exc.message, original_error=exc)])
