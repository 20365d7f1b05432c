"""Fixtures: a fresh sandbox per test, reached in-process through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from gateway.sandbox import DEMO_KEYS, SandboxConfig, create_sandbox_app
from gateway.sandbox.flavors import DEFAULT_FLAVOR

ALICE = {"Authorization": f"API-KEY {DEMO_KEYS['alice']}"}
BOB = {"Authorization": f"API-KEY {DEMO_KEYS['bob']}"}


class FakeClock:
    """Drives simulated processing without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flavor() -> str:
    """The sandbox's flavor; a test parametrizes ``flavor`` to run under others."""
    return DEFAULT_FLAVOR


@pytest.fixture
def app(clock: FakeClock, flavor: str) -> Starlette:
    return create_sandbox_app(SandboxConfig(processing_delay_s=5.0, flavor=flavor), clock=clock)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c


@pytest.fixture
async def small_client() -> AsyncIterator[httpx.AsyncClient]:
    """Every per-frame series 8 frames long: same shapes, fast to validate."""
    app = create_sandbox_app(SandboxConfig(export_frames=8))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c
