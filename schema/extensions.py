"""Schema extensions: per-operation scope, error codes, bounds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator

from graphql.error import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types.graphql import OperationType

from gateway.errors import (
    BadRequest,
    GatewayError,
    InternalError,
    code_of_graphql_error,
    error_code,
)
from schema.context import GatewayContext, OperationScope, current_scope

__all__ = [
    "OperationScopeExtension",
    "WebSocketOperationLimit",
    "code_for_input",
    "report_errors",
    "settle_error",
]

log = logging.getLogger(__name__)


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
                # A subscription's generator can be closed from another task
                # (garbage collection, a socket's teardown), where the value was
                # never set: there is nothing to reset there.
                with contextlib.suppress(ValueError):
                    var.reset(token)


class WebSocketOperationLimit(SchemaExtension):
    """Queries and mutations on one WebSocket connection execute a few at a time.

    A client may send a hundred operations at once; run together they would
    hold a hundred results in memory however slowly it reads them. A few at a
    time, a client that doesn't read fills its bounded send queue
    (:mod:`gateway.http.wsguard`) and is closed long before that. Subscriptions
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
    if isinstance(original, CannotGetOperationTypeError):
        # No such operation in the document, or several and no name: the
        # caller's request (over HTTP Strawberry's view answers it as a 400).
        error.message = original.as_http_error_reason()
        error.original_error = None
        extensions = {"code": BadRequest.code}
    elif original is not None and not isinstance(original, GatewayError | GraphQLError):
        log.error(
            "unexpected error in %s",
            ".".join(str(p) for p in error.path or ()) or "operation",
            exc_info=original,
        )
        internal = error_code(InternalError.code)
        error.message = internal.message
        error.original_error = None
        extensions = {"code": internal.code}
    elif not extensions.get("code"):
        extensions = {**extensions, "code": code_for_input(error)}
    error.extensions = extensions
    return str(extensions["code"])


def report_errors(errors: Iterable[GraphQLError], context: object) -> None:
    """Settle each error (:func:`settle_error`), count it, and log it at debug level.

    What ``GatewaySchema.process_errors`` does with an operation's errors, and
    the executor with those of its deferred and streamed parts.
    """
    for error in errors:
        code = settle_error(error)
        if isinstance(context, GatewayContext):
            context.services.metrics.observe_error(code)
        log.debug("%s: %s", code, error.message)


def code_for_input(error: GraphQLError) -> str:
    """The code of a parse, validation or variable error: its own, else the registry's."""
    if error.extensions and "code" in error.extensions:
        return str(error.extensions["code"])
    return code_of_graphql_error(error)
