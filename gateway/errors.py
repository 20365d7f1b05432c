"""The gateway's error codes: one registry, read by everything that decides a code.

Every failure a caller can see is one of these exceptions, and each carries
the ``extensions.code`` it is reported with. :data:`CODES` holds, per code,
its exception class, its fixed message, its HTTP status and what a readiness
watch does when a poll gets it::

    GatewayError                      code                       HTTP  in a watch
    ├── Unauthenticated               UNAUTHENTICATED            401   ends it
    ├── Forbidden                     FORBIDDEN                  403   ends it
    ├── NotFound                      NOT_FOUND                  404   ends it
    ├── BadRequest                    BAD_REQUEST                400   ends it
    ├── LimitExceeded                 LIMIT_EXCEEDED             400
    ├── UpstreamUnavailable           UPSTREAM_UNAVAILABLE       503   polled again
    ├── UpstreamBadResponse           UPSTREAM_BAD_RESPONSE      502   polled again
    │   └── MethodNotAllowed            (the upstream's 405: the caller may fall back)
    ├── SubscriptionUnavailable       SUBSCRIPTION_UNAVAILABLE   503
    ├── SubscriptionClosing           SHUTTING_DOWN              503
    ├── PersistedQueryNotFound        PERSISTED_QUERY_NOT_FOUND  400
    ├── OperationParseFailed          GRAPHQL_PARSE_FAILED       400
    ├── OperationInvalid              GRAPHQL_VALIDATION_FAILED  400
    └── InternalError                 INTERNAL                   500
        └── WatchFailed                 (a readiness watch broke; subscribe again)

Messages are written for the caller: they never hold the caller's key, nor
any of the upstream's text (:data:`UPSTREAM_STATUSES` gives one fixed
message per upstream status); an error the upstream reported may carry its
``error_code`` (one of a known set) as ``extensions.upstreamCode``.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from graphql.error import GraphQLError, GraphQLSyntaxError

__all__ = [
    "CODES",
    "UPSTREAM_STATUSES",
    "BadRequest",
    "ErrorCode",
    "Forbidden",
    "GatewayError",
    "InWatch",
    "InternalError",
    "LimitExceeded",
    "MethodNotAllowed",
    "NotFound",
    "OperationInvalid",
    "OperationParseFailed",
    "PersistedDocumentNotFound",
    "PersistedDocumentRequired",
    "PersistedQueryNotFound",
    "RateLimited",
    "SubscriptionClosing",
    "SubscriptionUnavailable",
    "Unauthenticated",
    "UpstreamBadResponse",
    "UpstreamUnavailable",
    "WatchFailed",
    "code_of_graphql_error",
    "error_code",
    "upstream_error",
]


class GatewayError(Exception):
    """Base of every error the gateway reports to a caller."""

    code = "INTERNAL"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        upstream_status: int | None = None,
    ) -> None:
        # Without a message of its own, the code's fixed one.
        message = message if message is not None else error_code(self.code).message
        super().__init__(message)
        self.message = message
        # The input field the error is about, for validation errors.
        self.field = field
        # The upstream's HTTP status, when the error came from it.
        self.upstream_status = upstream_status
        # The upstream's ``error_code``, when it is one callers may see.
        self.upstream_code: str | None = None

    @property
    def extensions(self) -> dict[str, object]:
        # graphql-core copies an original error's ``extensions`` into the
        # GraphQLError it wraps it in, so the code reaches every transport.
        ext: dict[str, object] = {"code": self.code}
        if self.field is not None:
            ext["field"] = self.field
        if self.upstream_code is not None:
            ext["upstreamCode"] = self.upstream_code
        return ext


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class BadRequest(GatewayError):
    code = "BAD_REQUEST"


class LimitExceeded(GatewayError):
    code = "LIMIT_EXCEEDED"


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBadResponse(GatewayError):
    code = "UPSTREAM_BAD_RESPONSE"


class MethodNotAllowed(UpstreamBadResponse):
    """The upstream does not serve this method on this path (it answers 405)."""


class SubscriptionUnavailable(GatewayError):
    code = "SUBSCRIPTION_UNAVAILABLE"


class SubscriptionClosing(GatewayError):
    """The gateway is shutting down: its subscriptions end; subscribe elsewhere."""

    code = "SHUTTING_DOWN"


class PersistedQueryNotFound(GatewayError):
    """A hash-only request for a query this gateway hasn't stored (yet): Apollo's
    link then sends the query with its hash. Both the message and the code are
    what the link looks for."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class RateLimited(GatewayError):
    """The key has spent its upstream calls for now: nothing was called."""

    code = "RATE_LIMITED"

    def __init__(self, message: str | None = None, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, object]:
        # Whole seconds, rounded up, as Retry-After says them.
        return {**super().extensions, "retryAfter": max(1, math.ceil(self.retry_after))}


class PersistedDocumentNotFound(GatewayError):
    """A ``documentId`` the trusted documents' manifest doesn't have."""

    code = "PERSISTED_DOCUMENT_NOT_FOUND"


class PersistedDocumentRequired(GatewayError):
    """Free text where only trusted documents run."""

    code = "PERSISTED_DOCUMENT_REQUIRED"


class OperationParseFailed(GatewayError):
    """The operation's text is not GraphQL. graphql-core reports it (as a
    ``GraphQLSyntaxError``); this class names the code in the registry."""

    code = "GRAPHQL_PARSE_FAILED"


class OperationInvalid(GatewayError):
    """The operation does not validate against the schema (graphql-core's rules)."""

    code = "GRAPHQL_VALIDATION_FAILED"


