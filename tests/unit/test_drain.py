"""A ``--workers`` child finds its app's Drain, even when the signal came first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway import drain as drain_module
from gateway.drain import Drain, worker_drain


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
