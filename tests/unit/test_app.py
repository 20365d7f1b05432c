"""The app in-process: bounds, health, metrics, upstream failures."""

from __future__ import annotations

import httpx
import pytest

from gateway.config import RetryPolicy, Settings
from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.unit.conftest import gateway_client, run


async def test_depth_bound() -> None:
    settings = Settings(upstream_url="http://sandbox", max_depth=3)
    async with gateway_client(settings) as client:
        body = await run(client, "{ sessions { edges { node { export { angles { name } } } } } }")
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_token_bound() -> None:
    settings = Settings(upstream_url="http://sandbox", max_tokens=20)
    async with gateway_client(settings) as client:
        body = await run(client, "{ " + " ".join(["__typename"] * 30) + " }")
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_health_and_metrics_hold_no_key() -> None:
    async with gateway_client() as client:
        await run(client, "{ sessions(first: 2) { edges { node { title } } } }")
        await run(client, "{ sessions { totalCount } }", key="API-KEY wrong-secret-123")
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        metrics = (await client.get("/metrics")).text
    assert 'route="/session-management/sessions/filter/"' in metrics
    assert 'code="UNAUTHENTICATED"' in metrics
    assert "alice-demo-key" not in metrics and "wrong-secret-123" not in metrics


async def test_upstream_down_is_unavailable_and_readyz_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    settings = Settings(
        upstream_url="http://upstream", retry=RetryPolicy(attempts=2, base_delay=0.01)
    )
    async with gateway_client(settings, transport=httpx.MockTransport(refuse)) as client:
        body = await run(client, "{ sessions { totalCount } }")
        assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        ready = await client.get("/readyz")
    assert ready.status_code == 503


async def test_upstream_call_budget() -> None:
    settings = Settings(upstream_url="http://sandbox", max_upstream_calls=20)
    # What is counted is calls, not their size: exports of 8 frames.
    small = create_sandbox_app(SandboxConfig(export_frames=8, validate_contract=True))
    async with gateway_client(settings, sandbox=small) as client:
        # 1 listing + 30 details + 30 exports: over the bound of 20.
        body = await run(
            client,
            "{ sessions(first: 30) { edges { node { angles { name } export { timestamps } } } } }",
        )
        assert "LIMIT_EXCEEDED" in {e["extensions"]["code"] for e in body["errors"]}
        # Within the bound, the same client is served.
        body = await run(client, "{ sessions(first: 5) { edges { node { title } } } }")
        assert "errors" not in body


async def test_request_body_is_bounded() -> None:
    settings = Settings(upstream_url="http://sandbox", max_upload_bytes=10_000)
    operations = (
        '{"query": "mutation ($v: Upload, $i: CreateSessionInput!) '
        '{ createSession(video: $v, input: $i) { id } }", '
        '"variables": {"v": null, "i": {"jumping": {}}}}'
    )
    async with gateway_client(settings) as client:
        response = await client.post(
            "/graphql",
            headers={"Authorization": "API-KEY alice-demo-key"},
            data={"operations": operations, "map": '{"0": ["variables.v"]}'},
            files={"0": ("big.mp4", b"\0" * 50_000, "video/mp4")},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        # The gateway goes on serving.
        body = await run(client, "{ sessions(first: 1) { totalCount } }")
        assert body["data"]["sessions"]["totalCount"] > 0


async def test_http_level_errors_are_graphql_errors_with_a_code() -> None:
    async with gateway_client() as client:
        big = await client.post(
            "/graphql",
            headers={"Authorization": "API-KEY alice-demo-key"},
            json={"query": "{ __typename }", "variables": {"pad": "x" * 2_000_000}},
        )
        broken = await client.post(
            "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        batch = await client.post("/graphql", json=[{"query": "{ __typename }"}])
    assert big.status_code == 413
    for response in (big, broken, batch):
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", response.text


async def test_a_key_no_header_can_carry_is_unauthenticated_and_not_echoed() -> None:
    async with gateway_client() as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ sessions { totalCount } }"},
            headers={"Authorization": "API-KEY caf\u00e9-s3cret".encode("latin-1")},
        )
        body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "s3cret" not in str(body) and "\u00e9" not in str(body)


async def test_cursor_and_filter_input_is_bounded() -> None:
    import base64

    def cursor(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    query = (
        "query ($after: String, $before: String, $first: Int, $last: Int, $title: String) "
        "{ sessions(after: $after, before: $before, first: $first, last: $last, title: $title) "
        "{ totalCount } }"
    )
    cases = [
        {"first": 2, "after": cursor("at:\u00b2"), "title": "a"},
        {"last": 2, "before": cursor("at:999999999999"), "title": "a"},
        {"first": 2, "after": cursor("id:" + "a" * 500)},
        {"title": "x" * 5000},
    ]
    async with gateway_client() as client:
        for variables in cases:
            body = await run(client, query, **variables)
            assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body


async def test_a_bug_is_masked_as_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    import schema.types

    def broken(value: object) -> str:
        raise ValueError("secret internals")

    monkeypatch.setattr(schema.types, "to_text", broken)
    async with gateway_client() as client:
        body = await run(client, "{ sessions(first: 1) { edges { node { title } } } }")
    assert body["errors"][0]["message"] == "Internal error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    assert "secret" not in str(body)


def test_settings_reach_worker_processes_whole() -> None:
    settings = Settings(
        upstream_url="http://upstream:1",
        workers=3,
        retry=RetryPolicy(attempts=5),
        redis_url="redis://r:6379/0",
        credential_secret="s" * 32,
        cors_origins=("https://app.example", "http://localhost:*"),
    )
    assert Settings.from_json(settings.to_json()) == settings
