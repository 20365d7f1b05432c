"""In-process broker: one event loop, no network."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.broker.base import Broker, Subscription

__all__ = ["MemoryBroker"]


class _QueueSubscription(Subscription):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield await self.queue.get()


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._channels: defaultdict[str, set[_QueueSubscription]] = defaultdict(set)
        self._state: dict[str, tuple[bytes, float]] = {}
        self._leases: dict[str, tuple[str, float]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        for listener in list(self._channels.get(channel, ())):
            listener.queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        listener = _QueueSubscription()
        self._channels[channel].add(listener)
        try:
            yield listener
        finally:
            listeners = self._channels.get(channel)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._channels[channel]

    async def get_state(self, key: str) -> bytes | None:
        entry = self._state.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires < time.monotonic():
            del self._state[key]
            return None
        return value

    async def set_state(self, key: str, value: bytes, ttl: float) -> None:
        self._state[key] = (value, time.monotonic() + ttl)

    async def acquire_lease(self, key: str, owner: str, ttl: float) -> bool:
        now = time.monotonic()
        holder = self._leases.get(key)
        if holder is None or holder[0] == owner or holder[1] < now:
            self._leases[key] = (owner, now + ttl)
            return True
        return False

    async def release_lease(self, key: str, owner: str) -> None:
        holder = self._leases.get(key)
        if holder is not None and holder[0] == owner:
            del self._leases[key]
