"""What is refused before the app sees a request: the checks on headers alone.

:class:`RequestGuard` is ASGI middleware around the whole app. It reads
nothing but the request line and headers, so what it refuses costs no body
read, no parse and no upstream call:

    headers larger than the bound, in total ────────> 431  BAD_REQUEST
    more than one Authorization header ─────────────> 400  BAD_REQUEST
    a multipart body without a well-formed key ─────> 401  UNAUTHENTICATED

Two Authorization headers are ambiguous: a proxy in front that reads the
other one would disagree with us about who the caller is. A multipart body is
an upload, possibly hundreds of megabytes, that only a caller with a key can
use: without one it is refused before a byte of it is read. A WebSocket
upgrade that fails a check is closed before it is accepted.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.credentials import credential_from_header
from gateway.errors import BadRequest, GatewayError, Unauthenticated

__all__ = ["RequestGuard"]


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_header_bytes: int) -> None:
        self._app = app
        self._max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self._app(scope, receive, send)
        elif scope["type"] == "websocket":
            # RFC 6455's "policy violation": the close code for a refused upgrade.
            await send({"type": "websocket.close", "code": WS_1008_POLICY_VIOLATION})
        else:
            status, code, message = refusal
            response = JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": code}}]},
                status_code=status,
                # The body, if any, is left unread: the connection can't be reused.
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        size = sum(len(name) + len(value) for name, value in raw)
        if size > self._max_header_bytes:
            return (
                431,
                BadRequest.code,
                f"The request's headers exceed {self._max_header_bytes} bytes.",
            )
        keys = [value for name, value in raw if name.lower() == b"authorization"]
        if len(keys) > 1:
            return 400, BadRequest.code, "Send one Authorization header, not several."
        if scope["type"] == "http" and _is_multipart(scope):
            try:
                credential = credential_from_header(keys[0].decode("latin-1") if keys else None)
            except GatewayError as exc:
                return 401, exc.code, exc.message
            if credential is None:
                return 401, Unauthenticated.code, "An upload needs your API key in its headers."
        return None


def _is_multipart(scope: Scope) -> bool:
    return Headers(scope=scope).get("content-type", "").lower().startswith("multipart/")
