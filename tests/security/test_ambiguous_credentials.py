"""Finding 8: two Authorization headers, or two different keys, are refused.

The first of two headers used to win silently; a proxy in front reading the
other would then disagree with the gateway about who the caller is.
"""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import ALICE, BOB
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import TRANSPORT_WS, SubscriptionError, collect, ws_client

QUERY = {"query": "{ sessions(first: 1) { totalCount } }"}


@pytest.mark.inprocess
async def test_two_authorization_headers_are_bad_request(
    gateway_http: httpx.AsyncClient, sandbox: SandboxControl
) -> None:
    http = gateway_http
    if True:
        for pair in ((ALICE, BOB), (ALICE, ALICE)):
            response = await http.post(
                "/graphql", json=QUERY, headers=[("Authorization", k) for k in pair]
            )
            assert response.status_code == 400
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
            assert "API-KEY" not in response.text
        # One header is fine.
        response = await http.post("/graphql", json=QUERY, headers={"Authorization": ALICE})
        assert response.json()["data"]["sessions"]["totalCount"] > 0
    assert sandbox.calls() == 1


async def test_websocket_header_and_init_key_must_agree(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    async with ws_client(gateway_server.url, BOB, header_key=ALICE) as client:
        with pytest.raises(SubscriptionError) as caught:
            await collect(client.subscribe(QUERY["query"]))
        assert caught.value.codes == ["BAD_REQUEST"]
        assert "API-KEY" not in str(caught.value.payload)
    assert sandbox.calls() == 0
    # The same key in both places is one caller.
    async with ws_client(gateway_server.url, ALICE, header_key=ALICE) as client:
        events = await collect(client.subscribe(QUERY["query"]))
        assert events[0]["sessions"]["totalCount"] > 0


async def test_websocket_upgrade_with_two_headers_is_refused(
    gateway_server: ServerProcess,
) -> None:
    with pytest.raises(InvalidStatus):
        async with connect(
            gateway_server.url.replace("http://", "ws://") + "/graphql",
            subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
            additional_headers=[("Authorization", ALICE), ("Authorization", BOB)],
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
