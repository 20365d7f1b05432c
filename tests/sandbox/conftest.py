"""Fixtures: a fresh sandbox per test, reached in-process through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from gateway.sandbox import DEMO_KEYS, SandboxConfig, create_sandbox_app
from gateway.sandbox.flavors import DEFAULT_FLAVOR
from tests.conftest import CONTRACT_TOTALS

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
    return create_sandbox_app(
        SandboxConfig(processing_delay_s=5.0, flavor=flavor, validate_contract=True), clock=clock
    )


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c
        await assert_kept_the_contract(c)


@pytest.fixture
async def small_client() -> AsyncIterator[httpx.AsyncClient]:
    """Every per-frame series 8 frames long: same shapes, fast to validate."""
    app = create_sandbox_app(SandboxConfig(export_frames=8, validate_contract=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c
        await assert_kept_the_contract(c)


async def assert_kept_the_contract(client: httpx.AsyncClient) -> None:
    """Every answer this sandbox sent in the test kept the contract (validation.py)."""
    report = (await client.get("/__sandbox__/contract")).json()
    # A fresh app per test: its counts are this test's.
    CONTRACT_TOTALS["checked"] += report["checked"]
    CONTRACT_TOTALS["bodies"] += report["bodies"]
    assert report["violations"] == [], report["violations"]
