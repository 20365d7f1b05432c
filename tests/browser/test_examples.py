"""examples/python_gql.py against the real sandbox gateway (no browser)."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path
from types import ModuleType

import pytest

from gateway.sandbox import seed_sessions

from .conftest import ALICE, REPO, SandboxGateway


def load_example(name: str) -> ModuleType:
    path = REPO / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_gql_example_follows_videos_to_ready(
    sandbox_gateway: SandboxGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("python_gql")
    control = sandbox_gateway.control
    watched = [s.session_id for s in seed_sessions("alice")[:2]]
    for session_id in watched:
        control.set_video(session_id, "processing")

    def flip_later() -> None:
        # every PROCESSING video of the first page, or the example waits on
        # (the sandbox gateway here never finishes one by itself)
        for session in seed_sessions("alice")[:20]:
            control.set_video(session.session_id, "ready")

    timer = threading.Timer(1.5, flip_later)
    timer.start()
    try:
        coro = example.main(ALICE, f"{sandbox_gateway.url}/graphql")
        asyncio.run(asyncio.wait_for(coro, timeout=30))
    finally:
        timer.cancel()
    out = capsys.readouterr().out
    for session_id in watched:
        assert f"{session_id}: PROCESSING" in out
        assert f"{session_id}: READY https://" in out


def test_examples_are_present() -> None:
    for name in ("dashboard/index.html", "dashboard/dashboard.js", "clients/apollo-client.ts"):
        assert (Path(REPO) / "examples" / name).is_file()
