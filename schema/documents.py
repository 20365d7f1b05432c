"""Each operation text parsed, bounded and validated once, in a cache bounded by bytes.

Clients send the same few documents over and over, so parsing and validating
each text once saves most of an operation's own CPU. The cache is in front of
those steps, not a path around them: every operation, first or repeated, runs
the schema's extensions in the same order (:func:`schema.build_schema`); only
:class:`DocumentCache`'s own parse and :class:`schema.bounds.BoundsFirstValidation`'s
own checks are skipped when the verdict is already known.

Nothing a caller sends may cost the process much more than its own size, so:

- a text longer than ``max_chars`` (comments and white space count: the token
  bound does not see them) is refused before parsing, with ``LIMIT_EXCEEDED``;
- a text longer than ``max_cached_chars`` still runs, but nothing of it is kept;
- what is kept is bounded in bytes, not entries: a parsed document holds its
  tokens (several hundred bytes each), so an entry is weighed by its text and
  its tokens, and the least recently used go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    TokenKind,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError

from gateway.errors import LimitExceeded

__all__ = ["CachedDocument", "DocumentCache", "Documents", "OperationNameRequired"]

# What one token of a parsed document holds, measured (tracemalloc) on
# graphql-core 3.3: the token, its node's location and the node's share.
_BYTES_PER_TOKEN = 460


@dataclass(slots=True, eq=False)
class CachedDocument:
    """A parsed text, and what has been learned of it since."""

    document: DocumentNode
    weight: int
    # The bounds' and the rules' verdict (an empty list: valid), once known.
    errors: list[GraphQLError] | None = None
    # The answer's estimate per operation name, once known not to read any
    # variable (schema.bounds.estimate_errors).
    estimates: dict[str | None, int] = field(default_factory=dict)
    # Upstream calls per operation name, as its last run made them: the
    # next run's estimate, for the rate limits (schema.rate_limit).
    calls: dict[str | None, int] = field(default_factory=dict)
    # Whether it uses @defer or @stream, once asked.
    defers: bool | None = None


class Documents:
    """The parsed documents kept for reuse, least recently used first out."""

    def __init__(
        self, *, max_chars: int, max_cached_chars: int, max_tokens: int, max_bytes: int
    ) -> None:
        self.max_chars = max_chars
        self.max_cached_chars = max_cached_chars
        self.max_tokens = max_tokens
        self.max_bytes = max_bytes
        self.bytes = 0
        # Used on the event loop's thread only: no lock.
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def check_size(self, text: str) -> None:
        """Refuse a text past ``max_chars`` before anything reads it."""
        if len(text) > self.max_chars:
            raise LimitExceeded(
                f"The document has {len(text)} characters. Allowed: {self.max_chars}"
            )

    def get(self, text: str) -> CachedDocument | None:
        entry = self._entries.get(text)
        if entry is not None:
            self._entries.move_to_end(text)
        return entry

    def add(self, text: str, document: DocumentNode) -> CachedDocument | None:
        """Keep ``document``, parsed from ``text``, if it is small enough; its entry."""
        if len(text) > self.max_cached_chars:
            return None
        entry = self._entries.get(text)
        if entry is not None:
            return entry
        entry = CachedDocument(document, 2 * len(text) + _BYTES_PER_TOKEN * _tokens(document))
        if entry.weight > self.max_bytes:
            return None
        self._entries[text] = entry
        self.bytes += entry.weight
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.weight
        return entry

    def parse(self, text: str) -> DocumentNode:
        """``text`` parsed (from the cache when it can be), within the size and token bounds."""
        entry = self.get(text)
        if entry is not None:
            return entry.document
        self.check_size(text)
        document = parse(text, max_tokens=self.max_tokens)
        self.add(text, document)
        return document

    def operation_type(self, text: str, operation_name: str | None) -> OperationType | None:
        """The type of the operation ``text`` runs; ``None`` when it is too long,
        doesn't parse or names no such operation (the execution reports why)."""
        try:
            document = self.parse(text)
        except (GraphQLError, LimitExceeded):
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None:
            return operations[0].operation if len(operations) == 1 else None
        for operation in operations:
            if operation.name is not None and operation.name.value == operation_name:
                return operation.operation
        return None

    def defers(self, text: str) -> bool:
        """Whether ``text`` uses ``@defer`` or ``@stream``; ``False`` when it is
        too long or doesn't parse (the execution reports why)."""
        if "defer" not in text and "stream" not in text:
            return False  # the directive's name is spelled out, or it isn't there
        try:
            document = self.parse(text)
        except (GraphQLError, LimitExceeded):
            return False
        entry = self._entries.get(text)
        if entry is None:
            return _defers(document)
        if entry.defers is None:
            entry.defers = _defers(document)
        return entry.defers


class OperationNameRequired(CannotGetOperationTypeError):
    """Several operations and no ``operationName``: the spec's GetOperation is a
    request error, answered on every transport as an unknown name is."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "Must provide operation name if query contains multiple operations."


def _operations(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _defers(document: DocumentNode) -> bool:
    """Whether a directive of ``document`` is ``@defer`` or ``@stream``: an ``@``
    followed by either name (comments may come between)."""
    token = document.loc.start_token if document.loc is not None else None
    after_at = False
    while token is not None:
        if token.kind == TokenKind.AT:
            after_at = True
        elif token.kind == TokenKind.NAME and after_at:
            if token.value in ("defer", "stream"):
                return True
            after_at = False
        elif token.kind != TokenKind.COMMENT:
            after_at = False
        token = token.next
    return False


def _tokens(document: DocumentNode) -> int:
    token = document.loc.start_token if document.loc is not None else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentCache(SchemaExtension):
    """The parse step through :class:`Documents`: refused when too long, parsed
    within the token bound, and kept for the next time."""

    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        text = context.query
        if text is not None and context.graphql_document is None:
            entry = self._documents.get(text)
            if entry is not None:
                context.graphql_document = entry.document
            else:
                self._documents.check_size(text)
                context.parse_options["max_tokens"] = self._documents.max_tokens
        yield
        document = context.graphql_document
        if document is None:
            return  # it didn't parse: Strawberry reports why
        if text is not None:
            self._documents.add(text, document)
        # Strawberry would run the first operation (its execution context
        # names the first when none was asked for).
        named = context._provided_operation_name
        if named is None and _operations(document) > 1:
            raise OperationNameRequired
