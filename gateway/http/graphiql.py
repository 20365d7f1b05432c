"""Self-hosted GraphiQL: the page, its JSON config and its static assets.

Strawberry's built-in GraphiQL page loads React and GraphiQL from a public CDN,
so behind a firewall, offline, or under a strict Content-Security-Policy it
never leaves "Loading...". This module serves GraphiQL from the gateway itself:

* the page (``graphiql_page_response``) is a small HTML document with no inline
  script or style that loads ``/static/graphiql/graphiql.js`` and
  ``/static/graphiql/graphiql.css``;
* the bundle (React, GraphiQL 3 with its CodeMirror 5 editors, graphql-ws,
  the explorer plugin) is built at install time from ``web/graphiql`` into
  ``gateway/static/graphiql`` by ``make graphiql-assets``;
* its settings (endpoint, default headers, example tabs) come from
  ``/graphiql/config.json``, so the page needs no inline script.

Wiring (the app decides when a request is a browser asking for the IDE)::

    from gateway.http.graphiql import graphiql_page_response, graphiql_routes

    class GatewayGraphQL(strawberry.asgi.GraphQL):
        async def render_graphql_ide(self, request: Request) -> Response:
            return graphiql_page_response(request)

    routes = [*graphiql_routes(sandbox=True, demo_key="alice-demo-key"), ...]

This module imports nothing from strawberry.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = [
    "CONFIG_PATH",
    "CONTENT_SECURITY_POLICY",
    "DEFAULT_EXAMPLES",
    "STATIC_DIR",
    "STATIC_PATH",
    "Demo",
    "ExampleOperation",
    "assets_built",
    "default_examples",
    "graphiql_config",
    "graphiql_page_html",
    "graphiql_page_response",
    "graphiql_routes",
    "security_headers",
]

STATIC_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "static" / "graphiql"
"""Where ``make graphiql-assets`` writes the bundle (gitignored)."""

STATIC_PATH: Final[str] = "/static/graphiql"
CONFIG_PATH: Final[str] = "/graphiql/config.json"
GRAPHQL_PATH: Final[str] = "/graphql"

ENTRY_SCRIPT: Final[str] = "graphiql.js"
ENTRY_STYLESHEET: Final[str] = "graphiql.css"

CONTENT_SECURITY_POLICY: Final[str] = (
    "default-src 'self'; base-uri 'self'; object-src 'none'; "
    "frame-ancestors 'self'; form-action 'self'"
)
"""Sent with the GraphiQL and example pages: everything from the page's own origin.

