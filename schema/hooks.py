"""Strawberry's extension runner, with each hook found once per class and run directly.

Strawberry looks every hook of every extension up again for every phase of
every operation, wraps each in a fresh ``contextlib.contextmanager`` (which
copies the function's metadata with ``functools.update_wrapper``), and
enters them through an ``AsyncExitStack``: with the gateway's six hooks,
that was a fifth of a cached operation's own CPU. Here each class's hooks
are found once, and a generator hook is driven directly: entered in order,
resumed in reverse order with an exit stack's rules (an exception reaches
every hook still open; a hook may handle it or raise another in its place).
The hooks run as Strawberry runs them, in the same order, on every path
(``tests/unit/test_hooks.py`` runs both runners side by side).

A subscription runs two of them for every event it sends: ``on_stream_result``
and the extensions' results. Strawberry's runner found those hooks anew for
each subscriber's event (9% of the gateway's profiled time while a READY went
out to 20,000 subscribers: ``bench/subscriptions.py --profile``, cProfile
shares); they are found once per class here too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.execution import StreamExecutionResult

__all__ = ["HooksRunner"]


@functools.cache
def _hook_of(cls: type, name: str) -> tuple[Callable[..., Any], str] | None:
    """The hook ``name`` of an extension class, and how to run it; ``None``: it has none."""
    hook = getattr(cls, name)
    if hook is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(hook):
        return hook, "generator"
    if inspect.isasyncgenfunction(hook):
        return hook, "async generator"
    return hook, "call"  # called on entry, as Strawberry's own wrapping does


class _HooksOnce(ExtensionContextManagerBase):
    __slots__ = ("_args", "_calls", "_open")

    def __init__(self, extensions: list[SchemaExtension], *args: Any) -> None:
        """``args``: what each hook is called with after its extension."""
        self.hooks = []  # Strawberry's synchronous entry is not used here
        self._args = args
        self._calls: list[tuple[SchemaExtension, Callable[..., Any], str]] = []
        for extension in extensions:
            cls: Any = type(extension)  # a class is hashable, whatever mypy makes of it
            found = _hook_of(cls, self.HOOK_NAME)
            if found is not None:
                self._calls.append((extension, *found))

    async def __aenter__(self) -> None:
        self._open: list[tuple[Any, bool]] = []
        for extension, hook, kind in self._calls:
            try:
                if kind == "call":
                    result = hook(extension, *self._args)
                    if inspect.isawaitable(result):
                        await result
                    continue
                running = hook(extension, *self._args)
                try:
                    if kind == "generator":
                        next(running)
                    else:
                        await running.__anext__()
                except (StopIteration, StopAsyncIteration):
                    raise RuntimeError(f"{hook.__qualname__} didn't yield") from None
            except BaseException as exc:
                await self._leave(exc)
                raise
            self._open.append((running, kind == "async generator"))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        # As Strawberry's: a hook may replace the exception, never silence it.
        await self._leave(exc_val)

    async def _leave(self, exc: BaseException | None) -> None:
        """Resume the open hooks, newest first, each with the pending exception."""
        pending = exc
        try:
            while self._open:
                running, is_async = self._open.pop()
                try:
                    if pending is None:
                        if is_async:
                            await running.__anext__()
                        else:
                            next(running)
                    elif is_async:
                        await running.athrow(pending)
                    else:
                        running.throw(pending)
                except (StopIteration, StopAsyncIteration):
                    pending = None  # it ended: normally, or having handled the exception
                    continue
                except BaseException as raised:
                    if raised is not pending:
                        raised.__context__ = raised.__context__ or pending
                    pending = raised
                    continue
                pending = RuntimeError("an extension hook yielded more than once")
            if pending is not None and pending is not exc:
                raise pending
        finally:
            # The exception's traceback holds this frame, and the frame the
            # exception: a reference cycle for the collector, for every
            # operation closed early (a subscription carried on, or completed
            # by its client), unless it is broken here.
            pending = exc = None


class _Operation(_HooksOnce, OperationContextManager):
    pass


class _Parsing(_HooksOnce, ParsingContextManager):
    pass


class _Validation(_HooksOnce, ValidationContextManager):
    pass


class _Executing(_HooksOnce, ExecutingContextManager):
    pass


class _StreamResult(_HooksOnce, StreamResultContextManager):
    def __init__(self, extensions: list[SchemaExtension], result: StreamExecutionResult) -> None:
        self.result = result
        _HooksOnce.__init__(self, extensions, result)


class HooksRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        return _StreamResult(self.extensions, result)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self.extensions:
            cls: Any = type(extension)
            if _hook_of(cls, "get_results") is not None:
                results = extension.get_results()
                data.update(await results if inspect.isawaitable(results) else results)
        data.update(ctx.extensions_results)
        return data
