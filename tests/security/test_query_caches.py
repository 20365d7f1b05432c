"""No request costs the process much more than its own size: the query caches
are bounded by bytes.

A probe sent `{ __typename } #` followed by 1 MB of comment, with no key: the
comment is no token, so the document passed every bound, and Strawberry's
parse cache, the validation cache and the APQ store (which stored a text
before parsing it) kept each one. 150 plain POSTs took RSS from 85 to 401 MB,
150 APQ registrations to 696 MB. Now a text over GATEWAY_MAX_QUERY_CHARS is
refused before parsing, nothing keeps a text over
GATEWAY_MAX_CACHED_QUERY_CHARS, and APQ stores a text only once it ran valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import start_gateway
from tests.servers import SSL_CONTEXT, ServerProcess

REQUESTS = 300
PADDING = 1_000_000
# The figure to beat: RSS within 50 MB of where it started.
RSS_GROWTH_BOUND = 50 * 2**20


@pytest.fixture(scope="module")
def gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    server = start_gateway(
        sandbox_server.url, logs_dir / "gateway-query-caches.log", env={"GATEWAY_LOG_LEVEL": "info"}
    )
    yield server
    server.stop()


def _padded(i: int) -> str:
    # Each text new, as an attacker's would be.
    return f"{{ t{i}: __typename }} #" + "x" * PADDING


def _apq(text: str) -> dict[str, object]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("apq", [False, True], ids=["plain", "apq"])
def test_comment_padded_megabyte_documents_leave_memory_flat(
    gateway: ServerProcess, apq: bool
) -> None:
    process = psutil.Process(gateway.pid)
    with httpx.Client(verify=SSL_CONTEXT, base_url=gateway.url, timeout=30) as http:
        for i in range(10):  # warm: buffers and pools at their working size
            http.post("/graphql", json={"query": _padded(-i)})
        before = process.memory_info().rss
        for i in range(REQUESTS):
            text = _padded(i)
            body = {"query": text, **({"extensions": _apq(text)} if apq else {})}
            response = http.post("/graphql", json=body)
            assert _code(response) == "LIMIT_EXCEEDED", response.text[:200]
        grown = process.memory_info().rss - before
        if apq:
            # Refused, so never stored: its hash alone is unknown.
            lookup = http.post("/graphql", json={"extensions": _apq(_padded(0))})
            assert _code(lookup) == "PERSISTED_QUERY_NOT_FOUND"
        # The gateway still answers.
        assert http.post("/graphql", json={"query": "{ __typename }"}).json() == {
            "data": {"__typename": "Query"}
        }
    kind = "apq" if apq else "plain"
    print(f"\n{REQUESTS} padded 1 MB documents ({kind}): RSS grew {grown / 2**20:.1f} MiB")
    assert grown < RSS_GROWTH_BOUND, f"RSS grew {grown / 2**20:.0f} MiB"


@pytest.mark.inprocess
async def test_an_unparseable_apq_text_is_not_stored(gateway_http: httpx.AsyncClient) -> None:
    text = "{ not a document"
    failed = await gateway_http.post("/graphql", json={"query": text, "extensions": _apq(text)})
    assert _code(failed) == "GRAPHQL_PARSE_FAILED"
    lookup = await gateway_http.post("/graphql", json={"extensions": _apq(text)})
    assert _code(lookup) == "PERSISTED_QUERY_NOT_FOUND"