Scripts, stylesheets, fonts, images, fetch and the WebSocket all come from the
gateway itself (under CSP Level 3 ``'self'`` also matches ``ws:``/``wss:`` to
the same host and port), and there is no ``'unsafe-inline'`` for scripts or
styles. That is why the page runs GraphiQL 3: its CodeMirror 5 editors style
themselves through the CSSOM (``el.style``), which CSP allows, where GraphiQL
5's Monaco writes ``style="..."`` attributes and ``<style>`` elements, which it
forbids. The two bundled packages that still did so are patched at build time
(``web/graphiql/vite.config.js``), and the browser tests assert that no CSP
violation happens.
"""

BUILD_HINT: Final[str] = "make graphiql-assets"


@dataclass(frozen=True, slots=True)
class ExampleOperation:
    """One tab preloaded into GraphiQL in sandbox mode."""

    query: str
    variables: dict[str, Any] | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        tab: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            tab["variables"] = self.variables
        return tab


SESSION_PAGE_QUERY: Final[str] = """\
# The demo user's sessions, newest first (the demo key is in the Headers tab).
# Copy a few `id`s into the variables of the Dashboard tab to watch them live.
# Each session drawn (summary, charts of its export, live video status):
#   /examples/session?id=<id>      All of them, live: /examples/dashboard
query SessionPage($first: Int = 20, $after: String) {
  sessions(first: $first, after: $after) {
    edges {
      node {
        id
        sessionId
        activity
        title
        createdAt
        analyzedVideo {
          status
          url
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

DASHBOARD_SUBSCRIPTION: Final[str] = """\
# Live status of analyzed videos over graphql-transport-ws. The WebSocket's
# connection_init payload is the Headers tab (so the same Authorization works).
# Emits each video's current status at once, then every change.
subscription Dashboard($ids: [ID!]!) {
  analyzedVideos(ids: $ids) {
    id
    sessionId
    status
    url
  }
}
"""

DEFAULT_EXAMPLES: Final[tuple[ExampleOperation, ...]] = (
    ExampleOperation(SESSION_PAGE_QUERY, {"first": 20}),
    ExampleOperation(DASHBOARD_SUBSCRIPTION, {"ids": ["<id from SessionPage>"]}),
)
"""The sandbox tabs; ``graphiql_config`` fills in the demo user's real session ids."""


@dataclass(frozen=True, slots=True)
class Demo:
    """The sandbox's demo user, as the entry point that runs the sandbox knows it:
    its key (GraphiQL's default ``Authorization``) and the global ids of its
    newest sessions (what the Dashboard tab watches)."""

    key: str
    session_ids: tuple[str, ...] = ()


def default_examples(demo: Demo | None) -> tuple[ExampleOperation, ...]:
    """``DEFAULT_EXAMPLES``, with the Dashboard tab watching the demo user's newest sessions."""
    if demo is None or not demo.session_ids:
        return DEFAULT_EXAMPLES
    ids = list(demo.session_ids)
    return (DEFAULT_EXAMPLES[0], ExampleOperation(DASHBOARD_SUBSCRIPTION, {"ids": ids}))


def assets_built(static_dir: Path = STATIC_DIR) -> bool:
    """True once ``make graphiql-assets`` has produced the page's script and stylesheet."""
    return (static_dir / ENTRY_SCRIPT).is_file() and (static_dir / ENTRY_STYLESHEET).is_file()


def security_headers(csp: str = CONTENT_SECURITY_POLICY) -> dict[str, str]:
    """Headers for the HTML pages served here (CSP and friends)."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def graphiql_page_html(
    *,
    static_path: str = STATIC_PATH,
    config_path: str = CONFIG_PATH,
    title: str = "Session gateway · GraphiQL",
    static_dir: Path = STATIC_DIR,
) -> str:
    """The GraphiQL page: markup only, no inline script or style."""
    esc = html.escape
    if not assets_built(static_dir):
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
</head>
<body>
<main id="graphiql-missing">
<h1>GraphiQL assets are not built</h1>
<p>This gateway serves GraphiQL from its own files (no CDN), and they have not
been built yet. From the repository root run:</p>
<pre><code>{esc(BUILD_HINT)}</code></pre>
<p>(<code>make run</code> and <code>make test</code> do this for you.) It needs
Node.js 20+ and npm with access to the npm registry, and writes the bundle to
<code>gateway/static/graphiql/</code>. Then reload this page.</p>
<p>The GraphQL endpoint itself works without them: POST queries to it, or open
a WebSocket with the <code>graphql-transport-ws</code> subprotocol.</p>
</main>
</body>
</html>
"""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{esc(title)}</title>
<link rel="icon" href="{esc(static_path)}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{esc(static_path)}/{ENTRY_STYLESHEET}">
<script type="module" src="{esc(static_path)}/{ENTRY_SCRIPT}"></script>
</head>
<body>
<div id="graphiql" data-config-url="{esc(config_path)}">
<p class="sg-graphiql-loading">Loading GraphiQL&hellip;</p>
</div>
</body>
</html>
"""


def graphiql_page_response(
    request: Request | None = None,
    *,
    static_path: str = STATIC_PATH,
    config_path: str = CONFIG_PATH,
    static_dir: Path = STATIC_DIR,
) -> HTMLResponse:
    """The GraphiQL page with its CSP; 503 with build instructions if the assets are missing.

    ``request`` is accepted (and unused) so that this can be returned straight from
    ``strawberry.asgi.GraphQL.render_graphql_ide``.
    """
    del request
    body = graphiql_page_html(
        static_path=static_path, config_path=config_path, static_dir=static_dir
    )
    status = 200 if assets_built(static_dir) else 503
    return HTMLResponse(body, status_code=status, headers=security_headers())


def graphiql_config(
    *,
    sandbox: bool,
    demo: Demo | None,
    examples: Sequence[ExampleOperation] | None = None,
) -> dict[str, Any]:
    """What the bundled script reads from ``/graphiql/config.json``.

    Only in sandbox mode does it carry the demo key (as the default
    ``Authorization`` header) and the example tabs.
    """
    headers: dict[str, str] = {}
    tabs: list[dict[str, Any]] = []
    if sandbox:
        if demo is not None:
            headers["Authorization"] = f"API-KEY {demo.key}"
        chosen = default_examples(demo) if examples is None else examples
        tabs = [tab.as_json() for tab in chosen]
    return {
        "graphqlUrl": GRAPHQL_PATH,
        "subscriptionUrl": GRAPHQL_PATH,
        "subscriptionProtocol": "graphql-transport-ws",
        "sandbox": sandbox,
        "headers": headers,
        "tabs": tabs,
    }


def graphiql_routes(
    *,
    sandbox: bool,
    demo: Demo | None,
    examples: Sequence[ExampleOperation] | None = None,
) -> list[BaseRoute]:
    """Routes to add to the app, ahead of the GraphQL endpoint.

    * ``GET /graphiql/config.json`` -- the page's settings (see ``graphiql_config``);
    * ``GET /graphiql`` -- the page itself (also what ``/graphql`` shows a browser);
    * ``/static/graphiql/...`` -- the built bundle;
    """
    config = graphiql_config(sandbox=sandbox, demo=demo, examples=examples)
    config_body = json.dumps(config).encode()

    async def config_endpoint(request: Request) -> Response:
        return Response(
            config_body,
            media_type="application/json",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    async def page_endpoint(request: Request) -> Response:
        return graphiql_page_response(request)

    routes: list[BaseRoute] = [
        Route(CONFIG_PATH, config_endpoint, methods=["GET"], name="graphiql-config"),
        Route("/graphiql", page_endpoint, methods=["GET"], name="graphiql"),
        Mount(
            STATIC_PATH,
            app=StaticFiles(directory=STATIC_DIR, check_dir=False),
            name="graphiql-static",
        ),
    ]
    return routes
