"""The sandbox and the gateway as apps in this process: what an ``inprocess`` test
gets instead of servers on loopback.

The gateway is built by the app factory with the settings the gateway server
of ``tests/conftest.py`` reads from its environment; its upstream is the
sandbox app through httpx's ASGI transport, and its lifespan runs as uvicorn
runs it (:func:`tests.asgi.running`). No socket and no process: such a test
proves what the apps do, not what uvicorn or the operating system does.

:class:`SandboxAppControl` is a :class:`tests.servers.SandboxControl` that works
on the sandbox app's state with the control surface's own functions, so a
test body runs unchanged against either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway.config import Settings
from gateway.http.app import create_app
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.control import apply_config
from gateway.sandbox.data import VideoState
from gateway.sandbox.state import SandboxState
from gateway.sandbox.validation import REPORT_PATH
from tests.asgi import running
from tests.servers import SandboxControl

__all__ = ["Apps", "SandboxAppControl", "running_apps"]

# The targets of POST /__sandbox__/sessions/{id}/{target}.
_FORCEABLE = {s.value: s for s in (VideoState.READY, VideoState.FAILED, VideoState.PROCESSING)}


def _as_json(value: Any) -> Any:
    # What a caller of the HTTP control surface sends and reads.
    return orjson.loads(orjson.dumps(value))


class SandboxAppControl(SandboxControl):
    """The sandbox's control surface, on the app's state instead of over HTTP."""

    def __init__(self, app: Starlette) -> None:
        super().__init__("http://sandbox")
        self.app = app
        self._state: SandboxState = app.state.sandbox

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = _as_json(self._state.stats.snapshot())
        return result

    def reset(self) -> None:
        self._state.stats.reset()

    def reset_sessions(self) -> None:
        self._state.reset_sessions()

    def configure(self, **knobs: Any) -> None:
        apply_config(self._state, _as_json(knobs))

    def set_video(self, session_id: str, state: str) -> None:
        self._state.force(session_id, _FORCEABLE[state])

    def client(self, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=self.url, **options
        )

    async def contract_report(self) -> dict[str, Any]:
        """What the sandbox checked since the last report, and what broke the contract."""
        async with self.client() as http:
            report: dict[str, Any] = (await http.get(REPORT_PATH)).json()
        return report


class Apps:
    """A sandbox app and a gateway app over it, the gateway's lifespan running."""

    def __init__(self, sandbox: Starlette, gateway: ASGIApp) -> None:
        self.sandbox = SandboxAppControl(sandbox)
        self._gateway = gateway

    def gateway_client(self, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._gateway), base_url="http://gateway", **options
        )


@asynccontextmanager
async def running_apps(
    env: Mapping[str, str], sandbox: SandboxConfig | None = None
) -> AsyncIterator[Apps]:
    """The pair; the gateway configured by ``env`` (``GATEWAY_*``) as a server would be."""
    # As tests/conftest.py starts the sandbox server.
    config = sandbox or SandboxConfig(processing_delay_s=1.0, validate_contract=True)
    sandbox_app = create_sandbox_app(config)
    settings = Settings.from_env(env, upstream_url="http://sandbox")
    app = create_app(settings, transport=httpx.ASGITransport(app=sandbox_app))
    async with running(app) as served:
        yield Apps(sandbox_app, served)
