"""Finding 7: Redis is an untrusted medium.

With the default credential secret, channel names could be recomputed from a
guessed key (an offline test of key guesses); the gateway only warned. And
anyone able to PUBLISH to Redis could tell subscribers a video was READY at
a URL of their choosing. Now a default or short secret refuses to start, and
messages and stored states are signed: forgeries are dropped and counted.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from gateway.broker.memory import MemoryBroker
from gateway.broker.signed import SignedBroker
from gateway.config import DEFAULT_CREDENTIAL_SECRET
from gateway.ids import Activity, encode_global_id
from tests.conftest import ALICE, start_gateway, upload
from tests.servers import (
    SSL_CONTEXT,
    RedisServer,
    SandboxControl,
    ServerProcess,
    all_ready,
    free_port,
)
from tests.wsclient import collect, ws_client

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"
EVIL = "https://attacker.example/video.mp4"


@pytest.fixture(scope="module")
def redis_server(logs_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), logs_dir / "redis-trust.log").start()
    yield server
    server.stop()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.mark.parametrize("secret", [DEFAULT_CREDENTIAL_SECRET, "short-secret"])
def test_redis_with_a_default_or_short_secret_refuses_to_start(
    sandbox_server: ServerProcess, redis_server: RedisServer, logs_dir: Path, secret: str
) -> None:
    log = logs_dir / "gateway-weak-secret.log"
    with pytest.raises(RuntimeError, match="exited early"):
        start_gateway(
            sandbox_server.url,
            log,
            "--redis-url",
            redis_server.url,
            env={"GATEWAY_CREDENTIAL_SECRET": secret},
        )
    assert "GATEWAY_CREDENTIAL_SECRET must be set" in log.read_text()


async def test_forged_events_and_states_are_dropped_and_counted(
    sandbox_server: ServerProcess,
    sandbox: SandboxControl,
    redis_server: RedisServer,
    redis_client: aioredis.Redis,
    logs_dir: Path,
) -> None:
    sandbox.configure(processing_delay_s=60.0)
    session_id = upload(sandbox.url)
    gid = encode_global_id(Activity.JUMPING, session_id)
    # Two replicas: the second joins late, and reads the stored state first.
    a, b = (
        start_gateway(
            sandbox_server.url,
            logs_dir / f"gateway-redis-{n}.log",
            "--redis-url",
            redis_server.url,
            wait=False,
        )
        for n in "ab"
    )
    try:
        all_ready(a, b)
        async with ws_client(a.url, ALICE) as client:
            events = client.subscribe(SUBSCRIPTION, {"id": gid})
            first = await asyncio.wait_for(anext(events), 10)
            assert first["analyzedVideo"]["status"] == "PROCESSING"
            # What an attacker with Redis access sees: the channel and state names.
            channels = [c.decode() for c in await redis_client.pubsub_channels("gateway:video:*")]
            (channel,) = [c for c in channels if c.endswith(session_id)]
            (state_key,) = await redis_client.keys(f"gateway:state:*{session_id}")
            forged = orjson.dumps({"kind": "state", "status": "READY", "url": EVIL})
            other_secret = SignedBroker(MemoryBroker(), b"x" * 32)
            for message in (
                forged,
                other_secret._seal(b"gateway-message-v1\0", channel, forged),
                b"\x00" * 40,
            ):
                assert await redis_client.publish(channel, message) == 1
            await redis_client.set(state_key, forged)
            async with ws_client(b.url, ALICE) as late:
                joined = await asyncio.wait_for(
                    anext(late.subscribe(SUBSCRIPTION, {"id": gid})), 10
                )
            assert joined["analyzedVideo"] == {"status": "PROCESSING", "url": None}
            # Then the video really becomes ready: the first READY is the real one.
            sandbox.set_video(session_id, "ready")
            rest = await collect(events, 15)
        statuses = [e["analyzedVideo"] for e in rest]
        assert all(e["url"] != EVIL for e in statuses), statuses
        assert statuses[-1]["status"] == "READY"
        assert await rejected(a) == 3  # the three forged messages
        assert await rejected(b) == 1  # the forged state
        assert "not signed with our credential secret" in a.log()
    finally:
        a.stop()
        b.stop()
        sandbox.configure(processing_delay_s=1.0)


async def rejected(gateway: ServerProcess) -> float:
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway.url) as http:
        metrics = (await http.get("/metrics")).text
    match = re.search(r"^gateway_broker_rejected_total (\S+)$", metrics, re.M)
    assert match is not None, metrics
    return float(match.group(1))
