"""Rate limits per key, counted in upstream calls: a token bucket per credential.

Each key's bucket holds up to ``burst`` calls and refills at ``rate`` calls a
second. An operation is admitted when its bucket holds its estimate (or a
full bucket's worth, for an estimate larger than that), which is taken at
once; when it has run, the difference to the calls it really made is given
back or taken too, so the bucket may go into debt and the key waits it out.

Buckets are keyed by the credential's keyed hash (``Credential.shared_id``,
an HMAC with the secret every replica shares), never the key. With Redis,
every replica draws on the same bucket, atomically (one Lua script, Redis's
own clock); without it, each process keeps its own. A Redis that can't be
reached fails open: the limit is not enforced meanwhile, and that is logged.

``limits`` (the usual library) offers fixed and moving windows; this needs
a bucket that can be charged after the fact (the actual cost), so it is
written here, small.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["MemoryBuckets", "RateLimiter", "RedisBuckets", "Verdict"]

log = logging.getLogger(__name__)

_REDIS_PREFIX = "gateway:rate:"

# KEYS[1] the bucket; ARGV rate, burst, amount, mode ("take": admit if the
# bucket holds min(amount, burst), then take amount; "give": add amount,
# which may be negative). Returns {admitted, tokens, retry_after}.
_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local admitted = 1
local retry = 0
if ARGV[4] == 'take' then
  local need = math.min(amount, burst)
  if tokens < need then
    admitted = 0
    retry = (need - tokens) / rate
  else
    tokens = tokens - amount
  end
else
  tokens = tokens + amount
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - math.min(tokens, 0)) / rate * 1000) + 1000)
return {admitted, tostring(tokens), tostring(retry)}
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    admitted: bool
    # Calls left in the bucket (negative: in debt), and when to try again.
    remaining: float
    retry_after: float


class MemoryBuckets:
    """This process's buckets, least recently used dropped past ``max_keys``
    (a dropped bucket is a full one: it only errs on the side of the caller)."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate, self._burst = rate, burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, key: str) -> tuple[float, float]:
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._burst, now))
        return min(self._burst, tokens + max(0.0, now - at) * self._rate), now

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    async def take(self, key: str, amount: float) -> Verdict:
        tokens, now = self._level(key)
        need = min(amount, self._burst)
        if tokens < need:
            self._store(key, tokens, now)
            return Verdict(False, tokens, (need - tokens) / self._rate)
        self._store(key, tokens - amount, now)
        return Verdict(True, tokens - amount, 0.0)

    async def give(self, key: str, amount: float) -> float:
        tokens, now = self._level(key)
        self._store(key, tokens + amount, now)
        return tokens + amount


class RedisBuckets:
    """The buckets in Redis, shared by every replica."""

    def __init__(self, redis: aioredis.Redis, rate: float, burst: float) -> None:
        """``redis`` is the caller's to close (:mod:`gateway.shared_redis`)."""
        self._rate, self._burst = rate, burst
        self._script: Any = redis.register_script(_SCRIPT)

    async def _run(self, key: str, amount: float, mode: str) -> list[Any]:
        result: list[Any] = await self._script(
            keys=[_REDIS_PREFIX + key], args=[self._rate, self._burst, amount, mode]
        )
        return result

    async def take(self, key: str, amount: float) -> Verdict:
        admitted, tokens, retry = await self._run(key, amount, "take")
        return Verdict(bool(int(admitted)), float(tokens), float(retry))

    async def give(self, key: str, amount: float) -> float:
        _, tokens, _ = await self._run(key, amount, "give")
        return float(tokens)


Buckets = MemoryBuckets | RedisBuckets


class RateLimiter:
    """Admits an operation on its estimate, then settles on its actual calls."""

    def __init__(self, buckets: Buckets) -> None:
        self._buckets = buckets

    @classmethod
    def of(cls, rate: float, burst: float, redis: aioredis.Redis | None) -> RateLimiter:
        buckets: Buckets = (
            RedisBuckets(redis, rate, burst) if redis is not None else MemoryBuckets(rate, burst)
        )
        return cls(buckets)

    async def take(self, key: str, estimate: int) -> Verdict:
        try:
            return await self._buckets.take(key, estimate)
        except (RedisError, OSError) as exc:
            log.warning("rate limits: Redis unreachable, not enforced (%s)", type(exc).__name__)
            return Verdict(True, math.inf, 0.0)

    async def settle(self, key: str, estimate: int, actual: int) -> float:
        """Give back what the estimate took too much (or take what it took too little);
        the calls left."""
        try:
            return await self._buckets.give(key, estimate - actual)
        except (RedisError, OSError) as exc:
            log.warning("rate limits: Redis unreachable, not settled (%s)", type(exc).__name__)
            return math.inf
