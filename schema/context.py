"""The GraphQL context: who is calling, and this operation's view of the upstream."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info

from gateway.credentials import Credential, credential_from_header
from gateway.errors import Unauthenticated
from gateway.loaders import OperationUpstream
from gateway.services import Services

__all__ = ["GatewayContext", "OperationScope", "current_scope", "upstream_of"]


@dataclass
class GatewayContext:
    """One per HTTP request, or one per WebSocket connection."""

    request: Request | WebSocket
    services: Services
    # Filled by Strawberry from the WebSocket ``connection_init`` payload.
    connection_params: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def credential(self) -> Credential | None:
        # A browser can't set headers on a WebSocket, so the connection_init
        # payload comes first; the upgrade request's header is the fallback.
        params = self.connection_params or {}
        for key in ("Authorization", "authorization"):
            value = params.get(key)
            if isinstance(value, str):
                return credential_from_header(value)
        headers = params.get("headers")
        if isinstance(headers, dict):
            for key in ("Authorization", "authorization"):
                value = headers.get(key)
                if isinstance(value, str):
                    return credential_from_header(value)
        return credential_from_header(self.request.headers.get("authorization"))

    def require_credential(self) -> Credential:
        credential = self.credential()
        if credential is None:
            raise Unauthenticated(
                "Send your API key: the `Authorization: API-KEY <key>` header, or "
                '`{"Authorization": "API-KEY <key>"}` in the WebSocket connection_init payload.'
            )
        return credential


class OperationScope:
    """Per-operation state: built when an operation starts, gone when it ends.

    A WebSocket connection shares one context among all its operations, so
    DataLoaders can't live on the context: they live here, in a ContextVar
    set by :class:`schema.extensions.OperationScopeExtension`.
    """

    def __init__(self, context: GatewayContext) -> None:
        self.context = context
        self._upstream: OperationUpstream | None = None

    def upstream(self) -> OperationUpstream:
        if self._upstream is None:
            settings = self.context.services.settings
            self._upstream = OperationUpstream(
                self.context.services.client,
                self.context.require_credential(),
                max_calls=settings.max_upstream_calls,
                max_concurrency=settings.max_concurrency_per_operation,
            )
        return self._upstream


_scope: ContextVar[OperationScope | None] = ContextVar("gateway_operation_scope", default=None)


def current_scope() -> ContextVar[OperationScope | None]:
    return _scope


def upstream_of(info: Info[GatewayContext, Any]) -> OperationUpstream:
    scope = _scope.get()
    if scope is None or scope.context is not info.context:
        # Outside the extension (e.g. a unit test calling a resolver): one
        # scope for this call only.
        scope = OperationScope(info.context)
        _scope.set(scope)
    return scope.upstream()
