"""GraphiQL served from the gateway's own assets, offline, under a strict CSP.

The policy is ``default-src 'self'`` with no ``'unsafe-inline'``: the tests
record every ``securitypolicyviolation`` event (and CSP console error) and
expect none while the page loads, runs a query and a subscription, and opens
the docs pane and the explorer.

Against a minimal Starlette app (the routes of gateway.http.graphiql plus a tiny
strawberry schema), and against the real app when gateway.http.app exists.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.types import Info

from gateway.http.graphiql import (
    CONTENT_SECURITY_POLICY,
    Demo,
    ExampleOperation,
    graphiql_page_response,
    graphiql_routes,
)
from tests.servers import HTTP

from .conftest import NetworkLog
from .servers import serve_in_thread

pytestmark = pytest.mark.browser

DEMO_KEY = "alice-demo-key"


@strawberry.type
class Tick:
    n: int
    auth: str | None


def _auth_of(info: Info[Any, None]) -> str | None:
    context = info.context
    params = context.get("connection_params") if isinstance(context, dict) else None
    if isinstance(params, dict):
        value = params.get("Authorization")
        return value if isinstance(value, str) else None
    request = context.get("request") if isinstance(context, dict) else None
    if isinstance(request, Request):
        return request.headers.get("authorization")
    return None


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info[Any, None]) -> str:
        return f"auth={_auth_of(info)}"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, info: Info[Any, None], count: int = 3) -> AsyncGenerator[Tick, None]:
        for n in range(1, count + 1):
            if n > 1:
                # The next tick only once the test saw this one in the page:
                # each event is watched arriving, whatever the machine's load.
                released = await asyncio.to_thread(NEXT_TICK.acquire, True, 30)
                assert released, "the test never asked for the next tick"
            yield Tick(n=n, auth=_auth_of(info))


# Released by the test, once per tick it has seen (a thread-safe count: the
# mini server runs in its own thread).
NEXT_TICK = threading.Semaphore(0)


MINI_EXAMPLES = (
    ExampleOperation("query Who {\n  whoami\n}\n"),
    ExampleOperation("subscription Ticks {\n  ticks(count: 3) {\n    n\n    auth\n  }\n}\n"),
)


class SelfHostedGraphQL(GraphQL[Any, None]):
    """Strawberry's ASGI app with its CDN GraphiQL page swapped for ours."""

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page_response(request)


def mini_app() -> Starlette:
    """Our routes + a strawberry endpoint at /graphql, the way the gateway wires them."""
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    graphql = SelfHostedGraphQL(schema)
    return Starlette(
        routes=[
            *graphiql_routes(sandbox=True, demo=Demo(DEMO_KEY), examples=MINI_EXAMPLES),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )


@pytest.fixture(scope="module")
def mini_server() -> Iterator[str]:
    with serve_in_thread(mini_app()) as base:
        yield base


# Runs before any of the page's scripts: keeps every CSP violation the page causes.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
    + (e.sample ? ` (${e.sample})` : ''));
});
"""


def csp_violations(page: Any, errors: list[str]) -> list[str]:
    """CSP violations seen so far: the page's events plus the console's CSP errors."""
    events: list[str] = page.evaluate("window.__cspViolations || []")
    console = [e for e in errors if "Content Security Policy" in e or "Refused" in e]
    return [*events, *console]


def editor_text(page: Any, selector: str) -> str:
    """The whole text of the CodeMirror editor in ``selector`` (not just its visible lines)."""
    locator = page.locator(f"{selector} .CodeMirror").first
    return str(locator.evaluate("el => el.CodeMirror.getValue()"))


def response_text(page: Any) -> str:
    return editor_text(page, ".graphiql-response")


def run_tab(page: Any, index: int, expect: str) -> None:
    """Switch to tab ``index``, wait until its editor shows ``expect``, run it."""
    page.locator(".graphiql-tab").nth(index).click()
    deadline = time.monotonic() + 10
    while expect not in editor_text(page, ".graphiql-query-editor"):
        assert time.monotonic() < deadline, f"tab {index} never showed {expect!r}"
        page.wait_for_timeout(50)
    page.wait_for_timeout(200)
    page.locator(".graphiql-execute-button").click()


def wait_for_response(page: Any, pattern: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = response_text(page)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"response pane never matched {pattern!r}; it shows:\n{text}")


def open_graphiql(page: Any, base: str) -> list[str]:
    """Open /graphql as a browser would; returns the console errors collected.

    CSP violations are recorded from the first byte on (see ``csp_violations``).
    """
    return open_graphiql_at(page, f"{base}/graphql")


def open_graphiql_at(page: Any, url: str) -> list[str]:
    """``open_graphiql`` for any URL that shows GraphiQL (a shared link, say)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    response = page.goto(url, wait_until="domcontentloaded")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector(".graphiql-container", timeout=30_000)
    page.wait_for_selector(".graphiql-query-editor .CodeMirror-line", timeout=30_000)
    return errors


