"""CORS and WebSocket Origin gating: one allow-list, checked on both."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from gateway.http.cors import OriginPolicy, parse_origins
from tests.conftest import ALICE, GATEWAY_ENV, start_gateway
from tests.inprocess import Apps, running_apps
from tests.servers import SSL_CONTEXT, ServerProcess, free_port

APP = "https://app.example.com"
EVIL = "https://evil.example"
LISTED = f"{APP},http://dev.test:*"


@pytest.fixture(scope="module")
def listed_gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    server = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-cors.log",
        "--cors-origins",
        LISTED,
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def listed_app() -> AsyncIterator[Apps]:
    async with running_apps({**GATEWAY_ENV, "GATEWAY_CORS_ORIGINS": LISTED}) as apps:
        yield apps


@pytest.fixture
async def listed(listed_app: Apps) -> AsyncIterator[httpx.AsyncClient]:
    async with listed_app.gateway_client() as http:
        yield http


async def preflight(http: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,apollo-require-preflight",
        },
    )


@pytest.mark.inprocess
def test_policy_entries() -> None:
    policy = OriginPolicy.of(["https://App.example.com/", "http://localhost:*"], sandbox=False)
    assert policy.allows("https://app.example.com")
    assert policy.allows("https://app.example.com:443")
    assert policy.allows("http://localhost:5173") and policy.allows("http://localhost")
    assert not policy.allows("https://localhost:5173")
    assert not policy.allows("http://localhost.evil.example:5173")
    assert not policy.allows("null")
    assert OriginPolicy.of([], sandbox=True).allows("http://127.0.0.1:3000")
    assert not OriginPolicy.of([], sandbox=False).allows("http://127.0.0.1:3000")
    assert OriginPolicy.of(["*"], sandbox=False).allows(EVIL)
    with pytest.raises(ValueError, match="not an origin"):
        parse_origins(["app.example.com"])
    with pytest.raises(ValueError, match="not an origin"):
        parse_origins(["https://app.example.com/path"])


@pytest.mark.inprocess
async def test_preflight_of_a_listed_origin(listed: httpx.AsyncClient) -> None:
    for origin in (APP, "http://dev.test:5173"):
        response = await preflight(listed, origin)
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == origin
        allowed = response.headers["access-control-allow-headers"].lower()
        for header in ("authorization", "content-type", "apollo-require-preflight"):
            assert header in allowed
        assert "POST" in response.headers["access-control-allow-methods"]


@pytest.mark.inprocess
async def test_preflight_of_another_origin_is_refused(listed: httpx.AsyncClient) -> None:
    response = await preflight(listed, EVIL)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.inprocess
async def test_answers_carry_the_origin_only_when_listed(listed: httpx.AsyncClient) -> None:
    query = {"query": "{ __typename }"}
    ok = await listed.post("/graphql", json=query, headers={"Origin": APP})
    assert ok.headers["access-control-allow-origin"] == APP
    other = await listed.post("/graphql", json=query, headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.inprocess
async def test_default_is_same_origin_only(gateway_http: httpx.AsyncClient) -> None:
    assert (await preflight(gateway_http, "http://localhost:5173")).status_code == 400


async def _ws_handshake(url: str, origin: str | None) -> str:
    """``ack`` when the upgrade is accepted and connection_init acknowledged."""
    async with connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}}))
        return str(json.loads(await ws.recv())["type"])


async def test_websocket_upgrades_are_gated_by_origin(listed_gateway: ServerProcess) -> None:
    url = listed_gateway.url
    assert await _ws_handshake(url, APP) == "connection_ack"
    assert await _ws_handshake(url, "http://dev.test:8080") == "connection_ack"
    # No Origin: a server or a CLI, not a browser page.
    assert await _ws_handshake(url, None) == "connection_ack"
    # Same origin: the gateway's own pages (GraphiQL).
    assert await _ws_handshake(url, url) == "connection_ack"
    with pytest.raises(InvalidStatus) as refused:
        await _ws_handshake(url, EVIL)
    assert refused.value.response.status_code == 403


async def test_sandbox_mode_allows_loopback_dev_servers(logs_dir: Path) -> None:
    port, sandbox_port = free_port(), free_port()
    server = ServerProcess(
        ["serve", "--sandbox", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        port=port,
        log_path=logs_dir / "gateway-cors-sandbox.log",
        ready_path="/healthz",
    ).start()
    try:
        async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=server.url) as http:
            for origin in ("http://localhost:5173", "http://127.0.0.1:3000"):
                response = await preflight(http, origin)
                assert response.headers.get("access-control-allow-origin") == origin
            assert (await preflight(http, EVIL)).status_code == 400
    finally:
        server.stop()


@pytest.mark.inprocess
def test_a_bad_origin_stops_start_up_naming_the_setting() -> None:
    from gateway.config import Settings
    from gateway.http.app import create_app

    settings = Settings.from_env({"GATEWAY_CORS_ORIGINS": "https://ok.example, app.example.com"})
    assert settings.cors_origins == ("https://ok.example", "app.example.com")
    with pytest.raises(ValueError, match=r"GATEWAY_CORS_ORIGINS \(--cors-origins\).*app\.example"):
        create_app(settings)
