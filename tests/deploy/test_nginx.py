"""A real load balancer in front of real replicas, on loopback.

Three gateway replicas share one Redis behind Debian's nginx, configured from
deploy/nginx/gateway.conf.template (what docker-compose.yml mounts). Thirty
WebSocket subscribers watch ten processing sessions through nginx; one
replica is killed mid-run while queries keep going through nginx.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from gateway.ids import Activity, encode_global_id
from tests.conftest import ALICE, FAST_POLLING, start_gateway, start_sandbox, upload
from tests.deploy.nginx import Nginx, nginx_binary
from tests.servers import (
    HTTP,
    SSL_CONTEXT,
    RedisServer,
    SandboxControl,
    ServerProcess,
    all_ready,
    free_port,
)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (make nginx)"),
]

SUBSCRIBERS = 30
SESSIONS = 10
PROCESSING_S = 8.0
SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }"
QUERY = "{ sessions(first: 2) { edges { node { title } } } }"
# Queries counted once the kill has happened, at least.
QUERIES_AFTER_KILL = 300
# Clients sending queries at once: each may have one in flight on the replica
# when it dies, and nginx does not resend a POST that reached it.
QUERY_LOOPS = 4
VIDEO = "GET /session-management/sessions/{session_id}/analyzed-video/"


@dataclass
class Stack:
    sandbox: SandboxControl
    replicas: list[ServerProcess]
    nginx: Nginx


@pytest.fixture
def stack(logs_dir: Path, tmp_path: Path) -> Iterator[Stack]:
    redis = RedisServer(free_port(), logs_dir / "lb-redis.log").start()
    sandbox = start_sandbox(logs_dir / "lb-sandbox.log", wait=False)
    replicas: list[ServerProcess] = []
    nginx: Nginx | None = None
    try:
        for i in range(3):
            replicas.append(
                start_gateway(
                    sandbox.url,
                    logs_dir / f"lb-replica-{i}.log",
                    "--redis-url",
                    redis.url,
                    env={"GATEWAY_LOG_LEVEL": "info", **FAST_POLLING},
                    wait=False,
                )
            )
        # Side by side: none needs another to start.
        all_ready(sandbox, *replicas)
        nginx = Nginx(tmp_path / "nginx", free_port(), [f"127.0.0.1:{r.port}" for r in replicas])
        nginx.start()
        yield Stack(SandboxControl(sandbox.url), replicas, nginx)
    finally:
        if nginx is not None:
            nginx.stop()
        for replica in replicas:
            replica.stop()
        sandbox.stop()
        redis.stop()


@dataclass
class Subscriber:
    session_id: str
    statuses: list[str] = field(default_factory=list)
    connections: int = 0
    first: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ready(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] == "READY"


async def _subscribe(url: str, sub: Subscriber) -> None:
    """Subscribe through nginx until READY; reconnect whenever the socket drops."""
    gid = encode_global_id(Activity.JUMPING, sub.session_id)
    while not sub.ready:
        sub.connections += 1
        try:
            async with connect(
                url.replace("http://", "ws://") + "/graphql",
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            ) as ws:
                await ws.send(
                    json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}})
                )
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": SUBSCRIPTION, "variables": {"id": gid}},
                        }
                    )
                )
                async for raw in ws:
                    message: dict[str, Any] = json.loads(raw)
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif message["type"] == "next":
                        payload = message["payload"]
                        assert not payload.get("errors"), payload
                        sub.statuses.append(payload["data"]["analyzedVideo"]["status"])
                        sub.first.set()
                    elif message["type"] == "complete":
                        break
                    elif message["type"] == "error":
                        raise AssertionError(message)
        except (ConnectionClosed, InvalidHandshake, InvalidStatus, OSError):
            await asyncio.sleep(0.1)


@dataclass
class Tally:
    sent: int = 0
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    _target: int = 0
    _reached: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self) -> None:
        self.sent += 1
        if self.sent >= self._target:
            self._reached.set()

    async def until(self, sent: int) -> None:
        """Wait until ``sent`` queries have been sent."""
        self._target = sent
        self._reached.clear()
        if self.sent < sent:
            await self._reached.wait()


async def _query_loop(http: httpx.AsyncClient, tally: Tally, stop: asyncio.Event) -> None:
    while not stop.is_set():
        tally.count()
        try:
            response = await http.post(
                "/graphql", json={"query": QUERY}, headers={"Authorization": ALICE}
            )
            body = response.json() if response.status_code == 200 else {}
            if response.status_code == 200 and "errors" not in body:
                tally.ok += 1
            else:
                tally.failures.append(f"{response.status_code} {response.text[:100]}")
        except httpx.HTTPError as exc:
            tally.failures.append(type(exc).__name__)


def _active(replica: ServerProcess) -> float:
    text = HTTP.get(f"{replica.url}/metrics", timeout=5).text
    found = re.findall(
        r'^gateway_subscriptions_active\{operation="analyzedVideo"\} (\S+)$', text, re.M
    )
    return float(found[0]) if found else 0.0


def _ramp_polls() -> int:
    """Polls a fresh FAST_POLLING schedule makes before its delay reaches the cap."""
    delay, factor, cap = (
        float(FAST_POLLING[f"GATEWAY_WATCH_{k}"]) for k in ("START", "FACTOR", "CAP")
    )
    n = 0
    while delay < cap:
        delay *= factor
        n += 1
    return n


def _single_poller_polls(seconds: float) -> int:
    """Polls one watcher makes in ``seconds`` with the tests' FAST_POLLING schedule."""
    delay, factor, cap = (
        float(FAST_POLLING[f"GATEWAY_WATCH_{k}"]) for k in ("START", "FACTOR", "CAP")
    )
    t, n = 0.0, 0
    while t <= seconds:
        t += delay
        delay = min(delay * factor, cap)
        n += 1
    return n


