"""Operations seen before run without Strawberry's per-operation machinery.

For each operation, Strawberry's ``Schema.execute`` builds seven extension
objects, enters and leaves their hooks as context managers, looks the text up
in the parse cache and the document up in the validation cache (which hashes
the whole document tree), and only then calls graphql-core. For the small
reads that are most of the traffic, that was about a third of the gateway's
own CPU time per operation, all of it on the answer's path.

An operation whose text parsed, stayed within the bounds and validated is
remembered here, by its text and operation name (the schema and its
validation rules never change while the process runs, so neither can the
verdict). The next time it comes over HTTP, :class:`schema.GatewaySchema`
runs it directly: the same graphql-core execution with the same execution
context class, the same error processing, and what the extensions would have
done, done in line (:mod:`schema.telemetry` records it, the operation gets its
own :class:`schema.context.OperationScope`, the answer estimate is checked
against the operation's variables). Everything else still goes Strawberry's
way: a text not seen before, anything over a WebSocket, subscriptions.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLSchema, get_operation_ast
from strawberry.types.graphql import OperationType

from schema.telemetry import root_field

__all__ = ["MAX_PREPARED_CHARS", "Prepared", "PreparedOperations"]

# Longer texts are not remembered (they still run, Strawberry's way).
MAX_PREPARED_CHARS = 16 * 1024


@dataclass(slots=True)
class Prepared:
    """A parsed, bounded and validated operation, with its telemetry labels."""

    document: DocumentNode
    operation_type: OperationType
    # As schema.telemetry.root_field names it, for metrics, spans and logs.
    kind: str
    root: str
    # The answer's estimate (schema.estimate), once known not to depend on
    # the variables.
    estimate: int | None = None


class PreparedOperations:
    """The most recently used ``maxsize`` prepared operations."""

    def __init__(self, maxsize: int = 512) -> None:
        self._maxsize = maxsize
        # Used on the event loop's thread only (schema.bounds remembers after
        # a threaded validation has returned): no lock.
        self._entries: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str, operation_name: str | None) -> Prepared | None:
        key = (query, operation_name)
        prepared = self._entries.get(key)
        if prepared is not None:
            self._entries.move_to_end(key)
        return prepared

    def remember(
        self,
        schema: GraphQLSchema,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
    ) -> None:
        if self._maxsize <= 0 or len(query) > MAX_PREPARED_CHARS:
            return
        operation = get_operation_ast(document, operation_name)
        if operation is None:  # no such operation: execution reports it
            return
        kind, root = root_field(schema, document, operation_name)
        prepared = Prepared(document, OperationType(operation.operation.value), kind, root)
        self._entries[(query, operation_name)] = prepared
        self._entries.move_to_end((query, operation_name))
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)
