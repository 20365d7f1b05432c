"""A broker whose messages and states are authenticated: Redis is not trusted.

Anyone who can PUBLISH to the Redis the replicas share could otherwise tell
every subscriber that a video is READY at a URL of their choosing, or plant a
state that late joiners read. :class:`SignedBroker` wraps another broker and
prefixes every message and stored state with an HMAC-SHA256, under the
credential secret the replicas share, of what it carries *and where*
(channel or key name), so a genuine message can't be replayed onto another
channel either. Whatever fails the check is dropped, counted in
:attr:`SignedBroker.rejected`, and logged (the first time, then every 100th).

Leases are not signed: a forged lease can only delay polling until it
expires, never put words in a subscriber's mouth.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.broker.base import Broker, Subscription

__all__ = ["SignedBroker"]

log = logging.getLogger(__name__)

_MAC_BYTES = 32
# Messages and states are signed apart, so that one can't pass for the other.
_MESSAGE = b"gateway-message-v1\0"
_STATE = b"gateway-state-v1\0"


class _VerifiedSubscription(Subscription):
    def __init__(self, broker: SignedBroker, channel: str, inner: Subscription) -> None:
        self._broker = broker
        self._channel = channel
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for raw in self._inner:
            payload = self._broker._open(_MESSAGE, self._channel, raw)
            if payload is not None:
                yield payload


class SignedBroker(Broker):
    def __init__(self, inner: Broker, secret: bytes) -> None:
        self._inner = inner
        self._secret = secret
        self.rejected = 0

    async def connect(self) -> None:
        await self._inner.connect()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def healthy(self) -> bool:
        return await self._inner.healthy()

    def _mac(self, kind: bytes, name: str, payload: bytes) -> bytes:
        return hmac.new(
            self._secret, kind + name.encode() + b"\0" + payload, hashlib.sha256
        ).digest()

    def _seal(self, kind: bytes, name: str, payload: bytes) -> bytes:
        return self._mac(kind, name, payload) + payload

    def _open(self, kind: bytes, name: str, sealed: bytes) -> bytes | None:
        mac, payload = sealed[:_MAC_BYTES], sealed[_MAC_BYTES:]
        if len(sealed) >= _MAC_BYTES and hmac.compare_digest(mac, self._mac(kind, name, payload)):
            return payload
        self.rejected += 1
        if self.rejected % 100 == 1:
            log.warning(
                "dropped a broker %s that is not signed with our credential secret "
                "(%d so far): someone else can write to the broker, or the replicas' "
                "secrets differ",
                "message" if kind is _MESSAGE else "state",
                self.rejected,
            )
        return None

    async def publish(self, channel: str, message: bytes) -> None:
        await self._inner.publish(channel, self._seal(_MESSAGE, channel, message))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        async with self._inner.subscribe(channel) as inner:
            yield _VerifiedSubscription(self, channel, inner)

    async def get_state(self, key: str) -> bytes | None:
        sealed = await self._inner.get_state(key)
        return None if sealed is None else self._open(_STATE, key, sealed)

    async def set_state(self, key: str, value: bytes, ttl: float) -> None:
        await self._inner.set_state(key, self._seal(_STATE, key, value), ttl)

    async def acquire_lease(self, key: str, owner: str, ttl: float) -> bool:
        return await self._inner.acquire_lease(key, owner, ttl)

    async def release_lease(self, key: str, owner: str) -> None:
        await self._inner.release_lease(key, owner)
