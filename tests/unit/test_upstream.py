"""The upstream client and per-operation loader, on an injected transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.config import RetryPolicy
from gateway.credentials import Credential, credential_from_header
from gateway.errors import (
    BadRequest,
    LimitExceeded,
    NotFound,
    Unauthenticated,
    UpstreamBadResponse,
    UpstreamUnavailable,
)
from gateway.loaders import Resource, ResourceLoader
from gateway.upstream import endpoints
from gateway.upstream.client import UpstreamCall, UpstreamClient, UpstreamRequest

KEY = Credential("API-KEY k-123456")
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002, total_budget=1.0)


def client(handler, **kwargs) -> UpstreamClient:  # type: ignore[no-untyped-def]
    return UpstreamClient(
        "http://upstream", transport=httpx.MockTransport(handler), retry=FAST, **kwargs
    )


async def test_authorization_is_forwarded_verbatim_and_ids_are_escaped() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    bearer = credential_from_header("Bearer abc.def")
    assert bearer is not None
    async with client(handler) as upstream:
        await upstream.get(
            endpoints.DETAILS.route,
            bearer,
            path_params={"activity": "running", "session_id": "a/../b?c"},
        )
    assert seen[0].headers["authorization"] == "Bearer abc.def"
    assert seen[0].url.raw_path == b"/running/sessions/a%2F..%2Fb%3Fc/"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequest),
        (401, Unauthenticated),
        (404, NotFound),
        (422, BadRequest),
        (500, UpstreamUnavailable),
    ],
)
async def test_statuses_map_to_codes(status: int, error: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # An upstream that echoes the key must not make us echo it.
        return httpx.Response(status, json={"error": "bad key API-KEY k-123456 here"})

    async with client(handler) as upstream:
        with pytest.raises(error) as info:
            await upstream.get("/x/", KEY)
    assert "k-123456" not in str(info.value)
    assert getattr(info.value, "upstream_status", None) == status


async def test_retries_are_bounded_and_observed() -> None:
    calls: list[UpstreamCall] = []
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return httpx.Response(503, json={"error": "busy"})

    async with client(handler, observer=calls.append) as upstream:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x/{session_id}/", KEY, path_params={"session_id": "s1"})
        # A POST that isn't marked idempotent is tried once.
        with pytest.raises(UpstreamUnavailable):
            await upstream.request(UpstreamRequest("POST", "/x/", json={}), KEY)
    assert attempts == 4
    assert calls[0].attempts == 3 and calls[0].route == "/x/{session_id}/"


async def test_connection_errors_become_unavailable_after_retries() -> None:
    tries = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal tries
        tries += 1
        if tries < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"ok": 1})

    async with client(handler) as upstream:
        assert await upstream.get("/x/", KEY) == {"ok": 1}
    assert tries == 3


async def test_non_json_and_redirects_are_bad_responses() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/html/":
            return httpx.Response(200, text="<html>oops</html>")
        return httpx.Response(302, headers={"Location": "http://elsewhere/steal"})

    async with client(handler) as upstream:
        with pytest.raises(UpstreamBadResponse):
            await upstream.get("/html/", KEY)
        with pytest.raises(UpstreamBadResponse):
            await upstream.get("/redirect/", KEY)


async def test_lift_analysis_falls_back_to_post_on_405() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        if request.method == "GET":
            return httpx.Response(405, json={"error": "Method not allowed"})
        return httpx.Response(200, json={"hip_height": {"en": "https://x/en.png"}})

    async with client(handler) as upstream:
        op = ResourceLoader(upstream, KEY, max_calls=10, max_concurrency=4)
        resource = Resource.of(
            endpoints.LIFT_ANALYSIS.route, method="GET", fallback_method="POST", session_id="s1"
        )
        first, second = await asyncio.gather(op.load(resource), op.load(resource))
    assert first == second == {"hip_height": {"en": "https://x/en.png"}}
    assert methods == ["GET", "POST"]


async def test_loader_dedupes_bounds_concurrency_and_calls() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"path": request.url.path})

    async with UpstreamClient(
        "http://upstream", transport=httpx.MockTransport(handler), retry=FAST
    ) as upstream:
        op = ResourceLoader(upstream, KEY, max_calls=12, max_concurrency=3)
        resources = [Resource.of("/s/{session_id}/", session_id=str(i % 10)) for i in range(30)]
        bodies = await asyncio.gather(*(op.load(r) for r in resources))
        assert [b["path"] for b in bodies] == [f"/s/{i % 10}/" for i in range(30)]
        assert op.calls == 10 and peak == 3
        more = [Resource.of("/s/{session_id}/", session_id=f"x{i}") for i in range(3)]
        results = await asyncio.gather(*(op.load(r) for r in more), return_exceptions=True)
    assert any(isinstance(r, LimitExceeded) for r in results)


def test_credential_is_masked() -> None:
    key = Credential("API-KEY very-secret")
    assert "very-secret" not in repr(key) and "very-secret" not in str(key)
    assert "very-secret" not in f"{key}"
    assert key.shared_id(b"s") == Credential("API-KEY very-secret").shared_id(b"s")
    assert key.shared_id(b"s") != key.shared_id(b"t")


async def test_query_parameters_are_encoded_as_the_contract_spells_them() -> None:
    """Booleans as `true`/`false` (the contract's `is_jump`), numbers as digits, text escaped."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    async with client(handler) as upstream:
        for is_jump in (True, False):
            await upstream.get(
                "/x/", KEY, params={"is_jump": is_jump, "limit": 3, "title": "a b&c/é"}
            )
        await upstream.get("/x/", KEY)
    assert [r.url.query for r in seen] == [
        b"is_jump=true&limit=3&title=a+b%26c%2F%C3%A9",
        b"is_jump=false&limit=3&title=a+b%26c%2F%C3%A9",
        b"",
    ]


async def test_reads_are_shared_by_the_parameters_as_sent() -> None:
    """`True` and `"true"` send the same query, so in-flight reads of both share one call."""
    calls: list[bytes] = []
    called, release = asyncio.Event(), asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.query)
        called.set()
        await release.wait()
        return httpx.Response(200, json={"ok": True})

    async with client(handler) as upstream:
        first = asyncio.ensure_future(upstream.get("/x/", KEY, params={"is_jump": True}))
        second = asyncio.ensure_future(upstream.get("/x/", KEY, params={"is_jump": "true"}))
        await called.wait()
        release.set()
        assert await first == await second == {"ok": True}
    assert calls == [b"is_jump=true"]
