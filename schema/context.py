"""The GraphQL context: who is calling, and this operation's view of the upstream."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info

from gateway.budget import OutputBudget
from gateway.credentials import Credential, credential_from_header
from gateway.errors import BadRequest, Unauthenticated
from gateway.loaders import ResourceLoader
from gateway.services import Services

__all__ = [
    "Ctx",
    "GatewayContext",
    "OperationScope",
    "charge_output",
    "current_scope",
    "upstream_of",
]


@dataclass
class GatewayContext:
    """One per HTTP request, or one per WebSocket connection."""

    request: Request | WebSocket
    services: Services
    # Filled by Strawberry from the WebSocket ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # Set by the transport when it delivers `@defer`/`@stream` in parts
    # (multipart/mixed, server-sent events, graphql-transport-ws); otherwise
    # deferred and streamed fields are inlined into one result
    # (schema.execution.GatewayExecutionContext).
    incremental: bool = False
    # The credential, with the connection_init payload it was read with: asked
    # for by every operation and subscription event of a connection, and the
    # same until another payload comes (legacy graphql-ws takes a second
    # connection_init; each is a new object, and the one held here can't be
    # reused for another meanwhile).
    _credential: tuple[object, Credential | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def credential(self) -> Credential | None:
        params = self.connection_params
        known = self._credential
        if known is not None and known[0] is params:
            return known[1]
        # A browser can't set headers on a WebSocket, so the connection_init
        # payload carries the key; the upgrade request's header works too.
        # Both may be sent, but not two different keys: which one is the
        # caller would then depend on who reads which.
        header = self.request.headers.get("authorization")
        sent = _connection_key(params or {})
        if sent is not None and header is not None and sent != header:
            raise BadRequest(
                "The connection_init payload and the Authorization header hold different keys."
            )
        credential = credential_from_header(sent if sent is not None else header)
        self._credential = (params, credential)
        return credential

    def require_credential(self) -> Credential:
        credential = self.credential()
        if credential is None:
            raise Unauthenticated(
                "Send your API key: the `Authorization: API-KEY <key>` header, or "
                '`{"Authorization": "API-KEY <key>"}` in the WebSocket connection_init payload.'
            )
        return credential


# What a resolver's ``info`` is: Strawberry's Info over our context.
Ctx = Info[GatewayContext, Any]


class OperationScope:
    """Per-operation state: built when an operation starts, gone when it ends.

    A WebSocket connection shares one context among all its operations, so
    DataLoaders can't live on the context: they live here, in a ContextVar
    set by :class:`schema.extensions.OperationScopeExtension`.
    """

    def __init__(self, context: GatewayContext) -> None:
        self.context = context
        self._upstream: ResourceLoader | None = None
        self.output = OutputBudget(context.services.settings.max_response_bytes)

    def upstream(self) -> ResourceLoader:
        if self._upstream is None:
            settings = self.context.services.settings
            self._upstream = ResourceLoader(
                self.context.services.client,
                self.context.require_credential(),
                max_calls=settings.max_upstream_calls,
                max_concurrency=settings.max_concurrency_per_operation,
            )
        return self._upstream

    @property
    def calls(self) -> int:
        """Upstream calls this operation has made (or tried) so far."""
        return self._upstream.calls if self._upstream is not None else 0


def _connection_key(params: dict[str, Any]) -> str | None:
    """The key in a connection_init payload, at its top level or under ``headers``."""
    found: list[str] = []
    for where in (params, params.get("headers")):
        if isinstance(where, dict):
            found += [v for k, v in where.items() if k.lower() == "authorization"]
    if not all(isinstance(v, str) for v in found):
        raise BadRequest("The connection_init payload's Authorization must be a string.")
    if len(set(found)) > 1:
        raise BadRequest("The connection_init payload holds more than one key.")
    return found[0] if found else None


_scope: ContextVar[OperationScope | None] = ContextVar("gateway_operation_scope", default=None)


def current_scope() -> ContextVar[OperationScope | None]:
    return _scope


def upstream_of(info: Ctx) -> ResourceLoader:
    scope = _scope.get()
    if scope is None or scope.context is not info.context:
        # Outside the extension (e.g. a unit test calling a resolver): one
        # scope for this call only.
        scope = OperationScope(info.context)
        _scope.set(scope)
    return scope.upstream()


def charge_output(nbytes: int) -> None:
    """Charge the running operation's output budget (none outside an operation)."""
    scope = _scope.get()
    if scope is not None:
        scope.output.charge(nbytes)
