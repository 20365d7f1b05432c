"""The upstream client's error mapping and retry schedule, exactly (written for the
mutants that survived the first mutation run: see pyproject's [tool.mutmut])."""

from __future__ import annotations

import types
from dataclasses import replace
from typing import Any

import httpx
import pytest

import gateway.upstream.client as upstream_module
from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    LimitExceeded,
    NotFound,
    Unauthenticated,
    UpstreamBadResponse,
    UpstreamUnavailable,
)
from gateway.ids import Activity
from gateway.loaders import Resource, ResourceLoader
from gateway.upstream import endpoints
from gateway.upstream.client import MethodNotAllowed, UpstreamClient, UpstreamRequest

KEY = Credential("API-KEY k-123456")


def client(handler: Any, retry: RetryPolicy | None = None) -> UpstreamClient:
    return UpstreamClient(
        "http://upstream",
        transport=httpx.MockTransport(handler),
        retry=retry or RetryPolicy(attempts=1),
    )


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        # A fixed message per status: the upstream's own text ("nope") never
        # reaches a caller (it may echo the key in any form).
        (400, BadRequest, "The session service refused the request."),
        (401, Unauthenticated, "The API key was missing or not accepted."),
        (403, Forbidden, "The API key may not do this."),
        (404, NotFound, "Not found."),
        (405, MethodNotAllowed, "The session service does not serve this method here."),
        (409, BadRequest, "The session service refused the request: it conflicts with its state."),
        (413, BadRequest, "The session service refused the request: it is too large."),
        (422, BadRequest, "The session service could not process the request."),
        (429, UpstreamUnavailable, "The session service failed (HTTP 429)."),
        (500, UpstreamUnavailable, "The session service failed (HTTP 500)."),
        (503, UpstreamUnavailable, "The session service failed (HTTP 503)."),
        (300, UpstreamBadResponse, "The session service answered HTTP 300."),
        (302, UpstreamBadResponse, "The session service answered HTTP 302."),
        (418, UpstreamBadResponse, "The session service answered HTTP 418."),
    ],
)
async def test_every_status_maps_to_one_error_with_its_message(
    status: int, error: type[GatewayError], message: str
) -> None:
    async with client(lambda r: httpx.Response(status, json={"error": "nope"})) as upstream:
        with pytest.raises(GatewayError) as info:
            await upstream.request(UpstreamRequest("POST", "/x/"), KEY)  # not retried
    assert type(info.value) is error
    assert str(info.value) == message
    assert info.value.upstream_status == status


@pytest.mark.parametrize(
    "body",
    [
        {"error": "Session not found"},
        {"error": ""},
        {"error": 42},
        {"detail": "x"},
        ["error"],
        {"error": "e" * 300},
        {"error": "your key k-123456 is wrong"},
        {"error": "your key K-123456 is wrong"},
    ],
)
async def test_the_upstreams_error_text_never_reaches_the_caller(body: Any) -> None:
    async with client(lambda r: httpx.Response(404, json=body)) as upstream:
        with pytest.raises(NotFound) as info:
            await upstream.get("/x/", KEY)
    assert str(info.value) == "Not found."


async def test_an_empty_or_non_json_success_is_a_bad_response() -> None:
    for response in (httpx.Response(200), httpx.Response(200, text="null"), httpx.Response(204)):
        async with client(lambda r, response=response: response) as upstream:
            with pytest.raises(UpstreamBadResponse) as info:
                await upstream.get("/x/", KEY)
        assert info.value.upstream_status == response.status_code


async def test_params_are_encoded_as_the_upstream_reads_them() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with client(handler) as upstream:
        await upstream.get("/x/", KEY, params={"is_jump": True, "is_weight": False, "limit": 5})
        await upstream.get("/y/", KEY, params={})
        await upstream.request(UpstreamRequest("POST", "/z/", json={"a": 1}), KEY)
    assert seen[0].url.query == b"is_jump=true&is_weight=false&limit=5"
    assert seen[1].url.query == b""
    assert seen[2].content == b'{"a":1}'
    assert seen[0].headers["accept"] == "application/json"


