"""A failing upstream, end to end: retries that help, a budget and a breaker that
keep the gateway from making things worse, and identical reads that share a call.

Counting, not timing: the figures are successes and upstream calls, from the
sandbox's own counters. These tests inject failures and open breakers, so they
run on their own sandbox and gateway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ALICE, GraphQLClient, global_id, seeded, start_pair
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess

LIST = "{ sessions(first: 3) { totalCount } }"
READS = 300


@pytest.fixture(scope="module")
def servers(logs_dir: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # A short breaker ttl so that recovery is quick to observe, and backoffs a
    # tenth of the default's: what is counted is calls and successes, not waits
    # (and the retry budget's floor, earned per second, earns less in a shorter
    # run: the figures can only get harder to meet).
    env = {
        "GATEWAY_BREAKER_TTL": "1",
        "GATEWAY_RETRY_BASE_DELAY": "0.01",
        "GATEWAY_RETRY_MAX_DELAY": "0.1",
    }
    sandbox, gateway = start_pair(logs_dir, "resilience", env=env)
    yield sandbox, gateway
    gateway.stop()
    sandbox.stop()


@pytest.fixture(scope="module", name="sandbox_server")
def _sandbox_server(servers: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
    return servers[0]


@pytest.fixture(scope="module", name="gateway_server")
def _gateway_server(servers: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
    return servers[1]


@pytest.fixture
def faults(sandbox: SandboxControl) -> Iterator[SandboxControl]:
    yield sandbox
    sandbox.configure(fail_rate=None, fail_next=None)


@pytest.fixture
async def http(gateway_server: ServerProcess) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(
        verify=SSL_CONTEXT, base_url=gateway_server.url, timeout=60
    ) as client:
        yield GraphQLClient(client)


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def wait_until_reads_succeed(gql: GraphQLClient, within: float = 30.0) -> int:
    """Reads every 100 ms until one succeeds; how many it took (fails after ``within``)."""
    deadline = time.monotonic() + within
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        if "errors" not in await gql.execute(LIST):
            return tries
        await asyncio.sleep(0.1)
    raise AssertionError(f"reads did not recover within {within} s")


async def test_thirty_percent_503s_still_give_99_percent(
    http: GraphQLClient, faults: SandboxControl
) -> None:
    await wait_until_reads_succeed(http)
    faults.configure(fail_rate={"rate": 0.3, "seed": 3})
    faults.reset()
    ok = 0
    for _ in range(READS):
        ok += "errors" not in await http.execute(LIST)
    per_read = faults.calls() / READS
    print(f"30% 503s: {ok / READS:.1%} succeeded, {per_read:.2f} upstream calls per read")
    assert ok >= 0.99 * READS
    assert per_read <= 1.5


async def test_a_dead_upstream_fails_fast_and_reads_recover(
    http: GraphQLClient, faults: SandboxControl
) -> None:
    await wait_until_reads_succeed(http)
    faults.configure(fail_rate={"rate": 1.0})
    faults.reset()
    fast = 0
    retry_after: set[int] = set()
    for _ in range(READS):
        body = await http.execute(LIST)
        assert codes(body) == ["UPSTREAM_UNAVAILABLE"]
        extensions = body["errors"][0]["extensions"]
        if "retryAfter" in extensions:
            fast += 1
            retry_after.add(extensions["retryAfter"])
    per_read = faults.calls() / READS
    print(f"100% 503s: {per_read:.3f} upstream calls per read, {fast} failed fast")
    assert per_read <= 1.5
    assert fast > 0 and retry_after == {1}

    faults.configure(fail_rate=None)
    tries = await wait_until_reads_succeed(http)
    print(f"recovered after {tries} reads at 100 ms")


async def test_fifty_identical_concurrent_reads_share_a_call(
    http: GraphQLClient, faults: SandboxControl
) -> None:
    await wait_until_reads_succeed(http)
    record = seeded("alice", "Running")[0]
    query = "query ($id: ID!) { session(id: $id) { title } }"
    faults.configure(latency_ms=300)
    faults.reset()
    bodies = await asyncio.gather(
        *(http.execute(query, {"id": global_id(record)}, key=ALICE) for _ in range(50))
    )
    assert all("errors" not in b for b in bodies)
    calls = faults.calls("GET /running/sessions/{session_id}/")
    print(f"50 identical concurrent reads: {calls} upstream calls")
    assert calls <= 2
