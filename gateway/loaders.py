"""Per-operation access to the upstream: batching, deduplication and bounds.

One :class:`ResourceLoader` exists per GraphQL operation and caller. It
holds one DataLoader whose keys are upstream resources, so each distinct
resource is fetched at most once per operation, distinct resources are
fetched concurrently (under a semaphore), and the operation as a whole may
cause only so many upstream calls. Because it is built per operation and
carries exactly one credential, nothing fetched with one key can be served
to another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from aiodataloader import DataLoader

from gateway.credentials import Credential
from gateway.errors import Forbidden, GatewayError, LimitExceeded, Unauthenticated
from gateway.ids import Activity
from gateway.upstream.client import MethodNotAllowed, UpstreamClient, UpstreamRequest
from gateway.upstream.endpoints import UpstreamEndpoint, endpoint

__all__ = ["Resource", "ResourceLoader"]


@dataclass(frozen=True, slots=True)
class Resource:
    """One upstream resource: the unit of deduplication."""

    method: str
    route: str
    path_params: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str | int | bool], ...] = ()
    # A method to try when the upstream answers 405 to ``method``.
    fallback_method: str | None = None
    # Keep the body's numeric arrays as bytes (the endpoint's ``lazy``). Part
    # of the key: a route is always loaded one way.
    lazy: bool = False

    @classmethod
    def of(
        cls,
        route: str,
        *,
        method: str = "GET",
        fallback_method: str | None = None,
        **path_params: str,
    ) -> Resource:
        return cls(method, route, tuple(sorted(path_params.items())), (), fallback_method)

    @classmethod
    def at(
        cls, endpoint: UpstreamEndpoint, *, fallback: bool = False, **path_params: str
    ) -> Resource:
        """The endpoint's resource, read with its method or, with ``fallback``, its
        fallback method (the caller decides when: it may need a proof first)."""
        method = endpoint.fallback_method if fallback else endpoint.method
        if method is None:
            raise ValueError(f"{endpoint.route} has no fallback method")
        resource = cls.of(endpoint.route, method=method, **path_params)
        return replace(resource, lazy=endpoint.lazy)

    @classmethod
    def session(cls, route: str, activity: Activity, session_id: str) -> Resource:
        """A GET of one session's ``route``, read lazily if the table says so."""
        resource = cls.of(route, activity=activity.path, session_id=session_id)
        return replace(resource, lazy=endpoint("GET", route).lazy)


class ResourceLoader:
    """One caller's credential, one operation's call budget, and the DataLoader
    of the upstream resources that operation reads."""

    def __init__(
        self,
        client: UpstreamClient,
        credential: Credential,
        *,
        max_calls: int,
        max_concurrency: int,
    ) -> None:
        self.client = client
        self.credential = credential
        self.calls = 0
        self._max_calls = max_calls
        # The upstream's first 401 or 403: the key is wrong (or not allowed),
        # so every call still to come would be refused too. Not sending them
        # keeps a wrong key from costing the upstream one call per field.
        self._refusal: GatewayError | None = None
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._loader: DataLoader[Resource, Any] = DataLoader(self._load_many)

    async def load(self, resource: Resource) -> Any:
        """The resource's JSON body, fetched once per operation however often asked."""
        return await self._loader.load(resource)

    def forget(self, resource: Resource) -> None:
        """Drop a cached body after a mutation changed it."""
        self._loader.clear(resource)

    async def call(self, request: UpstreamRequest) -> Any:
        """An uncached call (writes, listings), counted against the same bounds."""
        self._refuse_if_refused()
        self._count()
        async with self._semaphore:
            # Calls queued behind the first wave learn of its refusal here.
            self._refuse_if_refused()
            try:
                response = await self.client.request(request, self.credential)
            except (Unauthenticated, Forbidden) as exc:
                if self._refusal is None and exc.upstream_status in (401, 403):
                    self._refusal = exc
                raise
        return response.data

    def _refuse_if_refused(self) -> None:
        refusal = self._refusal
        if refusal is not None:
            # A fresh error per field: one instance raised in many tasks
            # would collect all their tracebacks.
            error = type(refusal)(refusal.message, upstream_status=refusal.upstream_status)
            error.upstream_code = refusal.upstream_code
            raise error

    def _count(self) -> None:
        self.calls += 1
        if self.calls > self._max_calls:
            raise LimitExceeded(
                f"This operation would make more than {self._max_calls} calls to the "
                "session service; select fewer items or fields."
            )

    async def _load_many(self, resources: list[Resource]) -> list[Any]:
        # The upstream has no batch endpoint: one call per distinct resource,
        # all at once. Failures are returned, not raised, so that one bad item
        # fails only the fields that need it.
        return await asyncio.gather(*(self._fetch(r) for r in resources), return_exceptions=True)

    async def _fetch(self, resource: Resource) -> Any:
        request = UpstreamRequest(
            resource.method,
            resource.route,
            path_params=dict(resource.path_params),
            params=dict(resource.params) or None,
            # A loaded resource is a read, whatever its method (reports).
            idempotent=True,
            lazy=resource.lazy,
        )
        try:
            return await self.call(request)
        except MethodNotAllowed:
            # The contract documents some reads under two methods (lift
            # analysis: GET on the retrieval page, POST in the OpenAPI file).
            if resource.fallback_method is None:
                raise
            return await self.call(replace(request, method=resource.fallback_method))
