"""An idle keep-alive connection outlives the clients' own idle expiry.

httpx drops a pooled connection after 5 s idle, uvicorn (by default) closed
its side after 5 s too: a request sent just then met a closed connection.
The gateway keeps idle connections for GATEWAY_KEEP_ALIVE_TIMEOUT (75 s), so
the client always closes first.
"""

from __future__ import annotations

import socket
import time

from tests.servers import ServerProcess

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"


def _answer(conn: socket.socket) -> bytes:
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_a_connection_idle_longer_than_httpx_keeps_it_is_still_served(
    gateway_server: ServerProcess,
) -> None:
    host, port = "127.0.0.1", gateway_server.port
    with socket.create_connection((host, port)) as conn:
        conn.sendall(HEALTH)
        assert _answer(conn).startswith(b"HTTP/1.1 200")
        time.sleep(6.5)  # past uvicorn's own default of 5 s
        conn.sendall(HEALTH)
        again = _answer(conn)
    assert again.startswith(b"HTTP/1.1 200"), again
