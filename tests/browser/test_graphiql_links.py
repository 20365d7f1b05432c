"""Shareable links: /graphql?query=...&variables=... opens GraphiQL with them in a browser.

Anything that isn't a browser (no ``text/html`` ranked above JSON) keeps
getting the operation's result from the same URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from gateway.sandbox import seed_sessions
from tests.servers import HTTP

from .conftest import NetworkLog, SandboxGateway
from .test_graphiql import editor_text, open_graphiql_at, wait_for_response

pytestmark = pytest.mark.browser

QUERY = "query Shared($first: Int) { sessions(first: $first) { totalCount } }"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def shared_link(base: str) -> str:
    return f"{base}/graphql?" + urlencode({"query": QUERY, "variables": '{"first": 2}'})


def test_link_is_html_for_browsers_json_for_the_rest(sandbox_gateway: SandboxGateway) -> None:
    link = shared_link(sandbox_gateway.url)
    page = HTTP.get(link, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for accept in ("*/*", "application/json", "application/graphql-response+json"):
        result = HTTP.get(
            link, headers={"Accept": accept, "Authorization": "API-KEY alice-demo-key"}
        )
        assert result.json()["data"]["sessions"]["totalCount"] == len(seed_sessions("alice"))


def test_browser_opens_the_shared_operation(
    sandbox_gateway: SandboxGateway, browser_page: tuple[Any, NetworkLog]
) -> None:
    page, log = browser_page
    errors = open_graphiql_at(page, shared_link(sandbox_gateway.url))
    assert editor_text(page, ".graphiql-query-editor") == QUERY
    assert '"first": 2' in editor_text(page, ".graphiql-editor-tool .graphiql-editor")
    page.locator(".graphiql-execute-button").click()
    wait_for_response(page, r'"totalCount": \d+')
    assert errors == [] and log.off_loopback == []