class InternalError(GatewayError):
    """A bug of the gateway's own: reported with the fixed message, no detail."""

    code = "INTERNAL"


class WatchFailed(InternalError):
    """The watch broke for a reason of the gateway's own; subscribe again."""


class InWatch(enum.Enum):
    """What a readiness poll does when its upstream call fails with a code."""

    # The upstream's answer: the caller will never see this session. Every
    # replica's subscribers get the error, and the watch stops.
    ENDS = "ends"
    # The upstream may answer next time: poll again.
    RETRIES = "retries"
    # No upstream call raises it: a bug, and the watch fails (WatchFailed).
    FAILS = "fails"


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One ``extensions.code`` and everything decided by it."""

    # The class raised for it; a broker event with this code decodes to it.
    error: type[GatewayError]
    # The fixed message, when nothing more exact is said.
    message: str
    # The status of an HTTP response that carries this error alone (an
    # HTTP-level refusal, outside GraphQL's own 200 with errors).
    http_status: int
    in_watch: InWatch = InWatch.FAILS

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def ends_watch(self) -> bool:
        return self.in_watch is InWatch.ENDS


def _registry(entries: Iterable[ErrorCode]) -> Mapping[str, ErrorCode]:
    table: dict[str, ErrorCode] = {}
    for entry in entries:
        if entry.code in table:
            raise ValueError(f"error code {entry.code} registered twice")
        table[entry.code] = entry
    return MappingProxyType(table)


CODES: Mapping[str, ErrorCode] = _registry(
    [
        ErrorCode(Unauthenticated, "The API key was missing or not accepted.", 401, InWatch.ENDS),
        ErrorCode(Forbidden, "The API key may not do this.", 403, InWatch.ENDS),
        ErrorCode(NotFound, "Not found.", 404, InWatch.ENDS),
        ErrorCode(BadRequest, "The request was refused.", 400, InWatch.ENDS),
        ErrorCode(LimitExceeded, "The operation exceeds a bound of this gateway.", 400),
        ErrorCode(
            UpstreamUnavailable,
            "The session service is unavailable; try again later.",
            503,
            InWatch.RETRIES,
        ),
        ErrorCode(
            UpstreamBadResponse,
            "The session service sent a response that breaks its contract.",
            502,
            InWatch.RETRIES,
        ),
        ErrorCode(SubscriptionUnavailable, "The event broker can't be reached.", 503),
        ErrorCode(SubscriptionClosing, "The gateway is shutting down.", 503),
        ErrorCode(PersistedQueryNotFound, "PersistedQueryNotFound", 400),
        ErrorCode(PersistedDocumentNotFound, "No trusted document has that id.", 404),
        ErrorCode(RateLimited, "Too many upstream calls for this key; try again later.", 429),
        ErrorCode(PersistedDocumentRequired, "Only trusted documents run here.", 403),
        ErrorCode(OperationParseFailed, "The operation is not valid GraphQL.", 400),
        ErrorCode(OperationInvalid, "The operation is not valid for this schema.", 400),
        ErrorCode(InternalError, "Internal error.", 500),
    ]
)


def error_code(code: str) -> ErrorCode:
    """The registry's entry for ``code``; an unknown code is ``INTERNAL``'s."""
    return CODES.get(code) or CODES[InternalError.code]


# One fixed message per upstream status: the upstream's text is not passed on.
# ``None``: the code's own fixed message.
UPSTREAM_STATUSES: Mapping[int, tuple[type[GatewayError], str | None]] = MappingProxyType(
    {
        401: (Unauthenticated, None),
        403: (Forbidden, None),
        404: (NotFound, None),
        405: (MethodNotAllowed, "The session service does not serve this method here."),
        400: (BadRequest, "The session service refused the request."),
        409: (BadRequest, "The session service refused the request: it conflicts with its state."),
        413: (BadRequest, "The session service refused the request: it is too large."),
        422: (BadRequest, "The session service could not process the request."),
    }
)


def upstream_error(status: int) -> GatewayError:
    """The error for an upstream answer of ``status`` (not a 2xx), with its fixed message."""
    known = UPSTREAM_STATUSES.get(status)
    if known is not None:
        error_type, message = known
        error = error_type(message)
    elif status >= 500 or status == 429:
        error = UpstreamUnavailable(f"The session service failed (HTTP {status}).")
    else:
        error = UpstreamBadResponse(f"The session service answered HTTP {status}.")
    error.upstream_status = status
    return error


# graphql-core's parser reports a document past ``max_tokens`` (the bound
# Strawberry's MaxTokensLimiter sets) as a plain GraphQLSyntaxError: no
# subclass, no extension, only its text tells it from a real syntax error.
# So this one check reads the message; it is kept here, next to the codes.
_TOKEN_LIMIT = re.compile(r"Document contains more than \d+ tokens")


def code_of_graphql_error(error: GraphQLError) -> str:
    """The code for a parse or validation error graphql-core raised without one.

    Decided by what the error is, not by its text: a syntax error (the
    parser's own class) failed to parse, or, past the token bound, exceeded a
    limit; every other such error is a validation error. The gateway's own
    bounds (``schema.bounds``) set ``LIMIT_EXCEEDED`` where they refuse.
    """
    if isinstance(error, GraphQLSyntaxError) or isinstance(
        error.original_error, GraphQLSyntaxError
    ):
        if _TOKEN_LIMIT.search(error.message):
            return LimitExceeded.code
        return OperationParseFailed.code
    return OperationInvalid.code
