"""The HTTP surface: bodies bounded as they stream, under real uvicorn; metrics by
count (on the app in process, a fresh one)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, GATEWAY_ENV, GraphQLClient, start_gateway
from tests.inprocess import Apps, running_apps
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess

LIMIT = 1024 * 1024  # the default GATEWAY_MAX_REQUEST_BYTES (a JSON body's bound)
TOTAL = 64 * 1024 * 1024  # what the client would send if nobody stopped it
CHUNK = 64 * 1024


async def _stream_until_answered(port: int, headers: str, prefix: bytes = b"") -> tuple[int, bytes]:
    """Send a chunked body of TOTAL bytes, stopping when the server answers.

    Returns (bytes sent when the answer came, the answer's head). A server
    that read the whole body before checking its size would answer only after
    all of it: the count tells the two apart, whatever the machine's speed.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    answered = asyncio.Event()

    async def send() -> None:
        nonlocal sent
        writer.write(headers.encode())
        if prefix:
            writer.write(f"{len(prefix):x}\r\n".encode() + prefix + b"\r\n")
        chunk = f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n"
        try:
            while sent < TOTAL and not answered.is_set():
                writer.write(chunk)
                await writer.drain()
                sent += CHUNK
                # drain() doesn't yield while the server keeps up (it reads and
                # discards the rest of a refused body): let the reader see the
                # answer as soon as it comes.
                await asyncio.sleep(0)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            pass  # the server closed the connection after answering

    sender = asyncio.create_task(send())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        answered.set()
        at_answer = sent
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
    return at_answer, head


async def test_a_json_body_is_bounded_as_it_streams(gateway_server: ServerProcess) -> None:
    headers = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{gateway_server.port}\r\n"
        f"Authorization: {ALICE}\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    sent, head = await _stream_until_answered(gateway_server.port, headers)
    assert head.startswith(b"HTTP/1.1 413"), head
    # Answered past the bound but long before the end: the body was counted
    # as it arrived (socket buffers hold a few MiB at most).
    assert LIMIT <= sent < TOTAL // 4, sent
    # ...and the process keeps serving.
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway_server.url) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_a_large_text_body_is_refused_not_reset(gateway_server: ServerProcess) -> None:
    # Refused for its media type before it is read, and still answered: the
    # client reads a 415, not a connection reset mid-send.
    async with httpx.AsyncClient(verify=SSL_CONTEXT, base_url=gateway_server.url) as http:
        response = await http.post(
            "/graphql",
            content="x" * 900_000,
            headers={"Content-Type": "text/plain", "Authorization": ALICE},
        )
    assert response.status_code == 415
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_REQUEST"]


async def test_an_upload_is_bounded_as_it_streams(
    sandbox_server: ServerProcess, sandbox: SandboxControl, logs_dir: Path
) -> None:
    gateway = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-upload-bound.log",
        env={"GATEWAY_MAX_UPLOAD_BYTES": str(2 * LIMIT)},
    )
    try:
        headers = (
            "POST /graphql HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{gateway.port}\r\n"
            f"Authorization: {ALICE}\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        # A well-formed upload whose file never ends.
        prefix = (
            b"--xyz\r\n"
            b'Content-Disposition: form-data; name="0"; filename="v.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n"
        )
        sent, head = await _stream_until_answered(gateway.port, headers, prefix)
        assert head.startswith(b"HTTP/1.1 413"), head
        # What the client managed to write before it read the answer includes the
        # kernel's socket buffers and, on a busy machine, whatever it wrote before
        # it was scheduled to read: well short of the whole, not a tight figure.
        assert 2 * LIMIT <= sent < TOTAL, sent
        # Nothing reached the upstream.
        assert sandbox.calls() == 0
        assert gateway.alive()
    finally:
        gateway.stop()


# --- metrics -----------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")


def parse_metrics(text: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str], float]]]:
    """Prometheus text: ({family: type}, [(sample name, labels, value)])."""
    types: dict[str, str] = {}
    samples: list[tuple[str, dict[str, str], float]] = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            match = _SAMPLE.match(line)
            assert match, line
            name, raw_labels, value = match.groups()
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', raw_labels or ""))
            samples.append((name, labels, float(value)))
    return types, samples


def value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    found = [
        v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())
    ]
    return sum(found)


@pytest.fixture
async def metered() -> AsyncIterator[Apps]:
    """A gateway and a sandbox of their own, so every count starts at zero."""
    async with running_apps(GATEWAY_ENV) as apps:
        yield apps
        assert (await apps.sandbox.contract_report())["violations"] == []


@pytest.mark.inprocess
async def test_metrics_families_and_values_after_known_traffic(metered: Apps) -> None:
    sandbox = metered.sandbox
    listing = "{ sessions(first: 3) { totalCount edges { node { title } } } }"
    async with metered.gateway_client(timeout=30) as http:
        gql = GraphQLClient(http)
        for _ in range(3):
            assert "errors" not in await gql.execute(listing)
        # one retried 503, one refused key, one malformed operation
        sandbox.configure(fail_next={"status": 503, "count": 1, "path_contains": "/filter/"})
        assert "errors" not in await gql.execute(listing)
        refused = await gql.execute(listing, key="API-KEY not-a-key")
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        broken = await gql.execute("{ sessions(first: ")
        assert broken["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        text = (await http.get("/metrics")).text
    types, samples = parse_metrics(text)
    assert types["gateway_upstream_requests_total"] == "counter"
    assert types["gateway_upstream_retries_total"] == "counter"
    assert types["gateway_upstream_request_seconds"] == "histogram"
    assert types["gateway_errors_total"] == "counter"
    assert types["gateway_operations_total"] == "counter"

    # Upstream calls, route by route, as the sandbox counted them (a retry is
    # one call to the gateway's metrics, two requests to the sandbox).
    routes = sandbox.stats()["routes"]
    filter_route = "/session-management/sessions/filter/"
    assert routes[f"GET {filter_route}"] == 6  # 3 + (503, retry) + the refused key
    calls = "gateway_upstream_requests_total"
    assert value(samples, calls, route=filter_route, status="2xx") == 4
    assert value(samples, calls, route=filter_route, status="4xx") == 1
    assert value(samples, "gateway_upstream_retries_total", route=filter_route) == 1
    for key, count in routes.items():
        method, route = key.split(" ", 1)
        retried = 1 if route == filter_route else 0
        assert value(samples, calls, method=method, route=route) == count - retried, key
    assert value(samples, calls) == sum(routes.values()) - 1
    # The latency histogram counts each call once, its +Inf bucket too.
    histogram = "gateway_upstream_request_seconds"
    assert value(samples, f"{histogram}_count", route=filter_route) == 5
    assert value(samples, f"{histogram}_bucket", route=filter_route, le="+Inf") == 5
    # Errors by code, operations by type.
    assert value(samples, "gateway_errors_total", code="UNAUTHENTICATED") == 1
    assert value(samples, "gateway_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    assert value(samples, "gateway_operations_total", type="query") >= 5
    # No label holds caller input: every label value is from a fixed set or a route template.
    for _, labels, _ in samples:
        for label, text_value in labels.items():
            assert "not-a-key" not in text_value and "alice" not in text_value
            if label == "route":
                assert text_value in {k.split(" ", 1)[1] for k in routes}, text_value