def open_docs(page: Any, type_name: str, field_name: str) -> None:
    """Open the docs pane, then ``type_name`` in it; wait for ``field_name`` to be listed."""
    page.get_by_role("button", name=re.compile("Show Documentation Explorer")).click()
    docs = page.locator(".graphiql-doc-explorer")
    docs.wait_for(timeout=10_000)
    docs.locator(".graphiql-doc-explorer-type-name").get_by_text(
        type_name, exact=True
    ).first.click()
    docs.locator(".graphiql-doc-explorer-field-name", has_text=field_name).first.wait_for(
        timeout=10_000
    )


def open_explorer(page: Any, field_name: str) -> None:
    """Open the explorer plugin; wait for it to list ``field_name``."""
    page.get_by_role("button", name=re.compile("Show GraphiQL Explorer")).click()
    explorer = page.locator(".graphiql-plugin .docExplorerWrap")
    explorer.get_by_text(field_name, exact=True).first.wait_for(timeout=10_000)


def test_page_and_config_over_http(mini_server: str) -> None:
    html = HTTP.get(f"{mini_server}/graphql", headers={"accept": "text/html"})
    assert html.status_code == 200
    assert "<script>" not in html.text and "style=" not in html.text
    assert html.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self';")
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "style-src" not in CONTENT_SECURITY_POLICY
    config = HTTP.get(f"{mini_server}/graphiql/config.json").json()
    assert config["headers"] == {"Authorization": f"API-KEY {DEMO_KEY}"}
    assert len(config["tabs"]) == 2
    script = HTTP.get(f"{mini_server}/static/graphiql/graphiql.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    # a client that asks for JSON still reaches GraphQL
    answer = HTTP.get(f"{mini_server}/graphql", params={"query": "{ whoami }"})
    assert answer.json() == {"data": {"whoami": "auth=None"}}


def test_graphiql_offline_query_and_subscription(
    mini_server: str, browser_page: tuple[Any, NetworkLog]
) -> None:
    page, log = browser_page
    errors = open_graphiql(page, mini_server)
    page.wait_for_timeout(500)
    assert csp_violations(page, errors) == [], "loading the page"

    # the header editor starts with the demo key
    page.get_by_role("button", name="Headers", exact=True).click()
    page.locator(".graphiql-editor-tool .graphiql-editor:visible").wait_for(timeout=10_000)
    assert DEMO_KEY in editor_text(page, ".graphiql-editor-tool .graphiql-editor:visible")

    # tab 1: a query over HTTP, authenticated by the header editor's Authorization
    run_tab(page, 0, "whoami")
    wait_for_response(page, rf"auth=API-KEY {DEMO_KEY}")
    assert page.locator(".graphiql-response .CodeMirror-line", has_text="whoami").count() == 1
    assert csp_violations(page, errors) == [], "running a query"

    # the docs pane and the explorer plugin
    open_docs(page, "Query", "whoami")
    assert csp_violations(page, errors) == [], "opening the docs pane"
    open_explorer(page, "whoami")
    assert csp_violations(page, errors) == [], "opening the explorer"

    # tab 2: a subscription over graphql-transport-ws; the events arrive one by one
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    run_tab(page, 1, "ticks")
    seen: list[int] = []
    for n in (1, 2, 3):
        text = wait_for_response(page, rf'"n": {n}\b')
        seen.append(int(re.findall(r'"n": (\d+)', text)[0]))
        if n < 3:
            NEXT_TICK.release()
    assert seen == [1, 2, 3], seen
    text = wait_for_response(page, rf'"auth": "API-KEY {DEMO_KEY}"')
    assert '"n": 3' in text
    nexts = [json.loads(f) for f in frames if '"next"' in f]
    assert [m["payload"]["data"]["ticks"]["n"] for m in nexts] == [1, 2, 3]
    assert any(u.startswith("ws://127.0.0.1:") for u in log.websockets)
    assert page.locator(".graphiql-response .CodeMirror-line", has_text='"auth"').count() == 1
    assert csp_violations(page, errors) == [], "running a subscription"

    # a dialog (react-remove-scroll's styles) and CodeMirror's jump-to-line (Alt-G)
    page.get_by_role("button", name=re.compile("settings dialog")).click()
    page.locator(".graphiql-dialog").wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Alt+G")
    page.locator(".CodeMirror-dialog input").wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    assert csp_violations(page, errors) == [], "a dialog, jump to line"

    assert [e for e in errors if "Content Security Policy" not in e] == []
    assert log.off_loopback == [], log.off_loopback


def test_missing_assets_page_says_how_to_build(tmp_path: Any) -> None:
    response = graphiql_page_response(static_dir=tmp_path)
    assert response.status_code == 503
    assert b"make graphiql-assets" in response.body
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
