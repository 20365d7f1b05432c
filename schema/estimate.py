"""How large an operation's answer will be, estimated before it runs.

The output budget (:class:`gateway.budget.OutputBudget`) stops an answer at
the field that would cross ``GATEWAY_MAX_RESPONSE_BYTES``, but only once the
upstream has been called for everything before it: ten aliases of
``nodes(36 ids) { export { keypoints } }`` still fetch and parse 36 exports to
build the first 16 MiB. This estimate refuses such an operation before any
upstream call, from its text and variables alone:

- a list's length is what its arguments say (``ids``, ``names``, ``first``,
  ``last``; a connection's ``edges`` and ``nodes`` take their page size), or an
  assumption where nothing says (:data:`ASSUMED_SERIES` series in a list of
  them, :data:`ASSUMED_ITEMS` items in any other list);
- a ``FloatSeries`` is as many numbers as the nearest ``frames`` argument
  selects, or :data:`ASSUMED_FRAMES` (about half a minute of video), at
  :data:`~gateway.budget.BYTES_PER_NUMBER` bytes each (the output budget's own
  measure);
- any other leaf is :data:`BYTES_PER_LEAF`, with its key.

The assumptions are generous on purpose, so the bound that uses this
estimate sits well above the hard one (by default, four times): it refuses
what can't possibly fit, and the output budget judges the rest on the real
numbers. Fragments are spread wherever they're used, so this runs only on an
operation the bounds have already found small (:mod:`schema.bounds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)

from gateway.budget import BYTES_PER_NUMBER
from gateway.listing import DEFAULT_PAGE_SIZE

__all__ = [
    "ASSUMED_FRAMES",
    "ASSUMED_ITEMS",
    "ASSUMED_SERIES",
    "BYTES_PER_LEAF",
    "estimate_bytes",
    "estimate_size",
]

ASSUMED_FRAMES: Final = 1000
# 51 keypoint columns (17 landmarks x, y, visibility) and then some.
ASSUMED_SERIES: Final = 64
ASSUMED_ITEMS: Final = 10
BYTES_PER_LEAF: Final = 24

_SERIES_SCALAR = "FloatSeries"
_SERIES_TYPE = "Series"
_PAGED_LISTS = frozenset({"edges", "nodes"})


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        # Whether the estimate read any variable: if not, it holds for every call.
        self.used_variables = False

    def selection_set(
        self,
        node: SelectionSetNode,
        parent: GraphQLNamedType,
        frames: int,
        page: int | None,
        open_fragments: frozenset[str] = frozenset(),
    ) -> int:
        total = 2
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, frames, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type(condition.name.value) if condition else parent
                total += self.selection_set(
                    selection.selection_set, inner, frames, page, open_fragments
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = self._fragments.get(name)
                if definition is None or name in open_fragments:
                    continue  # other rules' errors
                total += self.selection_set(
                    definition.selection_set,
                    self._type(definition.type_condition.name.value),
                    frames,
                    page,
                    open_fragments | {name},
                )
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, frames: int, page: int | None
    ) -> int:
        name = node.name.value
        definition = (
            parent.fields.get(name)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if definition is None:  # __typename, introspection: the hard bound covers them
            return BYTES_PER_LEAF
        arguments = {a.name.value: a.value for a in node.arguments or ()}
        frames = self._frames(arguments.get("frames"), frames)
        kind = definition.type
        count = 1
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            if isinstance(kind, GraphQLList):
                count *= self._length(name, arguments, kind, page)
            kind = kind.of_type
        if node.selection_set is None:
            if getattr(kind, "name", None) == _SERIES_SCALAR:
                return count * (BYTES_PER_LEAF + BYTES_PER_NUMBER * frames)
            return count * BYTES_PER_LEAF
        # A connection passes its page size to its `edges` and `nodes`.
        inner_page: int | None = None
        if "first" in definition.args:
            inner_page = self._int(arguments.get("first"))
            if inner_page is None:
                inner_page = self._int(arguments.get("last"))
            if inner_page is None:
                # A connection without `first` or `last` answers the default page.
                inner_page = DEFAULT_PAGE_SIZE
        return count * (
            BYTES_PER_LEAF + self.selection_set(node.selection_set, kind, frames, inner_page)
        )

    def _length(
        self,
        name: str,
        arguments: Mapping[str, ValueNode],
        kind: GraphQLList[Any],
        page: int | None,
    ) -> int:
        for argument in ("ids", "names"):
            if argument in arguments:
                value = self._value(arguments[argument])
                if isinstance(value, list):
                    return len(value)
        if page is not None and name in _PAGED_LISTS:
            return page
        item = kind.of_type
        while isinstance(item, GraphQLNonNull | GraphQLList):
            item = item.of_type
        return ASSUMED_SERIES if getattr(item, "name", None) == _SERIES_TYPE else ASSUMED_ITEMS

    def _frames(self, node: ValueNode | None, inherited: int) -> int:
        value = self._value(node) if node is not None else None
        if not isinstance(value, Mapping):
            return inherited
        start, end = value.get("start"), value.get("end")
        if not isinstance(end, int) or isinstance(end, bool):
            return inherited  # to the end: as many as assumed
        first = start if isinstance(start, int) and not isinstance(start, bool) else 0
        return max(0, end - first)

    def _int(self, node: ValueNode | None) -> int | None:
        value = self._value(node) if node is not None else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _value(self, node: ValueNode) -> Any:
        """A literal or variable's value, as plain Python (enough for sizes)."""
        if isinstance(node, VariableNode):
            self.used_variables = True
            return self._variables.get(node.name.value)
        if isinstance(node, ListValueNode):
            return [self._value(v) for v in node.values]
        if isinstance(node, ObjectValueNode):
            return {f.name.value: self._value(f.value) for f in node.fields}
        if isinstance(node, IntValueNode):
            return int(node.value)
        return getattr(node, "value", None)

    def _type(self, name: str) -> GraphQLNamedType:
        found = self._schema.get_type(name)
        assert found is not None  # validation has run: the type exists
        return found


def estimate_bytes(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The estimated size in bytes of the answer to ``document``'s operation."""
    return estimate_size(schema, document, operation_name, variables)[0]


def estimate_size(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> tuple[int, bool]:
    """``estimate_bytes``, and whether it read any variable (if not, the same
    document and operation always get the same estimate)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if not chosen:
        return 0, False  # graphql-core reports the missing operation
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, False
    estimate = _Estimate(
        schema,
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)},
        variables if isinstance(variables, Mapping) else {},
    )
    size = estimate.selection_set(operation.selection_set, root, ASSUMED_FRAMES, None)
    return size, estimate.used_variables
