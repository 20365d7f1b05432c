"""The GraphQL schema: types in ``types``, roots in ``query`` / ``mutation``."""

from __future__ import annotations

import logging

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.config import Settings
from schema.bounds import create_bounds_rule
from schema.context import GatewayContext
from schema.execution import GatewayExecutionContext
from schema.extensions import OperationScopeExtension, settle_error
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import FLOAT_SERIES, FloatSeries
from schema.subscription import Subscription
from schema.telemetry import TelemetryExtension
from schema.types import JumpingSession, RunningSession, WeightliftingSession

__all__ = ["GatewaySchema", "build_schema"]

log = logging.getLogger("gateway.errors")


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback. A caller's bad input
        # or an upstream 404 is not the gateway's failure: those are logged at
        # debug level; settle_error logs what is a bug.
        context = execution_context.context if execution_context is not None else None
        for error in errors:
            code = settle_error(error)
            if isinstance(context, GatewayContext):
                context.services.metrics.observe_error(code)
            log.debug("%s: %s", code, error.message)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    bounds: list[type[ASTValidationRule]] = [
        create_bounds_rule(settings.max_depth, settings.max_aliases, settings.max_fields),
    ]
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[JumpingSession, RunningSession, WeightliftingSession],
        extensions=[
            OperationScopeExtension,
            TelemetryExtension,
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            # Clients send the same few operations over and over: parse and
            # validate each text once. The bounds' rules are built once too,
            # so that the validation cache's key (which holds them) is stable.
            lambda: ParserCache(maxsize=512),
            lambda: AddValidationRules(bounds),
            lambda: ValidationCache(maxsize=512),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map={FloatSeries: FLOAT_SERIES}),
        execution_context_class=GatewayExecutionContext,
    )
