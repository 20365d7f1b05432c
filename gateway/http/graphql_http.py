"""GraphQL over HTTP as the spec and the clients speak it: Strawberry's ASGI view,
corrected where the two disagree.

- The media type of a single result follows ``Accept`` (order and q-values):
  ``application/graphql-response+json`` or ``application/json``, unless the
  client takes no JSON but takes SSE (graphql-sse). A subscription streams
  (SSE or multipart), as ranked there too.
- A request error (parse, validation, variable coercion: nothing executed) has
  no ``data``; under ``application/graphql-response+json`` it is a 400.
- Bodies that aren't a JSON object, media types other than JSON and multipart,
  and a mutation over GET are 4xx with coded errors (415, 400, 405 + ``Allow``).
- Automatic persisted queries (:mod:`gateway.http.apq`) are resolved before anything
  else looks at the query.
- Server-sent events end their lines with LF, which every client parses.
- An operation that uses ``@defer`` or ``@stream`` is answered in parts
  (multipart/mixed, ``deferSpec=20220824``) to a client that reads them, and as
  server-sent events to one that takes only those; any other client gets the
  whole answer as one result (:mod:`gateway.http.incremental`).
- A browser (``Accept: text/html`` first) opening ``/graphql?query=...`` gets
  GraphiQL with the operation filled in instead of its result.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.streaming import (
    HTTPStreamTransport,
    JSONEncoder,
    MultipartSubscriptionTransport,
    SSETransport,
)
from strawberry.http.typevars import Context, RootValue
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult

from gateway.errors import (
    BadRequest,
    GatewayError,
    PersistedDocumentNotFound,
    PersistedDocumentRequired,
    PersistedQueryNotFound,
    RateLimited,
    error_code,
)
from gateway.http.apq import PersistedQueries
from gateway.http.incremental import (
    INCREMENTAL_PROTOCOL,
    EncodedPart,
    MultipartPartsTransport,
    encoded_parts,
)
from gateway.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    prefers_html,
    response_media_type,
    single_result_streams,
    stream_protocol,
    takes_parts,
)
from schema import GatewaySchema
from schema.context import GatewayContext
from schema.documents import Documents

__all__ = ["GraphQLOverHTTP"]


class _SSETransport(SSETransport):
    """Server-sent events with LF line ends. The SSE format allows CRLF too, but
    urql's parser splits events on a blank LF line only and would read none."""

    def encode_event(self, event: str, data: str | None = None) -> str:
        return super().encode_event(event, data).replace("\r\n", "\n")

    def encode_comment(self, comment: str) -> str:
        return super().encode_comment(comment).replace("\r\n", "\n")

    def encode_next(self, response: GraphQLHTTPResponse, encode_json: JSONEncoder) -> str:
        part: object = response
        if isinstance(part, EncodedPart):  # encoded already (gateway.http.incremental)
            return self.encode_event("next", part.encoded.decode())
        return super().encode_next(response, encode_json)


class _MultipartSubscriptionTransport(MultipartSubscriptionTransport):
    """Multipart subscriptions (``subscriptionSpec="1.0"``), an event encoded once
    for all its subscribers sent as it is (gateway.http.incremental)."""

    def encode_next(self, response: GraphQLHTTPResponse, encode_json: JSONEncoder) -> str:
        part: object = response
        if isinstance(part, EncodedPart):
            return self.encode_multipart_data({"payload": part.fragment()}, encode_json)
        return super().encode_next(response, encode_json)


