"""One watch's poller: asks the upstream while it holds the lease, publishes each change.

Across replicas, a lease in the broker elects one poller per watch. The
holder reads the session's video state with a backoff, publishes each change
on the watch's channel (every replica's subscribers get it from there) and
stores it, so that a newcomer starts from it; a poller that isn't the holder
keeps trying the lease, so when the holder dies another takes over once the
lease expires. What a poll does when the upstream call fails is the
registry's :attr:`gateway.errors.ErrorCode.in_watch` for its code.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from contextlib import suppress

from gateway.broker import Broker, BrokerUnavailable
from gateway.config import WatchPolicy
from gateway.credentials import Credential
from gateway.errors import GatewayError, InWatch, NotFound, error_code
from gateway.sessions import VideoState, VideoStatus, check_video_state, read_video_state
from gateway.upstream.client import UpstreamClient
from gateway.watchers import events
from gateway.watchers.events import WatchKey

__all__ = ["Poller"]

log = logging.getLogger(__name__)

# While the analyzed-video endpoint answers 404, every this many polls also
# read the details, to tell a video still processing from a deleted session.
_CONFIRM_EVERY = 4


class Poller:
    """Polls the upstream for one watch of this process.

    ``known`` is the state the watch last delivered (from any replica's
    poller); ``polled`` is called for each upstream poll; ``failed`` gets an
    error only this replica's subscribers must see (the broker is gone);
    ``confirmed`` is called each time the upstream has just told ``known``'s
    successor (or the same state again): the watch's state is fresh.
    """

    def __init__(
        self,
        client: UpstreamClient,
        broker: Broker,
        policy: WatchPolicy,
        key: WatchKey,
        credential: Credential,
        *,
        replica_id: str,
        starts: asyncio.Semaphore,
        known: Callable[[], VideoState | None],
        polled: Callable[[], None],
        failed: Callable[[GatewayError], None],
        confirmed: Callable[[], None] = lambda: None,
    ) -> None:
        self._client = client
        self._broker = broker
        self._policy = policy
        self._key = key
        self._credential = credential
        # Leases are held per watch: an old watch stopping must not release
        # the lease a newer one on this replica has taken.
        self._owner = f"{replica_id}:{uuid.uuid4().hex[:12]}"
        self._starts = starts
        self._known = known
        self._polled = polled
        self._failed = failed
        self._confirmed = confirmed
        self._wake = asyncio.Event()
        self._not_found_polls = 0

    async def first_state(self) -> VideoState:
        """The state to start from: the stored one while a poller keeps it fresh,
        else the upstream's (stored for the next newcomer)."""
        cached = await self._broker.get_state(self._key.state)
        known = events.decode_state(cached) if cached is not None else None
        if known is not None and not known.final:
            # A poller (here or on another replica) is running and keeps it fresh.
            return known
        # Nothing polls a final state any more, and the upstream may have
        # started over (a video processed again): ask it, don't replay. Also
        # proves the caller may see this session, of this activity: an
        # unknown session or a bad key fails here, before anything is streamed.
        async with self._starts:
            state = await check_video_state(
                self._client, self._credential, self._key.activity, self._key.session_id
            )
        await self._broker.set_state(self._key.state, events.encode(state), self._policy.state_ttl)
        self._confirmed()
        return state

    async def refresh(self) -> VideoState | None:
        """The state now, for a subscriber joining a watch whose state is no longer
        fresh: the stored one if a poller (on any replica) confirmed it within the
        state's time to live, else one upstream read, out of the poll schedule.

        A change is published like a poll's; ``None`` when the read failed in a
        way a poll would retry (the watch's state is then the best there is).
        """
        with suppress(BrokerUnavailable):
            cached = await self._broker.get_state(self._key.state)
            if cached is not None and not (stored := events.decode_state(cached)).final:
                return stored
        self._polled()
        try:
            async with self._starts:
                state = await self._read_within_lease()
        except TimeoutError:
            return None
        except GatewayError as exc:
            outcome = error_code(exc.code).in_watch
            if outcome is InWatch.RETRIES:
                return None
            if outcome is InWatch.ENDS:
                # Every subscriber's end, not only the joiner's.
                await self._publish(events.encode(exc))
            raise
        await self._seen(state)
        return state

    def wake(self) -> None:
        self._wake.set()

    async def release(self) -> None:
        """Give the lease up (if held), so another replica may poll at once."""
        await self._broker.release_lease(self._key.lease, self._owner)

    async def run(self) -> None:
        """Poll (or stand by for the lease) until the watch has reached its end.

        The watch has just learnt its state (:meth:`first_state`): the lease
        is taken at once, and the first poll waits one interval, as every
        later one does.
        """
        policy = self._policy
        loop = asyncio.get_running_loop()
        delay = policy.start
        if not await self._sleep(delay, await self._lease()):
            delay = min(delay * policy.factor, policy.cap)
        while True:
            started = loop.time()
            holder = await self._lease()
            if holder:
                if await self._poll_once():
                    return
                # From this poll's start to the next one's: a session is read
                # once per interval while the upstream answers quickly (a
                # change waits at most the interval, not the interval and the
                # read). A read that takes more than half of it (an upstream
                # struggling, or a timeout) is followed by half an interval at
                # least: never back to back.
                wait = max(delay - (loop.time() - started), delay / 2)
                delay = min(delay * policy.factor, policy.cap)
            else:
                # Someone else polls; try again in a while, to take over if
                # the holder dies and its lease runs out.
                wait = policy.lease_ttl / 4
            if await self._sleep(wait, holder):
                delay = policy.start

    async def _lease(self) -> bool:
        """Take (or renew) the lease; ``True`` while this poller holds it."""
        try:
            return await self._broker.acquire_lease(
                self._key.lease, self._owner, self._policy.lease_ttl
            )
        except BrokerUnavailable:
            return False

    async def _poll_once(self) -> bool:
        """One upstream poll; ``True`` when the watch has reached its end."""
        self._polled()
        try:
            state = await self._read_within_lease()
        except TimeoutError as exc:
            return _will_retry(exc)
        except GatewayError as exc:
            outcome = error_code(exc.code).in_watch
            if outcome is InWatch.RETRIES:
                return _will_retry(exc)
            if outcome is InWatch.ENDS:
                await self._publish(events.encode(exc))
                return True
            raise  # no poll should get it: a bug, and the watch fails
        await self._seen(state)
        if state.final:
            with suppress(BrokerUnavailable):
                await self.release()
            return True
        return False

    async def _read_within_lease(self) -> VideoState:
        # Within half the lease, so that no other replica takes over while
        # this poll is still waiting for the upstream. (Not ``wait_for``:
        # before Python 3.12 it can swallow a cancellation that lands as the
        # call completes, and the loop would go on.)
        async with asyncio.timeout(self._policy.lease_ttl / 2):
            return await self._read()

    async def _seen(self, state: VideoState) -> None:
        """What a read found: published if it changed, stored (fresh for the
        state's time to live, for joiners on every replica) either way."""
        encoded = events.encode(state)
        if state != self._known():
            await self._publish(encoded)
        with suppress(BrokerUnavailable):
            await self._broker.set_state(self._key.state, encoded, self._policy.state_ttl)
        self._confirmed()

    async def _read(self) -> VideoState:
        """The state now. Some upstreams answer 404 while the video is processing,
        which can't tell "not ready" from "session deleted": every few such
        answers, the details decide (their 404 ends the watch)."""
        key = self._key
        try:
            return await read_video_state(
                self._client, self._credential, key.activity, key.session_id
            )
        except NotFound:
            self._not_found_polls += 1
            if self._not_found_polls % _CONFIRM_EVERY:
                return VideoState(VideoStatus.PROCESSING)
            return await check_video_state(
                self._client, self._credential, key.activity, key.session_id
            )

    async def _publish(self, event: bytes) -> None:
        try:
            await self._broker.publish(self._key.channel, event)
        except BrokerUnavailable as exc:
            self._failed(exc)

    async def _sleep(self, seconds: float, holder: bool) -> bool:
        """Wait, renewing our lease meanwhile; ``True`` if woken early."""
        policy = self._policy
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
                    await self._lease()
        return False


def _will_retry(exc: Exception) -> bool:
    log.warning("poll of a session failed, will retry: %s", type(exc).__name__)
    return False
