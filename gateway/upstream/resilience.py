"""Calling an upstream that fails without making its failure worse.

Four guards sit around each upstream call, outermost first::

    cache (opt-in, GETs) ─> singleflight (GETs) ─> key gate ─> circuit breaker
        ─> retries under a budget

- :class:`~gateway.upstream.keys.KeyGate`: a key not yet accepted by the
  upstream makes one call before its others; a key it refused (401) is
  refused again without a call for a few seconds. A wrong key costs one call.
- :class:`RetryBudget`: a token bucket. Each answered call deposits
  ``ratio`` tokens, each retry takes one, and a small floor trickles in with
  time. Retries therefore stay a bounded share of calls however many callers
  retry at once, and when the upstream answers nothing at all, almost no
  retry is made: calls per read tend to 1.
- :class:`Breakers`: one circuit breaker per route family (see
  :mod:`gateway.upstream.endpoints`), from ``purgatory``. It opens after ``threshold``
  consecutive calls failed as unavailable (after their retries), fails fast
  with :class:`CircuitOpen` (``UPSTREAM_UNAVAILABLE`` with
  ``extensions.retryAfter``) for ``ttl`` seconds, then lets one call through
  half-open (the others fail fast meanwhile, as if still open): its success
  closes it, its failure opens it again.
- :class:`Singleflight`: identical GETs (same credential, path, parameters)
  in flight at once share one upstream call, across operations.
- :class:`ResponseCache`: answers kept ``ttl`` seconds per credential
  (``GATEWAY_CACHE_TTL``, off by default), never of an endpoint that tells the
  video's status; a write by the credential drops its cached answers.

Keys of the last two hold the credential only as an HMAC with a random
per-process secret (``Credential.fingerprint``): nothing is shared across
credentials, and no key is ever held in clear.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from purgatory import AsyncCircuitBreakerFactory, ContextChanged, Event
from purgatory.domain.model import OpenedState

from gateway.config import RetryPolicy, default
from gateway.credentials import Credential
from gateway.errors import UpstreamUnavailable
from gateway.upstream.keys import KeyGate

__all__ = [
    "Breakers",
    "CircuitOpen",
    "Resilience",
    "ResponseCache",
    "RetryBudget",
    "Singleflight",
]

T = TypeVar("T")

# Families whose answers are never cached: readiness is read from them (the
# video endpoint, and `analyzed_video_url` in the details and the listing), and
# a cached READY would hide a video processed again, a cached PROCESSING a
# video that became ready. What is left (exports, reports) is the bulk.
_NEVER_CACHED = frozenset({"video", "details", "listing"})
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
        # Families whose half-open probe is in flight: purgatory would let
        # every call through half-open, so a recovering upstream would meet
        # the whole backlog at once.
        self._probing: set[str] = set()
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
        context = breaker.context
        probe = context.state == "half-opened" or (
            context.state == "opened" and time.time() > (context.opened_at or 0) + context.ttl
        )
        if probe and family in self._probing:
            raise _open(0.0)
        if probe:
            self._probing.add(family)
        try:
            async with breaker:
                result = await call()
        except OpenedState as exc:
            raise _open(exc.opened_at + context.ttl - time.time()) from None
        finally:
            if probe:
                self._probing.discard(family)
        return result


def _open(retry_after: float) -> CircuitOpen:
    return CircuitOpen(
        "The session service is failing; the gateway stopped calling it for a "
        "moment. Try again later.",
        retry_after=max(0.0, retry_after),
    )


class _LeaderGone(Exception):
    """The caller running a shared call was cancelled: a follower runs it instead."""


class Singleflight:
    """Concurrent calls with one key share the first caller's call.

    The first caller (the leader) runs the call itself, with no task of its
    own (one per upstream call would cost more than the rest of this module);
    followers wait on a future it settles. A follower that gives up leaves the
    call running; a leader that gives up hands it on to a follower.
    """

    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Future[Any]] = {}
        self.shared = 0

    @property
    def in_flight(self) -> int:
        return len(self._calls)

    async def do(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        while (future := self._calls.get(key)) is not None:
            self.shared += 1
            try:
                # Shielded: a follower's cancellation must not cancel the future.
                result: T = await asyncio.shield(future)
                return result
            except _LeaderGone:
                continue
            except BaseException:
                del future  # it holds the failure, whose traceback holds this frame
                raise
        future = asyncio.get_running_loop().create_future()
        self._calls[key] = future
        try:
            result = await call()
        except asyncio.CancelledError:
            future.set_exception(_LeaderGone())
            raise
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._calls[key]
            # Marked retrieved, so a failure no follower waited for is not
            # reported as "never retrieved".
            future.exception()
            # The failure's traceback holds this frame: without this, every
            # failed call (each poll of a session still processing, on an
            # upstream that answers 404 then) left a cycle for the collector.
            del future


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

    def forget(self, credential: str) -> None:
        """Drop one credential's answers: after it wrote, they may be stale."""
        for key in [k for k in self._entries if getattr(k, "credential", None) == credential]:
            del self._entries[key]


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
        breaker_threshold: int = default("breaker_threshold"),
        breaker_ttl: float = default("breaker_ttl"),
        cache_ttl: float = default("cache_ttl"),
        refused_key_ttl: float = default("refused_key_ttl"),
    ) -> None:
        policy = policy or RetryPolicy()
        self.keys = KeyGate(refused_key_ttl)
        self.budget = RetryBudget(
            policy.budget_ratio, policy.budget_capacity, policy.budget_floor_per_second
        )
        self.breakers = Breakers(breaker_threshold, breaker_ttl)
        self.singleflight = Singleflight()
        self.cache = ResponseCache(cache_ttl) if cache_ttl > 0 else None
        # Told whether each cached read was a hit: the metrics' hook.
        self.on_cache: Callable[[bool], None] | None = None

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
            # An HMAC of the key with a per-process secret, computed once per
            # credential; the same identity the per-operation loaders use.
            credential.fingerprint,
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
        result = await self.singleflight.do(
            key, lambda: self.keys.call(credential, lambda: self.breakers.call(family, call))
        )
        if cache is not None:
            cache.put(key, result)
        return result

    async def write(
        self, credential: Credential, family: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        """Anything but a GET: guarded by the breaker; the caller's cached reads go."""
        try:
            return await self.keys.call(credential, lambda: self.breakers.call(family, call))
        finally:
            if self.cache is not None:
                self.cache.forget(credential.fingerprint)
