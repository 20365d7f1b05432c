"""The example pages are served from package data, each under its policy, and a
missing file's 404 names no path."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gateway.http.examples import (
    EXAMPLE_PAGES,
    EXAMPLES_DIR,
    SESSION_PAGE_CSP,
    SHARED_PATH,
    ExamplePage,
    example_routes,
)
from gateway.http.graphiql import CONTENT_SECURITY_POLICY

REPO = str(Path(__file__).resolve().parents[2])


def _client(static_dir: Path) -> httpx.AsyncClient:
    app = Starlette(routes=example_routes(static_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.name)
async def test_each_page_is_package_data_under_its_policy(page: ExamplePage) -> None:
    assert EXAMPLES_DIR.name == "static" and EXAMPLES_DIR.parent.name == "gateway"
    async with _client(EXAMPLES_DIR) as client:
        for suffix in ("", "/", f"/{page.name}.js", f"/{page.name}.css"):
            response = await client.get(page.path + suffix)
            assert response.status_code == 200, suffix
            assert response.headers["content-security-policy"] == page.csp


def test_only_the_session_page_may_play_media_from_elsewhere() -> None:
    policies = {page.name: page.csp for page in EXAMPLE_PAGES}
    assert policies == {"dashboard": CONTENT_SECURITY_POLICY, "session": SESSION_PAGE_CSP}
    assert "media-src 'self' https:;" in SESSION_PAGE_CSP
    # everything else stays as strict as GraphiQL's
    assert SESSION_PAGE_CSP.replace(" media-src 'self' https:;", "") == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in SESSION_PAGE_CSP


async def test_a_missing_file_is_a_404_without_a_filesystem_path(tmp_path: Path) -> None:
    async with _client(tmp_path) as client:
        response = await client.get("/examples/dashboard/dashboard.js")
    assert response.status_code == 404
    assert response.json() == {"error": "/examples/dashboard/dashboard.js not found"}
    assert str(tmp_path) not in response.text
    assert REPO not in response.text


async def test_the_pages_shared_modules_and_nothing_else(tmp_path: Path) -> None:
    async with _client(EXAMPLES_DIR) as client:
        response = await client.get(f"{SHARED_PATH}/demo-key.js")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert "export async function initialKey" in response.text
        for name in ("..%2Fsession%2Fsession.js", "demo-key.css", "nope.js", "Demo-Key.js"):
            refused = await client.get(f"{SHARED_PATH}/{name}")
            assert refused.status_code == 404, name
            assert str(EXAMPLES_DIR) not in refused.text
