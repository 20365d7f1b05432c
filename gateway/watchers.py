"""Readiness watchers: the upstream has no push, so the gateway polls, once.

One :class:`_Watch` exists per (credential, activity, session) in a process,
shared by all of that process's subscribers to it. Across replicas, a lease in
the broker elects one poller; it publishes each change on the watch's channel,
and every replica's watch (the poller's included) hands the events to its
local subscribers. A replica that isn't polling keeps trying the lease, so
when the poller dies another takes over once the lease expires.

Channels and keys are named with ``Credential.shared_id``: the broker never
sees a key, and events learned with one key reach only that key's
subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from gateway.broker import Broker, BrokerUnavailable, Subscription
from gateway.config import WatchPolicy
from gateway.credentials import Credential
from gateway.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    LimitExceeded,
    NotFound,
    Unauthenticated,
    UpstreamBadResponse,
    UpstreamUnavailable,
)
from gateway.model import Activity
from gateway.sessions import VideoState, VideoStatus, check_video_state, read_video_state
from gateway.upstream import UpstreamClient

if TYPE_CHECKING:
    from gateway.metrics import Metrics

__all__ = ["ReadinessWatchers", "SubscriptionClosing", "WatchFailed"]

log = logging.getLogger("gateway.watchers")

# Errors that end a watch: the caller lost access, or the session is gone.
_FATAL = (Unauthenticated, Forbidden, NotFound, BadRequest)
_ERRORS: dict[str, type[GatewayError]] = {
    cls.code: cls for cls in (Unauthenticated, Forbidden, NotFound, BadRequest)
}
# At most this many watches prove access and learn their state at once: a
# dashboard subscribing to hundreds of sessions must not starve the loop.
_CONCURRENT_STARTS = 16
# While the analyzed-video endpoint answers 404, every this many polls also
# read the details, to tell a video still processing from a deleted session.
_CONFIRM_EVERY = 4


class SubscriptionClosing(GatewayError):
    code = "SHUTTING_DOWN"


class WatchFailed(GatewayError):
    """The watch broke for a reason of the gateway's own; subscribe again."""

    code = "INTERNAL"


@dataclass(frozen=True, slots=True)
class _Key:
    shared: str  # Credential.shared_id: the same on every replica
    activity: Activity
    session_id: str

    def _name(self, kind: str) -> str:
        return f"gateway:{kind}:{self.shared}:{self.activity.value}:{self.session_id}"

    @property
    def channel(self) -> str:
        return self._name("video")

    @property
    def lease(self) -> str:
        return self._name("lease")

    @property
    def state(self) -> str:
        return self._name("state")


def _encode_state(state: VideoState) -> bytes:
    return orjson.dumps({"kind": "state", "status": state.status.value, "url": state.url})


def _decode_state(raw: dict[str, Any]) -> VideoState:
    return VideoState(VideoStatus(raw["status"]), raw.get("url"))


