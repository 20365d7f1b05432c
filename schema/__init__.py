"""The GraphQL schema: types in ``types``, roots in ``query`` / ``mutation``."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.config import Settings
from schema.extensions import ErrorCodes, OperationScopeExtension
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import FLOAT_SERIES, FloatSeries
from schema.subscription import Subscription
from schema.types import JumpingSession, RunningSession, WeightliftingSession

__all__ = ["GatewaySchema", "build_schema"]

log = logging.getLogger("gateway.errors")


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback. A caller's bad input
        # or an upstream 404 is not the gateway's failure: log those at debug
        # level; ErrorCodes has already logged anything unexpected.
        for error in errors:
            log.debug("%s: %s", (error.extensions or {}).get("code"), error.message)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[JumpingSession, RunningSession, WeightliftingSession],
        extensions=[
            OperationScopeExtension,
            ErrorCodes,
            lambda: QueryDepthLimiter(max_depth=settings.max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map={FloatSeries: FLOAT_SERIES}),
    )
