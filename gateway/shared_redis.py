"""The Redis client for the state replicas share on the request path.

Persisted queries and rate-limit buckets both live in Redis when one is
configured (``GATEWAY_REDIS_URL``). They share one client and its connection
pool, made by the app's lifespan, which also closes it. Its timeouts are
short: an unreachable Redis costs a request at most a second before the
caller falls back to what the process knows (persisted queries) or lets the
request through (rate limits). The event broker keeps its own client, whose
subscriptions block by design.
"""

from __future__ import annotations

import redis.asyncio as aioredis

__all__ = ["shared_redis"]

_TIMEOUT_S = 1.0


def shared_redis(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url, socket_timeout=_TIMEOUT_S, socket_connect_timeout=_TIMEOUT_S
    )
