"""Security issue, item 2: hostile WebSocket frames.

Valid JSON that isn't an object (``[1]``, ``"s"``, ``1``, ``null``), a
``subscribe`` whose payload is a list or a string, a ``complete`` whose id is
an object: each one ended in a ``TypeError`` inside Strawberry's handler,
about 45 traceback lines at ERROR, and a close with no frame (1006). A
``subscribe`` with ``"query": 1`` got ``complete`` and no error.

Now every frame of either protocol is checked before Strawberry sees it: one
that isn't a JSON object, or whose fields have the wrong JSON type, closes its
socket with 4400 and a short reason, one INFO line, no traceback, and the
other connections carry on.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import ALICE
from tests.servers import SandboxControl, ServerProcess
from tests.waiting import until
from tests.wsclient import LEGACY_WS, TRANSPORT_WS, SubscriptionError, collect, ws_client

QUERY = "{ __typename }"


def _frame(**fields: Any) -> str:
    return json.dumps(fields)


def _operation(start: str, id: str = "1", **payload: Any) -> str:
    return _frame(type=start, id=id, payload={"query": QUERY, **payload})


# Frames refused on either protocol, sent once the connection is acknowledged.
NOT_AN_OBJECT = {
    "array": "[1]",
    "string": '"s"',
    "number": "1",
    "null": "null",
    "true": "true",
    "not-json": "{",
    "not-json-text": "hello",
    "type-number": _frame(type=1),
    "type-null": _frame(type=None),
    "type-array": _frame(type=["ping"]),
    "type-object": _frame(type={}),
    "type-missing": _frame(id="1"),
}


def _operation_frames(start: str, stop: str) -> dict[str, str]:
    """The frames that start and stop an operation, each with one field of the wrong type."""
    return {
        f"{start}-payload-array": _frame(type=start, id="1", payload=[]),
        f"{start}-payload-string": _frame(type=start, id="1", payload="s"),
        f"{start}-payload-null": _frame(type=start, id="1", payload=None),
        f"{start}-payload-missing": _frame(type=start, id="1"),
        f"{start}-id-number": _frame(type=start, id=1, payload={"query": QUERY}),
        f"{start}-id-object": _frame(type=start, id={}, payload={"query": QUERY}),
        f"{start}-id-missing": _frame(type=start, payload={"query": QUERY}),
        f"{start}-query-number": _frame(type=start, id="1", payload={"query": 1}),
        f"{start}-query-null": _frame(type=start, id="1", payload={"query": None}),
        f"{start}-query-missing": _frame(type=start, id="1", payload={}),
        f"{start}-variables-string": _operation(start, variables="x"),
        f"{start}-variables-array": _operation(start, variables=[1]),
        f"{start}-operationName-number": _operation(start, operationName=1),
        f"{start}-operationName-object": _operation(start, operationName={}),
        f"{start}-extensions-string": _operation(start, extensions="x"),
        f"{start}-extensions-array": _operation(start, extensions=[]),
        f"{stop}-id-object": _frame(type=stop, id={}),
        f"{stop}-id-number": _frame(type=stop, id=1),
        f"{stop}-id-null": _frame(type=stop, id=None),
        f"{stop}-id-missing": _frame(type=stop),
    }


AFTER_ACK = {
    TRANSPORT_WS: {
        **NOT_AN_OBJECT,
        **_operation_frames("subscribe", "complete"),
        "ping-payload-string": _frame(type="ping", payload="s"),
        "pong-payload-array": _frame(type="pong", payload=[1]),
        "unknown-type": _frame(type="x" * 200),
    },
    LEGACY_WS: {**NOT_AN_OBJECT, **_operation_frames("start", "stop")},
}
# Frames refused in place of connection_init.
AS_INIT = {
    "init-payload-array": _frame(type="connection_init", payload=[1]),
    "init-payload-string": _frame(type="connection_init", payload="s"),
    "init-payload-number": _frame(type="connection_init", payload=1),
}

HOSTILE = [
    pytest.param(protocol, frame, True, id=f"{protocol}:{name}")
    for protocol, frames in AFTER_ACK.items()
    for name, frame in frames.items()
] + [
    pytest.param(protocol, frame, False, id=f"{protocol}:{name}")
    for protocol in (TRANSPORT_WS, LEGACY_WS)
    for name, frame in AS_INIT.items()
]


@pytest.fixture
def frames_gateway(gateway_server: ServerProcess) -> ServerProcess:
    """The shared gateway: each test reads only the log lines it caused."""
    return gateway_server


def _connect(server: ServerProcess, protocol: str) -> connect:
    return connect(
        server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
    )


async def _init(ws: ClientConnection, payload: object) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    answer: dict[str, Any] = json.loads(await ws.recv())
    return answer


async def _closed(ws: ClientConnection) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(15):
            while True:
                await ws.recv()
    return closed.value


def _assert_clean(log: str) -> None:
    """No traceback and nothing at ERROR, in JSON lines (the default) or text."""
    for mark in ("Traceback", '"level":"ERROR"', " ERROR "):
        assert mark not in log, log[-3000:]


@pytest.mark.parametrize(("protocol", "frame", "after_ack"), HOSTILE)
async def test_a_hostile_frame_closes_its_socket_with_4400(
    frames_gateway: ServerProcess, protocol: str, frame: str, after_ack: bool
) -> None:
    start = len(frames_gateway.own_log())
    async with ws_client(frames_gateway.url, ALICE, protocol) as sibling:
        async with _connect(frames_gateway, protocol) as ws:
            if after_ack:
                assert (await _init(ws, {"Authorization": ALICE}))["type"] == "connection_ack"
            await ws.send(frame)
            closed = await _closed(ws)
        assert closed.rcvd is not None, f"no close frame ({closed})"
        assert closed.rcvd.code == 4400
        assert 0 < len(closed.rcvd.reason) <= 100
        # The other connection carries on.
        events = await collect(sibling.subscribe(QUERY))
        assert events == [{"__typename": "Query"}]
    line = f"WebSocket closed ({closed.rcvd.reason})"
    await until(lambda: line in frames_gateway.own_log()[start:], "the close is logged", 10)
    log = frames_gateway.own_log()[start:]
    _assert_clean(log)
    [logged] = [entry for entry in log.splitlines() if line in entry]
    assert '"level":"INFO"' in logged, logged
    assert frames_gateway.alive()


# Frames of the right shape that the checks must let through.
WELL_FORMED = {
    TRANSPORT_WS: [
        _frame(type="ping"),
        _frame(type="ping", payload=None),
        _frame(type="ping", payload={"a": 1}),
        _frame(type="pong", payload=None),
        _operation("subscribe", "a", variables=None, operationName=None, extensions=None),
        _operation("subscribe", "b", variables={}, extensions={"x": [1]}),
        _frame(type="complete", id="gone"),
    ],
    LEGACY_WS: [
        _frame(type="some-future-type", payload=[1]),  # ignored, as Strawberry does
        _operation("start", "a", variables=None, operationName=None, extensions=None),
        _operation("start", "b", variables={}, extensions={"x": [1]}),
        _frame(type="stop", id="gone"),
    ],
}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("init_payload", [{}, None, "absent"])
async def test_well_formed_frames_pass(
    frames_gateway: ServerProcess, protocol: str, init_payload: object
) -> None:
    start = len(frames_gateway.own_log())
    async with _connect(frames_gateway, protocol) as ws:
        init: dict[str, object] = {"type": "connection_init"}
        if init_payload != "absent":
            init["payload"] = init_payload
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for frame in WELL_FORMED[protocol]:
            await ws.send(frame)
        # Still open and serving: one more operation is answered.
        start_type = "subscribe" if protocol == TRANSPORT_WS else "start"
        await ws.send(_frame(type=start_type, id="last", payload={"query": QUERY}))
        async with asyncio.timeout(15):
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == "last" and message["type"] in ("next", "data"):
                    assert message["payload"] == {"data": {"__typename": "Query"}}
                    break
    await asyncio.sleep(0.2)
    _assert_clean(frames_gateway.own_log()[start:])


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize(
    "payload",
    [{"Authorization": 1}, {"Authorization": ["API-KEY x"]}, {"headers": {"authorization": {}}}],
    ids=["number", "array", "object-in-headers"],
)
async def test_a_non_string_key_is_refused_as_a_malformed_key_is(
    frames_gateway: ServerProcess, sandbox: SandboxControl, protocol: str, payload: object
) -> None:
    """As a key no header can carry (tests/e2e/test_websocket_edges.py): the
    connection is acknowledged and every operation on it is refused with a code,
    with no call upstream."""
    start = len(frames_gateway.own_log())
    async with _connect(frames_gateway, protocol) as ws:
        assert (await _init(ws, payload))["type"] == "connection_ack"
        start_type = "subscribe" if protocol == TRANSPORT_WS else "start"
        query = "{ sessions(first: 1) { totalCount } }"
        await ws.send(_frame(type=start_type, id="1", payload={"query": query}))
        async with asyncio.timeout(15):
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == "1" and message["type"] != "complete":
                    break
        error = message["payload"]
        if message["type"] in ("next", "data"):
            error = error["errors"]
        assert SubscriptionError(error).codes == ["BAD_REQUEST"]
        assert "must be a string" in json.dumps(error)
    assert sandbox.calls() == 0
    await asyncio.sleep(0.2)
    _assert_clean(frames_gateway.own_log()[start:])
