"""The upstream REST client: one pooled connection pool per process.

Errors are translated here, once, at the edge (each status by the table in
:mod:`gateway.errors`)::

    httpx.TimeoutException / httpx.TransportError ──retry──> UpstreamUnavailable
    429 / 502 / 503 / 504 ───────────────────────────retry──> UpstreamUnavailable
    500 and other 5xx ──────────────────────────────────────> UpstreamUnavailable
    400 / 422 ──> BadRequest      401 ──> Unauthenticated     403 ──> Forbidden
    404 ──> NotFound              405 ──> MethodNotAllowed (the caller may fall back)
    a 2xx body that is not JSON ────────────────────────────> UpstreamBadResponse

Only idempotent calls (GET, and POSTs the contract documents as pure reads;
see :mod:`gateway.upstream.endpoints`) are retried, and only while the retry budget
allows; breakers, singleflight and the cache are in :mod:`gateway.upstream.resilience`.
Every exception raised carries the upstream status, if any, in
``upstream_status`` and never holds the caller's key.

The upstream's own error text never reaches a caller, the broker or a log
above DEBUG: it may echo the key in any form (upper-cased, encoded,
truncated), and no pattern catches them all. Callers get a fixed message per
status, and the upstream's ``error_code`` when it is one they can act on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from gateway.config import RetryPolicy, default
from gateway.credentials import Credential
from gateway.errors import (
    BadRequest,
    GatewayError,
    MethodNotAllowed,
    UpstreamBadResponse,
    UpstreamUnavailable,
    upstream_error,
)
from gateway.ids import Activity
from gateway.tracing import NO_TRACING, Tracing
from gateway.upstream.endpoints import UpstreamEndpoint, endpoint
from gateway.upstream.rawjson import LazyBody
from gateway.upstream.resilience import Resilience
from gateway.upstream.transport import PooledTransport

__all__ = [
    "KNOWN_ERROR_CODES",
    "MethodNotAllowed",
    "UpstreamCall",
    "UpstreamClient",
    "UpstreamRequest",
    "UpstreamResponse",
]

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_ERROR_TEXT = 200
# The upstream's ``error_code`` values passed on to callers (as
# ``extensions.upstreamCode``); any other value is dropped, like the text.
KNOWN_ERROR_CODES = frozenset({"INVALID_API_KEY", "VIDEO_PROCESSING_FAILED"})


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One upstream call as a caller asks for it: everything but the credential.

    ``route`` is a template of :mod:`gateway.upstream.endpoints`, e.g.
    ``DETAILS.route``; ``path_params`` are percent-encoded into it, so caller
    input can never change which path is requested. ``idempotent`` left out
    is the table's. A ``lazy`` body is decoded member by member as fields
    read it (:class:`gateway.upstream.rawjson.LazyBody`).
    """

    method: str
    route: str
    path_params: Mapping[str, str] | None = None
    params: Mapping[str, str | int | bool] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Any = None
    idempotent: bool | None = None
    lazy: bool = False

    @classmethod
    def to(
        cls,
        endpoint: UpstreamEndpoint,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Any = None,
    ) -> UpstreamRequest:
        """A call to an endpoint of the table: its method, retries and laziness
        are the table's."""
        return cls(
            endpoint.method,
            endpoint.route,
            path_params=path_params,
            params=params,
            json=json,
            data=data,
            files=files,
            lazy=endpoint.lazy,
        )


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


