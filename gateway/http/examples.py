"""The example pages served in sandbox mode: the dashboard and the session page.

Each is a folder of package data under ``gateway/static/`` (``index.html``, a
script and a stylesheet named after it), served at ``/examples/<name>`` under a
Content-Security-Policy with no ``'unsafe-inline'``. Their libraries (the
graphql-ws client, uPlot) come from the gateway's own bundle,
``/static/graphiql/`` (``web/graphiql``), so nothing is loaded from elsewhere.

* ``/examples/dashboard``: the caller's sessions, their videos' status live;
* ``/examples/session?id=<global id>``: one session drawn: its summary first,
  the export ``@defer``red and charted, a frame range that re-queries with
  ``frames:``, the video's status live and the video once it is ready.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.http.graphiql import CONTENT_SECURITY_POLICY, security_headers

__all__ = [
    "EXAMPLES_DIR",
    "EXAMPLE_PAGES",
    "SESSION_PAGE_CSP",
    "SHARED_PATH",
    "ExamplePage",
    "example_routes",
]

EXAMPLES_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "static"
"""Where the pages' folders are: package data, so an installed wheel serves them too."""

SESSION_PAGE_CSP: Final[str] = CONTENT_SECURITY_POLICY.replace(
    "default-src 'self';", "default-src 'self'; media-src 'self' https:;"
)
"""The session page's policy: GraphiQL's, and the analyzed video from where the upstream
keeps it. The upstream answers with a public ``https:`` URL on its own storage host,
which the gateway cannot know in advance; the player loads nothing until it is played
(``preload="none"``)."""


@dataclass(frozen=True, slots=True)
class ExamplePage:
    """One page: ``gateway/static/<name>/`` served at ``/examples/<name>``."""

    name: str
    csp: str = CONTENT_SECURITY_POLICY

    @property
    def path(self) -> str:
        return f"/examples/{self.name}"


EXAMPLE_PAGES: Final[tuple[ExamplePage, ...]] = (
    ExamplePage("dashboard"),
    ExamplePage("session", SESSION_PAGE_CSP),
)


SHARED_PATH: Final[str] = "/examples/shared"
"""The pages' shared modules (``gateway/static/shared/*.js``), e.g. ``demo-key.js``."""

_MODULE_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}\.js")


def example_routes(
    static_dir: Path = EXAMPLES_DIR, pages: tuple[ExamplePage, ...] = EXAMPLE_PAGES
) -> list[BaseRoute]:
    """For each page: ``/examples/<name>`` (and with a slash), ``<name>.js``, ``<name>.css``;
    and the modules they share, ``/examples/shared/<module>.js``."""
    routes: list[BaseRoute] = []
    for page in pages:
        routes.extend(_page_routes(static_dir / page.name, page))
    routes.append(_shared_modules(static_dir / "shared"))
    return routes


def _serve(path: Path, url: str, media_type: str, csp: str) -> Response:
    """A page's file, or a 404 that names the URL, never where the process looks on disk."""
    if not path.is_file():
        return JSONResponse({"error": f"{url} not found"}, status_code=404)
    return FileResponse(path, media_type=media_type, headers=security_headers(csp))


def _shared_modules(folder: Path) -> BaseRoute:
    async def module(request: Request) -> Response:
        name = str(request.path_params["name"])
        url = f"{SHARED_PATH}/{name}"
        if not _MODULE_NAME.fullmatch(name):
            return JSONResponse({"error": f"{url} not found"}, status_code=404)
        media_type = "text/javascript; charset=utf-8"
        return _serve(folder / name, url, media_type, CONTENT_SECURITY_POLICY)

    return Route(f"{SHARED_PATH}/{{name}}", module, methods=["GET"])


def _page_routes(folder: Path, page: ExamplePage) -> list[BaseRoute]:
    def serve(name: str, media_type: str) -> Response:
        return _serve(folder / name, f"{page.path}/{name}", media_type, page.csp)

    async def html(request: Request) -> Response:
        return serve("index.html", "text/html; charset=utf-8")

    async def script(request: Request) -> Response:
        return serve(f"{page.name}.js", "text/javascript; charset=utf-8")

    async def stylesheet(request: Request) -> Response:
        return serve(f"{page.name}.css", "text/css; charset=utf-8")

    return [
        Route(page.path, html, methods=["GET"], name=f"example-{page.name}"),
        Route(f"{page.path}/", html, methods=["GET"]),
        Route(f"{page.path}/{page.name}.js", script, methods=["GET"]),
        Route(f"{page.path}/{page.name}.css", stylesheet, methods=["GET"]),
    ]
