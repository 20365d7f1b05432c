"""A ``--workers`` child finds its app's Drain, even when the signal came first."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
import uvicorn

from gateway.config import WORKER_SETTINGS, Settings
from gateway.http import drain as drain_module
from gateway.http.drain import Drain, DrainingProcess, worker_drain


@pytest.fixture(autouse=True)
def fresh_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(drain_module, "_worker", [])
    monkeypatch.setattr(drain_module, "_early", Drain())
    yield


def test_a_signal_after_the_app_is_loaded_starts_the_apps_drain() -> None:
    app_drain = Drain()
    worker_drain(app_drain)
    worker_drain().start()  # what DrainingServer.handle_exit does
    assert app_drain.draining


def test_a_signal_while_the_app_is_loading_reaches_the_app_once_it_registers() -> None:
    worker_drain().start()  # SIGTERM before uvicorn has loaded the app
    app_drain = Drain()
    assert not app_drain.draining
    assert worker_drain(app_drain) is app_drain
    assert app_drain.draining


def test_without_a_signal_the_registered_drain_stays_ready() -> None:
    app_drain = Drain()
    worker_drain(app_drain)
    assert worker_drain() is app_drain
    assert not app_drain.draining


def test_a_workers_server_signalled_before_its_app_loads_serves_it_not_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The path a --workers child takes: its DrainingProcess builds the server,
    uvicorn's signal handler runs first, the app registers after."""
    monkeypatch.setenv(WORKER_SETTINGS, Settings(drain_delay=3.0).to_json())
    config = uvicorn.Config(app="gateway.cli:worker_app", factory=True)
    server = DrainingProcess(config, []).server
    server.handle_exit(signal.SIGTERM, None)
    assert not server.should_exit  # the delay: still serving, not ready
    app_drain = Drain()
    worker_drain(app_drain)  # gateway.cli.worker_app, once uvicorn loads the app
    assert app_drain.draining


def test_a_workers_server_signalled_once_its_app_serves_turns_it_not_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(WORKER_SETTINGS, Settings(drain_delay=3.0).to_json())
    config = uvicorn.Config(app="gateway.cli:worker_app", factory=True)
    server = DrainingProcess(config, []).server
    app_drain = Drain()
    worker_drain(app_drain)
    server.handle_exit(signal.SIGTERM, None)
    assert app_drain.draining and not server.should_exit
