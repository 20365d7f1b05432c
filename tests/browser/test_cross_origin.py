"""A frontend on another origin: allowed through the CORS list, refused off it.

Two pages on their own loopback ports (two origins) run the same script: a
``fetch`` query and a ``graphql-transport-ws`` subscription, with the key in
``connection_init`` as a browser must send it. The gateway lists one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.conftest import ALICE, global_id, seeded, start_gateway
from tests.servers import ServerProcess, free_port

from .conftest import NetworkLog
from .servers import serve_in_thread

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><meta charset="utf-8"><title>frontend</title>
<script>
async function query(gateway, key) {
  try {
    const response = await fetch(gateway + "/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: key },
      body: JSON.stringify({ query: "{ sessions(first: 1) { totalCount } }" }),
    });
    return (await response.json()).data.sessions.totalCount;
  } catch (error) {
    return "blocked";  // a CORS refusal is a TypeError with no detail, by design
  }
}

function subscribe(gateway, key, id) {
  return new Promise((resolve) => {
    const ws = new WebSocket(gateway.replace("http", "ws") + "/graphql", "graphql-transport-ws");
    const init = { type: "connection_init", payload: { Authorization: key } };
    ws.onopen = () => ws.send(JSON.stringify(init));
    ws.onmessage = ({ data }) => {
      const message = JSON.parse(data);
      if (message.type === "connection_ack") {
        const query = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }";
        const payload = { query, variables: { id } };
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload }));
      } else if (message.type === "next") {
        resolve("event " + message.payload.data.analyzedVideo.status);
        ws.close();
      }
    };
    ws.onerror = () => resolve("refused");
  });
}

window.check = async ([gateway, key, id]) =>
  ({ query: await query(gateway, key), subscription: await subscribe(gateway, key, id) });
</script>"""


@pytest.fixture
def pages() -> Iterator[tuple[str, str]]:
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))])
    with serve_in_thread(app) as allowed, serve_in_thread(app) as other:
        yield allowed, other


@pytest.fixture
def cors_gateway(
    sandbox_server: ServerProcess, logs_dir: Path, pages: tuple[str, str]
) -> Iterator[ServerProcess]:
    allowed, _ = pages
    server = start_gateway(
        sandbox_server.url,
        logs_dir / f"gateway-cross-origin-{free_port()}.log",
        "--cors-origins",
        allowed,
    )
    yield server
    server.stop()


def test_listed_origin_queries_and_subscribes_other_is_refused(
    browser_page: tuple[Any, NetworkLog], pages: tuple[str, str], cors_gateway: ServerProcess
) -> None:
    page, log = browser_page
    allowed, other = pages
    session = global_id(seeded("alice", video="ready")[0])
    args = [cors_gateway.url, ALICE, session]

    page.goto(allowed + "/")
    seen = page.evaluate("check", args)
    # Alice's session count (other tests may add to or delete from the shared sandbox)
    assert isinstance(seen["query"], int) and seen["query"] > 0
    assert seen["subscription"] == "event READY"

    page.goto(other + "/")
    assert page.evaluate("check", args) == {"query": "blocked", "subscription": "refused"}
    assert "Rejected WebSocket connection from origin" in cors_gateway.log()
    assert log.off_loopback == []
