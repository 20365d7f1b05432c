"""``serve --workers N``: several processes on one port, sharing events through Redis."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import psutil
import pytest

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
from tests.waiting import until, wait_for
from tests.wsclient import collect, ws_client

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"


def test_more_than_one_worker_without_redis_refuses_to_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--workers 2 needs --redis-url" in done.stderr


@contextmanager
def worker_sets(
    sandbox_server: ServerProcess, logs_dir: Path, sets: dict[str, dict[str, str]]
) -> Iterator[dict[str, ServerProcess]]:
    """Gateways of two workers each, each on a Redis of its own, started
    together; by name (``sets``: a name and its settings)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: `make test` installs it")
    running: dict[str, tuple[RedisServer, ServerProcess]] = {}
    try:
        for name, env in sets.items():
            redis = RedisServer(free_port(), logs_dir / f"redis-{name}.log").start()
            gateway = start_gateway(
                sandbox_server.url,
                logs_dir / f"gateway-{name}.log",
                "--workers",
                "2",
                "--redis-url",
                redis.url,
                env={"GATEWAY_CREDENTIAL_SECRET": "workers-test-secret-0123456789abcdef", **env},
                wait=False,
            )
            running[name] = (redis, gateway)
        all_ready(*(gateway for _, gateway in running.values()))
        # The port answers as soon as one worker serves: wait for both.
        # (Tests that share a name share the log: only this run's lines count.)
        for _, gateway in running.values():
            wait_for(partial(both_serving, gateway), "both workers serving")
        yield {name: gateway for name, (_, gateway) in running.items()}
    finally:
        for redis, gateway in running.values():
            gateway.stop()
            redis.stop()


def both_serving(gateway: ServerProcess) -> bool:
    return gateway.own_log().count("Application startup complete.") >= 2


@pytest.fixture(scope="module")
def worker_gateways(
    sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[dict[str, ServerProcess]]:
    """The two workers the tests share (none stops them or changes their
    settings) and the drain test's own, which it stops: started together."""
    drain = {"GATEWAY_DRAIN_DELAY": "3", "GATEWAY_DRAIN_SECONDS": "10"}
    with worker_sets(sandbox_server, logs_dir, {"workers": {}, "workers-drain": drain}) as sets:
        yield sets


@pytest.fixture(scope="module")
def workers(worker_gateways: dict[str, ServerProcess]) -> ServerProcess:
    return worker_gateways["workers"]


async def test_two_workers_serve_queries_and_subscriptions(
    workers: ServerProcess, sandbox: SandboxControl
) -> None:
    # Besides multiprocessing's resource tracker, the supervisor's children
    # are its workers.
    children = psutil.Process(workers.pid).children()
    spawned = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(spawned) == 2, "a supervisor and two worker processes"

    query = "{ sessions(first: 3) { edges { node { title } } } }"
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=workers.url, timeout=30) as http:
        # Each request on a connection of its own, so the kernel spreads them.
        bodies = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": query},
                    headers={"Authorization": ALICE, "Connection": "close"},
                )
                for _ in range(20)
            )
        )
    assert all(len(b.json()["data"]["sessions"]["edges"]) == 3 for b in bodies)

    session_id = upload(sandbox.url)
    variables = {"id": encode_global_id(Activity.JUMPING, session_id)}
    # Four connections: whichever worker each lands on, every one hears READY.
    async with (
        ws_client(workers.url, ALICE) as c1,
        ws_client(workers.url, ALICE) as c2,
        ws_client(workers.url, ALICE) as c3,
        ws_client(workers.url, ALICE) as c4,
    ):
        results = await asyncio.gather(
            *(collect(c.subscribe(SUBSCRIPTION, variables)) for c in (c1, c2, c3, c4))
        )
    for events in results:
        assert events[-1]["analyzedVideo"]["status"] == "READY"
        assert events[-1]["analyzedVideo"]["url"]


async def test_every_scrape_counts_every_workers_operations(workers: ServerProcess) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    async def scrape() -> float:
        # A new connection each time, so that scrapes land on both workers.
        async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=workers.url, timeout=30) as fresh:
            text = (await fresh.get("/metrics")).text
        return sum(
            s.value
            for f in text_string_to_metric_families(text)
            if f.name == "gateway_operations"
            for s in f.samples
            if s.name == "gateway_operations_total" and s.labels["operation"] == "sessions"
        )

    # What the workers counted before (another test's operations), as any scrape says.
    before = await scrape()
    query = {"query": "{ sessions(first: 2) { edges { node { title } } } }"}
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=workers.url, timeout=30) as http:
        for _ in range(20):
            response = await http.post("/graphql", json=query, headers={"Authorization": ALICE})
            assert response.status_code == 200 and "errors" not in response.json()
    counts = [await scrape() - before for _ in range(6)]
    assert counts == [20.0] * 6, counts


async def test_workers_turn_not_ready_and_finish_what_they_serve_on_sigterm(
    worker_gateways: dict[str, ServerProcess], sandbox: SandboxControl
) -> None:
    query = {"query": "{ sessions(first: 2) { edges { node { title } } } }"}
    gateway = worker_gateways["workers-drain"]
    # Well past the delay (3 s, and the supervisor passes signals on
    # within 0.5 s): the call is still in flight when its worker stops
    # listening, and within GATEWAY_DRAIN_SECONDS.
    sandbox.configure(latency_ms=7500)
    try:
        async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway.url, timeout=30) as http:
            slow = asyncio.create_task(
                http.post("/graphql", json=query, headers={"Authorization": ALICE})
            )
            await until(lambda: sandbox.stats()["in_flight"] > 0, "the slow call in flight")
            # The supervisor passes SIGTERM to each worker; each says so
            # once it is not ready.
            os.kill(gateway.pid, signal.SIGTERM)
            await until(
                lambda: gateway.own_log().count("shutting down: not ready") >= 2,
                "both workers not ready",
            )
            # Every worker still listens for the delay, and answers that it
            # drains (not merely that the slow upstream fails its probe):
            # six fresh connections, spread by the kernel over both.
            answers = set()
            for _ in range(6):
                async with httpx.AsyncClient(
                    verify=SSL_CONTEXT, base_url=gateway.url, timeout=5
                ) as fresh:
                    ready = await fresh.get("/readyz")
                answers.add((ready.status_code, ready.json()["status"]))
            assert answers == {(503, "draining")}
            response = await slow
        assert response.status_code == 200 and "errors" not in response.json()
        # ... and was answered after a worker had stopped listening (the
        # access line is written once the answer has gone: wait for it).
        await until(lambda: "POST /graphql 200" in gateway.own_log(), "the access line")
        log = gateway.own_log()
        assert log.index("Shutting down") < log.index("POST /graphql 200")
    finally:
        sandbox.configure(latency_ms=0)
