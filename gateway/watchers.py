"""Readiness watchers: the upstream has no push, so the gateway polls, once.

One :class:`_Watch` exists per (credential, session) in a process, shared by
all of that process's subscribers to the pair. Across replicas, a lease in
the broker elects one poller per pair; it publishes each change on the
pair's channel, and every replica's watch (the poller's included) hands the
events to its local subscribers. A replica that isn't polling keeps trying
the lease, so when the poller dies another takes over once the lease expires.

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
from typing import Any

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
from gateway.sessions import VideoState, VideoStatus, read_video_state
from gateway.upstream import UpstreamClient

__all__ = ["ReadinessWatchers", "SubscriptionClosing"]

log = logging.getLogger("gateway.watchers")

# Errors that end a watch: the caller lost access, or the session is gone.
_FATAL = (Unauthenticated, Forbidden, NotFound, BadRequest)
_ERRORS: dict[str, type[GatewayError]] = {
    cls.code: cls for cls in (Unauthenticated, Forbidden, NotFound, BadRequest)
}


class SubscriptionClosing(GatewayError):
    code = "SHUTTING_DOWN"


@dataclass(frozen=True, slots=True)
class _Key:
    shared: str  # Credential.shared_id: the same on every replica
    session_id: str

    @property
    def channel(self) -> str:
        return f"gateway:video:{self.shared}:{self.session_id}"

    @property
    def lease(self) -> str:
        return f"gateway:lease:{self.shared}:{self.session_id}"

    @property
    def state(self) -> str:
        return f"gateway:state:{self.shared}:{self.session_id}"


def _encode_state(state: VideoState) -> bytes:
    return orjson.dumps({"kind": "state", "status": state.status.value, "url": state.url})


def _decode_state(raw: dict[str, Any]) -> VideoState:
    return VideoState(VideoStatus(raw["status"]), raw.get("url"))


class _Watch:
    def __init__(
        self,
        registry: ReadinessWatchers,
        key: _Key,
        credential: Credential,
        activity: Activity,
        session_id: str,
    ) -> None:
        self.registry = registry
        self.key = key
        self.credential = credential
        self.activity = activity
        self.session_id = session_id
        self.state: VideoState | None = None
        self.queues: set[asyncio.Queue[VideoState | GatewayError]] = set()
        self._wake = asyncio.Event()
        self._stack = AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._started: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen on the channel, learn the current state, start the poll loop.

        Runs once per watch; concurrent first subscribers await the same start.
        """
        if self._started is None:
            self._started = asyncio.create_task(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        broker = self.registry.broker
        subscription: Subscription = await self._stack.enter_async_context(
            broker.subscribe(self.key.channel)
        )
        self._tasks.append(asyncio.create_task(self._listen(subscription)))
        cached = await broker.get_state(self.key.state)
        if cached is not None:
            self.state = _decode_state(orjson.loads(cached))
        else:
            # Also proves the caller may see this session: an unknown session
            # or a bad key fails here, before anything is streamed. The
            # analyzed-video endpoint answers in a few bytes where the details
            # carry every series: it matters when a dashboard subscribes to
            # hundreds of sessions at once.
            self.state = await read_video_state(
                self.registry.client, self.credential, self.activity, self.session_id
            )
            await broker.set_state(
                self.key.state, _encode_state(self.state), self.registry.policy.state_ttl
            )
        if not self.state.final:
            self._tasks.append(asyncio.create_task(self._poll()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self._started is not None and not self._started.done():
            self._started.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._started
        with suppress(Exception):
            await self.registry.broker.release_lease(self.key.lease, self.registry.replica_id)
        with suppress(Exception):
            await self._stack.aclose()

    def wake(self) -> None:
        self._wake.set()

    def _deliver(self, item: VideoState | GatewayError) -> None:
        if isinstance(item, VideoState):
            self.state = item
        for queue in self.queues:
            queue.put_nowait(item)

    async def _listen(self, subscription: Subscription) -> None:
        try:
            async for raw in subscription:
                message = orjson.loads(raw)
                kind = message.get("kind")
                if kind == "state":
                    self._deliver(_decode_state(message))
                elif kind == "wake":
                    self.wake()
                elif kind == "error":
                    error_type = _ERRORS.get(message.get("code"), UpstreamBadResponse)
                    self._deliver(error_type(str(message.get("message"))))
        except BrokerUnavailable as exc:
            self._deliver(exc)

    async def _poll(self) -> None:
        policy = self.registry.policy
        broker = self.registry.broker
        delay = policy.start
        while True:
            try:
                holder = await broker.acquire_lease(
                    self.key.lease, self.registry.replica_id, policy.lease_ttl
                )
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
        try:
            state = await read_video_state(
                registry.client, self.credential, self.activity, self.session_id
            )
        except (UpstreamUnavailable, UpstreamBadResponse) as exc:
            log.warning("poll of a session failed, will retry: %s", exc.code)
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
                await registry.broker.release_lease(self.key.lease, registry.replica_id)
            return True
        return False

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
                await asyncio.wait_for(
                    self._wake.wait(), timeout=min(remaining, policy.lease_ttl / 3)
                )
                self._wake.clear()
                return True
            except TimeoutError:
                if holder:
                    with suppress(BrokerUnavailable):
                        await self.registry.broker.acquire_lease(
                            self.key.lease, self.registry.replica_id, policy.lease_ttl
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
    ) -> None:
        self.client = client
        self.broker = broker
        self.policy = policy
        self.replica_id = replica_id or uuid.uuid4().hex
        self.polls = 0
        self._secret = secret
        self._watches: dict[_Key, _Watch] = {}
        self._per_credential: Counter[str] = Counter()
        self._subscribers_per_credential: Counter[str] = Counter()

    @property
    def active(self) -> int:
        return len(self._watches)

    def _key(self, credential: Credential, session_id: str) -> _Key:
        return _Key(credential.shared_id(self._secret), session_id)

    @asynccontextmanager
    async def watch(
        self, credential: Credential, activity: Activity, session_id: str
    ) -> AsyncIterator[AsyncIterator[VideoState]]:
        """The session's state now, then each change, until a final state."""
        key = self._key(credential, session_id)
        if (
            self._subscribers_per_credential[key.shared]
            >= self.policy.max_subscriptions_per_credential
        ):
            raise LimitExceeded(
                f"At most {self.policy.max_subscriptions_per_credential} subscriptions per API key."
            )
        watch = self._watches.get(key)
        if watch is None:
            if self._per_credential[key.shared] >= self.policy.max_per_credential:
                raise LimitExceeded(
                    f"At most {self.policy.max_per_credential} sessions can be watched per API key."
                )
            watch = _Watch(self, key, credential, activity, session_id)
            self._watches[key] = watch
            self._per_credential[key.shared] += 1
        queue: asyncio.Queue[VideoState | GatewayError] = asyncio.Queue()
        watch.queues.add(queue)
        self._subscribers_per_credential[key.shared] += 1
        try:
            await watch.start()
            yield self._stream(watch, queue)
        finally:
            watch.queues.discard(queue)
            self._subscribers_per_credential[key.shared] -= 1
            if not watch.queues and self._watches.get(key) is watch:
                del self._watches[key]
                self._per_credential[key.shared] -= 1
                await watch.stop()

    async def _stream(
        self, watch: _Watch, queue: asyncio.Queue[VideoState | GatewayError]
    ) -> AsyncIterator[VideoState]:
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
        key = self._key(credential, session_id)
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
        for watch in watches:
            watch._deliver(SubscriptionClosing("The gateway is shutting down."))
        await asyncio.gather(*(w.stop() for w in watches), return_exceptions=True)
