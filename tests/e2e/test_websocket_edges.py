"""WebSocket behaviours a client meets: keep-alives, the per-socket bound, odd keys."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ALICE, start_gateway, upload
from tests.ids import global_id_of
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import LEGACY_WS, TRANSPORT_WS, SubscriptionError, collect, ws_client

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }"


def jumping(session_id: str) -> str:
    return global_id_of("jumping", session_id)


@pytest.fixture(scope="module")
def quick_gateway(sandbox_server: ServerProcess, logs_dir: Path) -> Iterator[ServerProcess]:
    """A gateway with a fast keep-alive and a per-socket bound of 2."""
    gateway = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-ws-edges.log",
        env={"GATEWAY_WS_KEEP_ALIVE_INTERVAL": "0.2", "GATEWAY_WATCH_MAX_PER_CONNECTION": "2"},
    )
    yield gateway
    gateway.stop()


async def test_keep_alives_at_the_configured_interval(
    quick_gateway: ServerProcess, gateway_server: ServerProcess
) -> None:
    """Counted against the default gateway's (15 s): the setting is what differs."""
    async with (
        ws_client(quick_gateway.url, ALICE, LEGACY_WS) as quick,
        ws_client(gateway_server.url, ALICE, LEGACY_WS) as default,
    ):
        for _ in range(3):
            await asyncio.wait_for(quick.keep_alives.get(), 30)
        # The default socket, open all that time, had at most its first one.
        assert default.keep_alives.qsize() <= 1


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_per_connection_bound_is_refused_with_a_code(
    quick_gateway: ServerProcess, sandbox: SandboxControl, protocol: str
) -> None:
    sandbox.configure(processing_delay_s=3600.0)
    session_id = upload(sandbox.url)
    async with ws_client(quick_gateway.url, ALICE, protocol) as client:
        streams = [client.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}) for _ in range(2)]
        for stream in streams:
            assert (await asyncio.wait_for(anext(stream), 15))["analyzedVideo"] == {
                "status": "PROCESSING"
            }
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}), 15)
        assert info.value.codes == ["LIMIT_EXCEEDED"]
        # The socket still serves the two it holds.
        sandbox.set_video(session_id, "ready")
        for stream in streams:
            rest = await collect(stream)
            assert rest[-1]["analyzedVideo"] == {"status": "READY"}
    assert quick_gateway.alive()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_non_ascii_key_over_websocket(
    gateway_server: ServerProcess, sandbox: SandboxControl, protocol: str
) -> None:
    """A key no HTTP header can carry: refused with a code, never a crash, never logged."""
    key = "API-KEY ключ-Schlüssel-鍵"
    async with ws_client(gateway_server.url, key, protocol) as client:
        with pytest.raises(SubscriptionError) as info:
            await collect(client.subscribe(SUBSCRIPTION, {"id": jumping("0" * 32)}), 15)
    assert info.value.codes == ["UNAUTHENTICATED"]
    assert "ключ" not in str(info.value) and "Schlüssel" not in str(info.value)
    # The process keeps serving: Alice's own key still works on a new socket.
    ready = upload(sandbox.url)
    sandbox.set_video(ready, "ready")
    async with ws_client(gateway_server.url, ALICE, protocol) as client:
        events = await collect(client.subscribe(SUBSCRIPTION, {"id": jumping(ready)}))
    assert events[-1]["analyzedVideo"] == {"status": "READY"}
    log = gateway_server.log()
    assert "ключ" not in log and "Schl" not in log and "鍵" not in log
