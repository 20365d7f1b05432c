"""GraphiQL and the example dashboard against the real gateway (``serve --sandbox``).

The gateway runs as its own process, in sandbox mode, with the sandbox upstream
in the same process on another loopback port; Chromium reaches nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gateway.http.graphiql import CONTENT_SECURITY_POLICY
from gateway.sandbox import DEMO_KEYS, seed_sessions
from tests.servers import HTTP

from .conftest import NetworkLog, SandboxGateway
from .test_graphiql import (
    RECORD_CSP_VIOLATIONS,
    csp_violations,
    open_docs,
    open_explorer,
    open_graphiql,
    run_tab,
    wait_for_response,
)

pytestmark = pytest.mark.browser

ALICE = DEMO_KEYS["alice"]


def newest_session_id(gateway: SandboxGateway) -> str:
    """Alice's newest session, as the upstream lists it (the page shows it first)."""
    listing = HTTP.get(
        f"{gateway.control.url}/session-management/sessions/filter/",
        params={"limit": "1"},
        headers={"Authorization": f"API-KEY {ALICE}"},
    ).json()
    return str(next(iter(listing["sessions"])))


def test_real_app_serves_graphiql_offline(
    sandbox_gateway: SandboxGateway,
    browser_page: tuple[Any, NetworkLog],
    screenshot_dir: Path,
) -> None:
    config = HTTP.get(f"{sandbox_gateway.url}/graphiql/config.json").json()
    assert config["headers"] == {"Authorization": f"API-KEY {ALICE}"}

    page, log = browser_page
    errors = open_graphiql(page, sandbox_gateway.url)
    # the preloaded SessionPage tab runs with the demo key and lists Alice's sessions
    run_tab(page, 0, "SessionPage")
    newest = newest_session_id(sandbox_gateway)
    text = wait_for_response(page, r'"sessionId": "[^"]+"')
    assert '"edges"' in text and '"errors"' not in text, text
    # Alice's sessions, newest first, and nobody else's.
    shown = re.findall(r'"sessionId": "([^"]+)"', text)
    alices = {s.session_id for s in seed_sessions("alice")}
    assert shown and set(shown) <= alices, shown
    assert shown[0] == newest, (shown[0], newest)
    assert csp_violations(page, errors) == [], "loading the page, running a query"
    # docs/graphiql.png (``make docs-images``): the session page with its answer.
    page.screenshot(path=str(screenshot_dir / "graphiql.png"))

    # Never silently dropped: without the field the test fails here.
    assert "analyzedVideos" in sandbox_gateway.subscription_fields()
    # the preloaded Dashboard tab watches Alice's newest sessions over the WebSocket,
    # authenticated by the header editor's Authorization in connection_init
    run_tab(page, 1, "analyzedVideos")
    wait_for_response(page, r'"status": "(PROCESSING|READY|FAILED)"')
    assert any(u.startswith("ws://127.0.0.1:") for u in log.websockets)
    assert csp_violations(page, errors) == [], "running the subscription"
    page.locator(".graphiql-tab").nth(0).click()  # back to SessionPage, for the explorer
    open_docs(page, "Query", "sessions")
    open_explorer(page, "sessions")
    assert csp_violations(page, errors) == [], "opening the docs pane and the explorer"
    assert log.off_loopback == [], log.off_loopback


def test_dashboard_flips_to_ready_live(
    sandbox_gateway: SandboxGateway,
    browser_page: tuple[Any, NetworkLog],
    screenshot_dir: Path,
) -> None:
    assert "analyzedVideos" in sandbox_gateway.subscription_fields()
    page, log = browser_page
    control = sandbox_gateway.control

    sessions = seed_sessions("alice")[:20]
    watched = [s.session_id for s in sessions[:3]]
    for session_id in watched:
        control.set_video(session_id, "processing")

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    response = page.goto(f"{sandbox_gateway.url}/examples/dashboard")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_selector('body[data-state="loaded"]', timeout=20_000)
    page.wait_for_selector('#connection[data-state="live"]', timeout=20_000)

    def status_of(session_id: str) -> str:
        return str(page.get_attribute(f'tr[data-session-id="{session_id}"]', "data-status"))

    for session_id in watched:
        assert status_of(session_id) == "PROCESSING"
    for session_id in watched:
        control.set_video(session_id, "ready")
    # The event itself: each row's status attribute turning READY.
    for session_id in watched:
        page.wait_for_selector(
            f'tr[data-session-id="{session_id}"][data-status="READY"]', timeout=30_000
        )
    assert int(page.inner_text("#event-count")) >= len(watched)
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
    assert errors == []
    assert csp_violations(page, errors) == []
    assert log.off_loopback == [], log.off_loopback
    assert any(u.startswith("ws://127.0.0.1:") for u in log.websockets)
