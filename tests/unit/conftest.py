"""In-process fixtures: the gateway app over the sandbox app, no sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from gateway.config import Settings
from gateway.http.app import create_app
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.tracing import Tracing
from tests.asgi import running
from tests.conftest import CONTRACT_TOTALS


@asynccontextmanager
async def gateway_client(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sandbox: Starlette | None = None,
    tracing: Tracing | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the gateway app, whose upstream is ``transport`` or a sandbox app."""
    checked = None
    if transport is None:
        checked = sandbox or create_sandbox_app(SandboxConfig(validate_contract=True))
        transport = httpx.ASGITransport(app=checked)
    app = create_app(
        settings or Settings(upstream_url="http://sandbox"), transport=transport, tracing=tracing
    )
    async with running(app) as served:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=served), base_url="http://gateway"
        ) as client:
            yield client
    if checked is not None:
        # What the sandbox answered the gateway kept the contract (validation.py).
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=checked), base_url="http://sandbox"
        ) as sandbox_client:
            report = (await sandbox_client.get("/__sandbox__/contract")).json()
        if "violations" in report:  # a sandbox passed in may validate nothing
            CONTRACT_TOTALS["checked"] += report["checked"]
            CONTRACT_TOTALS["bodies"] += report["bodies"]
            assert report["violations"] == [], report["violations"]


async def run(
    client: httpx.AsyncClient,
    query: str,
    key: str | None = "API-KEY alice-demo-key",
    **variables: Any,
) -> dict[str, Any]:
    headers = {"Authorization": key} if key else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


Handler = Callable[[httpx.Request], httpx.Response]
