"""Redis broker: pub/sub for events, keys with expiry for state and leases.

One pub/sub connection per process, read by one task that hands messages to
the local listeners of each channel. When Redis goes away the listeners are
ended with :class:`BrokerUnavailable` (their subscriptions report it to the
client), new subscriptions are refused with the same error, and a supervisor
reconnects in the background; queries never depend on Redis.

Commands (stored states, leases, publishes) share a pool of at most
:data:`MAX_CONNECTIONS` connections; a command that finds them all busy waits
for one (up to the socket timeout) instead of failing. A burst of subscribers
joining at once (each joiner may read the stored state) used to take redis-py's
default pool past its 100 connections, and the surplus was refused with
SUBSCRIPTION_UNAVAILABLE: 2 of 20,000 in ``bench/subscriptions.py --replicas 2``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.broker.base import Broker, BrokerUnavailable, Subscription

__all__ = ["RedisBroker"]

log = logging.getLogger(__name__)

_CONTROL_CHANNEL = "gateway:control"
# Connections to Redis per process: the pub/sub one and the commands'.
MAX_CONNECTIONS = 64
_SOCKET_TIMEOUT = 5.0

# Renew when we hold the lease, take it when it's free; atomically.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_CLOSED = object()


class _Listener(Subscription):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            item = await self.queue.get()
            if item is _CLOSED:
                raise BrokerUnavailable("The event broker (Redis) connection was lost.")
            yield item


class RedisBroker(Broker):
    def __init__(self, url: str, *, reconnect_delay: float = 1.0) -> None:
        self._url = url
        self._reconnect_delay = reconnect_delay
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=_SOCKET_TIMEOUT,  # waiting for a free connection
            socket_connect_timeout=2.0,
            socket_timeout=_SOCKET_TIMEOUT,
            health_check_interval=5,
            # A pooled connection from before an outage fails once; retry it
            # on a fresh connection rather than fail the subscription.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._redis: aioredis.Redis = aioredis.Redis.from_pool(pool)
        self._pubsub: Any = None
        self._listeners: defaultdict[str, set[_Listener]] = defaultdict(set)
        self._connected = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._closed = False

    async def connect(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="redis-broker")
        # Give a reachable Redis a moment, but start serving queries without it.
        with suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self._connected.wait()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with suppress(asyncio.CancelledError):
                await self._supervisor
        await self._drop_pubsub()
        await self._redis.aclose()

    async def healthy(self) -> bool:
        return self._connected.is_set()

    async def _supervise(self) -> None:
        while not self._closed:
            try:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(_CONTROL_CHANNEL, *self._listeners.keys())
                self._connected.set()
                log.info("event broker connected")
                await self._read()
            except (RedisError, OSError) as exc:
                if self._connected.is_set():
                    log.warning("event broker connection lost: %s", type(exc).__name__)
            self._connected.clear()
            self._fail_listeners()
            await self._drop_pubsub()
            await asyncio.sleep(self._reconnect_delay)

    async def _read(self) -> None:
        while True:
            message = await self._pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            for listener in list(self._listeners.get(channel, ())):
                listener.queue.put_nowait(message["data"])

    def _fail_listeners(self) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.queue.put_nowait(_CLOSED)

    async def _drop_pubsub(self) -> None:
        if self._pubsub is not None:
            with suppress(RedisError, OSError):
                await self._pubsub.aclose()
            self._pubsub = None

    def _require_connected(self) -> None:
        if not self._connected.is_set():
            raise BrokerUnavailable(
                "Subscriptions are unavailable: the event broker (Redis) can't be reached. "
                "Queries still work; retry the subscription later."
            )

    async def publish(self, channel: str, message: bytes) -> None:
        self._require_connected()
        try:
            await self._redis.publish(channel, message)
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable("Could not publish to the event broker.") from exc

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        self._require_connected()
        listener = _Listener()
        first = channel not in self._listeners
        self._listeners[channel].add(listener)
        try:
            if first:
                try:
                    await self._pubsub.subscribe(channel)
                except (RedisError, OSError, AttributeError) as exc:
                    raise BrokerUnavailable("Could not subscribe on the event broker.") from exc
            yield listener
        finally:
            listeners = self._listeners.get(channel)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[channel]
                    if self._pubsub is not None and self._connected.is_set():
                        with suppress(RedisError, OSError):
                            await self._pubsub.unsubscribe(channel)

    async def _command(self, coro: Any) -> Any:
        try:
            return await coro
        except (RedisError, OSError) as exc:
            # The kind of failure only: Redis's messages may hold its address.
            log.warning("an event broker command failed: %s", type(exc).__name__)
            raise BrokerUnavailable("The event broker (Redis) can't be reached.") from exc

    async def get_state(self, key: str) -> bytes | None:
        value = await self._command(self._redis.get(key))
        return value if isinstance(value, bytes) else None

    async def set_state(self, key: str, value: bytes, ttl: float) -> None:
        await self._command(self._redis.set(key, value, px=max(1, int(ttl * 1000))))

    async def acquire_lease(self, key: str, owner: str, ttl: float) -> bool:
        result = await self._command(
            self._redis.eval(_ACQUIRE, 1, key, owner, max(1, int(ttl * 1000)))
        )
        return bool(result)

    async def release_lease(self, key: str, owner: str) -> None:
        await self._command(self._redis.eval(_RELEASE, 1, key, owner))
