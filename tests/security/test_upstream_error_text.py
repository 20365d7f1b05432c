"""Finding 9: an upstream that echoes the key, in any form, can't pass it on.

Redaction used to catch only an exact copy of the key: upper-cased,
percent-encoded, base64-encoded or truncated copies reached the client, the
broker's error events and the logs. Now the upstream's text reaches no one
but the DEBUG log, masked there too; callers get a fixed message per code.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from gateway.sandbox import DEMO_KEYS
from tests.conftest import GraphQLClient, global_id, seeded, start_gateway
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import SubscriptionError, collect, ws_client

KEY = DEMO_KEYS["alice"]
HEADER = f"API-KEY {KEY}"
ECHOES = {
    "upper": KEY.upper(),
    "url": quote(HEADER, safe=""),
    "base64": base64.b64encode(HEADER.encode()).decode(),
    "truncated": KEY[: len(KEY) // 2 + 2],
}
QUERY = "query ($id: ID!) { session(id: $id) { title } }"
SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }"


@pytest.fixture(scope="module", name="gateway_server")
def own_gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    """The module's gateway, asking the upstream on every call: one that remembered
    the 401 echoed below (GATEWAY_REFUSED_KEY_TTL) would refuse alice's key without
    a call, in the cases after it and in the modules after this one."""
    server = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-error-text.log",
        env={"GATEWAY_REFUSED_KEY_TTL": "0"},
    )
    yield server
    server.stop()


def leaks(text: str) -> list[str]:
    return [name for name, echo in ECHOES.items() if echo in text or echo.lower() in text]


@pytest.mark.parametrize("status", [400, 401, 404, 500])
async def test_echoed_key_never_reaches_the_client_or_the_log(
    gql: GraphQLClient, sandbox: SandboxControl, gateway_server: ServerProcess, status: int
) -> None:
    record = seeded("alice", "Vertical Jump")[0]
    log_before = len(gateway_server.log())
    for name, echo in ECHOES.items():
        sandbox.configure(
            fail_next={
                "status": status,
                "path_contains": record.session_id,
                "message": f"bad credential {echo} for {name}",
                "count": 3,
            }
        )
        body = await gql.execute(QUERY, {"id": global_id(record)})
        assert body["errors"], body
        assert leaks(str(body)) == [], body
        assert "bad credential" not in str(body)
    sandbox.configure(fail_next=None)
    log = gateway_server.log()[log_before:]
    assert leaks(log) == [], [line for line in log.splitlines() if leaks(line)]


async def test_echoed_key_never_reaches_subscribers(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    record = seeded("alice", "Vertical Jump")[0]
    for echo in ECHOES.values():
        sandbox.configure(
            fail_next={"status": 400, "path_contains": record.session_id, "message": echo}
        )
        async with ws_client(gateway_server.url, HEADER) as client:
            with pytest.raises(SubscriptionError) as caught:
                await collect(client.subscribe(SUBSCRIPTION, {"id": global_id(record)}))
        assert caught.value.codes == ["BAD_REQUEST"]
        assert leaks(str(caught.value.payload)) == []
    sandbox.configure(fail_next=None)


@pytest.mark.inprocess
async def test_known_error_codes_pass_unknown_ones_do_not(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    record = seeded("alice", "Vertical Jump")[0]
    for code, expected in (("VIDEO_PROCESSING_FAILED", "VIDEO_PROCESSING_FAILED"), (KEY, None)):
        sandbox.configure(
            fail_next={"status": 400, "path_contains": record.session_id, "error_code": code}
        )
        body = await gql.execute(QUERY, {"id": global_id(record)})
        extensions = body["errors"][0]["extensions"]
        assert extensions["code"] == "BAD_REQUEST"
        assert extensions.get("upstreamCode") == expected
        assert body["errors"][0]["message"] == "The session service refused the request."
    sandbox.configure(fail_next=None)
