"""One execution per subscription event and selection, and one encoding of it.

A dashboard's subscribers ask for the same few things: when a watch's state
changes, every subscriber of it runs its subscription's selection on the event.
Those whose selection is the same (the same document, variables and operation,
and the same API key, since answers differ per key) get the same answer, so it
is executed once and handed to each (:class:`SharedEvents`), and encoded once
(:class:`SharedData`): the transports put the same bytes in each subscriber's
frame (:func:`shared_payload`, read by ``gateway.http.incremental``).

Each subscriber still has its own operation: what runs before execution (the
size bound, the document cache, trusted documents, the rate limit) and its
extensions' hooks run per subscriber, at subscribe and for each result. Only
the execution of an event's selection, and its encoding, are shared; and only
for a change the watch hands to its subscribers together: a subscriber's first
event (the state when it joined) is its own, executed for it, so that a late
joiner never gets what was fetched for those before it.

The results are remembered per event *state*, the object the watch hands to
every subscriber's mailbox (:class:`gateway.sessions.VideoState`), by identity
and weakly: once no watch or subscriber holds that state any more, its results
go with it. Whoever asks first executes the selection, in a task of its own (so
that its leaving does not cancel the others' answer), in an operation scope of
its own (its own DataLoaders and budgets: not the first subscriber's, whose
caches date from when it joined); the others await that task. Those waiting
share an answer with errors too, but it is not kept for those who come later.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import orjson
from graphql import ExecutionResult

__all__ = ["SharedData", "SharedEvents", "shared_payload"]


class SharedData(dict[str, Any]):
    """An event's ``data``, shared by every subscriber of its selection, with its
    payload (``{"data": ...}``) encoded at most once."""

    __slots__ = ("_payload",)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self._payload: bytes | None = None

    def payload(self) -> bytes:
        if self._payload is None:
            self._payload = orjson.dumps({"data": self})
        return self._payload


def shared_payload(result: Any, max_bytes: int) -> bytes | None:
    """The encoded ``next`` payload of a subscription result whose execution was
    shared, where it is the same for every subscriber (no errors, no extensions)
    and within ``max_bytes``; ``None``: encode it as usual."""
    data = getattr(result, "data", None)
    if type(data) is not SharedData or getattr(result, "errors", None):
        return None
    if getattr(result, "extensions", None):
        return None
    payload = data.payload()
    return payload if len(payload) <= max_bytes else None


# (the operation it was executed for, the result or the task making it)
_Entry = tuple[object, "ExecutionResult | asyncio.Future[ExecutionResult]"]


class SharedEvents:
    """The results of each event state's selections, while the state lives."""

    def __init__(self) -> None:
        # By the state's identity, not its value: a state polled again is another
        # event (its `session` may have changed upstream meanwhile).
        self._results: dict[int, dict[Hashable, _Entry]] = {}

    def result(
        self,
        state: object,
        key: Hashable,
        operation: object,
        execute: Callable[[], ExecutionResult | Awaitable[ExecutionResult]],
    ) -> tuple[ExecutionResult | Awaitable[ExecutionResult], bool]:
        """``execute()``'s result for this state and selection, executed once; and
        whether this call executed it (``False``: it was shared).

        ``operation`` is the parsed operation: ``key`` names it by identity, and
        the entry keeps it alive, so that identity is never another's meanwhile.
        """
        selections = self._results.get(id(state))
        if selections is None:
            selections = self._results[id(state)] = {}
            # Gone with the state, before its identity can be another object's.
            weakref.finalize(state, self._results.pop, id(state), None)
        entry = selections.get(key)
        if entry is not None and entry[0] is operation:
            done = entry[1]
            return (done if isinstance(done, ExecutionResult) else _await(done)), False
        result = execute()
        if isinstance(result, ExecutionResult):
            result = _shared(result)
            if not result.errors:
                selections[key] = (operation, result)
            return result, True
        task = asyncio.ensure_future(_settle(result))
        selections[key] = (operation, task)
        task.add_done_callback(functools.partial(_keep_if_clean, selections, key))
        return _await(task), True


def _keep_if_clean(
    selections: dict[Hashable, _Entry], key: Hashable, task: asyncio.Future[ExecutionResult]
) -> None:
    """Once run, only a clean result stays for those still to ask: an error (its
    traceback holds the event, and so the state, alive) or a cancelled run is
    not handed on; whoever asks next executes it again."""
    if task.cancelled() or task.exception() is not None or task.result().errors:
        entry = selections.get(key)
        if entry is not None and entry[1] is task:
            del selections[key]


async def _settle(result: Awaitable[ExecutionResult]) -> ExecutionResult:
    return _shared(await result)


async def _await(task: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    # Shielded: a subscriber leaving stops waiting, not the others' answer.
    return await asyncio.shield(task)


def _shared(result: ExecutionResult) -> ExecutionResult:
    if not isinstance(result.data, dict):
        return result
    return ExecutionResult(SharedData(result.data), result.errors, result.extensions)