class _Watch:
    def __init__(self, registry: ReadinessWatchers, key: _Key, credential: Credential) -> None:
        self.registry = registry
        self.key = key
        self.credential = credential
        self.state: VideoState | None = None
        # Set once the watch can tell nothing more (access lost, broker gone,
        # a bug): later subscribers get it too, not a stale state.
        self.failure: GatewayError | None = None
        self.queues: set[asyncio.Queue[VideoState | GatewayError]] = set()
        # Leases are held per watch: an old watch stopping must not release
        # the lease a newer one on this replica has taken.
        self.owner = f"{registry.replica_id}:{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stack = AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._started: asyncio.Task[None] | None = None
        self._not_found_polls = 0

    async def start(self) -> None:
        """Listen on the channel, learn the current state, start the poll loop.

        Runs once per watch; concurrent first subscribers await the same start.
        """
        if self._started is None:
            self._started = asyncio.create_task(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        registry = self.registry
        subscription: Subscription = await self._stack.enter_async_context(
            registry.broker.subscribe(self.key.channel)
        )
        self._spawn(self._listen(subscription))
        cached = await registry.broker.get_state(self.key.state)
        known = _decode_state(orjson.loads(cached)) if cached is not None else None
        if known is not None and not known.final:
            # A poller (here or on another replica) is running and keeps it fresh.
            self.state = known
        else:
            # Nothing polls a final state any more, and the upstream may have
            # started over (a video processed again): ask it, don't replay.
            # Also proves the caller may see this session, of this activity:
            # an unknown session or a bad key fails here, before anything is
            # streamed.
            async with registry.starts:
                self.state = await check_video_state(
                    registry.client, self.credential, self.key.activity, self.key.session_id
                )
            await registry.broker.set_state(
                self.key.state, _encode_state(self.state), registry.policy.state_ttl
            )
        if not self.state.final:
            self._spawn(self._poll())

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        log.error("readiness watch failed", exc_info=task.exception())
        self._deliver(WatchFailed("Watching this session failed; subscribe again."))

    async def stop(self) -> None:
        # The start first: it may still be adding tasks. ``gather`` collects
        # the tasks' own cancellations but lets a cancellation of ours through.
        if self._started is not None and not self._started.done():
            self._started.cancel()
            await asyncio.gather(self._started, return_exceptions=True)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with suppress(Exception):
            await self.registry.broker.release_lease(self.key.lease, self.owner)
        with suppress(Exception):
            await self._stack.aclose()

    def wake(self) -> None:
        self._wake.set()

    def _deliver(self, item: VideoState | GatewayError) -> None:
        if isinstance(item, VideoState):
            self.state = item
        else:
            self.failure = item
        for queue in self.queues:
            queue.put_nowait(item)

    async def _listen(self, subscription: Subscription) -> None:
        try:
            async for raw in subscription:
                try:
                    message = orjson.loads(raw)
                    kind = message.get("kind")
                    if kind == "state":
                        self._deliver(_decode_state(message))
                    elif kind == "wake":
                        self.wake()
                    elif kind == "error":
                        error_type = _ERRORS.get(message.get("code"), UpstreamBadResponse)
                        self._deliver(error_type(str(message.get("message"))))
                except (ValueError, KeyError, TypeError, AttributeError):
                    # Not ours, or from another version: skip it, keep listening.
                    log.warning("skipped a malformed event on a readiness channel")
        except BrokerUnavailable as exc:
            self._deliver(exc)

    async def _poll(self) -> None:
        policy = self.registry.policy
        broker = self.registry.broker
        delay = policy.start
        while True:
            try:
                holder = await broker.acquire_lease(self.key.lease, self.owner, policy.lease_ttl)
            except BrokerUnavailable:
                holder = False
            if holder:
                if await self._poll_once():
                    return
                wait = delay
                delay = min(delay * policy.factor, policy.cap)
            else:
                # Someone else polls; try again in a while, to take over if
                # the holder dies and its lease runs out.
                wait = policy.lease_ttl / 4
            if await self._sleep(wait, holder):
                delay = policy.start

    async def _poll_once(self) -> bool:
        """One upstream poll; ``True`` when the watch has reached its end."""
        registry = self.registry
        registry.polls += 1
        if registry.metrics is not None:
            registry.metrics.polls.inc()
        try:
            # Within half the lease, so that no other replica takes over
            # while this poll is still waiting for the upstream. (Not
            # ``wait_for``: before Python 3.12 it can swallow a cancellation
            # that lands as the call completes, and the loop would go on.)
            async with asyncio.timeout(registry.policy.lease_ttl / 2):
                state = await self._read()
        except (UpstreamUnavailable, UpstreamBadResponse, TimeoutError) as exc:
            log.warning("poll of a session failed, will retry: %s", type(exc).__name__)
            return False
        except _FATAL as exc:
            await self._publish({"kind": "error", "code": exc.code, "message": exc.message})
            return True
        if state != self.state:
            await self._publish(orjson.loads(_encode_state(state)))
            with suppress(BrokerUnavailable):
                await registry.broker.set_state(
                    self.key.state, _encode_state(state), registry.policy.state_ttl
                )
        if state.final:
            with suppress(BrokerUnavailable):
                await registry.broker.release_lease(self.key.lease, self.owner)
            return True
        return False

    async def _read(self) -> VideoState:
        """The state now. Some upstreams answer 404 while the video is processing,
        which can't tell "not ready" from "session deleted": every few such
        answers, the details decide (their 404 ends the watch)."""
        registry, key = self.registry, self.key
        try:
            return await read_video_state(
                registry.client, self.credential, key.activity, key.session_id
            )
        except NotFound:
            self._not_found_polls += 1
            if self._not_found_polls % _CONFIRM_EVERY:
                return VideoState(VideoStatus.PROCESSING)
            return await check_video_state(
                registry.client, self.credential, key.activity, key.session_id
            )

    async def _publish(self, message: dict[str, Any]) -> None:
        try:
            await self.registry.broker.publish(self.key.channel, orjson.dumps(message))
        except BrokerUnavailable as exc:
            self._deliver(exc)

    async def _sleep(self, seconds: float, holder: bool) -> bool:
        """Wait, renewing our lease meanwhile; ``True`` if woken early."""
        policy = self.registry.policy
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(min(remaining, policy.lease_ttl / 3)):
                    await self._wake.wait()
                self._wake.clear()
                return True
            except TimeoutError:
                if holder:
                    with suppress(BrokerUnavailable):
                        await self.registry.broker.acquire_lease(
                            self.key.lease, self.owner, policy.lease_ttl
                        )
        return False


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
        self._watches: dict[_Key, _Watch] = {}
        self._per_credential: Counter[str] = Counter()
        self._subscribers_per_credential: Counter[str] = Counter()

    @property
    def active(self) -> int:
        return len(self._watches)

    def _key(self, credential: Credential, activity: Activity, session_id: str) -> _Key:
        return _Key(credential.shared_id(self._secret), activity, session_id)

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
        if watch is not None and watch.failure is not None:
            # A broken watch serves no one new: its subscribers are leaving.
            self._forget(watch)
            watch = None
        if watch is None:
            if self._per_credential[key.shared] >= self.policy.max_per_credential:
                raise LimitExceeded(
                    f"At most {self.policy.max_per_credential} sessions can be watched per API key."
                )
            watch = _Watch(self, key, credential)
            self._watches[key] = watch
            self._per_credential[key.shared] += 1
            self._count()
        queue: asyncio.Queue[VideoState | GatewayError] = asyncio.Queue()
        watch.queues.add(queue)
        self._subscribers_per_credential[key.shared] += 1
        try:
            await watch.start()
            yield self._stream(watch, queue)
        finally:
            watch.queues.discard(queue)
            self._subscribers_per_credential[key.shared] -= 1
            if not watch.queues:
                self._forget(watch)
                await watch.stop()

    def _forget(self, watch: _Watch) -> None:
        if self._watches.get(watch.key) is watch:
            del self._watches[watch.key]
            self._per_credential[watch.key.shared] -= 1
            self._count()

    def _count(self) -> None:
        if self.metrics is not None:
            self.metrics.watchers_active.set(len(self._watches))

    async def _stream(
        self, watch: _Watch, queue: asyncio.Queue[VideoState | GatewayError]
    ) -> AsyncIterator[VideoState]:
        if watch.failure is not None:
            raise watch.failure
        last = watch.state
        assert last is not None  # set by start()
        yield last
        while not last.final:
            item = await queue.get()
            if isinstance(item, GatewayError):
                raise item
            if item != last:
                last = item
                yield item

    async def wake(
        self, credential: Credential, activity: Activity, session_id: str, state: VideoState
    ) -> None:
        """Poll now (e.g. after a mutation asked the upstream to generate the video)."""
        key = self._key(credential, activity, session_id)
        try:
            if state.final:
                await self.broker.publish(key.channel, _encode_state(state))
            await self.broker.publish(key.channel, orjson.dumps({"kind": "wake"}))
        except BrokerUnavailable:
            watch = self._watches.get(key)
            if watch is not None:
                watch.wake()

    async def aclose(self) -> None:
        watches = list(self._watches.values())
        self._watches.clear()
        self._count()
        for watch in watches:
            watch._deliver(SubscriptionClosing("The gateway is shutting down."))
        await asyncio.gather(*(w.stop() for w in watches), return_exceptions=True)
