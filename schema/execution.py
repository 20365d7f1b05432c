"""A faster completion of plain-data objects, the bulk of an export.

graphql-core completes every field of every object through the same general
machinery: resolve info, a resolver call, an awaitable check, leaf
completion. For an export's seventy-odd `Series` and `Metric` objects, whose
fields are plain attributes holding scalars, that machinery was the largest
part of the gateway's own time (about 2 ms of 7 at 1,000 frames).

:class:`GatewayExecutionContext` completes objects of the types in
:data:`PLAIN_DATA_TYPES` by reading their attributes and serializing them with
the field's own scalar: the same result, field for field. The selection is
still collected by graphql-core (aliases, fragments, ``@include``/``@skip``
apply as usual) and planned once per operation and selection. Anything the
plan can't promise to do identically goes the general way: a field with
arguments, a non-leaf field, ``@defer``, a null in a non-null field, or any
error, which the general path then reports with its usual path and location.

It also decides how ``@defer`` and ``@stream`` are answered. Where the
transport delivers parts (:attr:`schema.context.GatewayContext.incremental`),
graphql-core's incremental execution defers and streams them, and the
subsequent parts run in the operation's own scope (its DataLoaders, call and
output budgets: a deferred export is one more call per distinct session,
made when its part runs), their errors settled as the first part's are, and
come out in the 2022-08-24 draft's shape (:mod:`schema.incremental`).
Anywhere else the directives are ignored and the fields inlined: one result,
as if they weren't there.

And it executes a subscription event once for every subscriber of the same
selection (:mod:`schema.shared_events`): an event that says how it may be
shared (``sharing()``) is executed by the first subscriber who asks, and the
others get that result.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, cast

import orjson
from graphql import (
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution import Executor, SubsequentIncrementalExecutionResult
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.context import GatewayContext, OperationScope, current_scope
from schema.extensions import report_errors
from schema.fanout import offered
from schema.incremental import Defer20220824, DeferredPart
from schema.shared_events import SharedEvents

__all__ = ["PLAIN_DATA_TYPES", "GatewayExecutionContext"]

# Object types whose fields are all plain attributes: no resolver, argument,
# permission or field extension (tests/unit/test_execution.py checks). Only
# these take the fast path.
PLAIN_DATA_TYPES = frozenset({"Series", "Metric"})

_UNSET: Any = object()

# (response key, attribute or None for __typename, serialize, non-null)
_Step = tuple[str, str | None, Callable[[Any], Any], bool]


class _Plan:
    __slots__ = ("origin", "steps")

    def __init__(self, origin: type, steps: list[_Step]) -> None:
        self.origin = origin
        self.steps = steps


class GatewayExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers for resolvers hold this executor's bound
        # methods: a reference cycle, so every operation's executor (the plan,
        # its fields, its errors: three dozen objects) waited for the cycle
        # collector, whose full passes over a process holding 50,000
        # subscribers took most of a second each. Bound to a shallow copy
        # without helpers of its own instead (the same pending work and
        # checks: graphql-core's copies share them), the executor goes as
        # soon as its operation is done, and the helpers work as long as
        # anyone holds them.
        twin = copy.copy(self)
        twin.async_helpers = None  # type: ignore[assignment]
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=twin.gather_async_work, track=twin.track_async_work
        )
        # Keyed like graphql-core's own memo of collected subfields, on the
        # selection's identity; the selection is kept with its plan, so that
        # identity can't be reused during the operation.
        self._plans: dict[tuple[str, int], tuple[Any, _Plan | None]] = {}
        context = self.context_value
        # Whether @defer/@stream are delivered in parts, or inlined.
        self._incremental = isinstance(context, GatewayContext) and context.incremental
        # Where each stream's first streamed item sits, by its list's path;
        # shared with the sub-executors (shallow copies) that find more.
        self._stream_starts: dict[tuple[str | int, ...], int] = {}
        # A subscription event's executor: where its result is shared, and how;
        # the subscription's own executor: its selection, worked out at its first
        # shared event.
        self._sharing: tuple[SharedEvents, object, Hashable] | None = None
        self._selection: Any = _UNSET

    # -- subscription events --------------------------------------------------

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = cast(GatewayExecutionContext, super().build_per_event_executor(payload))
        executor._sharing = self._sharing_of(payload)
        offer = offered().get()
        if offer is not None and offer.executor is None:
            # The first event of an operation its transport may carry on
            # (schema.fanout): this subscription, and its selection.
            if self._selection is _UNSET:
                self._selection = self._selection_of()
            if self._selection is not None:
                offer.execution(self, self._selection[1])
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        sharing = self._sharing
        if sharing is None:
            return super().execute_operation(serially)
        events, state, key = sharing
        execute = cast(Callable[[], Any], functools.partial(super().execute_operation, serially))
        context = cast(GatewayContext, self.context_value)
        # A scope of its own for the shared run (the task it may start copies it).
        scope = current_scope()
        token = scope.set(OperationScope(context))
        try:
            result, executed = events.result(state, key, self.operation, execute)
        finally:
            scope.reset(token)
        metrics = context.services.metrics
        metrics.labelled(metrics.subscription_events, "executed" if executed else "shared").inc()
        return result

    def _sharing_of(self, payload: Any) -> tuple[SharedEvents, object, Hashable] | None:
        """Where an event's result is shared: the state it is about, and the selection
        (this subscription's, see ``_selection``) with the event's own part, e.g. which
        session. ``None``: this one is executed on its own."""
        sharing = getattr(payload, "sharing", None)
        shared = sharing() if sharing is not None else None
        if shared is None:
            return None  # not a shared event, or a subscriber's first event: its own
        if self._selection is _UNSET:
            self._selection = self._selection_of()
        selection = self._selection
        if selection is None:
            return None
        events, key = selection
        state, part = shared
        return events, state, (*key, part)

    def _selection_of(self) -> tuple[SharedEvents, tuple[Hashable, ...]] | None:
        """This subscription's selection, once for all its events: the operation (by
        identity), its variables, the caller's key, and whether @defer/@stream run in
        parts on its transport. ``None``: its events are not shared."""
        events = getattr(getattr(self.schema, "_strawberry_schema", None), "shared_events", None)
        context = self.context_value
        if not isinstance(events, SharedEvents) or not isinstance(context, GatewayContext):
            return None
        credential = context.credential()
        if credential is None:
            return None
        values = getattr(self.variable_values, "coerced", self.variable_values)
        try:
            variables = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None  # a value without a canonical JSON form: not shared
        key = (id(self.operation), variables, credential.authorization, self._incremental)
        return events, key

    # -- @defer and @stream -------------------------------------------------

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        new_defer_usages: Any,
    ) -> Any:
        if self._incremental:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        # graphql-core's plain executor: deferred fields executed in place.
        return Executor.execute_collected_root_fields(
            self, root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def execute_collected_subfields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path,
        grouped_field_set: Any,
        new_defer_usages: Any,
        delivery_group_map: Any,
    ) -> Any:
        if self._incremental:
            return super().execute_collected_subfields(
                parent_type,
                source_value,
                path,
                grouped_field_set,
                new_defer_usages,
                delivery_group_map,
            )
        return Executor.execute_collected_subfields(
            self, parent_type, source_value, path, grouped_field_set, new_defer_usages, None
        )

    def handle_stream(
        self,
        index: int,
        path: Path,
        iterator: Any,
        is_async: bool,
        stream_usage: Any,
        info: Any,
        item_type: Any,
    ) -> bool:
        if not self._incremental:
            return False  # the whole list, in place
        self._stream_starts[tuple(path.as_list())] = index
        return super().handle_stream(index, path, iterator, is_async, stream_usage, info, item_type)

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        if not isinstance(response, ExperimentalIncrementalExecutionResults):
            return response
        initial = response.initial_result
        translate = Defer20220824(initial.pending, self._stream_starts, self._settle)
        parts = _in_scope(current_scope().get(), response.subsequent_results, translate)
        # Strawberry passes the subsequent parts on as they come; they are
        # DeferredParts now, not graphql-core's frames.
        subsequent = cast(AsyncGenerator[SubsequentIncrementalExecutionResult, None], parts)
        return ExperimentalIncrementalExecutionResults(initial, subsequent)

    def _settle(self, errors: list[GraphQLError]) -> None:
        report_errors(errors, self.context_value)

    # -- plain data ---------------------------------------------------------

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if return_type.name in PLAIN_DATA_TYPES:
            key = (return_type.name, id(field_details_list))
            cached = self._plans.get(key)
            if cached is None:
                cached = (field_details_list, self._plan(return_type, field_details_list))
                self._plans[key] = cached
            plan = cached[1]
            if plan is not None:
                completed = _complete(plan, return_type, result)
                if completed is not None:
                    return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
        origin = getattr(
            return_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF), "origin", None
        )
        collected = self.collect_subfields(return_type, field_details_list)
        if not isinstance(origin, type) or collected.new_defer_usages:
            return None
        steps: list[_Step] = []
        for response_key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_key, None, str, True))
                continue
            field = return_type.fields.get(name)
            # Strawberry marks a field without a resolver of its own.
            if field is None or field.args or not getattr(field.resolve, "_is_default", False):
                return None
            leaf = get_nullable_type(field.type)
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            python_name = getattr(definition, "python_name", None)
            if not is_leaf_type(leaf) or not isinstance(python_name, str):
                return None
            coerce = getattr(leaf, "coerce_output_value", None) or leaf.serialize
            steps.append((response_key, python_name, coerce, is_non_null_type(field.type)))
        return _Plan(origin, steps)


async def _in_scope(
    scope: OperationScope | None,
    frames: AsyncIterator[SubsequentIncrementalExecutionResult],
    translate: Defer20220824,
) -> AsyncGenerator[DeferredPart, None]:
    """The subsequent parts, each run in the operation's scope.

    Deferred work starts as the parts are asked for, after the first part was
    answered: graphql-core starts it in tasks made while the next part is
    awaited, which inherit the scope set here. Over a streaming transport the
    operation's extensions are still open and the scope set already; where
    they have closed (``Schema.execute``), this is what keeps one DataLoader
    and one output budget for the whole operation.
    """
    var = current_scope()
    try:
        while True:
            token = var.set(scope) if scope is not None else None
            try:
                frame = await anext(frames)
            except StopAsyncIteration:
                return
            finally:
                if token is not None:
                    var.reset(token)
            yield translate.part(frame)
    finally:
        aclose = getattr(frames, "aclose", None)
        if aclose is not None:
            await aclose()


def _complete(plan: _Plan, return_type: GraphQLObjectType, result: Any) -> dict[str, Any] | None:
    """The completed object, or ``None`` where the general path must decide."""
    if not isinstance(result, plan.origin):
        return None
    out: dict[str, Any] = {}
    try:
        for response_key, attribute, serialize, non_null in plan.steps:
            if attribute is None:
                out[response_key] = return_type.name
                continue
            value = getattr(result, attribute)
            if isinstance(value, Exception | Awaitable):
                return None
            if value is None:
                if non_null:
                    return None
                out[response_key] = None
                continue
            serialized = serialize(value)
            if serialized is None or serialized is Undefined:
                return None
            out[response_key] = serialized
    except Exception:  # the general path reports it, with path and location
        return None
    return out
