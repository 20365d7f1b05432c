"""Finding 5: idle WebSockets are bounded in time and in number.

Legacy `graphql-ws` had no `connection_init` timeout (a silent connection was
still open after 95 s), and 1,000 idle connections without a key were
accepted in 0.8 s. Now `connection_init` is due within a bound on both
protocols, and connections are bounded per client address and per key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State

from gateway.http.wsguard import CLOSE_INIT_TIMEOUT
from tests.conftest import ALICE, BOB, start_gateway
from tests.servers import ServerProcess
from tests.wsclient import LEGACY_WS, TRANSPORT_WS

PER_ADDRESS = 6
PER_KEY = 2


@pytest.fixture(scope="module")
def ws_gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    server = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-idle.log",
        env={
            "GATEWAY_WS_INIT_TIMEOUT": "1",
            "GATEWAY_WS_MAX_PER_ADDRESS": str(PER_ADDRESS),
            "GATEWAY_WS_MAX_PER_KEY": str(PER_KEY),
        },
    )
    yield server
    server.stop()


def _connect(server: ServerProcess, protocol: str = TRANSPORT_WS) -> connect:
    return connect(
        server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
    )


async def _init(ws: ClientConnection, key: str | None) -> dict[str, object]:
    payload = {"Authorization": key} if key else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    answer: dict[str, object] = json.loads(await ws.recv())
    return answer


@pytest.mark.parametrize("protocol", [LEGACY_WS, TRANSPORT_WS])
async def test_a_silent_connection_is_closed(ws_gateway: ServerProcess, protocol: str) -> None:
    async with _connect(ws_gateway, protocol) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(15):
                await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_INIT_TIMEOUT


async def test_an_initialised_connection_stays(ws_gateway: ServerProcess) -> None:
    async with _connect(ws_gateway, LEGACY_WS) as ws:
        assert (await _init(ws, ALICE))["type"] == "connection_ack"
        await asyncio.sleep(2)  # past the init timeout
        async with asyncio.timeout(5):
            await (await ws.ping())
        assert ws.state is State.OPEN


@pytest.fixture
async def held(ws_gateway: ServerProcess) -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def test_connections_per_address_are_bounded(
    ws_gateway: ServerProcess, held: AsyncExitStack
) -> None:
    idle = [await held.enter_async_context(_connect(ws_gateway)) for _ in range(PER_ADDRESS)]
    with pytest.raises(InvalidStatus) as refused:
        async with _connect(ws_gateway):
            pass
    assert refused.value.response.status_code == 403
    # One closes, and another may come.
    await idle[0].close()
    await asyncio.sleep(0.2)
    async with _connect(ws_gateway) as ws:
        assert (await _init(ws, None))["type"] == "connection_ack"
    assert ws_gateway.alive()


async def test_connections_per_key_are_bounded(
    ws_gateway: ServerProcess, held: AsyncExitStack
) -> None:
    for _ in range(PER_KEY):
        ws = await held.enter_async_context(_connect(ws_gateway))
        assert (await _init(ws, ALICE))["type"] == "connection_ack"
    third = await held.enter_async_context(_connect(ws_gateway))
    with pytest.raises(ConnectionClosed) as closed:
        await _init(third, ALICE)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # Another key is not affected.
    bob = await held.enter_async_context(_connect(ws_gateway))
    assert (await _init(bob, BOB))["type"] == "connection_ack"


async def test_closed_connections_no_longer_count(ws_gateway: ServerProcess) -> None:
    for _ in range(3):
        async with AsyncExitStack() as stack:
            for _ in range(PER_KEY):
                ws = await stack.enter_async_context(_connect(ws_gateway))
                assert (await _init(ws, ALICE))["type"] == "connection_ack"
        await asyncio.sleep(0.2)  # the server sees the closes
