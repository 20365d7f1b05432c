"""Readiness watchers: the upstream has no push, so the gateway polls, once.

One small part per module::

    registry   who watches what in this process; fan-out to its subscribers
    poller     one watch's upstream polls, by the replica holding its lease
    events     a watch's broker names, and its events as bytes

One watch exists per (credential, activity, session) in a process, shared by
all of that process's subscribers to it. Across replicas, a lease in the
broker elects one poller; it publishes each change on the watch's channel,
and every replica's watch (the poller's included) hands the events to its
local subscribers. A replica that isn't polling keeps trying the lease, so
when the poller dies another takes over once the lease expires.

Channels and keys are named with ``Credential.shared_id``: the broker never
sees a key, and events learned with one key reach only that key's
subscribers. Which errors end a watch, and which a poll retries, is the
registry of error codes' (:mod:`gateway.errors`).
"""

from __future__ import annotations

from gateway.errors import SubscriptionClosing, WatchFailed
from gateway.watchers.registry import ReadinessWatchers

__all__ = ["ReadinessWatchers", "SubscriptionClosing", "WatchFailed"]
