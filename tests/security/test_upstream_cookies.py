"""The upstream's cookies never travel from one caller to another.

The gateway calls the upstream for every caller over one shared client. An
upstream built on Django may set a ``sessionid`` cookie on its answers, and
with session authentication ahead of the key (Django REST Framework's default
order) a request carrying that cookie is the cookie's user, whatever key it
sends. A shared cookie jar would then make Bob Alice. The sandbox's
``session_cookies`` knob answers that way; the gateway must send no cookie
at all.

The gateway here calls the upstream by a host name: aiohttp's own jar keeps
no cookie of an IP address, and would hide a jar that keeps them for a name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, BOB, start_gateway
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess

TITLES = {"query": "{ sessions(first: 50) { edges { node { id title } } } }"}


async def titles(http: httpx.AsyncClient, key: str) -> list[tuple[str, str]]:
    response = await http.post("/graphql", json=TITLES, headers={"Authorization": key})
    body = response.json()
    assert "errors" not in body, body
    return [(e["node"]["id"], e["node"]["title"]) for e in body["data"]["sessions"]["edges"]]


@pytest.fixture(scope="module")
def named_upstream_gateway(
    sandbox_server: ServerProcess, logs_dir: Path
) -> Iterator[ServerProcess]:
    upstream = sandbox_server.url.replace("127.0.0.1", "localhost")
    assert upstream != sandbox_server.url
    server = start_gateway(upstream, logs_dir / "gateway-cookies.log")
    yield server
    server.stop()


async def test_a_cookie_the_upstream_sets_for_alice_never_reaches_bobs_calls(
    named_upstream_gateway: ServerProcess, sandbox: SandboxControl
) -> None:
    async with httpx.AsyncClient(
        verify=SSL_CONTEXT, base_url=named_upstream_gateway.url, timeout=30
    ) as http:
        bobs = await titles(http, BOB)
        alices = await titles(http, ALICE)
        assert bobs and alices and set(bobs).isdisjoint(alices)
        sandbox.configure(session_cookies=True)
        sandbox.reset()
        # Alice's answers now set her session cookie; Bob's calls come after
        # hers, over the same connections.
        for _ in range(3):
            assert await titles(http, ALICE) == alices
            assert await titles(http, BOB) == bobs
    stats = sandbox.stats()
    assert stats["total"] == 6
    assert stats["with_cookies"] == 0
