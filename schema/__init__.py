"""The GraphQL schema: types in ``types``, roots in ``query`` / ``mutation``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import strawberry
from graphql import (
    ASTValidationRule,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    specified_rules,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError

from gateway.config import Settings
from gateway.errors import GatewayError
from schema.bounds import BoundsFirstValidation, OperationLimits
from schema.documents import DocumentCache, Documents
from schema.execution import GatewayExecutionContext
from schema.extensions import OperationScopeExtension, WebSocketOperationLimit, report_errors
from schema.fanout import Fanout
from schema.hooks import HooksRunner
from schema.mutation import Mutation
from schema.query import Query
from schema.rate_limit import RateLimit
from schema.scalars import DATE, DATETIME, FLOAT_SERIES, FloatSeries
from schema.shared_events import SharedEvents
from schema.subscription import Subscription
from schema.telemetry import TelemetryExtension
from schema.trusted import TrustedDocuments, TrustedDocumentsOnly
from schema.types import JumpingSession, RunningSession, WeightliftingSession

__all__ = ["ExtensionFactory", "GatewaySchema", "build_schema"]

# A SchemaExtension class, or a callable making one per operation.
ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]

# graphql-core's hints at the schema's names, e.g. "Did you mean 'title'?".
_SUGGESTION = re.compile(r" Did you mean .*\?$")


class GatewaySchema(strawberry.Schema):
    # Off with introspection: suggestions would spell the schema out anyway.
    hide_suggestions = False
    # Set by build_schema: the documents kept for reuse (the HTTP and
    # WebSocket edges ask it an operation's type without parsing again).
    documents: Documents
    # The trusted documents' manifest, when one is configured (the HTTP edge
    # resolves a `documentId` through it).
    trusted: TrustedDocuments | None = None
    # Subscription events' results, one per event and selection (schema.shared_events).
    shared_events: SharedEvents
    # Subscriptions carried on by their selection after their first event (schema.fanout).
    fanout: Fanout

    async def _prepare_operation_async(
        self, context: ExecutionContext, extensions_runner: SchemaExtensionsRunner
    ) -> PreExecutionError | None:
        # A step before execution (the size bound, trusted documents) refuses
        # with a gateway error: a request error on every path, as a parse
        # error is (Strawberry's streaming path would let it escape).
        try:
            return await super()._prepare_operation_async(context, extensions_runner)
        except GatewayError as exc:
            error = GraphQLError(exc.message, original_error=exc)
            context.pre_execution_errors = [error]
            return PreExecutionError(data=None, errors=[error])

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HooksRunner(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback. A caller's bad input
        # or an upstream 404 is not the gateway's failure: those are logged at
        # debug level; settle_error logs what is a bug.
        context = execution_context.context if execution_context is not None else None
        if self.hide_suggestions:
            for error in errors:
                if error.original_error is None:
                    error.message = _SUGGESTION.sub("", error.message)
        report_errors(errors, context)


def build_schema(
    settings: Settings | None = None, *, extensions: Sequence[ExtensionFactory] = ()
) -> GatewaySchema:
    """The gateway's schema. ``extensions`` run after the gateway's own, on every
    operation (first or repeated, any transport), as the gateway's do."""
    settings = settings or Settings()
    limits = OperationLimits.from_settings(settings)
    documents = Documents(
        max_chars=settings.max_query_chars,
        max_cached_chars=settings.max_cached_query_chars,
        max_tokens=settings.max_tokens,
        max_bytes=settings.document_cache_bytes,
    )
    trusted = (
        TrustedDocuments.load(Path(settings.trusted_documents))
        if settings.trusted_documents
        else None
    )
    only_trusted: list[ExtensionFactory] = []
    if trusted is not None and settings.trusted_documents_only:
        only_trusted.append(lambda: TrustedDocumentsOnly(trusted))
    # Per-key rate limits, only when on: a confirmed key pays nothing otherwise.
    rate_limits: list[ExtensionFactory] = []
    if settings.rate_limit_calls_per_second > 0:
        rate_limits.append(lambda: RateLimit(documents))
    rules: tuple[type[ASTValidationRule], ...] = (
        *specified_rules,
        *(() if settings.introspection else (NoSchemaIntrospectionCustomRule,)),
    )
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[JumpingSession, RunningSession, WeightliftingSession],
        extensions=[
            OperationScopeExtension,
            WebSocketOperationLimit,
            TelemetryExtension,
            # Before anything reads the text (schema.trusted).
            *only_trusted,
            # Clients send the same few operations over and over: each text
            # is parsed, bounded and validated once (schema.documents).
            lambda: DocumentCache(documents),
            lambda: BoundsFirstValidation(limits, rules, documents),
            *rate_limits,
            *extensions,
        ],
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map={FloatSeries: FLOAT_SERIES, date: DATE, datetime: DATETIME},
            # @defer and @stream: in parts where the transport delivers them,
            # else inlined (schema.execution).
            enable_experimental_incremental_execution=True,
        ),
        execution_context_class=GatewayExecutionContext,
    )
    schema.hide_suggestions = not settings.introspection
    schema.documents = documents
    schema.trusted = trusted
    schema.shared_events = SharedEvents()
    schema.fanout = Fanout()
    return schema
