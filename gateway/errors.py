"""The gateway's exception hierarchy.

Every failure a caller can see is one of these, and each carries the
``extensions.code`` it is reported with::

    GatewayError                      code
    ├── Unauthenticated               UNAUTHENTICATED       no key, or the upstream's 401
    ├── Forbidden                     FORBIDDEN             the upstream's 403
    ├── NotFound                      NOT_FOUND             404, or an id that names nothing
    ├── BadRequest                    BAD_REQUEST           400/422 or input we refuse
    ├── LimitExceeded                 LIMIT_EXCEEDED        a bound on the operation
    ├── UpstreamUnavailable           UPSTREAM_UNAVAILABLE  5xx, timeout, refused, after retries
    ├── UpstreamBadResponse           UPSTREAM_BAD_RESPONSE a body that breaks the contract
    ├── SubscriptionUnavailable       SUBSCRIPTION_UNAVAILABLE  the event broker is down
    └── PersistedQueryNotFound        PERSISTED_QUERY_NOT_FOUND an APQ hash not seen yet

Messages are written for the caller: they never hold the caller's key, nor
any of the upstream's text; an error the upstream reported may carry its
``error_code`` (one of a known set) as ``extensions.upstreamCode``.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Forbidden",
    "GatewayError",
    "LimitExceeded",
    "NotFound",
    "PersistedQueryNotFound",
    "SubscriptionUnavailable",
    "Unauthenticated",
    "UpstreamBadResponse",
    "UpstreamUnavailable",
]


class GatewayError(Exception):
    """Base of every error the gateway reports to a caller."""

    code = "INTERNAL"

    def __init__(
        self, message: str, *, field: str | None = None, upstream_status: int | None = None
    ) -> None:
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


class SubscriptionUnavailable(GatewayError):
    code = "SUBSCRIPTION_UNAVAILABLE"


class PersistedQueryNotFound(GatewayError):
    """A hash-only request for a query this gateway hasn't stored (yet): Apollo's
    link then sends the query with its hash. Both the message and the code are
    what the link looks for."""

    code = "PERSISTED_QUERY_NOT_FOUND"
