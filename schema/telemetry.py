"""What each operation did: its metrics, its span and its log fields.

An operation is named, for metrics and spans, by its root field (``session``,
``sessions``, ``analyzedVideo``...): a fixed set, the schema's own, where the
``operationName`` a caller chose is not. Several root fields are ``multiple``,
a document that did not validate ``invalid``. Logs also get the caller's
``operationName``, bounded and stripped to a GraphQL name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from gateway.logs import current_request
from gateway.tracing import SubscriptionSpan
from schema.context import GatewayContext
from schema.fanout import Offer, offered

__all__ = [
    "SubscriptionRecord",
    "TelemetryExtension",
    "label_operation",
    "record_operation",
    "root_field",
]

_INTROSPECTION = frozenset({"__schema", "__type", "__typename"})
_NAME = re.compile(r"[^_0-9A-Za-z]")
_MAX_NAME = 64


def root_field(
    schema: GraphQLSchema, document: DocumentNode | None, operation_name: str | None
) -> tuple[str, str]:
    """(operation type, root field label) of ``document``'s chosen operation."""
    operation = get_operation_ast(document, operation_name) if document is not None else None
    if operation is None:
        return "invalid", "invalid"
    kind = operation.operation.value
    root = schema.get_root_type(operation.operation)
    known = set(root.fields) if root is not None else set()
    names = _root_names(document, operation.selection_set, set())
    if not names:
        return kind, "invalid"
    if len(names) > 1:
        return kind, "multiple"
    (name,) = names
    # Only the schema's own field names: anything else was never validated.
    return kind, name if name in known or name in _INTROSPECTION else "invalid"


def _root_names(
    document: DocumentNode | None, selections: SelectionSetNode, seen: set[str]
) -> set[str]:
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_names(document, selection.selection_set, seen)
        elif isinstance(selection, FragmentSpreadNode) and document is not None:
            fragment = selection.name.value
            if fragment in seen:
                continue
            seen.add(fragment)
            for definition in document.definitions:
                if getattr(definition, "name", None) is not None and not isinstance(
                    definition, OperationDefinitionNode
                ):
                    if definition.name.value == fragment:  # type: ignore[attr-defined]
                        names |= _root_names(document, definition.selection_set, seen)  # type: ignore[attr-defined]
    return names


class SubscriptionRecord:
    """One subscription's telemetry, from its start to its end: its span, the
    active gauge, and at the end its count, time and outcome. Ended by its
    operation, or by the member that carried it on (schema.fanout)."""

    __slots__ = ("_context", "_root", "_span", "_started")

    def __init__(self, context: GatewayContext, root: str, started: float) -> None:
        self._context = context
        self._root = root
        self._started = started
        metrics = context.services.metrics
        metrics.labelled(metrics.subscriptions_active, root).inc()
        # It lives as long as the subscription; not made current, since the
        # watches it reads are shared with other subscribers.
        self._span: SubscriptionSpan = context.services.tracing.start_subscription(root)

    def event(self, errors: int) -> None:
        self._span.event("graphql.subscription.update", errors=errors)

    def end(self, errors: Sequence[Any] | None, data: Any) -> None:
        context, root = self._context, self._root
        seconds = time.perf_counter() - self._started
        outcome = record_operation(context, "subscription", root, errors, data, seconds)
        metrics = context.services.metrics
        metrics.labelled(metrics.subscriptions_active, root).dec()
        metrics.labelled(metrics.subscriptions, root, outcome).inc()
        self._span.end(outcome)


class TelemetryExtension(SchemaExtension):
    """Times and counts each operation, traces it and names it in the logs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kind = "invalid"
        self._root = "invalid"
        self._started = 0.0
        self._subscription: SubscriptionRecord | None = None

    def _context(self) -> GatewayContext | None:
        context = self.execution_context.context
        return context if isinstance(context, GatewayContext) else None

    def on_operation(self) -> Iterator[None]:
        self._started = time.perf_counter()
        # This operation's own, read now: its end may run in another's context.
        offer = offered().get()
        finished = False
        try:
            yield
            finished = True
        finally:
            # Closed early too (its transport has sent what it had: a request
            # error, a refusal for size, a subscription carried on or completed
            # by its client), except a query or mutation cancelled before it had
            # any outcome (its caller left): that was never counted.
            ec = self.execution_context
            started_nothing = ec.result is None and not ec.pre_execution_errors
            if finished or self._subscription is not None or not started_nothing:
                self._ended(offer)

    def _ended(self, offer: Offer | None) -> None:
        context = self._context()
        if context is None:
            return
        ec = self.execution_context
        result = ec.result
        errors = (result.errors if result is not None else None) or ec.pre_execution_errors
        data = result.data if result is not None else None
        subscription = self._subscription
        if subscription is None:
            seconds = time.perf_counter() - self._started
            record_operation(context, self._kind, self._root, errors, data, seconds)
            return
        member = offer.carried if offer is not None else None
        if member is not None:
            member.observe(subscription)  # it goes on: its end is the member's
        else:
            subscription.end(errors, data)

    def on_execute(self) -> Iterator[None]:
        context = self._context()
        ec = self.execution_context
        self._kind, self._root = root_field(
            ec.schema._schema, ec.graphql_document, ec.operation_name
        )
        label_operation(ec.operation_name, self._root)
        if context is None:
            yield
            return
        if self._kind == "subscription":
            self._subscription = SubscriptionRecord(context, self._root, self._started)
            yield
            return
        with context.services.tracing.operation(self._kind, self._root):
            yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        subscription = self._subscription
        if subscription is not None:
            subscription.event(len(getattr(result, "errors", None) or ()))
        yield


def label_operation(operation_name: str | None, root: str) -> None:
    """Name the running request's operation in its log line."""
    request = current_request()
    if request is not None:
        request.operation = _operation_label(operation_name, root)


def record_operation(
    context: GatewayContext,
    kind: str,
    root: str,
    errors: Sequence[Any] | None,
    data: Any,
    seconds: float,
) -> str:
    """Count and time one finished operation; its outcome (ok, partial, error)."""
    outcome = "ok" if not errors else "partial" if data else "error"
    context.services.metrics.observe_operation(kind, root, outcome, seconds)
    request = current_request()
    if request is not None:
        request.operation_seconds = seconds
    return outcome


def _operation_label(name: str | None, root: str) -> str:
    if not name:
        return root
    return _NAME.sub("", name)[:_MAX_NAME] or root
