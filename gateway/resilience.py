"""Calling an upstream that fails without making its failure worse.

Three guards sit around each upstream call, outermost first::

    cache (opt-in, GETs) ─> singleflight (GETs) ─> circuit breaker ─> retries under a budget

- retries (``tenacity``, :meth:`Resilience.retrying`) under a
  :class:`RetryBudget`: a token bucket. Each answered call deposits
  ``ratio`` tokens, each retry takes one, and a small floor trickles in with
  time. Retries therefore stay a bounded share of calls however many callers
  retry at once, and when the upstream answers nothing at all, almost no
  retry is made: calls per read tend to 1.
- :class:`Breakers`: one circuit breaker per route family (see
  :mod:`gateway.endpoints`), from ``purgatory``. It opens after ``threshold``
  consecutive calls failed as unavailable (after their retries), fails fast
  with :class:`CircuitOpen` (``UPSTREAM_UNAVAILABLE`` with
  ``extensions.retryAfter``) for ``ttl`` seconds, then lets calls through
  half-open: the first success closes it, a failure opens it again.
- :class:`Singleflight`: identical GETs (same credential, path, parameters)
  in flight at once share one upstream call, across operations.
- :class:`ResponseCache`: answers kept ``ttl`` seconds per credential
  (``GATEWAY_CACHE_TTL``, off by default), never for the video's status.

Keys of the last two hold the credential only as an HMAC with a random
per-process secret: nothing is shared across credentials, and no key is ever
held in clear.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from purgatory import AsyncCircuitBreakerFactory, ContextChanged, Event
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_never,
    stop_after_attempt,
    stop_any,
    stop_before_delay,
)
from tenacity.stop import stop_base

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import UpstreamUnavailable

__all__ = [
    "Breakers",
    "CircuitOpen",
    "Resilience",
    "ResponseCache",
    "RetryBudget",
    "Singleflight",
    "credential_key",
]

T = TypeVar("T")

# Families whose answers must never be cached: the video's status changes
# while someone watches it.
_NEVER_CACHED = frozenset({"video"})
_CACHE_ENTRIES = 10_000


class CircuitOpen(UpstreamUnavailable):
    """The route family's breaker is open: failed fast, no upstream call made."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, object]:
        # Whole seconds, rounded up: a client waiting that long finds the
        # breaker at least half-open.
        return {**super().extensions, "retryAfter": max(1, int(-(-self.retry_after // 1)))}


class RetryableAnswer(Exception):
    """An answer worth another try (429, 502, 503, 504), while tries remain."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


# What one more try may cure: a busy upstream, or a network that failed.
_RETRYABLE = (RetryableAnswer, httpx.TimeoutException, httpx.TransportError)


class _Backoff:
    """Exponential backoff with full jitter (it spreads the retries of many
    callers), never shorter than the upstream's ``Retry-After``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> float:
        policy = self.policy
        ceiling = min(policy.max_delay, policy.base_delay * 2 ** (state.attempt_number - 1))
        delay = random.uniform(0, ceiling)
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, RetryableAnswer) and failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        return delay


class _BudgetSpent(stop_base):
    """A tenacity stop condition: stop when no token is left (else take one)."""

    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def __call__(self, state: RetryCallState) -> bool:
        return not self.budget.try_retry()


class RetryBudget:
    """Token bucket limiting retries to a share of answered calls, plus a floor."""

    def __init__(
        self,
        ratio: float,
        capacity: float,
        floor_per_second: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.capacity = capacity
        self.floor_per_second = floor_per_second
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()
        self.granted = 0
        self.refused = 0

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(
            self.capacity, self._tokens + (now - self._updated) * self.floor_per_second
        )
        self._updated = now

    def answered(self) -> None:
        """The upstream answered (anything but a retryable failure)."""
        self._refill()
        self._tokens = min(self.capacity, self._tokens + self.ratio)

    def try_retry(self) -> bool:
        """Take a token for one retry; ``False`` when the budget is spent."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.granted += 1
            return True
        self.refused += 1
        return False


def _is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, UpstreamUnavailable)


class Breakers:
    """One circuit breaker per route family."""

    def __init__(self, threshold: int, ttl: float) -> None:
        self.ttl = ttl
        # Only "the upstream is unavailable" counts against a family: a 404 or
        # a 401 is the upstream working as it should. (purgatory's exclude
        # list takes a predicate that says when an error is *not* a failure.)
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=threshold,
            default_ttl=ttl,
            exclude=[(BaseException, lambda exc: not _is_unavailable(exc))],
        )
        # How often a breaker opened (from closed or half-open), for metrics and tests.
        self.opened = 0
        # Told (family, new state) at each change: the metrics' hook.
        self.on_change: Callable[[str, str], None] | None = None
        self._factory.add_listener(self._on_event)

    def _on_event(self, name: str, kind: str, event: Event) -> None:
        if isinstance(event, ContextChanged) and event.state == "opened":
            self.opened += 1
        if isinstance(event, ContextChanged) and self.on_change is not None:
            self.on_change(name, str(event.state))

    async def state(self, family: str) -> str:
        breaker = await self._factory.get_breaker(family)
        return str(breaker.context.state)

    async def call(self, family: str, call: Callable[[], Awaitable[T]]) -> T:
        breaker = await self._factory.get_breaker(family)
        try:
            async with breaker:
                result = await call()
        except OpenedState as exc:
            retry_after = exc.opened_at + breaker.context.ttl - time.time()
            raise CircuitOpen(
                "The session service is failing; the gateway stopped calling it for a "
                "moment. Try again later.",
                retry_after=max(0.0, retry_after),
            ) from None
        return result


class Singleflight:
    """Concurrent calls with one key share the first caller's call."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Future[Any]] = {}
        self.shared = 0

    @property
    def in_flight(self) -> int:
        return len(self._calls)

    async def do(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        future = self._calls.get(key)
        if future is None:
            future = asyncio.ensure_future(call())
            self._calls[key] = future
            future.add_done_callback(lambda done: self._done(key, done))
        else:
            self.shared += 1
        # A caller that gives up (cancelled) must not cancel the call under
        # the others still waiting for it.
        result: T = await asyncio.shield(future)
        return result

    def _done(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if self._calls.get(key) is future:
            del self._calls[key]
        if not future.cancelled():
            # Retrieved here so that a failure nobody waits for anymore is
            # not reported as "never retrieved".
            future.exception()


class ResponseCache:
    """Successful answers for ``ttl`` seconds, per credential (the key holds its HMAC)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > _CACHE_ENTRIES:
            self._entries.popitem(last=False)


def credential_key(secret: bytes, credential: Credential) -> str:
    """The credential as it appears in a key: an HMAC, never the key itself."""
    return hmac.new(secret, credential.authorization.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class _ReadKey:
    credential: str
    path: str
    params: tuple[tuple[str, str], ...]
    lazy: bool


class Resilience:
    """The guards of one :class:`~gateway.upstream.UpstreamClient`."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        breaker_threshold: int = 5,
        breaker_ttl: float = 5.0,
        cache_ttl: float = 0.0,
    ) -> None:
        policy = policy or RetryPolicy()
        self.policy = policy
        self.budget = RetryBudget(
            policy.budget_ratio, policy.budget_capacity, policy.budget_floor_per_second
        )
        self.breakers = Breakers(breaker_threshold, breaker_ttl)
        self.singleflight = Singleflight()
        self.cache = ResponseCache(cache_ttl) if cache_ttl > 0 else None
        # Told whether each cached read was a hit: the metrics' hook.
        self.on_cache: Callable[[bool], None] | None = None
        self._secret = secrets.token_bytes(32)

    def retrying(self, retryable: bool) -> AsyncRetrying:
        """The tries of one call (``tenacity``): of a retryable one, as many as the
        policy allows, within its total time, and while the budget lasts (checked
        last, so a token is only taken for a retry that will happen)."""
        policy = self.policy
        return AsyncRetrying(
            retry=retry_if_exception_type(_RETRYABLE) if retryable else retry_never,
            wait=_Backoff(policy),
            stop=stop_any(
                stop_after_attempt(policy.attempts),
                stop_before_delay(policy.total_budget),
                _BudgetSpent(self.budget),
            ),
            reraise=True,
        )

    async def read(
        self,
        credential: Credential,
        family: str,
        path: str,
        params: Mapping[str, str] | None,
        lazy: bool,
        call: Callable[[], Awaitable[T]],
    ) -> T:
        """A GET: from the cache, or shared with identical ones in flight."""
        key = _ReadKey(
            credential_key(self._secret, credential),
            path,
            tuple(sorted((params or {}).items())),
            lazy,
        )
        cache = self.cache if family not in _NEVER_CACHED else None
        if cache is not None:
            hit = cache.get(key)
            if self.on_cache is not None:
                self.on_cache(hit is not None)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        result = await self.singleflight.do(key, lambda: self.breakers.call(family, call))
        if cache is not None:
            cache.put(key, result)
        return result

    async def write(self, family: str, call: Callable[[], Awaitable[T]]) -> T:
        return await self.breakers.call(family, call)
