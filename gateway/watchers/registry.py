"""Who watches what in this process, and each watch's fan-out to its subscribers.

One watch exists per (credential, activity, session) in a process, shared by
all of that process's subscribers to it, and bounded per credential. A watch
listens on its broker channel (events from whichever replica polls) and hands
each event to its local subscribers' mailboxes; its poller
(:mod:`gateway.watchers.poller`) asks the upstream, and reports its polls and
its local failures back through the callbacks the registry gives it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

from gateway.broker import Broker, BrokerUnavailable, Subscription
from gateway.config import WatchPolicy
from gateway.credentials import Credential
from gateway.errors import GatewayError, LimitExceeded, SubscriptionClosing, WatchFailed
from gateway.ids import Activity
from gateway.sessions import VideoState
from gateway.upstream.client import UpstreamClient
from gateway.watchers import events
from gateway.watchers.events import WatchKey
from gateway.watchers.mailbox import Mailbox, Outbox
from gateway.watchers.poller import Poller

if TYPE_CHECKING:
    from gateway.metrics import Metrics

__all__ = ["ReadinessWatchers"]

log = logging.getLogger(__name__)

# At most this many watches prove access and learn their state at once: a
# dashboard subscribing to hundreds of sessions must not starve the loop.
_CONCURRENT_STARTS = 16


class _Watch:
    """One watched session in this process: its last state, and its subscribers."""

    def __init__(
        self, key: WatchKey, broker: Broker, poller: Callable[..., Poller], state_ttl: float
    ) -> None:
        self.key = key
        self.state: VideoState | None = None
        # Set once the watch can tell nothing more (access lost, broker gone,
        # a bug): later subscribers get it too, not a stale state.
        self.failure: GatewayError | None = None
        # Its poller compares with the state last handed out, hands out what
        # only this replica's subscribers must see (the broker is gone), and
        # says when the upstream has just confirmed the state.
        self.poller = poller(known=lambda: self.state, failed=self.deliver, confirmed=self._fresh)
        self.mailboxes: set[Mailbox] = set()
        self._outbox = Outbox()
        self._broker = broker
        self._stack = AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._started: asyncio.Task[None] | None = None
        # Until when (loop time) ``state`` may be handed to a joiner as it is.
        self._state_ttl = state_ttl
        self._fresh_until = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> None:
        """Listen on the channel, learn the current state, start the poller.

        Runs once per watch; concurrent first subscribers await the same start.
        """
        if self._started is None:
            self._started = asyncio.create_task(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        subscription: Subscription = await self._stack.enter_async_context(
            self._broker.subscribe(self.key.channel)
        )
        self._spawn(self._listen(subscription))
        self.state = await self.poller.first_state()
        if not self.state.final:
            self._spawn(self.poller.run())

    def live_at(self, known: VideoState) -> bool:
        """Not broken, and at ``known``, a state that isn't final: one who has
        ``known`` misses nothing by following it from now on."""
        return self.failure is None and self.state == known and not known.final

    def ended(self) -> bool:
        """Final, and no longer fresh: what it knows may have changed since."""
        return (
            self.state is not None
            and self.state.final
            and asyncio.get_running_loop().time() >= self._fresh_until
        )

    def _fresh(self) -> None:
        self._fresh_until = asyncio.get_running_loop().time() + self._state_ttl

    async def current(self) -> None:
        """Make ``state`` fresh for a joiner: as it is within the state's time to
        live, else read again, once for every joiner waiting meanwhile."""
        if self.failure is not None or asyncio.get_running_loop().time() < self._fresh_until:
            return
        if self._refreshing is None:
            self._refreshing = asyncio.create_task(self._refresh())
            self._refreshing.add_done_callback(self._refreshed)
        await asyncio.shield(self._refreshing)

    async def _refresh(self) -> None:
        state = await self.poller.refresh()
        if state is not None and state != self.state:
            # Its subscribers (and the joiner) need not wait for the broker's echo.
            self.deliver(state)

    def _refreshed(self, task: asyncio.Task[None]) -> None:
        self._refreshing = None
        if not task.cancelled():
            task.exception()  # the joiners that awaited it got it; retrieved here

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        log.error("readiness watch failed", exc_info=task.exception())
        self.deliver(WatchFailed("Watching this session failed; subscribe again."))

    async def stop(self) -> None:
        if self._stopped:
            return  # its last subscriber and its last follower may both stop it
        self._stopped = True
        # The start first: it may still be adding tasks. ``gather`` collects
        # the tasks' own cancellations but lets a cancellation of ours through.
        if self._started is not None and not self._started.done():
            self._started.cancel()
            await asyncio.gather(self._started, return_exceptions=True)
        tasks = list(self._tasks)
        if self._refreshing is not None:
            tasks.append(self._refreshing)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with suppress(Exception):
            await self.poller.release()
        with suppress(Exception):
            await self._stack.aclose()

    def deliver(self, item: VideoState | GatewayError) -> None:
        """Hand a state or the watch's end to every subscriber in this process."""
        if isinstance(item, VideoState):
            # From a poll just made, here or on another replica.
            self.state = item
            self._fresh()
        else:
            self.failure = item
        self._outbox.hand_out(self.mailboxes, item)

    async def _listen(self, subscription: Subscription) -> None:
        try:
            async for raw in subscription:
                try:
                    event = events.decode(raw)
                except events.MalformedEvent:
                    # Not ours, or from another version: skip it, keep listening.
                    log.warning("skipped a malformed event on a readiness channel")
                    continue
                if isinstance(event, events.Wake):
                    self.poller.wake()
                elif event is not None:
                    self.deliver(event)
        except BrokerUnavailable as exc:
            self.deliver(exc)


