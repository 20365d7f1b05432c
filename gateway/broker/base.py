"""The broker interface."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from gateway.errors import SubscriptionUnavailable

__all__ = ["Broker", "BrokerUnavailable", "Subscription"]


class BrokerUnavailable(SubscriptionUnavailable):
    """The broker can't be reached; subscriptions can't be served until it can."""


class Subscription(abc.ABC):
    """Messages of one channel, in order, for one listener."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[bytes]: ...


class Broker(abc.ABC):
    async def connect(self) -> None:  # noqa: B027 - optional hook
        """Open connections; called by the app lifespan."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Close connections; safe to call twice."""

    @abc.abstractmethod
    async def publish(self, channel: str, message: bytes) -> None: ...

    @abc.abstractmethod
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen to a channel; the listener is removed when the context exits.

        A broken connection ends the iteration with :class:`BrokerUnavailable`.
        """

    @abc.abstractmethod
    async def get_state(self, key: str) -> bytes | None: ...

    @abc.abstractmethod
    async def set_state(self, key: str, value: bytes, ttl: float) -> None: ...

    @abc.abstractmethod
    async def acquire_lease(self, key: str, owner: str, ttl: float) -> bool:
        """Take the lease if free (or already ours, which renews it)."""

    @abc.abstractmethod
    async def release_lease(self, key: str, owner: str) -> None:
        """Give the lease up if we hold it."""

    async def healthy(self) -> bool:
        return True