class GraphQLOverHTTP(GraphQL[Context, RootValue]):
    """Strawberry's view with the spec's negotiation, status codes and APQ."""

    stream_transport_classes_by_protocol: Mapping[str, type[HTTPStreamTransport]] = {
        MULTIPART_SUBSCRIPTION_PROTOCOL: _MultipartSubscriptionTransport,
        GRAPHQL_SSE_PROTOCOL: _SSETransport,
        INCREMENTAL_PROTOCOL: MultipartPartsTransport,
    }
    persisted_queries: PersistedQueries | None = None
    # The bound of one answer, all its parts together (gateway.http.incremental).
    max_response_bytes: int = 2**62

    async def get_sub_response(self, request: Request | Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        if request.method == "GET":
            # A GET answer depends on the caller's key and on Accept: a shared
            # cache (a CDN in front of persisted-query GETs) must key on both.
            sub_response.headers["Vary"] = "Accept, Authorization"
        # process_result sets its status; it's handed the request, not this.
        request.state.graphql_sub_response = sub_response
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        part: object = result
        if isinstance(part, EncodedPart):  # sent as it is (gateway.http.incremental)
            return part.as_response()
        response = await super().process_result(request, result)
        if _is_request_error(result):
            # Nothing was executed: the spec says no `data` at all, and a 400
            # for clients that read application/graphql-response+json.
            response.pop("data", None)
            sub_response = getattr(request.state, "graphql_sub_response", None)
            refusal = _policy_refusal(result)
            if sub_response is not None and refusal is not None:
                # Refused by this gateway's policy, whatever the document:
                # its own status for every client.
                sub_response.status_code = error_code(refusal).http_status
                retry_after = _retry_after(result)
                if retry_after is not None:
                    sub_response.headers["Retry-After"] = retry_after
            elif sub_response is not None and sub_response.media_type == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = 400
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        if request.method != "GET" or self.graphql_ide is None:
            return False
        params = request.query_params
        if all(params.get(name) is None for name in ("query", "extensions", "documentId")):
            # Nothing to run (a persisted query's GET has its hash in
            # extensions, a trusted document's its documentId).
            return super().should_render_graphql_ide(request)
        # A shared link to an operation, opened in a browser.
        return prefers_html(request.headers.get("accept"))

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data: GraphQLRequestData | list[GraphQLRequestData] | None = None
        document_id: object = None
        if request.method == "POST":
            body = await _checked_body(request, multipart=self.multipart_uploads_enabled)
            if body is not None:
                decoded = self.parse_json(body)
                # One operation (nearly every request): read here, as
                # Strawberry would, without parsing the media type again.
                data = _request_data(decoded) if isinstance(decoded, dict) else None
                document_id = decoded.get("documentId") if isinstance(decoded, dict) else None
        else:
            document_id = request.query_params.get("documentId")
        if data is None:
            data = await super().parse_http_body(request)
        if isinstance(data, list):  # a batch: refused by Strawberry unless enabled
            return data
        if not isinstance(data.operation_name, str | None):
            raise HTTPException(400, "The operation's `operationName` must be a string or null.")
        if data.query is None:
            data.query = self._trusted_text(document_id, data.extensions)
        if self.persisted_queries is not None:
            data.query = await self.persisted_queries.resolve(data.query, data.extensions)
        # Only a subscription streams, and as the client ranks the stream types.
        accept = request.headers.get("accept")
        protocol: GraphQLRequestProtocol = "http"
        stream = stream_protocol(accept)
        # The operation is parsed here only when the client takes a stream.
        if (
            stream is not None
            and data.query is not None
            and self._is_subscription(data.query, data.operation_name)
        ):
            protocol = stream
        elif single_result_streams(accept):
            protocol = "sse"
        elif data.query is not None and self._in_parts(request.method, accept, data):
            protocol = INCREMENTAL_PROTOCOL
        return replace(data, protocol=protocol)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if not isinstance(request_data, GraphQLRequestData):  # a batch
            return await super().execute_operation(
                request, request_adapter, request_data, *args, **kwargs
            )
        context = kwargs.get("context")
        if request_data.protocol != "http" and isinstance(context, GatewayContext):
            # A stream: @defer and @stream are answered in parts.
            context.incremental = True
        result = await super().execute_operation(
            request, request_adapter, request_data, *args, **kwargs
        )
        if isinstance(result, AsyncGenerator):
            # Nothing has run yet: the stream parses, validates and executes.
            return self._streamed(result, request_data)
        await self._register(request_data)
        return result

    async def _streamed(
        self, results: AsyncGenerator[Any, None], request_data: GraphQLRequestData
    ) -> AsyncGenerator[Any, None]:
        """A stream's results, an incremental answer's parts encoded and bounded."""
        registered = False
        async with aclosing(encoded_parts(results, self.max_response_bytes)) as parts:
            async for part in parts:
                if not registered:  # validated before its first result
                    registered = True
                    await self._register(request_data)
                yield part

    async def _register(self, request_data: GraphQLRequestData) -> None:
        if self.persisted_queries is not None and request_data.query is not None:
            # Stored only once it has run, and only if it was a valid document.
            entry = self.documents.get(request_data.query)
            await self.persisted_queries.register(
                request_data.query,
                request_data.extensions,
                valid=entry is not None and entry.errors == [],
            )

    def _trusted_text(
        self, document_id: object, extensions: Mapping[str, Any] | None
    ) -> str | None:
        """The trusted document a request names by ``documentId``, or by a persisted
        query's hash the manifest has (schema.trusted); ``None``: it names none."""
        schema = self.schema
        trusted = schema.trusted if isinstance(schema, GatewaySchema) else None
        if document_id is not None:
            if not isinstance(document_id, str):
                raise HTTPException(400, "The request's `documentId` must be a string.")
            if trusted is None:
                raise PersistedDocumentNotFound("This gateway has no trusted documents.")
            return trusted.text(document_id)
        persisted = (extensions or {}).get("persistedQuery")
        digest = persisted.get("sha256Hash") if isinstance(persisted, Mapping) else None
        if trusted is not None and isinstance(digest, str):
            return trusted.known(digest)
        return None

    @property
    def documents(self) -> Documents:
        """The schema's cache of parsed documents (schema.documents)."""
        schema = self.schema
        if not isinstance(schema, GatewaySchema):
            raise TypeError("the view serves the gateway's schema (schema.build_schema)")
        return schema.documents

    def _is_subscription(self, query: str, operation_name: str | None) -> bool:
        kind = self.documents.operation_type(query, operation_name)
        return kind == OperationType.SUBSCRIPTION

    def _in_parts(self, method: str, accept: str | None, data: GraphQLRequestData) -> bool:
        """Whether the operation defers or streams and the client reads its parts:
        a query, or a mutation sent by POST (over GET it is refused as usual)."""
        query = data.query
        if query is None or not takes_parts(accept) or not self.documents.defers(query):
            return False
        kind = self.documents.operation_type(query, data.operation_name)
        return kind == OperationType.QUERY or (kind == OperationType.MUTATION and method == "POST")

    def error_response(self, request: Request, exc: Exception) -> Response:
        """An HTTP-level failure as a GraphQL response with a coded error."""
        media_type = response_media_type(request.headers.get("accept"))
        headers: dict[str, str] = {}
        if isinstance(exc, GatewayError):
            message, extensions = exc.message, exc.extensions
            # Like validation: a request error, 200 for legacy JSON clients.
            not_found = isinstance(exc, PersistedQueryNotFound) and media_type == JSON
            status = 200 if not_found else error_code(exc.code).http_status
        elif isinstance(exc, HTTPException):
            message, extensions, status = exc.reason, {"code": BadRequest.code}, exc.status_code
            if isinstance(exc.__cause__, InvalidOperationTypeError) and request.method == "GET":
                status, headers["Allow"] = 405, "POST"
            elif status == 405:  # a method other than GET and POST
                headers["Allow"] = "GET, POST"
        else:
            raise TypeError(f"not an HTTP-level error: {type(exc).__name__}")
        body = {"errors": [{"message": message, "extensions": extensions}]}
        return Response(
            self.encode_json(body),
            status_code=status,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8" if media_type != JSON else JSON,
        )


async def _checked_body(request: AsyncHTTPRequestAdapter, *, multipart: bool) -> bytes | None:
    """A POST's JSON body, checked; ``None`` for a multipart one (Strawberry reads it)."""
    media_type = _media_type(request.content_type)
    if multipart and media_type == "multipart/form-data":
        return None
    # Read it either way: a refusal sent while the client is still sending
    # would reset the connection instead of reaching it.
    body = await request.get_body()
    if media_type != JSON:
        raise HTTPException(
            415, "Send the operation as application/json (multipart/form-data for uploads)."
        )
    if body.lstrip()[:1] not in (b"{", b"["):
        # Valid JSON but a string, number, boolean or null, or no JSON at all.
        raise HTTPException(400, "The request body must be a JSON object.")
    return body


def _media_type(content_type: str | None) -> str:
    """``Content-Type`` without its parameters, lower-cased (``""`` when missing)."""
    return (content_type or "").partition(";")[0].strip().lower()


def _request_data(data: dict[str, Any]) -> GraphQLRequestData:
    """One operation's fields, checked as Strawberry's view checks them."""
    query = data.get("query")
    if not isinstance(query, str | None):
        raise HTTPException(
            400, "The GraphQL operation's `query` must be a string or null, if provided."
        )
    variables = data.get("variables")
    if not isinstance(variables, dict | None):
        raise HTTPException(
            400, "The GraphQL operation's `variables` must be an object or null, if provided."
        )
    extensions = data.get("extensions")
    if not isinstance(extensions, dict | None):
        raise HTTPException(
            400, "The GraphQL operation's `extensions` must be an object or null, if provided."
        )
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=extensions,
        protocol="http",
    )


# Request errors that refuse the request itself, not its document.
_POLICY_REFUSALS = frozenset({PersistedDocumentRequired.code, RateLimited.code})


def _policy_refusal(result: ExecutionResult) -> str | None:
    for error in result.errors or ():
        code = (error.extensions or {}).get("code")
        if code in _POLICY_REFUSALS:
            return str(code)
    return None


def _retry_after(result: ExecutionResult) -> str | None:
    for error in result.errors or ():
        seconds = (error.extensions or {}).get("retryAfter")
        if isinstance(seconds, int):
            return str(seconds)
    return None


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation or variable errors: no data, and no error has a path."""
    return (
        result.data is None
        and bool(result.errors)
        and all(isinstance(e, GraphQLError) and e.path is None for e in result.errors or ())
    )
