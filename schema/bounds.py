"""Operation bounds checked in time linear in the document, fragments included.

A fragment spread twice by each of its parents doubles the expanded operation
at every level, so a checker that expands fragments on every path (as
Strawberry's depth and alias limiters do) takes exponential time on a 1 KB
document, and so would graphql-core's field collection when executing it.
Here each fragment's cost (depth, aliases, fields of its expansion) is
computed once and reused wherever it is spread, so a document is checked in
one pass over its text, and the expansion's size is known before anything
expands it: an operation whose expanded form is too large is refused.

The bounds are checked *before* graphql-core's own rules
(:class:`BoundsFirstValidation`), and a document past them is refused
without those rules ever seeing it: they cost far more per token (a
TypeInfo walk, and quadratic field merging), and a hostile document made to
be refused should cost as little as possible. Directives and variable
definitions are bounded too, since those rules' work grows with them.

One of those rules can't be made linear: graphql-core's
OverlappingFieldsCanBeMerged compares fields that share a response name
pairwise (and each pair's sub-selections, and every pair of fragments spread
side by side), so a 10 KB document of a thousand `__typename` takes a tenth
of a second, and 240 `session { id }` a quarter. Its work is therefore
estimated here, in one pass over the merged selections, as the number of
pairs it will compare (:func:`merge_cost`), and bounded like the rest. A
document of more than :data:`INLINE_FIELDS` fields is also validated in a
worker thread, under a deadline, so that the event loop keeps serving
meanwhile (the GIL is handed back every few milliseconds); past the deadline
it is refused.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.config import Settings, default
from gateway.errors import LimitExceeded
from schema.documents import Documents
from schema.estimate import ASSUMED_FRAMES, estimate_size

__all__ = [
    "INLINE_FIELDS",
    "VALIDATION_DEADLINE",
    "BoundsFirstValidation",
    "OperationCost",
    "OperationLimits",
    "bound_errors",
    "estimate_errors",
    "merge_cost",
    "operation_costs",
]

_LIMIT = {"code": LimitExceeded.code}

# Documents of more expanded fields than this are validated off the event
# loop, and refused if that takes longer than the deadline (seconds).
INLINE_FIELDS = 100
VALIDATION_DEADLINE = 2.0

# What one compared pair costs, relative to two leaf fields of one name: a pair
# with sub-selections collects and compares those too, and a pair of fragments
# compares their field maps.
_NESTED_PAIR = 10
_FRAGMENT_PAIR = 10


@dataclass(frozen=True, slots=True)
class OperationCost:
    """An operation's expanded shape, fragments spread wherever they're used."""

    depth: int  # nesting of fields with selections; introspection fields count 0
    aliases: int
    fields: int
    directives: int = 0
    # Nesting of selection sets of any kind: fields, inline fragments, spreads.
    nesting: int = 0

    def __add__(self, other: OperationCost) -> OperationCost:
        return OperationCost(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.fields + other.fields,
            self.directives + other.directives,
            max(self.nesting, other.nesting),
        )

    def nested(self) -> OperationCost:
        """This cost one selection set deeper."""
        return OperationCost(
            self.depth, self.aliases, self.fields, self.directives, self.nesting + 1
        )


_ZERO = OperationCost(0, 0, 0)


@dataclass(frozen=True, slots=True)
class OperationLimits:
    max_depth: int
    max_aliases: int
    max_fields: int
    max_directives: int
    max_variables: int
    max_nesting: int
    # Pairs OverlappingFieldsCanBeMerged compares (see merge_cost), weighted:
    # the default keeps a document within it near 10 ms of validation at
    # worst (bench/adversarial.py). Selecting one field sixty times in one
    # place, or spreading nineteen fragments side by side, stays within it.
    max_merge_cost: int = default("max_merge_cost")
    # The answer's size estimated before execution (schema/estimate.py); None: unchecked.
    max_response_estimate: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OperationLimits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
            max_directives=settings.max_directives,
            max_variables=settings.max_variables,
            max_nesting=settings.max_nesting,
            max_merge_cost=settings.max_merge_cost,
            max_response_estimate=settings.max_response_estimate,
        )


class _Costing:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._memo: dict[str, OperationCost] = {}
        self._open: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> OperationCost:
        total = _ZERO
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection_set(selection.selection_set).nested()
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value).nested()
            if selection.directives:
                total += OperationCost(0, 0, 0, len(selection.directives))
        return total

    def field(self, node: FieldNode) -> OperationCost:
        inner = self.selection_set(node.selection_set)
        introspection = node.name.value.startswith("__")
        nested = node.selection_set is not None and not introspection
        return OperationCost(
            1 + inner.depth if nested else 0,
            inner.aliases + (node.alias is not None),
            inner.fields + 1,
            inner.directives,
            inner.nesting + 1 if node.selection_set is not None else 0,
        )

    def fragment(self, name: str) -> OperationCost:
        cost = self._memo.get(name)
        if cost is not None:
            return cost
        definition = self._fragments.get(name)
        # Unknown fragments and cycles are other rules' errors; count nothing.
        if definition is None or name in self._open:
            return _ZERO
        self._open.add(name)
        try:
            cost = self.selection_set(definition.selection_set)
        finally:
            self._open.discard(name)
        self._memo[name] = cost
        return cost


def operation_costs(document: DocumentNode) -> dict[str, OperationCost]:
    """Each operation's cost by name (``anonymous`` for the unnamed one)."""
    definitions = document.definitions
    costing = _Costing(
        {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    )
    return {
        d.name.value if d.name else "anonymous": costing.selection_set(d.selection_set)
        + OperationCost(0, 0, 0, len(d.directives or ()))
        for d in definitions
        if isinstance(d, OperationDefinitionNode)
    }


class _Merging:
    """The merged form of selection sets, as OverlappingFieldsCanBeMerged sees it.

    Fields of one response name in one place (directly, in inline fragments or
    in spread fragments) are compared pairwise, and their sub-selections are
    merged and compared in turn; fragments spread side by side are compared
    pairwise. The walk spreads fragments wherever they're used, so it is only
    run on an operation whose expanded size is already within bounds.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], budget: int) -> None:
        self._fragments = fragments
        self._budget = budget
        self.cost = 0

    def sets(self, selection_sets: list[SelectionSetNode]) -> None:
        groups: dict[str, list[SelectionSetNode | None]] = {}
        spread: set[str] = set()
        for selection_set in selection_sets:
            self._collect(selection_set, groups, spread, set())
        pairs = len(spread) * (len(spread) - 1) // 2
        self.cost += _FRAGMENT_PAIR * pairs
        for subs in groups.values():
            nested = [sub for sub in subs if sub is not None]
            pairs = len(subs) * (len(subs) - 1) // 2
            self.cost += (_NESTED_PAIR if nested else 1) * pairs
            if self.cost > self._budget:
                return  # refused already: no need to know by how much
            if nested:
                self.sets(nested)

    def _collect(
        self,
        node: SelectionSetNode,
        groups: dict[str, list[SelectionSetNode | None]],
        spread: set[str],
        open_fragments: set[str],
    ) -> None:
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                groups.setdefault(name, []).append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, groups, spread, open_fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = self._fragments.get(name)
                spread.add(name)
                # Unknown fragments and cycles are other rules' errors.
                if definition is not None and name not in open_fragments:
                    open_fragments.add(name)
                    self._collect(definition.selection_set, groups, spread, open_fragments)
                    open_fragments.discard(name)


def merge_cost(document: DocumentNode, budget: int | None = None) -> int:
    """About how many pairs OverlappingFieldsCanBeMerged compares in ``document``
    (weighted: see ``_NESTED_PAIR``), counting stopped once past ``budget``.

    The walk spreads fragments: call it only on a document whose expanded field
    count (:func:`operation_costs`) is already bounded.
    """
    definitions = document.definitions
    merging = _Merging(
        {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)},
        budget if budget is not None else 2**62,
    )
    for definition in definitions:
        if isinstance(definition, OperationDefinitionNode):
            merging.sets([definition.selection_set])
    return merging.cost


def bound_errors(document: DocumentNode, limits: OperationLimits) -> list[GraphQLError]:
    """What ``document`` exceeds, as ``LIMIT_EXCEEDED`` errors (none: within bounds)."""
    try:
        costs = operation_costs(document)
    except RecursionError:
        return [GraphQLError("The document nests too deeply to be checked.", extensions=_LIMIT)]
    return list(_bound_errors(document, costs, limits))


def _bound_errors(
    document: DocumentNode, costs: dict[str, OperationCost], limits: OperationLimits
) -> Iterator[GraphQLError]:
    for name, cost in costs.items():
        if cost.depth > limits.max_depth:
            yield GraphQLError(
                f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                extensions=_LIMIT,
            )
        if cost.nesting > limits.max_nesting:
            yield GraphQLError(
                f"'{name}' nests selections (fields and fragments) {cost.nesting} deep. "
                f"Allowed: {limits.max_nesting}",
                extensions=_LIMIT,
            )
    total = sum(costs.values(), _ZERO)
    if total.aliases > limits.max_aliases:
        yield GraphQLError(
            f"{_count(total.aliases)} aliases found. Allowed: {limits.max_aliases}",
            extensions=_LIMIT,
        )
    if total.fields > limits.max_fields:
        yield GraphQLError(
            f"The operation selects {_count(total.fields)} fields once its "
            f"fragments are spread. Allowed: {limits.max_fields}",
            extensions=_LIMIT,
        )
    # Only within the field bound: the walk spreads fragments, so it is as
    # large as the expansion.
    if total.fields <= limits.max_fields:
        merging = merge_cost(document, limits.max_merge_cost)
        if merging > limits.max_merge_cost:
            yield GraphQLError(
                "The operation selects the same response names (or spreads fragments) "
                "side by side too often to be merged cheaply: select each field once "
                f"per place. Merge cost over {limits.max_merge_cost}",
                extensions=_LIMIT,
            )
    # Directives where they are written (a fragment's once), and variables.
    written = sum(
        len(getattr(node, "directives", None) or ())
        for definition in document.definitions
        for node in _directive_holders(definition)
    )
    if written > limits.max_directives:
        yield GraphQLError(
            f"The document holds {written} directives. Allowed: {limits.max_directives}",
            extensions=_LIMIT,
        )
    for definition in document.definitions:
        variables = len(getattr(definition, "variable_definitions", None) or ())
        if variables > limits.max_variables:
            yield GraphQLError(
                f"An operation declares {variables} variables. Allowed: {limits.max_variables}",
                extensions=_LIMIT,
            )


def _directive_holders(node: object) -> Iterator[object]:
    """``node`` and every selection under it, without spreading fragments."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)


class BoundsFirstValidation(SchemaExtension):
    """Validation with the bounds checked first, each text's verdict kept.

    A document past the bounds is refused at once, and graphql-core's rules
    never run over it; a large one within them is validated off the event
    loop, under :data:`VALIDATION_DEADLINE`. The verdict is kept with the
    text's cached document (:mod:`schema.documents`), so a repeated text is
    neither bounded nor validated again; its answer's estimate is checked
    against each operation's variables either way.
    """

    def __init__(
        self,
        limits: OperationLimits,
        rules: tuple[type[ASTValidationRule], ...],
        documents: Documents,
    ) -> None:
        self._limits = limits
        self._rules = rules
        self._documents = documents

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:  # Strawberry reports it
            yield
            return
        entry = self._documents.get(context.query) if context.query is not None else None
        errors = entry.errors if entry is not None else None
        if errors is None:
            errors = await self._verdict(context.schema._schema, document)
            if entry is not None:
                entry.errors = errors
        if not errors:
            errors = estimate_errors(
                context.schema._schema,
                document,
                context.operation_name,
                context.variables,
                self._limits.max_response_estimate,
                known=entry.estimates if entry is not None else None,
            )
        context.pre_execution_errors = errors
        yield

    async def _verdict(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        """The bounds' errors, else graphql-core's rules' (none: valid)."""
        try:
            costs = operation_costs(document)
        except RecursionError:
            return [GraphQLError("The document nests too deeply to be checked.", extensions=_LIMIT)]
        errors = list(_bound_errors(document, costs, self._limits))
        if errors:
            return errors
        validate = functools.partial(validate_document, schema, document, self._rules)
        if sum(costs.values(), _ZERO).fields <= INLINE_FIELDS:
            return validate()
        try:
            async with asyncio.timeout(VALIDATION_DEADLINE):
                return await asyncio.to_thread(validate)
        except TimeoutError:
            return [
                GraphQLError(
                    "The document took too long to validate; send a smaller one.",
                    extensions=_LIMIT,
                )
            ]


def estimate_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limit: int | None,
    known: dict[str | None, int] | None = None,
) -> list[GraphQLError]:
    """``LIMIT_EXCEEDED`` when the operation's answer is estimated past ``limit``.

    With ``known``, the estimates already made for this document by operation
    name, an estimate that read no variable is computed once and kept there.
    """
    if limit is None:
        return []
    estimated = known.get(operation_name) if known is not None else None
    if estimated is None:
        estimated, varies = estimate_size(schema, document, operation_name, variables)
        if known is not None and not varies:
            known[operation_name] = estimated
    if estimated <= limit:
        return []
    return [
        GraphQLError(
            f"This operation's answer is estimated at {estimated / 2**20:.1f} MiB, over "
            f"the {limit / 2**20:.0f} MiB one operation may answer (where `frames` "
            f"doesn't say, an export is assumed to have {ASSUMED_FRAMES} frames): "
            "select fewer sessions, series (`names`) or frames (`frames`).",
            extensions=_LIMIT,
        )
    ]


def _count(n: int) -> str:
    # A fragment fan-out's count can have hundreds of digits.
    return str(n) if n < 10**9 else "more than a billion"
