"""Automatic persisted queries, as Apollo's ``PersistedQueryLink`` speaks them.

The client first sends only ``extensions.persistedQuery.sha256Hash``. A hash
we don't know is answered with ``PERSISTED_QUERY_NOT_FOUND``, and the client
sends the query with its hash; we check that the hash is the query's, so
nobody can plant a different text under someone's hash, and keep the text
only once it has run: when it parsed, stayed within the bounds and validated
(:meth:`PersistedQueries.register`, asked of the schema's document cache).
Anything else is run, and answered, but never stored. A query text is no
secret (nor per caller): one store serves every key.

The store is an LRU in the process, bounded in entries and in bytes, and,
with ``--redis-url``, Redis too, so a query registered through one replica
is known to all. Redis is a cache here: when it is unreachable, the
process's own LRU still answers and the client falls back to sending the
query.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.errors import BadRequest, PersistedQueryNotFound

__all__ = ["PersistedQueries"]

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REDIS_PREFIX = "gateway:apq:"
# Long enough to outlive any deploy's clients; Redis evicts before that if full.
_REDIS_TTL_S = 7 * 24 * 3600


class PersistedQueries:
    def __init__(
        self, capacity: int, redis: aioredis.Redis | None = None, *, max_bytes: int = 4 * 2**20
    ) -> None:
        self._capacity = max(capacity, 1)
        self._max_bytes = max_bytes
        self.bytes = 0
        self._lru: OrderedDict[str, str] = OrderedDict()
        self._redis = redis

    def share(self, redis: aioredis.Redis | None) -> None:
        """Share the store through Redis (:mod:`gateway.shared_redis`), or stop
        sharing it; the client is the caller's to close."""
        self._redis = redis

    def __len__(self) -> int:
        return len(self._lru)

    async def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The query text to run: ``query`` itself, or the one stored under the hash.

        Raises :class:`PersistedQueryNotFound` for an unknown hash and
        :class:`BadRequest` for a malformed one or a hash that isn't the query's.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        digest = _hash_of(persisted)
        if query is None:
            stored = self._lru.get(digest)
            if stored is None:
                stored = await self._redis_get(digest)
            if stored is None:
                raise PersistedQueryNotFound("PersistedQueryNotFound")
            self._remember(digest, stored)
            return stored
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise BadRequest(
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.",
                field="extensions.persistedQuery.sha256Hash",
            )
        return query

    async def register(
        self, query: str, extensions: Mapping[str, Any] | None, *, valid: bool
    ) -> None:
        """Keep ``query`` under the hash its request named (checked by :meth:`resolve`),
        once it has run and was ``valid``: parsed, within the bounds, validated."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None or not valid:
            return
        digest = _hash_of(persisted)
        if digest in self._lru:
            return
        await self._redis_set(digest, query)
        self._remember(digest, query)

    def _remember(self, digest: str, query: str) -> None:
        if len(query) > self._max_bytes:
            return
        previous = self._lru.pop(digest, None)
        if previous is not None:
            self.bytes -= len(previous)
        self._lru[digest] = query
        self.bytes += len(query)
        while len(self._lru) > self._capacity or self.bytes > self._max_bytes:
            _, evicted = self._lru.popitem(last=False)
            self.bytes -= len(evicted)

    async def _redis_get(self, digest: str) -> str | None:
        if self._redis is None:
            return None
        try:
            value = await self._redis.get(_REDIS_PREFIX + digest)
        except (RedisError, OSError) as exc:
            log.warning("persisted queries: Redis unreachable (%s)", type(exc).__name__)
            return None
        if not isinstance(value, bytes):
            return None
        text = value.decode()
        # Whatever Redis holds is checked like a client's text would be.
        return text if hashlib.sha256(value).hexdigest() == digest else None

    async def _redis_set(self, digest: str, query: str) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.set(_REDIS_PREFIX + digest, query.encode(), ex=_REDIS_TTL_S)
        except (RedisError, OSError) as exc:
            log.warning("persisted queries: Redis unreachable (%s)", type(exc).__name__)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise BadRequest(
            "extensions.persistedQuery must be {version: 1, sha256Hash}.",
            field="extensions.persistedQuery",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise BadRequest(
            "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits.",
            field="extensions.persistedQuery.sha256Hash",
        )
    return digest
