"""schema.hooks runs extension hooks as Strawberry's own runner does: same order,
same exceptions seen by each hook, same exception out; only cheaper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.hooks import HooksRunner


class Boom(Exception):
    pass


class Replaced(Exception):
    pass


def _extensions(log: list[str], replace_in: str | None) -> list[SchemaExtension]:
    class Sync(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            log.append("sync enter")
            try:
                yield
            except Exception as exc:
                log.append(f"sync saw {type(exc).__name__}")
                if replace_in == "sync":
                    raise Replaced from exc
                raise
            log.append("sync exit")

    class Async(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            log.append("async enter")
            try:
                yield
            except Exception as exc:
                log.append(f"async saw {type(exc).__name__}")
                if replace_in == "async":
                    raise Replaced from exc
                raise
            log.append("async exit")

    class Plain(SchemaExtension):
        def on_operation(self) -> None:  # type: ignore[override]
            log.append("plain")

    return [Sync(execution_context=None), Async(execution_context=None), Plain()]


async def _run(
    runner_class: type[SchemaExtensionsRunner], fail: bool, replace_in: str | None
) -> Any:
    log: list[str] = []
    runner = runner_class(None, _extensions(log, replace_in))  # type: ignore[arg-type]
    try:
        async with runner.operation():
            log.append("body")
            if fail:
                raise Boom
    except Exception as exc:
        log.append(f"out {type(exc).__name__}")
    return log


@pytest.mark.parametrize("replace_in", [None, "sync", "async"])
@pytest.mark.parametrize("fail", [False, True])
async def test_hooks_run_as_strawberry_runs_them(fail: bool, replace_in: str | None) -> None:
    ours = await _run(HooksRunner, fail, replace_in)
    strawberry = await _run(SchemaExtensionsRunner, fail, replace_in)
    assert ours == strawberry
    assert ours[:3] == ["sync enter", "async enter", "plain"]


def _stream_extensions(log: list[str]) -> list[SchemaExtension]:
    class Sync(SchemaExtension):
        def on_stream_result(self, result: Any) -> Iterator[None]:
            log.append(f"sync enter {result}")
            yield
            log.append("sync exit")

        def get_results(self) -> dict[str, Any]:
            return {"sync": 1}

    class Async(SchemaExtension):
        async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
            log.append(f"async enter {result}")
            yield
            log.append("async exit")

        async def get_results(self) -> dict[str, Any]:
            return {"async": 2, "sync": "overridden"}

    class Plain(SchemaExtension):
        def on_stream_result(self, result: Any) -> None:  # type: ignore[override]
            log.append(f"plain {result}")

    class Neither(SchemaExtension):
        pass

    none: Any = None
    return [Sync(execution_context=none), Async(execution_context=none), Plain(), Neither()]


async def _stream(
    runner_class: type[SchemaExtensionsRunner], fail: bool = False
) -> tuple[list[str], Any]:
    log: list[str] = []
    runner = runner_class(None, _stream_extensions(log))  # type: ignore[arg-type]
    for result in ("first", "second"):
        try:
            async with runner.on_stream_result(result):  # type: ignore[arg-type]
                log.append(f"send {result}")
                if fail and result == "second":
                    raise Boom
        except Boom:
            log.append("out Boom")

    class Context:
        extensions_results = {"context": 3}

    return log, await runner.get_extensions_results(Context())  # type: ignore[arg-type]


@pytest.mark.parametrize("fail", [False, True])
async def test_stream_result_hooks_and_results_as_strawberry_has_them(fail: bool) -> None:
    ours = await _stream(HooksRunner, fail)
    assert ours == await _stream(SchemaExtensionsRunner, fail)
    log, results = ours
    assert log[:4] == ["sync enter first", "async enter first", "plain first", "send first"]
    assert ("out Boom" in log) is fail and ("sync exit" in log[-3:]) is not fail
    assert results == {"sync": "overridden", "async": 2, "context": 3}
    # Found once per class, not through Strawberry's per-result lookup.
    runner = HooksRunner(None, [])  # type: ignore[arg-type]
    assert type(runner.on_stream_result(None)) is not StreamResultContextManager  # type: ignore[arg-type]
