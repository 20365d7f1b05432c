"""Queries and mutations over a WebSocket, on both protocols, as clients send them.

graphql-transport-ws carries any operation; so does legacy graphql-ws
(Apollo's subscriptions-transport-ws sends queries over the socket when it
is the only link). The answer is the same as over HTTP, with coded errors.
"""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, seeded
from tests.ids import global_id_of
from tests.servers import ServerProcess
from tests.wsclient import LEGACY_WS, TRANSPORT_WS, SubscriptionError, collect, ws_client


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_query_over_the_socket_answers_once(
    gateway_server: ServerProcess, protocol: str
) -> None:
    record = seeded("alice", "Running")[0]
    query = "query ($id: ID!) { session(id: $id) { title } }"
    async with ws_client(gateway_server.url, ALICE, protocol) as client:
        events = await collect(
            client.subscribe(query, {"id": global_id_of("running", record.session_id)})
        )
    assert events == [{"session": {"title": record.title}}]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_query_for_an_unknown_session_is_not_found(
    gateway_server: ServerProcess, protocol: str
) -> None:
    query = "query ($id: ID!) { session(id: $id) { title } }"
    async with ws_client(gateway_server.url, ALICE, protocol) as client:
        with pytest.raises(SubscriptionError) as raised:
            await collect(client.subscribe(query, {"id": global_id_of("running", "99999999")}))
    assert raised.value.codes == ["NOT_FOUND"]
