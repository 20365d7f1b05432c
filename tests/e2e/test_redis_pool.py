"""The Redis broker under a burst: commands wait for a pooled connection, none fails.

A burst of subscribers joining one replica reads stored states and takes
leases all at once. With redis-py's default pool, the 101st command in flight
failed (MaxConnectionsError, which the subscriber saw as
SUBSCRIPTION_UNAVAILABLE); now they queue for one of a bounded number of
connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from gateway.broker.redis import MAX_CONNECTIONS, RedisBroker
from tests.servers import RedisServer, free_port

BURST = 400


@pytest.fixture
def redis_server(logs_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), logs_dir / "redis-pool.log").start()
    yield server
    server.stop()


async def test_a_burst_of_commands_waits_for_connections_instead_of_failing(
    redis_server: RedisServer,
) -> None:
    broker = RedisBroker(redis_server.url)
    await broker.connect()
    observer = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await broker.healthy()
        await broker.set_state("state", b"READY", ttl=60)
        results = await asyncio.gather(
            *(broker.get_state("state") for _ in range(BURST)),
            *(broker.acquire_lease(f"lease-{i}", "me", ttl=60) for i in range(BURST)),
        )
        assert results == [b"READY"] * BURST + [True] * BURST
        # Every connection the broker opened (the observer's own is one more).
        clients = await observer.client_list()
        assert 2 <= len(clients) <= MAX_CONNECTIONS + 1, len(clients)
    finally:
        await observer.aclose()
        await broker.aclose()
