"""GraphQL over HTTP against the real gateway: negotiation, status codes, malformed requests."""

from __future__ import annotations

import httpx
import pytest

from gateway.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    prefers_html,
    response_media_type,
    single_result_streams,
    stream_protocol,
)
from tests.conftest import ALICE, global_id, seeded

pytestmark = pytest.mark.inprocess

URQL_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (URQL_ACCEPT, GRAPHQL_RESPONSE_JSON),
        (APOLLO_ACCEPT, GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", JSON),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("text/event-stream, application/graphql-response+json;q=0.1", GRAPHQL_RESPONSE_JSON),
        ('multipart/mixed;subscriptionSpec="1.0"', JSON),
        ("application/graphql-response+json;q=0, application/json;q=0.2", JSON),
    ],
)
def test_single_result_media_type(accept: str | None, expected: str) -> None:
    assert response_media_type(accept) == expected


def test_stream_protocol_and_html() -> None:
    assert stream_protocol(URQL_ACCEPT) == "sse"
    assert stream_protocol('multipart/mixed;boundary="graphql";subscriptionSpec=1.0') == (
        "multipart-subscription"
    )
    assert stream_protocol("multipart/mixed;q=0.5, text/event-stream;q=0.4") == "sse"
    assert stream_protocol(
        "multipart/mixed;subscriptionSpec=1.0;q=0.5, text/event-stream;q=0.4"
    ) == ("multipart-subscription")
    assert stream_protocol(APOLLO_ACCEPT) is None
    assert prefers_html(BROWSER_ACCEPT) and not prefers_html(URQL_ACCEPT)
    assert not prefers_html("*/*")
    assert single_result_streams("text/event-stream")
    assert not single_result_streams(URQL_ACCEPT)
    assert not single_result_streams('multipart/mixed;subscriptionSpec="1.0"')
    assert not single_result_streams(None) and not single_result_streams("*/*")


async def post(
    http: httpx.AsyncClient, body: bytes | str, content_type: str = JSON, **headers: str
) -> httpx.Response:
    return await http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": content_type, "Authorization": ALICE, **headers},
    )


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('"a string"', JSON, 400),
        ("42", JSON, 400),
        ("null", JSON, 400),
        ("true", JSON, 400),
        ("{not json", JSON, 400),
        ("", JSON, 400),
        ("[]", JSON, 400),  # a batch: not enabled
        ('{"query": "{ __typename }"}', "text/plain", 415),
        ('{"query": "{ __typename }"}', "application/x-www-form-urlencoded", 415),
        ('{"query": 5}', JSON, 400),
        ('{"query": "{ __typename }", "variables": "x"}', JSON, 400),
        ('{"query": "{ __typename }", "operationName": {}}', JSON, 400),
        ('{"query": "{ __typename }", "extensions": []}', JSON, 400),
        ('{"variables": {}}', JSON, 400),  # no query
    ],
)
async def test_malformed_requests_get_4xx_with_a_code(
    gateway_http: httpx.AsyncClient, body: str, content_type: str, status: int
) -> None:
    response = await post(gateway_http, body, content_type)
    assert response.status_code == status, response.text
    assert codes(response) == ["BAD_REQUEST"]
    assert "data" not in response.json()
    # ...and the gateway keeps serving.
    assert (await post(gateway_http, '{"query": "{ __typename }"}')).status_code == 200


async def test_other_methods_are_405_with_allow(gateway_http: httpx.AsyncClient) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = await gateway_http.request(method, "/graphql")
        assert response.status_code == 405
        assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_get_mutation_is_405_with_allow(gateway_http: httpx.AsyncClient) -> None:
    response = await gateway_http.get(
        "/graphql",
        params={"query": 'mutation { deleteSession(id: "x") }'},
        headers={"Authorization": ALICE, "Accept": JSON},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ sessions(first: 1) { ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        (
            "query ($n: Int!) { sessions(first: $n) { totalCount } }",
            {"n": "two"},
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
async def test_request_errors_follow_the_media_type(
    gateway_http: httpx.AsyncClient, query: str, variables: dict | None, code: str
) -> None:
    payload = {"query": query, "variables": variables}
    strict = await gateway_http.post(
        "/graphql",
        json=payload,
        headers={"Authorization": ALICE, "Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert strict.status_code == 400
    assert strict.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert "data" not in strict.json()
    legacy = await gateway_http.post(
        "/graphql",
        json=payload,
        headers={"Authorization": ALICE, "Accept": JSON},
    )
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith(JSON)
    assert "data" not in legacy.json()
    assert codes(strict) == codes(legacy) == [code]


async def test_field_errors_keep_data_and_200(gateway_http: httpx.AsyncClient) -> None:
    # Executed: the root field failed (no key), so data is null, and that's a 200.
    response = await gateway_http.post(
        "/graphql",
        json={"query": "{ sessions { totalCount } }"},
        headers={"Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert codes(response) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "accept",
    [
        URQL_ACCEPT,
        "text/event-stream, application/json;q=0.1",
        'multipart/mixed;subscriptionSpec="1.0"',
        "multipart/mixed;deferSpec=20220824, application/json",
        APOLLO_ACCEPT,
    ],
)
async def test_queries_are_one_json_document_whatever_accept_lists(
    gateway_http: httpx.AsyncClient, accept: str
) -> None:
    response = await gateway_http.post(
        "/graphql",
        json={"query": "{ sessions(first: 1) { totalCount } }"},
        headers={"Authorization": ALICE, "Accept": accept},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] in (JSON, GRAPHQL_RESPONSE_JSON)
    assert response.json()["data"]["sessions"]["totalCount"] > 0


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (URQL_ACCEPT, "text/event-stream"),
        ('multipart/mixed;subscriptionSpec="1.0",application/json', "multipart/mixed"),
    ],
)
async def test_subscriptions_stream_as_ranked(
    gateway_http: httpx.AsyncClient, accept: str, content_type: str
) -> None:
    session = global_id(seeded("alice", video="ready")[0])
    query = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }"
    async with gateway_http.stream(
        "POST",
        "/graphql",
        json={"query": query, "variables": {"id": session}},
        headers={"Authorization": ALICE, "Accept": accept},
    ) as response:
        assert response.headers["content-type"].startswith(content_type)
        text = (await response.aread()).decode()
    assert '"status":"READY"' in text


async def test_a_query_streams_to_a_client_that_takes_only_sse(
    gateway_http: httpx.AsyncClient,
) -> None:
    # graphql-sse's client (distinct connections mode) runs queries this way.
    response = await gateway_http.post(
        "/graphql",
        json={"query": "{ sessions(first: 1) { totalCount } }"},
        headers={"Authorization": ALICE, "Accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: next" in response.text and "event: complete" in response.text
