"""The upstream REST client: one pooled connection pool per process.

Errors are translated here, once, at the edge::

    httpx.TimeoutException / httpx.TransportError ──retry──> UpstreamUnavailable
    429 / 502 / 503 / 504 ───────────────────────────retry──> UpstreamUnavailable
    500 and other 5xx ──────────────────────────────────────> UpstreamUnavailable
    400 / 422 ──> BadRequest      401 ──> Unauthenticated     403 ──> Forbidden
    404 ──> NotFound              405 ──> MethodNotAllowed (the caller may fall back)
    a 2xx body that is not JSON ────────────────────────────> UpstreamBadResponse

Only idempotent calls (GET, and POSTs the contract documents as pure reads)
are retried. Every exception raised carries the upstream status, if any, in
``upstream_status`` and never holds the caller's key.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from gateway.config import RetryPolicy
from gateway.credentials import Credential
from gateway.errors import (
    BadRequest,
    Forbidden,
    GatewayError,
    NotFound,
    Unauthenticated,
    UpstreamBadResponse,
    UpstreamUnavailable,
)
from gateway.model import Activity
from gateway.rawjson import decode_lazy
from gateway.tracing import NO_TRACING, Tracing

__all__ = ["MethodNotAllowed", "UpstreamCall", "UpstreamClient", "UpstreamResponse"]

log = logging.getLogger("gateway.upstream")

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_ERROR_TEXT = 200


class MethodNotAllowed(UpstreamBadResponse):
    """The upstream does not serve this method on this path (it answers 405)."""


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    """What one finished upstream call looked like, for metrics and tests.

    ``route`` is the path template, never the filled-in path, so that a
    metric label cannot explode in cardinality nor carry caller input; only
    an ``{activity}`` is filled in (from a fixed set), which makes it the
    contract's own path. ``body`` is a 2xx answer's decoded body.
    """

    method: str
    route: str
    status: int | None
    seconds: float
    attempts: int
    body: Any = None


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    data: Any


Observer = Callable[[UpstreamCall], None]


class UpstreamClient:
    """Calls the upstream with the caller's own credential.

    An async context manager that owns one ``httpx.AsyncClient``;
    :meth:`aclose` is safe to call more than once.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 15.0,
        max_connections: int = 100,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._observer = observer
        self._tracing = tracing
        self._closed = False
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            transport=transport,
            # The upstream's redirects are not part of the contract; following
            # one could send the caller's key to another host.
            follow_redirects=False,
        )

    async def __aenter__(self) -> UpstreamClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._http.aclose()

    async def request(
        self,
        method: str,
        route: str,
        credential: Credential,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Any = None,
        idempotent: bool | None = None,
        lazy: bool = False,
    ) -> UpstreamResponse:
        """One upstream call; returns the parsed JSON body of a 2xx answer.

        ``route`` is a template such as ``/jumping/sessions/{session_id}/``;
        ``path_params`` are percent-encoded into it, so caller input can
        never change which path is requested. A ``lazy`` body keeps its
        numeric arrays as bytes (:func:`gateway.rawjson.decode_lazy`).
        """
        path = route.format_map({k: quote(v, safe="") for k, v in (path_params or {}).items()})
        retryable = method == "GET" if idempotent is None else idempotent
        headers = {"Authorization": credential.authorization, "Accept": "application/json"}
        template = _contract_template(route, path_params)
        span = self._tracing.upstream(method, template, headers)
        attempts = 0
        started = time.monotonic()
        status: int | None = None
        body: Any = None
        try:
            while True:
                attempts += 1
                try:
                    response = await self._http.request(
                        method,
                        path,
                        headers=headers,
                        params=_encode_params(params),
                        content=orjson.dumps(json) if json is not None else None,
                        data=data,
                        files=files,
                    )
                except httpx.InvalidURL as exc:
                    # Caller input (a filter) too long for a URL.
                    raise BadRequest("The request is too large for the session service.") from exc
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    status = None
                    failure: GatewayError = UpstreamUnavailable(
                        f"The session service did not answer ({type(exc).__name__})."
                    )
                    if retryable and await self._backoff(attempts, started, None):
                        continue
                    raise failure from exc
                status = response.status_code
                if status in _RETRY_STATUSES and retryable:
                    if await self._backoff(attempts, started, response):
                        continue
                result = _parse(response, credential, lazy=lazy)
                body = result.data
                return result
        finally:
            span.end(status, attempts)
            if self._observer is not None:
                self._observer(
                    UpstreamCall(
                        method, template, status, time.monotonic() - started, attempts, body
                    )
                )

    async def get(
        self,
        route: str,
        credential: Credential,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
    ) -> Any:
        response = await self.request(
            "GET", route, credential, path_params=path_params, params=params
        )
        return response.data

    async def _backoff(
        self, attempts: int, started: float, response: httpx.Response | None
    ) -> bool:
        """Sleep before the next try; ``False`` when the retry budget is spent."""
        policy = self._retry
        if attempts >= policy.attempts:
            return False
        # Full jitter: spreads the retries of many concurrent callers.
        delay = random.uniform(0, min(policy.max_delay, policy.base_delay * 2 ** (attempts - 1)))
        retry_after = _retry_after(response)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if time.monotonic() - started + delay > policy.total_budget:
            return False
        await asyncio.sleep(delay)
        return True


_ACTIVITY_PATHS = frozenset(a.path for a in Activity)


def _contract_template(route: str, path_params: Mapping[str, str] | None) -> str:
    activity = (path_params or {}).get("activity")
    if activity in _ACTIVITY_PATHS and "{activity}" in route:
        return route.replace("{activity}", str(activity))
    return route


def _encode_params(params: Mapping[str, str | int | bool] | None) -> dict[str, str] | None:
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _parse(response: httpx.Response, credential: Credential, *, lazy: bool) -> UpstreamResponse:
    status = response.status_code
    ok = 200 <= status < 300
    decode = decode_lazy if lazy and ok else orjson.loads
    body: Any = None
    try:
        body = decode(response.content) if response.content else None
        json_ok = True
    except ValueError:  # orjson.JSONDecodeError is one
        json_ok = False
    if ok:
        if not json_ok or body is None:
            raise _tag(
                UpstreamBadResponse("The session service sent a response that is not JSON."),
                status,
            )
        return UpstreamResponse(status, body)
    raise _tag(_error_for(status, _error_text(body, credential)), status)


def _error_for(status: int, text: str | None) -> GatewayError:
    def msg(default: str) -> str:
        return f"{default}: {text}" if text else default

    if status == 401:
        return Unauthenticated(msg("The API key was missing or not accepted"))
    if status == 403:
        return Forbidden(msg("The API key may not do this"))
    if status == 404:
        return NotFound(msg("Not found"))
    if status == 405:
        return MethodNotAllowed("The session service does not serve this method here.")
    if status in (400, 409, 413, 422):
        return BadRequest(msg("The session service refused the request"))
    if status >= 500 or status == 429:
        return UpstreamUnavailable(f"The session service failed (HTTP {status}).")
    return UpstreamBadResponse(f"The session service answered HTTP {status}.")


def _error_text(body: Any, credential: Credential) -> str | None:
    """The upstream's short ``error`` text, stripped of the key if it echoed it."""
    if not isinstance(body, dict):
        return None
    text = body.get("error")
    if not isinstance(text, str) or not text:
        return None
    return credential.redact(text)[:_MAX_ERROR_TEXT]


def _tag(error: GatewayError, status: int) -> GatewayError:
    error.upstream_status = status
    return error
