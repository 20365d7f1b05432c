"""schema.hooks runs extension hooks as Strawberry's own runner does: same order,
same exceptions seen by each hook, same exception out; only cheaper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
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
