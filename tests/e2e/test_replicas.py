"""Several replicas sharing one Redis: events cross replicas, one poller, failover."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, BOB, start_gateway, upload
from tests.ids import global_id_of
from tests.servers import (
    HTTP,
    SSL_CONTEXT,
    RedisServer,
    SandboxControl,
    ServerProcess,
    all_ready,
    free_port,
)
from tests.waiting import until
from tests.wsclient import SubscriptionError, collect, ws_client

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"


def start_replicas(
    redis: RedisServer, sandbox: ServerProcess, logs_dir: Path, *names: str
) -> list[ServerProcess]:
    """Replicas on one Redis, started side by side."""
    started = [
        start_gateway(
            sandbox.url, logs_dir / f"replica-{name}.log", "--redis-url", redis.url, wait=False
        )
        for name in names
    ]
    all_ready(*started)
    return started


@pytest.fixture(scope="module")
def shared_redis(logs_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), logs_dir / "redis-shared.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_replicas(
    shared_redis: RedisServer, sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two replicas for the tests that neither kill one nor stop Redis: each
    watches a session of its own and counts polls from where they stood."""
    a, b = start_replicas(shared_redis, sandbox_server, logs_dir, "a", "b")
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def redis(logs_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), logs_dir / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture
def replicas(
    redis: RedisServer, sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two replicas of a test's own: it kills one."""
    a, b = start_replicas(redis, sandbox_server, logs_dir, "own-a", "own-b")
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def replica(
    redis: RedisServer, sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[ServerProcess]:
    """One replica of a test's own: it stops Redis."""
    [a] = start_replicas(redis, sandbox_server, logs_dir, "alone")
    yield a
    a.stop()


def polls(replica: ServerProcess) -> float:
    text = HTTP.get(f"{replica.url}/metrics").text
    match = re.search(r"^gateway_readiness_polls_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def gid(session_id: str) -> str:
    return global_id_of("jumping", session_id)


async def test_event_seen_by_one_replica_reaches_the_other(
    shared_replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    a, b = shared_replicas
    a_before, b_before = polls(a), polls(b)
    sandbox.configure(processing_delay_s=3600.0)  # ready when the test says so
    session_id = upload(sandbox.url)
    async with ws_client(b.url, ALICE) as on_b, ws_client(a.url, ALICE) as on_a:
        # B subscribes first and takes the lease; A then only listens.
        b_events = on_b.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        assert (await anext(b_events))["analyzedVideo"]["status"] == "PROCESSING"
        a_stream = on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        first = await anext(a_stream)
        await until(lambda: polls(b) > b_before, "B, the lease holder, polled")
        sandbox.set_video(session_id, "ready")
        a_events = [first, *await collect(a_stream, timeout=30)]
        await collect(b_events, timeout=30)
    assert a_events[-1]["analyzedVideo"]["status"] == "READY"
    assert a_events[-1]["analyzedVideo"]["url"]
    assert polls(b) > b_before
    assert polls(a) == a_before, "only the lease holder polls"


async def test_request_through_one_replica_wakes_the_other(
    shared_replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    a, b = shared_replicas
    session_id = upload(sandbox.url)
    sandbox.set_video(session_id, "processing")
    async with ws_client(a.url, ALICE) as on_a:
        events = on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        assert (await anext(events))["analyzedVideo"]["status"] == "PROCESSING"
        sandbox.set_video(session_id, "ready")
        async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=b.url) as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": "mutation ($id: ID!) { requestAnalyzedVideo(id: $id) { status } }",
                    "variables": {"id": gid(session_id)},
                },
                headers={"Authorization": ALICE},
            )
        assert response.json()["data"]["requestAnalyzedVideo"]["status"] == "READY"
        rest = await collect(events, timeout=5)
    assert rest[-1]["analyzedVideo"]["status"] == "READY"


async def test_another_replica_takes_over_when_the_poller_dies(
    replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    a, b = replicas
    sandbox.configure(processing_delay_s=3600.0)  # ready when the test says so
    session_id = upload(sandbox.url)
    async with ws_client(a.url, ALICE) as on_a:
        async with ws_client(b.url, ALICE) as on_b:
            b_events = on_b.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
            await anext(b_events)
            a_events = on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
            assert (await anext(a_events))["analyzedVideo"]["status"] == "PROCESSING"
            await until(lambda: polls(b) > 0, "B, the lease holder, polled")
            assert polls(a) == 0
            b.kill()
        # The lease (2 s in tests) runs out and A takes over the polling: the
        # event is A's first poll (how soon is a figure for bench/, not a test).
        await until(lambda: polls(a) > 0, "A took over the polling")
        sandbox.set_video(session_id, "ready")
        rest = await collect(a_events, timeout=30)
    assert rest[-1]["analyzedVideo"]["status"] == "READY"


async def test_bob_on_another_replica_gets_nothing_of_alices_watch(
    shared_replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    """Alice watches her session on A (so its state sits in the broker); Bob asks
    B for the same session: NOT_FOUND, and not one byte of hers."""
    a, b = shared_replicas
    b_before = polls(b)
    sandbox.configure(processing_delay_s=3600.0)
    session_id = upload(sandbox.url, ALICE)
    async with ws_client(a.url, ALICE) as alice:
        alices = alice.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        assert (await anext(alices))["analyzedVideo"]["status"] == "PROCESSING"
        async with ws_client(b.url, BOB) as bob:
            with pytest.raises(SubscriptionError) as info:
                await collect(bob.subscribe(SUBSCRIPTION, {"id": gid(session_id)}), timeout=15)
        assert info.value.codes == ["NOT_FOUND"]
        sandbox.set_video(session_id, "ready")
        # Alice's READY (with its URL) reaches her, and never Bob's error.
        rest = await collect(alices, timeout=30)
        url = rest[-1]["analyzedVideo"]["url"]
    assert rest[-1]["analyzedVideo"]["status"] == "READY" and url
    assert url not in str(info.value.payload) and "PROCESSING" not in str(info.value.payload)
    # B checked Bob's key against the upstream (a details call of its own, which
    # the upstream refused) instead of serving the broker's state; B polls nothing.
    details = sandbox.stats()["by_session"][session_id]["GET /jumping/sessions/{session_id}/"]
    assert details == 2  # Alice's watch starting on A, Bob's refused check on B
    assert polls(b) == b_before


async def test_redis_down_queries_still_served_subscriptions_say_why(
    replica: ServerProcess, redis: RedisServer, sandbox: SandboxControl
) -> None:
    a = replica
    session_id = upload(sandbox.url)
    sandbox.configure(processing_delay_s=30.0)
    slow = upload(sandbox.url)
    async with ws_client(a.url, ALICE) as client:
        live = client.subscribe(SUBSCRIPTION, {"id": gid(slow)})
        await anext(live)
        redis.stop()
        # The live subscription ends with a clear error, not silence.
        with pytest.raises(SubscriptionError) as info:
            await collect(live, timeout=10)
        assert info.value.codes == ["SUBSCRIPTION_UNAVAILABLE"]
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": gid(session_id)}), timeout=5)
        assert info.value.codes == ["SUBSCRIPTION_UNAVAILABLE"]

    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=a.url) as http:
        body = (
            await http.post(
                "/graphql",
                json={"query": "{ sessions(first: 2) { totalCount } }"},
                headers={"Authorization": ALICE},
            )
        ).json()
        assert body["data"]["sessions"]["totalCount"] > 0
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"] == "unreachable"

        redis.start()

        async def ready_again() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await until(ready_again, "the replica reconnected to Redis")

    sandbox.set_video(session_id, "ready")
    async with ws_client(a.url, ALICE) as client:
        events = await collect(client.subscribe(SUBSCRIPTION, {"id": gid(session_id)}))
    assert events[-1]["analyzedVideo"]["status"] == "READY"


async def test_sigterm_closes_websockets_and_releases_leases(
    redis: RedisServer, sandbox_server: ServerProcess, sandbox: SandboxControl, logs_dir: Path
) -> None:
    gateway = start_gateway(sandbox_server.url, logs_dir / "sigterm.log", "--redis-url", redis.url)
    sandbox.configure(processing_delay_s=30.0)
    session_id = upload(sandbox.url)
    async with ws_client(gateway.url, ALICE) as client:
        events = client.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        await anext(events)

        async def leased() -> bool:
            return bool(await redis_keys(redis, "gateway:lease:*"))

        # Taken by the first poll, one interval after the first look.
        await until(leased, "the watcher holds a lease")
        gateway.stop()  # SIGTERM
        await asyncio.wait_for(client.ws.wait_closed(), 10)
        close_code = client.ws.close_code
    assert close_code in (1001, 1012), close_code  # going away / service restart
    assert await redis_keys(redis, "gateway:lease:*") == []
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit
    # status is the signal's; the log shows the lifespan finished.
    assert "Application shutdown complete" in gateway.log()


async def redis_keys(redis: RedisServer, pattern: str) -> list[bytes]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis.url)
    try:
        return list(await client.keys(pattern))
    finally:
        await client.aclose()
