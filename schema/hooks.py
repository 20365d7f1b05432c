"""Strawberry's extension runner, with each hook's context manager made once per class.

Strawberry wraps every hook of every extension in a fresh
``contextlib.contextmanager`` for every operation (each wrap copies the
function's metadata with ``functools.update_wrapper``), then enters the hooks
through an ``AsyncExitStack``: with the gateway's six hooks, that was a
fifth of a cached operation's own CPU. Here the wrapper is made once per
hook function and only bound to the operation's extension, and the hooks
are entered in order and left in reverse order directly, with an exit
stack's rules: an exception reaches every hook still open, a hook may
suppress it or raise another in its place. The hooks run as Strawberry runs
them, in the same order, on every path.
"""

from __future__ import annotations

import contextlib
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
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

__all__ = ["HooksRunner"]


@functools.cache
def _context_manager(hook: Callable[..., Any]) -> tuple[Callable[..., Any], bool] | None:
    """A context manager factory for a generator hook, and whether it is async."""
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return None  # a plain callable: Strawberry's own wrapping


class _HooksOnce(ExtensionContextManagerBase):
    __slots__ = ("_open",)

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        hook = getattr(type(extension), self.HOOK_NAME)
        if hook is self.default_hook:
            return None
        made = _context_manager(hook)
        if made is None:
            return super().get_hook(extension)
        factory, is_async = made
        return WrappedHook(extension, functools.partial(factory, extension), is_async)

    async def __aenter__(self) -> None:
        self._open: list[tuple[Any, bool]] = []
        for hook in self.hooks:
            manager: Any = hook.hook()
            try:
                if hook.is_async:
                    await manager.__aenter__()
                else:
                    manager.__enter__()
            except BaseException as exc:
                await self._leave(exc)
                raise
            self._open.append((manager, hook.is_async))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        # As Strawberry's: a hook may replace the exception, never silence it.
        await self._leave(exc_val)

    async def _leave(self, exc: BaseException | None) -> None:
        """Leave the open hooks, newest first, each told of the pending exception."""
        pending = exc
        while self._open:
            manager, is_async = self._open.pop()
            details = (
                (type(pending), pending, pending.__traceback__)
                if pending is not None
                else (None, None, None)
            )
            try:
                if is_async:
                    suppressed = await manager.__aexit__(*details)
                else:
                    suppressed = manager.__exit__(*details)
            except BaseException as raised:
                if raised is not pending:
                    raised.__context__ = raised.__context__ or pending
                pending = raised
                continue
            if suppressed:
                pending = None
        if pending is not None and pending is not exc:
            raise pending


class _Operation(_HooksOnce, OperationContextManager):
    pass


class _Parsing(_HooksOnce, ParsingContextManager):
    pass


class _Validation(_HooksOnce, ValidationContextManager):
    pass


class _Executing(_HooksOnce, ExecutingContextManager):
    pass


class HooksRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
