"""Schema extensions: per-operation scope, error codes, bounds."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from gateway.errors import GatewayError
from schema.context import GatewayContext, OperationScope, current_scope

__all__ = ["ErrorCodes", "OperationScopeExtension", "code_for_input"]

log = logging.getLogger("gateway.errors")

# Strawberry's limiter extensions report plain validation errors; these are
# their messages, so they can get the code a client can act on.
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|"
    r"more than \d+ tokens|Document contains more than|Maximum introspection depth",
)


class OperationScopeExtension(SchemaExtension):
    """Gives each operation its own DataLoaders, even on a shared WebSocket context."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        var = current_scope()
        token = var.set(OperationScope(context)) if isinstance(context, GatewayContext) else None
        try:
            yield
        finally:
            if token is not None:
                var.reset(token)
        if isinstance(context, GatewayContext):
            # Known once the document is parsed; an unparsable one is "invalid".
            try:
                kind = self.execution_context.operation_type.value
            except RuntimeError:
                kind = "invalid"
            context.services.metrics.operations[kind] += 1


class ErrorCodes(SchemaExtension):
    """Every error leaves with an ``extensions.code``; unexpected ones are masked.

    Gateway errors already carry their code (graphql-core copies it from the
    original exception). Anything else raised by a resolver is a bug: it is
    logged with its traceback and reported as ``INTERNAL`` with no detail.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = [self._coded(e) for e in result.errors]
            context = self.execution_context.context
            if isinstance(context, GatewayContext):
                for error in result.errors:
                    context.services.metrics.errors[str((error.extensions or {}).get("code"))] += 1

    def _coded(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, GatewayError):
            return error
        if original is None or isinstance(original, GraphQLError):
            # Parse, validation and variable-coercion errors: the caller's input.
            code = code_for_input(error)
            return _with(error, error.message, code)
        log.error(
            "unexpected error in %s",
            ".".join(str(p) for p in error.path or ()) or "operation",
            exc_info=original,
        )
        return _with(error, "Internal error.", "INTERNAL")


def code_for_input(error: GraphQLError) -> str:
    if error.extensions and "code" in error.extensions:
        return str(error.extensions["code"])
    if _LIMIT_MESSAGES.search(error.message):
        return "LIMIT_EXCEEDED"
    if isinstance(error, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def _with(error: GraphQLError, message: str, code: str) -> GraphQLError:
    extensions: dict[str, Any] = {**(error.extensions or {}), "code": code}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )
