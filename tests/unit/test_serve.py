"""What ``session-gateway serve`` adds around the app: the event loop, a frozen heap."""

from __future__ import annotations

import gc

import pytest

from gateway.cli import GC_THRESHOLDS, _server_config, freeze_after_startup
from gateway.config import InvalidSetting, Settings
from gateway.http.app import create_app


async def test_the_heap_is_frozen_once_the_app_has_started() -> None:
    app = create_app(Settings(upstream_url="http://127.0.0.1:9"))
    freeze_after_startup(app)
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        assert gc.get_freeze_count() == 0
        async with app.router.lifespan_context(app):
            # Everything the start-up built is out of the collector's way,
            # and what requests make is collected young less often.
            assert gc.get_freeze_count() > 10_000
            assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_the_loop_is_uvloop_unless_told_otherwise() -> None:
    import uvloop

    for setting, expected_uvloop in (("auto", True), ("uvloop", True), ("asyncio", False)):
        factory = _server_config(None, Settings(event_loop=setting)).get_loop_factory()
        assert factory is not None
        loop = factory()
        try:
            assert isinstance(loop, uvloop.Loop) is expected_uvloop, setting
        finally:
            loop.close()


def test_an_unknown_loop_is_refused() -> None:
    with pytest.raises((InvalidSetting, ValueError)):
        Settings.from_env({"GATEWAY_EVENT_LOOP": "trio"})
