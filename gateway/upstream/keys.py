"""What the upstream has said of each key, so that a wrong key costs one call.

An operation fans out: three aliases of ``nodes`` over twenty ids are sixty
upstream calls made at once. With a wrong key each of them would be a 401,
and a key guesser would get sixty upstream calls for every request. So:

- a key the upstream has accepted (any answer but 401) is **confirmed**, and
  its calls pass with nothing added;
- the first call of a key not confirmed yet goes **alone**: the key's other
  calls wait for its answer, then go (accepted, or no verdict: the upstream
  did not answer) or fail as it did (refused);
- a **refused** key (401) is refused again without a call for ``refused_ttl``
  seconds.

A 403 does not refuse the key: in the contract it means the key lacks a
permission for that action, not that it is wrong. Keys are held only as
their per-process fingerprint (an HMAC), and both tables are bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.credentials import Credential
from gateway.errors import GatewayError, upstream_error

__all__ = ["KeyGate"]

T = TypeVar("T")

_REFUSED_STATUS = 401


class KeyGate:
    def __init__(
        self,
        refused_ttl: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refused_ttl = refused_ttl
        self._clock = clock
        self._max_keys = max_keys
        self._confirmed: OrderedDict[str, None] = OrderedDict()
        # fingerprint -> (until when, the upstream's error_code)
        self._refused: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        # fingerprint -> the first call's verdict, while it is in flight
        self._first: dict[str, asyncio.Future[None]] = {}

    async def call(self, credential: Credential, send: Callable[[], Awaitable[T]]) -> T:
        key = credential.fingerprint
        self._raise_if_refused(key)
        if key in self._confirmed:
            self._confirmed.move_to_end(key)
            return await self._observed(key, send)
        first = self._first.get(key)
        if first is not None:
            await asyncio.shield(first)
            self._raise_if_refused(key)
            return await self._observed(key, send)
        verdict: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._first[key] = verdict
        try:
            return await self._observed(key, send)
        finally:
            del self._first[key]
            verdict.set_result(None)

    async def _observed(self, key: str, send: Callable[[], Awaitable[T]]) -> T:
        """``send()``, learning from its answer what the upstream thinks of the key."""
        try:
            result = await send()
        except GatewayError as exc:
            if exc.upstream_status == _REFUSED_STATUS:
                self._refuse(key, exc.upstream_code)
            elif exc.upstream_status is not None:
                self._confirm(key)
            raise
        self._confirm(key)
        return result

    def _raise_if_refused(self, key: str) -> None:
        refused = self._refused.get(key)
        if refused is None:
            return
        until, upstream_code = refused
        if self._clock() >= until:
            del self._refused[key]
            return
        error = upstream_error(_REFUSED_STATUS)
        error.upstream_status = _REFUSED_STATUS
        error.upstream_code = upstream_code
        raise error

    def _confirm(self, key: str) -> None:
        if key in self._confirmed:
            return  # moved to the end as the call began
        self._confirmed[key] = None
        if len(self._confirmed) > self._max_keys:
            self._confirmed.popitem(last=False)

    def _refuse(self, key: str, upstream_code: str | None) -> None:
        self._confirmed.pop(key, None)
        if self._refused_ttl <= 0:
            return
        self._refused[key] = (self._clock() + self._refused_ttl, upstream_code)
        self._refused.move_to_end(key)
        if len(self._refused) > self._max_keys:
            self._refused.popitem(last=False)
