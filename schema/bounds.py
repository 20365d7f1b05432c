"""Operation bounds checked in time linear in the document, fragments included.

A fragment spread twice by each of its parents doubles the expanded operation
at every level, so a checker that expands fragments on every path (as
Strawberry's depth and alias limiters do) takes exponential time on a 1 KB
document, and so would graphql-core's field collection when executing it.
Here each fragment's cost (depth, aliases, fields of its expansion) is
computed once and reused wherever it is spread, so a document is checked in
one pass over its text, and the expansion's size is known before anything
expands it: an operation whose expanded form is too large is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
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

__all__ = ["OperationCost", "create_bounds_rule", "operation_costs"]

_LIMIT = {"code": "LIMIT_EXCEEDED"}


@dataclass(frozen=True, slots=True)
class OperationCost:
    """An operation's expanded shape, fragments spread wherever they're used."""

    depth: int  # nesting of fields with selections; introspection fields count 0
    aliases: int
    fields: int

    def __add__(self, other: OperationCost) -> OperationCost:
        return OperationCost(
            max(self.depth, other.depth), self.aliases + other.aliases, self.fields + other.fields
        )


_ZERO = OperationCost(0, 0, 0)


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
                total += self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def field(self, node: FieldNode) -> OperationCost:
        inner = self.selection_set(node.selection_set)
        introspection = node.name.value.startswith("__")
        nested = node.selection_set is not None and not introspection
        return OperationCost(
            1 + inner.depth if nested else 0,
            inner.aliases + (node.alias is not None),
            inner.fields + 1,
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


def operation_costs(context: ValidationContext) -> dict[str, OperationCost]:
    """Each operation's cost by name (``anonymous`` for the unnamed one)."""
    definitions = context.document.definitions
    costing = _Costing(
        {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    )
    return {
        d.name.value if d.name else "anonymous": costing.selection_set(d.selection_set)
        for d in definitions
        if isinstance(d, OperationDefinitionNode)
    }


def create_bounds_rule(max_depth: int, max_aliases: int, max_fields: int) -> type[ValidationRule]:
    """A validation rule refusing operations past the bounds, with ``LIMIT_EXCEEDED``."""

    class OperationBounds(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            try:
                costs = operation_costs(context)
            except RecursionError:
                context.report_error(
                    GraphQLError("The document nests too deeply to be checked.", extensions=_LIMIT)
                )
                return
            for name, cost in costs.items():
                if cost.depth > max_depth:
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            extensions=_LIMIT,
                        )
                    )
            total = sum(costs.values(), _ZERO)
            if total.aliases > max_aliases:
                context.report_error(
                    GraphQLError(
                        f"{_count(total.aliases)} aliases found. Allowed: {max_aliases}",
                        extensions=_LIMIT,
                    )
                )
            if total.fields > max_fields:
                context.report_error(
                    GraphQLError(
                        f"The operation selects {_count(total.fields)} fields once its "
                        f"fragments are spread. Allowed: {max_fields}",
                        extensions=_LIMIT,
                    )
                )

    return OperationBounds


def _count(n: int) -> str:
    # A fragment fan-out's count can have hundreds of digits.
    return str(n) if n < 10**9 else "more than a billion"