class FakeTime:
    """A clock that only the retry sleeps move, and the sleeps it saw."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(upstream_module, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(upstream_module, "asyncio", types.SimpleNamespace(sleep=fake.sleep))
    # Full jitter at its ceiling: the schedule's bounds become exact figures.
    monkeypatch.setattr(upstream_module, "random", types.SimpleNamespace(uniform=lambda a, b: b))
    return fake


def failing(times: int, status: int = 503, headers: dict[str, str] | None = None) -> Any:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= times:
            return httpx.Response(status, headers=headers, json={"error": "busy"})
        return httpx.Response(200, json={"ok": calls})

    return handler


async def test_backoff_doubles_up_to_its_cap(fake_time: FakeTime) -> None:
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.3, total_budget=10.0)
    async with client(failing(4), policy) as upstream:
        assert await upstream.get("/x/", KEY) == {"ok": 5}
    assert fake_time.sleeps == pytest.approx([0.1, 0.2, 0.3, 0.3])


async def test_attempts_bound_the_tries(fake_time: FakeTime) -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0, total_budget=10.0)
    async with client(failing(3), policy) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x/", KEY)
    assert fake_time.sleeps == pytest.approx([0.1, 0.2])


async def test_the_total_budget_bounds_the_waiting(fake_time: FakeTime) -> None:
    # 0.1 then 0.2 would be 0.3 s of waiting: past a 0.25 s budget, so one retry only.
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=1.0, total_budget=0.25)
    async with client(failing(5), policy) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x/", KEY)
    assert fake_time.sleeps == pytest.approx([0.1])


@pytest.mark.parametrize(
    ("header", "sleeps"),
    [("2", [2.0]), ("0.5", [0.5]), ("0", [0.1]), ("soon", [0.1]), (None, [0.1])],
)
async def test_retry_after_is_a_floor_on_the_delay(
    fake_time: FakeTime, header: str | None, sleeps: list[float]
) -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0, total_budget=5.0)
    headers = {"Retry-After": header} if header is not None else None
    async with client(failing(1, 429, headers), policy) as upstream:
        assert await upstream.get("/x/", KEY) == {"ok": 2}
    assert fake_time.sleeps == pytest.approx(sleeps)


async def test_a_retry_after_past_the_budget_is_not_waited_for(fake_time: FakeTime) -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0, total_budget=5.0)
    async with client(failing(1, 429, {"Retry-After": "6"}), policy) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x/", KEY)
    assert fake_time.sleeps == []


async def test_the_loader_falls_back_only_where_told_and_fails_items_alone() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "GET" and "lift" in request.url.path:
            return httpx.Response(405, json={"error": "Method not allowed"})
        if "bad" in request.url.path:
            return httpx.Response(404, json={"error": "Session not found"})
        return httpx.Response(200, json={"path": request.url.path})

    async with client(handler) as upstream:
        op = ResourceLoader(upstream, KEY, max_calls=10, max_concurrency=2)
        with pytest.raises(MethodNotAllowed):
            await op.load(Resource.of("/lift/{session_id}/", session_id="s1"))
        fallback = Resource.of("/lift/{session_id}/", fallback_method="POST", session_id="s2")
        assert await op.load(fallback) == {"path": "/lift/s2/"}
        good = Resource.session("/{activity}/sessions/{session_id}/", Activity.RUNNING, "ok")
        bad = Resource.session("/{activity}/sessions/{session_id}/", Activity.RUNNING, "bad")
        results = await op._load_many([good, bad])
    assert results[0] == {"path": "/running/sessions/ok/"}
    assert isinstance(results[1], NotFound)
    assert seen == [
        "GET /lift/s1/",
        "GET /lift/s2/",
        "POST /lift/s2/",
        "GET /running/sessions/ok/",
        "GET /running/sessions/bad/",
    ]
    assert op.calls == 5


def test_resources_are_keyed_by_what_is_fetched() -> None:
    a = Resource.of("/r/{a}/{b}/", a="1", b="2")
    assert a == Resource.of("/r/{a}/{b}/", b="2", a="1")
    assert a.path_params == (("a", "1"), ("b", "2"))
    assert a.method == "GET" and a.fallback_method is None and a.params == ()
    # Details and exports are read lazily, whoever asks for them.
    details = Resource.session(endpoints.DETAILS.route, Activity.JUMPING, "s")
    assert details.path_params == (("activity", "jumping"), ("session_id", "s")) and details.lazy
    assert not Resource.session("/{activity}/x/{session_id}/", Activity.JUMPING, "s").lazy


async def test_a_wait_that_exactly_fills_the_budget_is_allowed(fake_time: FakeTime) -> None:
    # 0.25 + 0.5 is exactly 0.75 in binary floating point: within, not past, the budget.
    policy = RetryPolicy(attempts=5, base_delay=0.25, max_delay=1.0, total_budget=0.75)
    async with client(failing(5), policy) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x/", KEY)
    assert fake_time.sleeps == [0.25, 0.5]


async def test_loaded_reads_are_retried_and_carry_their_params() -> None:
    """A resource is a read: retried on 503 even when its method is POST (a report),
    with its query params; an uncached call passes on exactly what it is given."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) in (1, 3):
            return httpx.Response(503, json={"error": "busy"})
        return httpx.Response(200, json={"keypoints": {"a": [1.0, 2.5]}})

    policy = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001, total_budget=1.0)
    async with client(handler, policy) as upstream:
        op = ResourceLoader(upstream, KEY, max_calls=10, max_concurrency=2)
        report = Resource("POST", "/r/{session_id}/", (("session_id", "s1"),), (("lang", "ru"),))
        assert await op.load(report) == {"keypoints": {"a": [1.0, 2.5]}}
        body = await op.call(
            UpstreamRequest(
                "POST", "/w/", json={"title": "t"}, params={"is_jump": True}, idempotent=True
            )
        )
        assert body == {"keypoints": {"a": [1.0, 2.5]}}  # parsed whole: lazy only if asked
        lazy = await op.load(
            replace(
                Resource.session("/{activity}/e/{session_id}/", Activity.JUMPING, "s"), lazy=True
            )
        )
    assert [(r.method, r.url.path, r.url.query) for r in seen] == [
        ("POST", "/r/s1/", b"lang=ru"),
        ("POST", "/r/s1/", b"lang=ru"),
        ("POST", "/w/", b"is_jump=true"),
        ("POST", "/w/", b"is_jump=true"),
        ("GET", "/jumping/e/s/", b""),
    ]
    assert seen[2].content == b'{"title":"t"}'
    # Kept as bytes, not parsed into a list of floats.
    assert not isinstance(lazy["keypoints"]["a"], list)
    assert list(lazy["keypoints"]["a"]) == [1.0, 2.5]


async def test_a_base_url_with_a_slash_and_the_call_bound_exactly() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={})

    upstream = UpstreamClient("http://upstream/v1/", transport=httpx.MockTransport(handler))
    async with upstream:
        op = ResourceLoader(upstream, KEY, max_calls=2, max_concurrency=1)
        await op.call(UpstreamRequest("GET", "/a/"))
        await op.call(UpstreamRequest("GET", "/b/"))  # the second of two allowed
        with pytest.raises(LimitExceeded):
            await op.call(UpstreamRequest("GET", "/c/"))
    assert seen == ["/v1/a/", "/v1/b/"]
