"""Schema extensions: per-operation scope, error codes, bounds."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator

from graphql.error import GraphQLError, GraphQLSyntaxError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import GatewayError
from schema.context import GatewayContext, OperationScope, current_scope

__all__ = [
    "OperationScopeExtension",
    "WebSocketOperationLimit",
    "code_for_input",
    "settle_error",
]

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


class WebSocketOperationLimit(SchemaExtension):
    """Queries and mutations on one WebSocket connection execute a few at a time.

    A client may send a hundred operations at once; run together they would
    hold a hundred results in memory however slowly it reads them. A few at a
    time, a client that doesn't read fills its bounded send queue
    (:mod:`gateway.wsguard`) and is closed long before that. Subscriptions
    live long and hold little: they are bounded per connection elsewhere.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if (
            not isinstance(context, GatewayContext)
            or not isinstance(context.request, WebSocket)
            or self.execution_context.operation_type is OperationType.SUBSCRIPTION
        ):
            yield
            return
        semaphore = context.extras.get("ws_operations")
        if not isinstance(semaphore, asyncio.Semaphore):
            semaphore = asyncio.Semaphore(context.services.settings.ws_max_operations)
            context.extras["ws_operations"] = semaphore
        async with semaphore:
            yield


def settle_error(error: GraphQLError) -> str:
    """Give ``error`` its ``extensions.code``, masking it if it is a bug; the code.

    Gateway errors already carry their code (graphql-core copies it from the
    original exception). Parse, validation and variable errors are the
    caller's input. Anything else raised by a resolver is a bug: it is logged
    with its traceback and reported as ``INTERNAL`` with no detail. Errors are
    changed in place, so this holds for every transport, subscriptions too.
    """
    original = error.original_error
    extensions = error.extensions or {}
    if original is not None and not isinstance(original, GatewayError | GraphQLError):
        log.error(
            "unexpected error in %s",
            ".".join(str(p) for p in error.path or ()) or "operation",
            exc_info=original,
        )
        error.message = "Internal error."
        error.original_error = None
        extensions = {"code": "INTERNAL"}
    elif not extensions.get("code"):
        extensions = {**extensions, "code": code_for_input(error)}
    error.extensions = extensions
    return str(extensions["code"])


def code_for_input(error: GraphQLError) -> str:
    if error.extensions and "code" in error.extensions:
        return str(error.extensions["code"])
    if _LIMIT_MESSAGES.search(error.message):
        return "LIMIT_EXCEEDED"
    if isinstance(error, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"