async def test_subscribers_and_queries_survive_a_replica_killed_behind_nginx(
    stack: Stack,
) -> None:
    stack.sandbox.configure(processing_delay_s=PROCESSING_S)
    uploaded = time.monotonic()
    sessions = [upload(stack.sandbox.url) for _ in range(SESSIONS)]
    subscribers = [Subscriber(sessions[i % SESSIONS]) for i in range(SUBSCRIBERS)]
    tasks = [asyncio.create_task(_subscribe(stack.nginx.url, s)) for s in subscribers]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in subscribers)), 30)
        spread = [_active(r) for r in stack.replicas]
        assert sum(spread) == SUBSCRIBERS, spread
        assert all(n > 0 for n in spread), f"subscribers not spread over the replicas: {spread}"

        tally = Tally()
        stop = asyncio.Event()
        async with httpx.AsyncClient(
            verify=SSL_CONTEXT, base_url=stack.nginx.url, timeout=30
        ) as http:
            loops = [
                asyncio.create_task(_query_loop(http, tally, stop)) for _ in range(QUERY_LOOPS)
            ]
            await tally.until(30)
            victim = stack.replicas[0]
            victim.kill()
            sent_at_kill = tally.sent
            await tally.until(sent_at_kill + QUERIES_AFTER_KILL)
            stop.set()
            await asyncio.gather(*loops)

        await asyncio.wait_for(asyncio.gather(*tasks), PROCESSING_S + 30)
        elapsed = time.monotonic() - uploaded
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    ready = sum(s.ready for s in subscribers)
    reconnected = sum(s.connections > 1 for s in subscribers)
    calls = stack.sandbox.stats()["by_session"]
    polls = [calls[sid].get(VIDEO, 0) for sid in sessions]
    reads = [sum(n for r, n in calls[sid].items() if r.startswith("GET ")) for sid in sessions]
    success = tally.ok / tally.sent
    single = _single_poller_polls(elapsed)
    print(
        f"\nsubscribers READY: {ready}/{SUBSCRIBERS} (spread {spread}, "
        f"{reconnected} reconnected after the kill)\n"
        f"upstream polls (analyzed-video GETs) per session: min {min(polls)}, max {max(polls)}, "
        f"mean {sum(polls) / len(polls):.1f} over {elapsed:.1f} s "
        f"(one poller: at most {single}, three: about {3 * single}); "
        f"all GETs per session: {min(reads)} to {max(reads)}\n"
        f"queries during the kill: {tally.ok}/{tally.sent} succeeded "
        f"({100 * success:.2f} %); failures: {tally.failures[:5]}"
    )
    assert ready == SUBSCRIBERS
    assert reconnected >= spread[0] - 1, "the killed replica's subscribers came back"
    # One poller per session, not one per replica. What three replicas must
    # do on top of one poller's schedule: each replica's first look when it
    # starts watching, and, where the killed replica held the lease, the
    # replica that takes over polls at once and restarts the schedule from
    # its first delay (its ramp up to the cap).
    bound = single + len(stack.replicas) + 1 + _ramp_polls()
    assert max(polls) <= bound, (polls, bound)
    # A poller per replica would poll about three times as often.
    assert bound < 2 * single, (bound, single)
    assert success >= 0.99, tally.failures
