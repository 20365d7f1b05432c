"""A subscriber that doesn't read never holds back the others' push.

One connection asks for a pile of large exports and reads nothing: the
gateway's writes to it stall. It also subscribes to a session, as do readers
on another connection, more of them than a watch hands out in one turn of
the loop. When the session turns READY, every reader gets it while the
stalled connection still hasn't read a byte; its own READY waits behind its
own backlog, and arrives once it reads.

The gateway here lets a connection's results wait without bound, so that the
stalled one stays open (and stalled) for the whole test; the 4413 close of a
client that falls too far behind is tested in tests/security/test_ws_slow_reader.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from websockets.asyncio.client import connect

from gateway.watchers.mailbox import SLICE
from tests.conftest import ALICE, global_id, isolated_servers, seeded, upload
from tests.ids import global_id_of
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import TRANSPORT_WS, ws_client

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"
EXPORT = """query ($id: ID!) { session(id: $id) { ... on JumpingSession {
  export { keypoints { name values } angles { name values } } } } }"""
EXPORTS = 60
# More than a watch hands out in one turn of the loop.
READERS = SLICE + 26
# The stalled client's receive buffer: small and fixed (no autotuning), so
# that its backlog can't all sit in the sockets' buffers.
RECEIVE_BUFFER = 64 * 1024


# A gateway that lets a connection's results wait without bound.
isolated_pair, sandbox_server, gateway_server = isolated_servers(
    "push-fairness",
    validate=False,
    env={"GATEWAY_WS_MAX_PENDING_BYTES": str(1 << 30), "GATEWAY_CONTRACT_SAMPLE_RATE": "0"},
)


def _message(op_id: str, query: str, variables: dict[str, Any]) -> str:
    payload = {"query": query, "variables": variables}
    return json.dumps({"id": op_id, "type": "subscribe", "payload": payload})


async def test_a_stalled_subscriber_does_not_hold_back_the_others(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    sandbox.configure(export_frames=1000, processing_delay_s=3600.0)
    session_id = upload(sandbox.url)
    variables = {"id": global_id_of("jumping", session_id)}
    export_of = {"id": global_id(seeded("alice", "Vertical Jump")[0])}
    url = gateway_server.url.replace("http://", "ws://") + "/graphql"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    host, port = url.removeprefix("ws://").split("/", 1)[0].rsplit(":", 1)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    async with (
        connect(
            url,
            sock=sock,
            subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
            # Reads one message at most, then lets TCP push back; no pings.
            max_queue=1,
            max_size=None,
            ping_interval=None,
        ) as stalled,
        ws_client(gateway_server.url, ALICE) as readers,
    ):
        await stalled.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}})
        )
        await stalled.send(_message("push", SUBSCRIPTION, variables))
        for i in range(EXPORTS):
            await stalled.send(_message(f"export-{i}", EXPORT, export_of))
        streams = [readers.subscribe(SUBSCRIPTION, variables) for _ in range(READERS)]
        firsts = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 30)
        assert {f["analyzedVideo"]["status"] for f in firsts} == {"PROCESSING"}

        sandbox.set_video(session_id, "ready")
        finals = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 30)
        assert {f["analyzedVideo"]["status"] for f in finals} == {"READY"}
        assert gateway_server.alive()

        # Only now does the stalled client read: its backlog, its own READY among it.
        pushed: list[str] = []
        exported: set[str] = set()
        backlog = 0
        async with asyncio.timeout(60):
            while not (pushed[-1:] == ["complete"] and len(exported) == EXPORTS):
                raw = await stalled.recv()
                backlog += len(raw)
                message = json.loads(raw)
                if message.get("id") == "push":
                    data = message.get("payload", {}).get("data")
                    pushed.append(data["analyzedVideo"]["status"] if data else message["type"])
                elif message.get("type") == "next":
                    assert message["payload"]["data"]["session"]["export"]["keypoints"]
                    exported.add(message["id"])
    assert pushed == ["PROCESSING", "READY", "complete"]
    # Far more than the sockets' buffers hold (64 KiB here, at most 4 MiB on the
    # gateway's side): its writes to this client were stalled all along.
    assert backlog > 16 * 1024 * 1024, backlog
