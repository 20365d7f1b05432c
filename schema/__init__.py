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
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.config import Settings
from gateway.errors import GatewayError
from schema.extensions import ErrorCodes, OperationScopeExtension, code_for_input
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
            extensions = error.extensions or {}
            original = error.original_error
            if original is not None and not isinstance(original, GatewayError | GraphQLError):
                # A bug, reaching here by a path ErrorCodes doesn't see (a
                # subscription's events): logged, and masked for the caller.
                log.error("unexpected error", exc_info=original)
                error.message = "Internal error."
                error.original_error = None
                extensions = {"code": "INTERNAL"}
                error.extensions = extensions
            elif not extensions.get("code"):
                # Errors raised before an operation starts (a document over the
                # token bound, say) miss the extension; they are the caller's.
                extensions = {**extensions, "code": code_for_input(error)}
                error.extensions = extensions
            log.debug("%s: %s", extensions["code"], error.message)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    bounds: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_depth, None, None),
        aliases_rule(settings.max_aliases),
    ]
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[JumpingSession, RunningSession, WeightliftingSession],
        extensions=[
            OperationScopeExtension,
            ErrorCodes,
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            # Clients send the same few operations over and over: parse and
            # validate each text once. The bounds' rules are built once too,
            # so that the validation cache's key (which holds them) is stable.
            lambda: ParserCache(maxsize=512),
            lambda: AddValidationRules(bounds),
            lambda: ValidationCache(maxsize=512),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map={FloatSeries: FLOAT_SERIES}),
    )