class _DiscardingJar(CookieJar):
    def set_cookie(self, cookie: Cookie) -> None:
        pass


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing (whatever is set on it) and so sends nothing."""

    def __init__(self) -> None:
        super().__init__(_DiscardingJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        pass  # and skip building urllib's request and response to find none


class _CookielessClient(httpx.AsyncClient):
    """httpx's client without its cookie jar.

    One client calls the upstream for every caller: a cookie the upstream set
    on one caller's answer (a Django ``sessionid``, which session
    authentication reads before the key) would go out with the next caller's
    calls, as that caller. Callers are told apart by their keys alone."""

    def __init__(self, **kwargs: Any) -> None:
        self._no_cookies = _NoCookies()
        super().__init__(**kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        pass


class UpstreamClient:
    """Calls the upstream with the caller's own credential.

    An async context manager that owns one ``httpx.AsyncClient``;
    :meth:`aclose` is safe to call more than once.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = default("connect_timeout"),
        read_timeout: float = default("read_timeout"),
        max_connections: int = default("max_connections"),
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        resilience: Resilience | None = None,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self.resilience = resilience or Resilience(self._retry)
        self._observer = observer
        self._tracing = tracing
        self._closed = False
        self._base_url = base_url.rstrip("/")
        # httpx parses, quotes and merges a relative URL with the base on every
        # request (a tenth of a fan-out's CPU). The same few hundred resources
        # are asked for over and over: each URL is built once. Only paths and
        # query parameters are cached here, never a key or a body.
        self._url = functools.lru_cache(maxsize=4096)(self._build_url)
        self._http = _CookielessClient(
            base_url=self._base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            transport=transport or PooledTransport(max_connections=max_connections),
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

    async def request(self, request: UpstreamRequest, credential: Credential) -> UpstreamResponse:
        """One upstream call; returns the parsed JSON body of a 2xx answer."""
        path_params = request.path_params
        path = request.route.format_map(
            {k: quote(v, safe="") for k, v in (path_params or {}).items()}
        )
        spec = endpoint(request.method, request.route)
        retryable = spec.idempotent if request.idempotent is None else request.idempotent
        # Metrics, spans and the contract check name the call by the
        # contract's own template: ``{activity}`` filled in, nothing else.
        template = _contract_template(request.route, path_params)
        call = functools.partial(self._call, request, template, path, credential, retryable)
        if request.method == "GET":
            # Keyed on the parameters as sent: httpx spells True `true`, 3 `3`.
            return await self.resilience.read(
                credential,
                spec.family,
                path,
                httpx.QueryParams(request.params),
                request.lazy,
                call,
            )
        return await self.resilience.write(credential, spec.family, call)

    async def _call(
        self,
        request: UpstreamRequest,
        template: str,
        path: str,
        credential: Credential,
        retryable: bool,
    ) -> UpstreamResponse:
        method, params = request.method, request.params
        headers = {"Authorization": credential.authorization, "Accept": "application/json"}
        span = self._tracing.upstream(method, template, headers)
        content = orjson.dumps(request.json) if request.json is not None else None
        if content is not None:
            # Declared, or an upstream that parses by media type answers 415.
            headers["Content-Type"] = "application/json"
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
                        self._url(path, tuple(params.items()) if params else ()),
                        headers=headers,
                        content=content,
                        data=request.data,
                        files=request.files,
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
                if status in _RETRY_STATUSES:
                    if retryable and await self._backoff(attempts, started, response):
                        continue
                else:
                    self.resilience.budget.answered()
                result = _parse(response, credential, lazy=request.lazy, route=template)
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
        request = UpstreamRequest("GET", route, path_params=path_params, params=params)
        return (await self.request(request, credential)).data

    def _build_url(self, path: str, params: tuple[tuple[str, str | int | bool], ...]) -> httpx.URL:
        url = httpx.URL(self._base_url + path)
        return url.copy_merge_params(dict(params)) if params else url

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
        if not self.resilience.budget.try_retry():
            return False
        await asyncio.sleep(delay)
        return True


_ACTIVITY_PATHS = frozenset(a.path for a in Activity)


def _contract_template(route: str, path_params: Mapping[str, str] | None) -> str:
    activity = (path_params or {}).get("activity")
    if activity in _ACTIVITY_PATHS and "{activity}" in route:
        return route.replace("{activity}", str(activity))
    return route


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _parse(
    response: httpx.Response, credential: Credential, *, lazy: bool, route: str
) -> UpstreamResponse:
    status = response.status_code
    ok = 200 <= status < 300
    decode = LazyBody.parse if lazy and ok else orjson.loads
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
    error = upstream_error(status)
    if isinstance(body, dict):
        code = body.get("error_code")
        if isinstance(code, str) and code in KNOWN_ERROR_CODES:
            error.upstream_code = code
        text = body.get("error")
        if isinstance(text, str) and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s answered %d: %s", route, status, credential.redact(text[:_MAX_ERROR_TEXT])
            )
    try:
        raise error
    finally:
        # Its traceback holds this frame: a cycle for the collector at every
        # answer that isn't 2xx (each poll of a session still processing, on
        # an upstream that answers 404 then), unless the frame lets go.
        del error


def _tag(error: GatewayError, status: int) -> GatewayError:
    error.upstream_status = status
    return error
