"""The GraphQL schema: types in ``types``, roots in ``query`` / ``mutation``."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.config import Settings
from schema.bounds import BoundsFirstValidation, OperationLimits
from schema.context import GatewayContext
from schema.execution import GatewayExecutionContext
from schema.extensions import OperationScopeExtension, WebSocketOperationLimit, settle_error
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import DATE, DATETIME, FLOAT_SERIES, FloatSeries
from schema.subscription import Subscription
from schema.telemetry import TelemetryExtension
from schema.types import JumpingSession, RunningSession, WeightliftingSession

__all__ = ["GatewaySchema", "build_schema"]

log = logging.getLogger("gateway.errors")


# graphql-core's hints at the schema's names, e.g. "Did you mean 'title'?".
_SUGGESTION = re.compile(r" Did you mean .*\?$")


class GatewaySchema(strawberry.Schema):
    # Off with introspection: suggestions would spell the schema out anyway.
    hide_suggestions = False

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
            lambda: BoundsFirstValidation(limits, maxsize=512),
        ],
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map={FloatSeries: FLOAT_SERIES, date: DATE, datetime: DATETIME},
        ),
        execution_context_class=GatewayExecutionContext,
    )
    schema.hide_suggestions = not settings.introspection
    return schema
