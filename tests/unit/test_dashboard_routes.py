"""The example dashboard is served from package data, and a missing file's 404 names no path."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from gateway.http.graphiql import DASHBOARD_DIR, DASHBOARD_PATH, example_routes

REPO = str(Path(__file__).resolve().parents[2])


def _client(dashboard_dir: Path) -> httpx.AsyncClient:
    app = Starlette(routes=example_routes(dashboard_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_dashboard_is_package_data() -> None:
    assert DASHBOARD_DIR.parent.name == "static" and DASHBOARD_DIR.parent.parent.name == "gateway"
    async with _client(DASHBOARD_DIR) as client:
        for suffix in ("", "/", "/dashboard.js", "/dashboard.css"):
            response = await client.get(DASHBOARD_PATH + suffix)
            assert response.status_code == 200, suffix
            assert "content-security-policy" in response.headers


async def test_a_missing_file_is_a_404_without_a_filesystem_path(tmp_path: Path) -> None:
    async with _client(tmp_path) as client:
        response = await client.get(f"{DASHBOARD_PATH}/dashboard.js")
    assert response.status_code == 404
    assert response.json() == {"error": "/examples/dashboard/dashboard.js not found"}
    assert str(tmp_path) not in response.text
    assert REPO not in response.text
