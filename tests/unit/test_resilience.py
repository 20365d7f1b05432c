"""Retry budget, circuit breakers, singleflight and the cache, on an injected transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import NotFound, UpstreamUnavailable
from gateway.ids import Activity
from gateway.sessions import read_video_state
from gateway.upstream import endpoints
from gateway.upstream.client import UpstreamClient, UpstreamRequest
from gateway.upstream.resilience import CircuitOpen, Resilience, RetryBudget, Singleflight

ALICE = Credential("API-KEY alice-key-1")
BOB = Credential("API-KEY bob-key-22")
CAROL = Credential("API-KEY carol-key-333")
FAST = RetryPolicy(attempts=5, base_delay=0.0005, max_delay=0.001, total_budget=2.0)
LISTING = "/session-management/sessions/"
EXPORT = endpoints.EXPORT.route
SESSION = {"activity": "jumping", "session_id": "abc"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def client(handler, policy: RetryPolicy = FAST, **kwargs) -> UpstreamClient:  # type: ignore[no-untyped-def]
    return UpstreamClient(
        "http://upstream",
        transport=httpx.MockTransport(handler),
        retry=policy,
        resilience=Resilience(policy, **kwargs),
    )


# --- the retry budget ----------------------------------------------------------


def test_budget_earns_a_share_of_answered_calls_and_a_floor() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.5, capacity=2.0, floor_per_second=1.0, clock=clock)
    assert budget.try_retry() and budget.try_retry()
    assert not budget.try_retry()  # spent
    budget.answered()
    assert not budget.try_retry()  # half a token
    budget.answered()
    assert budget.try_retry()
    clock.now += 1.0  # the floor: one more per second
    assert budget.try_retry() and not budget.try_retry()
    clock.now += 100.0
    assert budget.tokens == 2.0  # capped


async def test_a_dead_upstream_costs_at_most_one_and_a_half_calls_per_read() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, json={"error": "down"})

    # The breaker out of the way: the budget alone must hold the line.
    async with client(handler, breaker_threshold=10_000) as upstream:
        for _ in range(300):
            with pytest.raises(UpstreamUnavailable):
                await upstream.get(LISTING, ALICE)
    print(f"calls per read, upstream down, no breaker: {calls / 300:.3f}")
    assert calls / 300 <= 1.5


async def test_thirty_percent_503s_are_retried_to_99_percent() -> None:
    import random

    rng = random.Random(11)
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if rng.random() < 0.3:
            return httpx.Response(503, json={"error": "busy"})
        return httpx.Response(200, json={"sessions": {}})

    ok = 0
    async with client(handler) as upstream:
        for _ in range(1000):
            try:
                await upstream.get(LISTING, ALICE)
                ok += 1
            except UpstreamUnavailable:
                pass
    print(f"30% 503s: {ok / 10:.1f}% succeeded, {calls / 1000:.2f} calls per read")
    assert ok >= 990
    assert calls / 1000 <= 1.5


async def test_retry_after_is_honoured_within_the_budget() -> None:
    seen: list[float] = []
    loop = asyncio.get_running_loop()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(loop.time())
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "0.2"}, json={"error": "x"})
        return httpx.Response(200, json={"ok": True})

    async with client(handler) as upstream:
        assert await upstream.get(LISTING, ALICE) == {"ok": True}
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.2


# --- the circuit breaker -------------------------------------------------------


async def test_breaker_opens_fails_fast_then_probes_and_closes() -> None:
    up = False
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if up:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(503, json={"error": "down"})

    async with client(handler, breaker_threshold=3, breaker_ttl=0.3) as upstream:
        for _ in range(3):
            with pytest.raises(UpstreamUnavailable) as failed:
                await upstream.get(LISTING, ALICE)
            assert not isinstance(failed.value, CircuitOpen)
        before = calls
        for _ in range(50):
            with pytest.raises(CircuitOpen) as fast:
                await upstream.get(LISTING, ALICE)
        assert calls == before  # failed fast: no upstream call
        assert fast.value.code == "UPSTREAM_UNAVAILABLE"
        assert fast.value.extensions["retryAfter"] == 1
        # Another family is not affected: its calls still go out.
        with pytest.raises(UpstreamUnavailable) as other:
            await upstream.get(
                endpoints.DETAILS.route, ALICE, path_params={"activity": "x", "session_id": "y"}
            )
        assert not isinstance(other.value, CircuitOpen)
        assert upstream.resilience.breakers.opened == 1

        up = True
        await asyncio.sleep(0.35)  # past the ttl: half-open, the next call probes
        assert await upstream.get(LISTING, ALICE) == {"ok": True}
        assert await upstream.resilience.breakers.state("listing") == "closed"


async def test_half_open_lets_one_probe_through_and_the_rest_fail_fast() -> None:
    calls = 0
    up = False
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if not up:
            return httpx.Response(503)
        await release.wait()
        return httpx.Response(200, json={"ok": True})

    async with client(handler, breaker_threshold=2, breaker_ttl=0.3) as upstream:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable):
                await upstream.get(LISTING, ALICE)
        assert await upstream.resilience.breakers.state("listing") == "opened"
        up = True
        await asyncio.sleep(0.35)
        before = calls
        # The probe (Alice) waits on the recovering upstream; Bob and Carol's
        # reads of the same family meanwhile fail fast, with no call.
        probe = asyncio.create_task(upstream.get(LISTING, ALICE))
        await asyncio.sleep(0.05)
        for key in (BOB, CAROL):
            with pytest.raises(CircuitOpen):
                await upstream.get(LISTING, key)
        assert calls == before + 1
        release.set()
        assert await probe == {"ok": True}
        assert await upstream.resilience.breakers.state("listing") == "closed"
        # Closed again: everyone's calls go out.
        assert await upstream.get(LISTING, BOB) == {"ok": True}
        assert calls == before + 2


async def test_errors_of_the_caller_do_not_open_the_breaker() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "nope"})

    async with client(handler, breaker_threshold=2) as upstream:
        for _ in range(10):
            with pytest.raises(NotFound):
                await upstream.get(LISTING, ALICE)
        assert upstream.resilience.breakers.opened == 0


# --- singleflight and the cache ------------------------------------------------


async def test_fifty_identical_concurrent_reads_make_one_call() -> None:
    calls = 0
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await release.wait()
        return httpx.Response(200, json={"n": calls})

    async with UpstreamClient(
        "http://upstream", transport=httpx.MockTransport(handler), retry=FAST
    ) as upstream:
        reads = [asyncio.create_task(upstream.get(LISTING, ALICE)) for _ in range(50)]
        others = [asyncio.create_task(upstream.get(LISTING, BOB)) for _ in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.gather(*reads, *others)
    assert calls == 2  # one per credential: nothing shared across keys
    assert results[:50] == [results[0]] * 50


async def test_a_follower_that_gives_up_leaves_the_call_running() -> None:
    flight = Singleflight()
    release = asyncio.Event()
    runs = 0

    async def call() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 7

    leader = asyncio.create_task(flight.do("k", call))
    await asyncio.sleep(0)
    follower = asyncio.create_task(flight.do("k", call))
    other = asyncio.create_task(flight.do("k", call))
    await asyncio.sleep(0)
    follower.cancel()
    release.set()
    assert await leader == 7 and await other == 7
    assert runs == 1 and flight.in_flight == 0 and flight.shared == 2


async def test_a_leader_that_gives_up_hands_the_call_on() -> None:
    flight = Singleflight()
    release = asyncio.Event()
    runs = 0

    async def call() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return runs

    leader = asyncio.create_task(flight.do("k", call))
    await asyncio.sleep(0)
    followers = [asyncio.create_task(flight.do("k", call)) for _ in range(3)]
    await asyncio.sleep(0)
    leader.cancel()
    for _ in range(5):  # the followers learn of it, and one takes over
        await asyncio.sleep(0)
    release.set()
    # One follower ran it again; the others shared that second run.
    assert await asyncio.gather(*followers) == [2, 2, 2]
    assert runs == 2 and flight.in_flight == 0


async def test_a_shared_failure_reaches_every_caller() -> None:
    flight = Singleflight()

    async def call() -> int:
        await asyncio.sleep(0.01)
        raise NotFound("gone")

    results = await asyncio.gather(
        *(flight.do("k", call) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, NotFound) for r in results)


async def test_cache_is_per_credential_and_never_for_the_video_status() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={"analyzed_video_url": ""})

    async with client(handler, cache_ttl=60.0) as upstream:
        for _ in range(3):
            await upstream.get(EXPORT, ALICE, path_params=SESSION)
        await upstream.get(EXPORT, BOB, path_params=SESSION)
        for _ in range(3):
            await read_video_state(upstream, ALICE, Activity.JUMPING, "abc")
            await upstream.get(endpoints.DETAILS.route, ALICE, path_params=SESSION)
            await upstream.get(LISTING, ALICE)
    assert calls.count("/jumping/sessions/abc/export/") == 2
    assert len(calls) == 2 + 3 * 3
    # No key in clear in any cache key.
    assert upstream.resilience.cache is not None
    for key in upstream.resilience.cache._entries:
        assert "alice-key-1" not in repr(key) and "bob-key-22" not in repr(key)


async def test_a_write_drops_the_writers_cached_reads_only() -> None:
    titles = {"alice": "before", "bob": "bob's"}

    def handler(request: httpx.Request) -> httpx.Response:
        who = "alice" if "alice" in request.headers["authorization"] else "bob"
        if request.method == "PUT":
            titles[who] = "after"
            return httpx.Response(200, json={"success": "updated"})
        return httpx.Response(200, json={"title": titles[who]})

    async with client(handler, cache_ttl=60.0) as upstream:
        assert await upstream.get(EXPORT, ALICE, path_params=SESSION) == {"title": "before"}
        assert await upstream.get(EXPORT, BOB, path_params=SESSION) == {"title": "bob's"}
        await upstream.request(
            UpstreamRequest.to(
                endpoints.UPDATE_SESSION, path_params={"session_id": "s"}, json={"title": "x"}
            ),
            ALICE,
        )
        assert await upstream.get(EXPORT, ALICE, path_params=SESSION) == {"title": "after"}
        assert upstream.resilience.cache is not None
        assert len(upstream.resilience.cache._entries) == 2  # bob's stayed


async def test_cache_is_off_by_default() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={})

    async with client(handler) as upstream:
        await upstream.get(LISTING, ALICE)
        await upstream.get(LISTING, ALICE)
    assert calls == 2


# --- what requests declare -----------------------------------------------------


async def test_json_bodies_declare_their_media_type_and_uploads_are_multipart() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"session_id": "a" * 32})

    async with client(handler) as upstream:
        await upstream.request(
            UpstreamRequest.to(
                endpoints.UPDATE_SESSION, path_params={"session_id": "s"}, json={"title": "t"}
            ),
            ALICE,
        )
        await upstream.request(
            UpstreamRequest.to(
                endpoints.CREATE_SESSION,
                path_params={"activity": "jumping"},
                data={"session_name": "x"},
                files={"video": ("v.mp4", b"\x00" * 10, "video/mp4")},
            ),
            ALICE,
        )
        await upstream.request(
            UpstreamRequest.to(endpoints.DELETE_SESSION, path_params={"session_id": "s"}), ALICE
        )
    put, post, delete = seen
    assert put.headers["content-type"] == "application/json"
    assert put.content == b'{"title":"t"}'
    assert post.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert "content-type" not in delete.headers


async def test_writes_are_never_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, json={"error": "busy"})

    async with client(handler) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.request(
                UpstreamRequest.to(
                    endpoints.UPDATE_SESSION, path_params={"session_id": "s"}, json={}
                ),
                ALICE,
            )
    assert calls == 1
