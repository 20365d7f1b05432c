"""Several replicas sharing one Redis: events cross replicas, one poller, failover."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, start_gateway, upload
from tests.ids import global_id_of
from tests.servers import RedisServer, SandboxControl, ServerProcess, free_port
from tests.wsclient import SubscriptionError, collect, ws_client

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"


@pytest.fixture
def redis(logs_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), logs_dir / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture
def replicas(
    redis: RedisServer, sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = start_gateway(sandbox_server.url, logs_dir / "replica-a.log", "--redis-url", redis.url)
    b = start_gateway(sandbox_server.url, logs_dir / "replica-b.log", "--redis-url", redis.url)
    yield a, b
    a.stop()
    b.stop()


def polls(replica: ServerProcess) -> float:
    text = httpx.get(f"{replica.url}/metrics").text
    match = re.search(r"^gateway_readiness_polls_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def gid(session_id: str) -> str:
    return global_id_of("jumping", session_id)


async def test_event_seen_by_one_replica_reaches_the_other(
    replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    a, b = replicas
    sandbox.configure(processing_delay_s=1.5)
    session_id = upload(sandbox.url)
    async with ws_client(b.url, ALICE) as on_b, ws_client(a.url, ALICE) as on_a:
        # B subscribes first and takes the lease; A then only listens.
        b_events = on_b.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        assert (await anext(b_events))["analyzedVideo"]["status"] == "PROCESSING"
        a_events = await collect(on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)}))
        await collect(b_events)
    assert a_events[-1]["analyzedVideo"]["status"] == "READY"
    assert a_events[-1]["analyzedVideo"]["url"]
    assert polls(b) > 0
    assert polls(a) == 0, "only the lease holder polls"


async def test_request_through_one_replica_wakes_the_other(
    replicas: tuple[ServerProcess, ServerProcess], sandbox: SandboxControl
) -> None:
    a, b = replicas
    session_id = upload(sandbox.url)
    sandbox.set_video(session_id, "processing")
    async with ws_client(a.url, ALICE) as on_a:
        events = on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
        assert (await anext(events))["analyzedVideo"]["status"] == "PROCESSING"
        sandbox.set_video(session_id, "ready")
        async with httpx.AsyncClient(base_url=b.url) as http:
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
    sandbox.configure(processing_delay_s=6.0)
    session_id = upload(sandbox.url)
    async with ws_client(a.url, ALICE) as on_a:
        async with ws_client(b.url, ALICE) as on_b:
            b_events = on_b.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
            await anext(b_events)
            a_events = on_a.subscribe(SUBSCRIPTION, {"id": gid(session_id)})
            assert (await anext(a_events))["analyzedVideo"]["status"] == "PROCESSING"
            await asyncio.sleep(0.5)
            assert polls(b) > 0 and polls(a) == 0
            b.kill()
            killed = time.monotonic()
        # The lease (2 s in tests) runs out and A takes over the polling.
        while polls(a) == 0:
            assert time.monotonic() - killed < 10, "no replica took over"
            await asyncio.sleep(0.1)
        took_over = time.monotonic() - killed
        rest = await collect(a_events, timeout=15)
    assert rest[-1]["analyzedVideo"]["status"] == "READY"
    print(f"A took over polling {took_over:.1f}s after B was killed (lease: 2.0 s)")
    # Within the lease's expiry plus one retry of the lease (a quarter of it).
    assert took_over < 2.0 * 1.25 + 1.0


async def test_redis_down_queries_still_served_subscriptions_say_why(
    replicas: tuple[ServerProcess, ServerProcess], redis: RedisServer, sandbox: SandboxControl
) -> None:
    a, _ = replicas
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

    async with httpx.AsyncClient(base_url=a.url) as http:
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
        deadline = time.monotonic() + 10
        while (await http.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "did not reconnect to Redis"
            await asyncio.sleep(0.2)

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
        assert await redis_keys(redis, "gateway:lease:*"), "the watcher holds a lease"
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