class ReadinessWatchers:
    """Every watch of this process; owned by the app lifespan."""

    def __init__(
        self,
        client: UpstreamClient,
        broker: Broker,
        policy: WatchPolicy,
        *,
        secret: bytes,
        replica_id: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.client = client
        self.broker = broker
        self.policy = policy
        self.replica_id = replica_id or uuid.uuid4().hex
        self.polls = 0
        self.starts = asyncio.Semaphore(_CONCURRENT_STARTS)
        self._secret = secret
        self._watches: dict[WatchKey, _Watch] = {}
        self._per_credential: Counter[str] = Counter()
        self._subscribers_per_credential: Counter[str] = Counter()
        # Watches being stopped after their last follower left.
        self._stopping: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """Sessions watched in this process."""
        return len(self._watches)

    def _key(self, credential: Credential, activity: Activity, session_id: str) -> WatchKey:
        return WatchKey(credential.shared_id(self._secret), activity, session_id)

    @asynccontextmanager
    async def watch(
        self, credential: Credential, activity: Activity, session_id: str
    ) -> AsyncIterator[AsyncIterator[VideoState]]:
        """The session's state now, then each change, until a final state."""
        key = self._key(credential, activity, session_id)
        if (
            self._subscribers_per_credential[key.shared]
            >= self.policy.max_subscriptions_per_credential
        ):
            raise LimitExceeded(
                f"At most {self.policy.max_subscriptions_per_credential} subscriptions per API key."
            )
        watch = self._watches.get(key)
        if watch is not None and (watch.failure is not None or watch.ended()):
            # A broken watch serves no one new: its subscribers are leaving.
            # Nor does one whose final state is no longer fresh: nothing polls
            # it any more, and the upstream may have started over.
            self._forget(watch)
            watch = None
        if watch is None:
            if self._per_credential[key.shared] >= self.policy.max_per_credential:
                raise LimitExceeded(
                    f"At most {self.policy.max_per_credential} sessions can be watched per API key."
                )
            watch = self._new_watch(key, credential)
            self._watches[key] = watch
            self._per_credential[key.shared] += 1
            self._count()
        mailbox = Mailbox()
        watch.mailboxes.add(mailbox)
        self._subscribers_per_credential[key.shared] += 1
        stream = self._stream(watch, mailbox)
        try:
            # Those who start the watch (or wait for its start) get the state
            # it has just learnt; later joiners, a fresh one.
            starting = watch.state is None
            await watch.start()
            if not starting:
                await watch.current()
            yield stream
        finally:
            try:
                # Closed here, not left to the garbage collector's finalizer;
                # unless its reader is still inside it (then its end closes it).
                with suppress(RuntimeError):
                    await stream.aclose()
            finally:
                watch.mailboxes.discard(mailbox)
                self._subscribers_per_credential[key.shared] -= 1
                if not watch.mailboxes:
                    self._forget(watch)
                    await watch.stop()

    def _new_watch(self, key: WatchKey, credential: Credential) -> _Watch:
        poller = functools.partial(
            Poller,
            self.client,
            self.broker,
            self.policy,
            key,
            credential,
            replica_id=self.replica_id,
            starts=self.starts,
            polled=self._polled,
        )
        return _Watch(key, self.broker, poller, self.policy.state_ttl)

    def _polled(self) -> None:
        self.polls += 1
        if self.metrics is not None:
            self.metrics.polls.inc()

    def _forget(self, watch: _Watch) -> None:
        if self._watches.get(watch.key) is watch:
            del self._watches[watch.key]
            self._per_credential[watch.key.shared] -= 1
            self._count()

    def _count(self) -> None:
        if self.metrics is not None:
            self.metrics.watchers_active.set(len(self._watches))

    async def _stream(self, watch: _Watch, mailbox: Mailbox) -> AsyncGenerator[VideoState, None]:
        if watch.failure is not None:
            raise watch.failure
        last = watch.state
        assert last is not None  # set by start()
        yield last
        async for state in _changes(mailbox, last):
            yield state

    def follow(
        self, credential: Credential, activity: Activity, session_id: str, known: VideoState
    ) -> Following | None:
        """Each change after ``known``, for one who stands for subscribers that
        already have it (:mod:`schema.fanout`): the live watch's, from now on.

        ``None`` unless the watch is live and its state is still ``known``: a
        change since, or the watch's end, is then on its way to the subscribers'
        own streams. Neither started nor refreshed, and not counted against the
        key's bound: the subscribers it stands for count (:meth:`hold`)."""
        watch = self._watches.get(self._key(credential, activity, session_id))
        if watch is None or not watch.live_at(known):
            return None
        mailbox = Mailbox()
        watch.mailboxes.add(mailbox)
        return Following(self, watch, mailbox, known)

    def hold(self, credential: Credential) -> Callable[[], None]:
        """Count a subscriber against its key's bound, as :meth:`watch` does while
        it is inside; until the returned release is called (once)."""
        shared = credential.shared_id(self._secret)
        self._subscribers_per_credential[shared] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                _decrement(self._subscribers_per_credential, shared)

        return release

    def _left(self, watch: _Watch, mailbox: Mailbox) -> None:
        """A follower has gone: the watch stops once no one is left (in a task:
        this is called where nothing can be awaited), also one a newer watch of
        the session has replaced meanwhile."""
        watch.mailboxes.discard(mailbox)
        if not watch.mailboxes:
            self._forget(watch)
            task = asyncio.create_task(watch.stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def wake(
        self, credential: Credential, activity: Activity, session_id: str, state: VideoState
    ) -> None:
        """Poll now (e.g. after a mutation asked the upstream to generate the video)."""
        key = self._key(credential, activity, session_id)
        try:
            if state.final:
                await self.broker.publish(key.channel, events.encode(state))
            await self.broker.publish(key.channel, events.encode(events.WAKE))
        except BrokerUnavailable:
            watch = self._watches.get(key)
            if watch is not None:
                watch.poller.wake()

    async def aclose(self) -> None:
        watches = list(self._watches.values())
        self._watches.clear()
        self._count()
        for watch in watches:
            watch.deliver(SubscriptionClosing("The gateway is shutting down."))
        await asyncio.gather(*(w.stop() for w in watches), *self._stopping, return_exceptions=True)


class Following:
    """One follower's place in a live watch (:meth:`ReadinessWatchers.follow`):
    its changes, and :meth:`close`, which can be called from anywhere, once or
    more, and must be: it is what lets the watch stop."""

    __slots__ = ("_closed", "_known", "_mailbox", "_registry", "_watch")

    def __init__(
        self, registry: ReadinessWatchers, watch: _Watch, mailbox: Mailbox, known: VideoState
    ) -> None:
        self._registry = registry
        self._watch = watch
        self._mailbox = mailbox
        self._known = known
        self._closed = False

    def is_current(self, known: VideoState) -> bool:
        """Whether the watch followed is still the session's, live, at ``known``."""
        watch = self._watch
        return (
            not self._closed
            and self._registry._watches.get(watch.key) is watch
            and watch.live_at(known)
        )

    def changes(self) -> AsyncIterator[VideoState]:
        """Each state after the known one, until a final state; a watch's end
        (access lost, the broker gone, shutdown) is raised."""
        return _changes(self._mailbox, self._known)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._registry._left(self._watch, self._mailbox)


async def _changes(mailbox: Mailbox, last: VideoState) -> AsyncGenerator[VideoState, None]:
    while not last.final:
        item = await mailbox.get()
        if isinstance(item, GatewayError):
            raise item
        if item != last:
            last = item
            yield item


def _decrement(counter: Counter[str], name: str) -> None:
    counter[name] -= 1
    if counter[name] <= 0:
        del counter[name]
