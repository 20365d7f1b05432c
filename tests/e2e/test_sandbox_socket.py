"""The sandbox under uvicorn on a loopback socket, as the gateway's tests use it
(tests/sandbox/ reaches it in process, through httpx's ASGI transport)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from gateway.sandbox import SandboxConfig, create_sandbox_app, seed_sessions
from tests.sandbox.conftest import ALICE
from tests.servers import SSL_CONTEXT


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    # Binding first and handing uvicorn the socket avoids a free-port race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_sandbox_app(SandboxConfig(latency_ms=50, validate_contract=True)),
        log_level="warning",
        lifespan="on",
        ws="none",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            # uvicorn exposes only a flag, no event, for "listening".
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_real_socket(base_url: str) -> None:
    records = seed_sessions("alice")[:6]
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=base_url, headers=ALICE) as client:
        # Each request held until all six are in flight: overlap by count.
        await client.post("/__sandbox__/config", json={"gate": 6})
        responses = await asyncio.gather(
            *(client.get(f"/{r.activity.path}/sessions/{r.session_id}/export/") for r in records)
        )
        for record, response in zip(records, responses, strict=True):
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert len(response.json()["all_timestamps"]) == record.frames
        stats = (await client.get("/__sandbox__/stats")).json()
        assert stats["total"] == 6
        # The six requests overlapped on the server, over real sockets.
        assert stats["max_in_flight"] == 6
        unauthorized = await client.get(
            f"/jumping/sessions/{records[0].session_id}/", headers={"Authorization": ""}
        )
        assert unauthorized.status_code == 401
        assert (await client.get("/__sandbox__/contract")).json()["violations"] == []
