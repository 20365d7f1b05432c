"""The app in-process: bounds, health, metrics, upstream failures."""

from __future__ import annotations

import httpx

from gateway.config import RetryPolicy, Settings
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
    async with gateway_client(settings) as client:
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
