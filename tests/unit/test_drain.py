"""The served app drains on SIGTERM itself, in front of the server's own handler."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import FrameType

import pytest
from starlette.applications import Starlette

from gateway.config import Settings
from gateway.http.drain import Drain, drain_on_signals

# The handler a server installs while it serves (uvicorn's stops it).
Received = list[int]


@pytest.fixture
def server_handler() -> Iterator[Received]:
    received: Received = []

    def handle(sig: int, frame: FrameType | None) -> None:
        received.append(sig)

    before = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _app(delay: float, started: list[bool] | None = None) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if started is not None:
            started.append(True)
        yield

    app = Starlette(lifespan=lifespan)
    app.state.drain = Drain()
    drain_on_signals(app, Settings(drain_delay=delay, drain_seconds=7))
    return app


async def _signal(sig: int) -> None:
    signal.raise_signal(sig)
    await asyncio.sleep(0)  # Python runs the handler between bytecodes


async def test_the_first_signal_turns_not_ready_and_reaches_the_server_after_the_delay(
    server_handler: Received, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    started: list[bool] = []
    app = _app(0.3, started)
    async with app.router.lifespan_context(app):
        assert started == [True]  # the app's own lifespan still runs
        await _signal(signal.SIGTERM)
        assert app.state.drain.draining
        assert server_handler == []  # still listening, not ready
        await asyncio.sleep(0.6)
        assert server_handler == [signal.SIGTERM]
    assert "in-flight requests get 7.0 s" in caplog.text


async def test_a_second_signal_skips_the_rest_of_the_delay(server_handler: Received) -> None:
    app = _app(30.0)
    async with app.router.lifespan_context(app):
        await _signal(signal.SIGTERM)
        assert server_handler == []
        await _signal(signal.SIGINT)
        assert server_handler == [signal.SIGINT]
        await asyncio.sleep(0.3)
        assert server_handler == [signal.SIGINT]  # the first is not passed on as well


async def test_without_a_delay_the_signal_stops_the_server_at_once(
    server_handler: Received,
) -> None:
    app = _app(0.0)
    async with app.router.lifespan_context(app):
        await _signal(signal.SIGTERM)
        assert app.state.drain.draining and server_handler == [signal.SIGTERM]


async def test_the_servers_handler_is_back_once_the_app_has_stopped(
    server_handler: Received,
) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    app = _app(3.0)
    async with app.router.lifespan_context(app):
        assert signal.getsignal(signal.SIGTERM) != previous
        assert not app.state.drain.draining
    assert signal.getsignal(signal.SIGTERM) == previous
    await _signal(signal.SIGTERM)
    assert server_handler == [signal.SIGTERM] and not app.state.drain.draining
