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
pairwise, so a 10 KB document of a thousand `__typename` within every bound
takes a tenth of a second. A document of more than :data:`INLINE_FIELDS`
fields is therefore validated in a worker thread, under a deadline, so that
the event loop keeps serving meanwhile (the GIL is handed back every few
milliseconds); past the deadline it is refused.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

__all__ = [
    "INLINE_FIELDS",
    "VALIDATION_DEADLINE",
    "BoundsFirstValidation",
    "OperationCost",
    "OperationLimits",
    "bound_errors",
    "create_bounds_rule",
    "operation_costs",
]

_LIMIT = {"code": "LIMIT_EXCEEDED"}

# Documents of more expanded fields than this are validated off the event
# loop, and refused if that takes longer than the deadline (seconds).
INLINE_FIELDS = 100
VALIDATION_DEADLINE = 2.0


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


def create_bounds_rule(limits: OperationLimits) -> type[ValidationRule]:
    """A validation rule refusing operations past the bounds, with ``LIMIT_EXCEEDED``."""

    class OperationBounds(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for error in bound_errors(context.document, limits):
                context.report_error(error)

    return OperationBounds


@functools.cache
def _validation_cache(maxsize: int | None) -> Any:
    """One validation cache per size, shared by every operation (as Strawberry's
    ``ParserCache`` shares its parse cache)."""

    def validate(schema: Any, document: Any, rules: Any) -> Any:
        return validate_document(schema, document, rules)

    return functools.lru_cache(maxsize=maxsize)(validate)


class BoundsFirstValidation(SchemaExtension):
    """Validation with the bounds checked first, each text validated once.

    A document past the bounds is refused at once, and graphql-core's rules
    never run over it; a large one within them is validated off the event
    loop, under :data:`VALIDATION_DEADLINE`. Results are cached by document,
    like Strawberry's ``ValidationCache`` (which this replaces).
    """

    def __init__(self, limits: OperationLimits, maxsize: int | None = None) -> None:
        self._limits = limits
        # Strawberry builds an extension per operation: the cache must outlive it.
        self._validate = _validation_cache(maxsize)

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:  # Strawberry reports it
            yield
            return
        try:
            costs = operation_costs(document)
        except RecursionError:
            context.pre_execution_errors = [
                GraphQLError("The document nests too deeply to be checked.", extensions=_LIMIT)
            ]
            yield
            return
        errors = list(_bound_errors(document, costs, self._limits))
        if not errors:
            validate = functools.partial(
                self._validate, context.schema._schema, document, tuple(context.validation_rules)
            )
            if sum(costs.values(), _ZERO).fields <= INLINE_FIELDS:
                errors = validate()
            else:
                try:
                    async with asyncio.timeout(VALIDATION_DEADLINE):
                        errors = await asyncio.to_thread(validate)
                except TimeoutError:
                    errors = [
                        GraphQLError(
                            "The document took too long to validate; send a smaller one.",
                            extensions=_LIMIT,
                        )
                    ]
        context.pre_execution_errors = errors
        yield


def _count(n: int) -> str:
    # A fragment fan-out's count can have hundreds of digits.
    return str(n) if n < 10**9 else "more than a billion"
