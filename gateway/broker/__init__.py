"""Event brokers: how readiness events and polling leases are shared.

One small backend per module, chosen by URL scheme::

    memory://           one process (the default)
    redis://host:port   several replicas sharing one Redis

A broker carries three things between replicas: events on channels
(publish/subscribe), the last known state of a watched session (a small
value with an expiry), and leases, so that one replica at a time polls a
given session for a given credential. It never carries a credential: names
use a keyed hash of it (see ``Credential.shared_id``). Redis is shared and
not trusted: its messages and states are signed (``gateway.broker.signed``).
"""

from __future__ import annotations

from gateway.broker.base import Broker, BrokerUnavailable, Subscription
from gateway.broker.memory import MemoryBroker

__all__ = ["Broker", "BrokerUnavailable", "MemoryBroker", "Subscription", "create_broker"]


def create_broker(url: str | None, *, secret: bytes) -> Broker:
    """The broker for ``url``; a shared one signs what it carries with ``secret``."""
    if url is None or url.startswith("memory://"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from gateway.broker.redis import RedisBroker  # imported only when used
        from gateway.broker.signed import SignedBroker

        return SignedBroker(RedisBroker(url), secret)
    raise ValueError(f"unknown broker URL scheme: {url.split('://', 1)[0]!r}")
