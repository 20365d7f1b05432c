"""`@defer` and `@stream`: the parts of an incremental result, in the shape clients read.

graphql-core 3.3 delivers an incremental result in the newest draft's form:
each subsequent part announces the deferred fragments and streams it opens
(``pending``: an id, a path and a label), delivers their data by id
(``incremental``, with a ``subPath`` below the pending path) and closes them
(``completed``, with errors if one failed as a whole). Apollo Client and urql
read the form of the 2022-08-24 draft (``deferSpec=20220824``), where every
delivery names its own path::

    {"incremental": [{"data": {...}, "path": ["session"], "label": "export"}], "hasNext": false}
    {"incremental": [{"items": [...], "path": ["sessions", "edges", 3]}], "hasNext": true}

:class:`Defer20220824` turns one into the other, part by part: a deferred
fragment's path is its pending path plus its ``subPath``; streamed items are
placed by the index of the first of them, which graphql-core does not say
(the executor records where each stream starts, see
:mod:`schema.execution`). A fragment or stream that failed as a whole is
delivered as ``data: null`` / ``items: null`` with its errors.

The first part is graphql-core's own initial result (``data``, ``errors``,
``hasNext``), which both forms share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    GraphQLError,
    VariableNode,
)
from graphql.execution import (
    IncrementalStreamResult,
    PendingResult,
    SubsequentIncrementalExecutionResult,
)
from graphql.language import DirectiveNode

__all__ = ["Defer20220824", "DeferredPart", "StreamStarts", "deferred"]

# Where each stream's first streamed item sits in its list, by the list's path.
StreamStarts = Mapping[tuple[str | int, ...], int]


@dataclass(slots=True)
class DeferredPart:
    """A subsequent part: ``{"incremental": [...], "hasNext": ...}``, errors formatted.

    ``errors`` are the part's errors, already settled (codes given, bugs masked).
    """

    payload: dict[str, Any]
    errors: list[GraphQLError] | None = None


class Defer20220824:
    """One incremental result's subsequent parts, translated one by one."""

    def __init__(
        self,
        pending: Iterable[PendingResult],
        stream_starts: StreamStarts,
        settle: Callable[[list[GraphQLError]], None],
    ) -> None:
        # id -> (path, label) of every fragment and stream still open.
        self._open: dict[str, tuple[list[str | int], str | None]] = {}
        # id -> the index of the next item a stream delivers.
        self._next_item: dict[str, int] = {}
        self._stream_starts = stream_starts
        self._settle = settle
        self._announce(pending)

    def _announce(self, pending: Iterable[PendingResult]) -> None:
        for opened in pending:
            self._open[opened.id] = (opened.path, opened.label)
            start = self._stream_starts.get(tuple(opened.path))
            if start is not None:
                self._next_item[opened.id] = start

    def part(self, frame: SubsequentIncrementalExecutionResult) -> DeferredPart:
        self._announce(frame.pending or ())
        errors = [e for entry in frame.incremental or () for e in entry.errors or ()]
        errors += [e for done in frame.completed or () for e in done.errors or ()]
        if errors:
            # Before they are formatted: codes given, bugs masked, counted.
            self._settle(errors)
        deliveries: list[dict[str, Any]] = []
        for entry in frame.incremental or ():
            path, label = self._open[entry.id]
            if isinstance(entry, IncrementalStreamResult):
                index = self._next_item.get(entry.id, 0)
                self._next_item[entry.id] = index + len(entry.items)
                delivery: dict[str, Any] = {"items": entry.items, "path": [*path, index]}
            else:
                delivery = {"data": entry.data, "path": [*path, *(entry.sub_path or ())]}
            deliveries.append(_labelled(delivery, label, entry.errors))
        for done in frame.completed or ():
            path, label = self._open.pop(done.id)
            next_item = self._next_item.pop(done.id, None)
            if done.errors:  # failed as a whole: nothing of it is delivered
                if next_item is not None:
                    failed: dict[str, Any] = {"items": None, "path": [*path, next_item]}
                else:
                    failed = {"data": None, "path": path}
                deliveries.append(_labelled(failed, label, done.errors))
        payload: dict[str, Any] = {}
        if deliveries:
            payload["incremental"] = deliveries
        payload["hasNext"] = frame.has_next
        return DeferredPart(payload, errors or None)


def _labelled(
    delivery: dict[str, Any], label: str | None, errors: list[GraphQLError] | None
) -> dict[str, Any]:
    if label is not None:
        delivery["label"] = label
    if errors:
        delivery["errors"] = [error.formatted for error in errors]
    return delivery


def deferred(directives: Iterable[DirectiveNode] | None, variables: Mapping[str, Any]) -> bool:
    """Whether a fragment with ``directives`` is deferred: ``@defer``, unless ``if: false``."""
    for directive in directives or ():
        if directive.name.value != "defer":
            continue
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            value = argument.value
            if isinstance(value, BooleanValueNode):
                return value.value
            if isinstance(value, VariableNode):
                return variables.get(value.name.value) is not False
        return True
    return False
