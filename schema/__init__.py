"""The GraphQL schema: types in ``types``, roots in ``query`` / ``mutation``."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import date, datetime
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from starlette.websockets import WebSocket
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.config import Settings
from schema.bounds import BoundsFirstValidation, OperationLimits, estimate_errors
from schema.context import GatewayContext, OperationScope, current_scope
from schema.execution import GatewayExecutionContext
from schema.extensions import OperationScopeExtension, WebSocketOperationLimit, settle_error
from schema.mutation import Mutation
from schema.prepared import Prepared, PreparedOperations
from schema.query import Query
from schema.scalars import DATE, DATETIME, FLOAT_SERIES, FloatSeries
from schema.subscription import Subscription
from schema.telemetry import TelemetryExtension, label_operation, record_operation
from schema.types import JumpingSession, RunningSession, WeightliftingSession

__all__ = ["GatewaySchema", "build_schema"]

log = logging.getLogger("gateway.errors")


# graphql-core's hints at the schema's names, e.g. "Did you mean 'title'?".
_SUGGESTION = re.compile(r" Did you mean .*\?$")


class GatewaySchema(strawberry.Schema):
    # Off with introspection: suggestions would spell the schema out anyway.
    hide_suggestions = False
    # Set by build_schema: what schema.prepared runs directly, and its bounds.
    prepared: PreparedOperations | None = None
    limits: OperationLimits | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        allowed = (
            DEFAULT_ALLOWED_OPERATION_TYPES
            if allowed_operation_types is None
            else allowed_operation_types
        )
        prepared = (
            self.prepared.get(query, operation_name)
            if self.prepared is not None and isinstance(query, str)
            else None
        )
        if (
            prepared is None
            or prepared.operation_type is OperationType.SUBSCRIPTION
            or prepared.operation_type not in allowed
            or not isinstance(context_value, GatewayContext)
            or isinstance(context_value.request, WebSocket)
        ):
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        execution_context = self._create_execution_context(
            query=query,
            allowed_operation_types=allowed,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        execution_context.graphql_document = prepared.document
        return await self._execute_prepared(prepared, execution_context, context_value)

    async def _execute_prepared(
        self, prepared: Prepared, ec: ExecutionContext, context: GatewayContext
    ) -> ExecutionResult:
        """What Strawberry's execute does with our extensions, in line (schema.prepared)."""
        started = time.perf_counter()
        label_operation(ec.operation_name, prepared.root)
        scope = current_scope()
        token = scope.set(OperationScope(context))
        try:
            with context.services.tracing.operation(prepared.kind, prepared.root):
                result = await self._run_prepared(prepared, ec)
        finally:
            scope.reset(token)
        record_operation(
            context,
            prepared.kind,
            prepared.root,
            result.errors,
            result.data,
            time.perf_counter() - started,
        )
        return result

    async def _run_prepared(self, prepared: Prepared, ec: ExecutionContext) -> ExecutionResult:
        try:
            errors = estimate_errors(
                self._schema,
                prepared.document,
                ec.operation_name,
                ec.variables,
                self.limits.max_response_estimate if self.limits is not None else None,
                known=prepared,
            )
            if errors:
                data = None
            else:
                outcome = self._get_execute_function()(
                    self._schema,
                    prepared.document,
                    root_value=ec.root_value,
                    variable_values=ec.variables,
                    operation_name=ec.operation_name,
                    context_value=ec.context,
                    is_awaitable=optimized_is_awaitable,
                    executor_class=self.execution_context_class,
                    operation_extensions=ec.operation_extensions,
                )
                if isawaitable(outcome):
                    outcome = await outcome
                data, errors = outcome.data, outcome.errors
        except Exception as exc:
            # Not a resolver's error (graphql-core reports those): reported
            # the way Strawberry's own execute reports it.
            data = None
            errors = [
                exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            ]
        if errors:
            ec.pre_execution_errors = errors
            self._process_errors(errors, ec)
        result = ExecutionResult(data=data, errors=errors or None, extensions={})
        ec.result = result
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback. A caller's bad input
        # or an upstream 404 is not the gateway's failure: those are logged at
        # debug level; settle_error logs what is a bug.
        context = execution_context.context if execution_context is not None else None
        for error in errors:
            code = settle_error(error)
            if self.hide_suggestions and error.original_error is None:
                error.message = _SUGGESTION.sub("", error.message)
            if isinstance(context, GatewayContext):
                context.services.metrics.observe_error(code)
            log.debug("%s: %s", code, error.message)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    limits = OperationLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_fields=settings.max_fields,
        max_directives=settings.max_directives,
        max_variables=settings.max_variables,
        max_nesting=settings.max_nesting,
        max_merge_cost=settings.max_merge_cost,
        max_response_estimate=settings.max_response_estimate,
    )
    prepared = PreparedOperations(maxsize=512)
    # Built once, so that the validation cache's key (which holds them) is stable.
    rules: list[type[ASTValidationRule]] = []
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[JumpingSession, RunningSession, WeightliftingSession],
        extensions=[
            OperationScopeExtension,
            WebSocketOperationLimit,
            TelemetryExtension,
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            # Clients send the same few operations over and over: parse and
            # validate each text once; the operation bounds come first.
            lambda: ParserCache(maxsize=512),
            lambda: AddValidationRules(rules),
            lambda: BoundsFirstValidation(limits, maxsize=512, prepared=prepared),
        ],
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map={FloatSeries: FLOAT_SERIES, date: DATE, datetime: DATETIME},
        ),
        execution_context_class=GatewayExecutionContext,
    )
    schema.hide_suggestions = not settings.introspection
    schema.limits = limits
    # Strawberry adds an extension of its own for custom directives, which the
    # direct path would skip: there are none, and this keeps it so.
    schema.prepared = prepared if not schema.directives else None
    return schema
