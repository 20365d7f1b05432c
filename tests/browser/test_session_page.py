"""The session page (``/examples/session``) against the real gateway in sandbox mode.

The summary comes before the deferred export, the charts hold the export's
points and the frame range narrows them, a session turning READY shows on the
page without a reload, each error a user can meet is a sentence on the page
(not a blank chart), and no request leaves the origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.http.examples import SESSION_PAGE_CSP
from gateway.sandbox import DEMO_KEYS, seed_sessions
from gateway.sandbox.data import SessionRecord
from tests.docs_images import publish_or_compare
from tests.ids import global_id_of
from tests.servers import HTTP, SandboxControl

from .conftest import NetworkLog, SandboxGateway, running_sandbox_gateway
from .test_graphiql import RECORD_CSP_VIOLATIONS, csp_violations

pytestmark = pytest.mark.browser

ALICE, BOB = DEMO_KEYS["alice"], DEMO_KEYS["bob"]


def global_id(record: SessionRecord) -> str:
    return global_id_of(record.activity.name.lower(), record.session_id)


def export_of(gateway_url: str, session_id: str, frames: dict[str, int] | None = None) -> Any:
    """What the gateway answers for the export: the figures the charts must hold."""
    query = """query($id: ID!, $frames: FrameRangeInput) { session(id: $id) { export {
      timestamps(frames: $frames) angles(frames: $frames) { name } } } }"""
    body = HTTP.post(
        f"{gateway_url}/graphql",
        json={"query": query, "variables": {"id": session_id, "frames": frames}},
        headers={"Authorization": f"API-KEY {ALICE}"},
    ).json()
    assert "errors" not in body, body
    return body["data"]["session"]["export"]


def open_page(page: Any, url: str) -> list[str]:
    """Opens the page, recording CSP violations and page errors from the first byte on."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == SESSION_PAGE_CSP
    return errors


def attr(page: Any, selector: str, name: str) -> str:
    return str(page.get_attribute(selector, name))


def off_origin(log: NetworkLog, base: str) -> list[str]:
    """Every request and WebSocket the page made that did not go to the gateway itself."""
    socket = base.replace("http://", "ws://", 1)
    return [
        url
        for url in [*log.requests, *log.websockets]
        if not (url.startswith((f"{base}/", f"{socket}/")) or url.startswith(("data:", "blob:")))
    ]


# What the page showed at the moment its summary appeared, recorded in the page
# itself (no race with the test reading it afterwards).
RECORD_AT_SUMMARY = """
new MutationObserver((changes, observer) => {
  if (document.body && document.body.dataset.summary === 'shown' && !window.__atSummary) {
    window.__atSummary = {
      exportState: document.querySelector('#export').dataset.state,
      points: document.querySelector('#angles-chart').dataset.points,
      title: document.querySelector('#title').textContent,
    };
    observer.disconnect();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-summary'] });
"""


def test_summary_first_then_the_charts_and_a_narrower_frame_range(
    sandbox_gateway: SandboxGateway,
    browser_page: tuple[Any, NetworkLog],
    tmp_path: Path,
) -> None:
    page, log = browser_page
    control = sandbox_gateway.control
    session = seed_sessions("alice")[0]  # a running session: 8 angles
    session_id = global_id(session)
    control.set_video(session.session_id, "ready")
    # The export is slow upstream: the page must not wait for it to show the summary.
    control.configure(route_latency_ms={"/export/": 2500})
    try:
        page.add_init_script(RECORD_AT_SUMMARY)
        errors = open_page(page, f"{sandbox_gateway.url}/examples/session?id={session_id}")
        page.wait_for_selector('body[data-summary="shown"]', timeout=20_000)
        # The summary was on the page while the deferred export was still on its way.
        at_summary = page.evaluate("window.__atSummary")
        assert at_summary == {"exportState": "loading", "points": "0", "title": session.title}
        assert page.locator("#metrics [data-metric]").count() > 0
        page.wait_for_selector('#export[data-state="loaded"]', timeout=20_000)
    finally:
        control.configure(route_latency_ms=None)

    # The charts hold every point of the export, one series per angle.
    export = export_of(sandbox_gateway.url, session_id)
    frames = len(export["timestamps"])
    assert frames > 100
    assert attr(page, "#angles-chart", "data-points") == str(frames)
    angles = [a["name"] for a in export["angles"]]
    assert attr(page, "#angles-chart", "data-series").split(",") == angles
    assert attr(page, "#keypoints-chart", "data-series") == "lhipy,lkney,lanky"
    assert page.locator("#angles-chart canvas").count() == 1
    whole = int(attr(page, "#export", "data-bytes"))
    # docs/session-page.png: the page as it is now (``make docs-images`` retakes it).
    page.screenshot(path=str(tmp_path / "session-page.png"), full_page=True)
    publish_or_compare(tmp_path / "session-page.png", "session-page.png")

    # The frame range re-queries with `frames:`: only the slice crosses the wire.
    page.fill("#frame-start", "40")
    page.fill("#frame-end", "100")
    page.click("#frames button[type=submit]")
    page.wait_for_selector('#angles-chart[data-points="60"]', timeout=20_000)
    assert attr(page, "#keypoints-chart", "data-points") == "60"
    sliced = int(attr(page, "#export", "data-bytes"))
    assert sliced < whole / 3, (sliced, whole)
    assert (
        len(export_of(sandbox_gateway.url, session_id, {"start": 40, "end": 100})["timestamps"])
        == 60
    )

    # Another keypoint: asked for by name, drawn with the same 60 frames.
    page.check('#keypoint-picker input[value="rhipy"]')
    page.wait_for_selector('#keypoints-chart[data-series*="rhipy"]', timeout=20_000)
    drawn = set(attr(page, "#keypoints-chart", "data-series").split(","))
    assert drawn == {"lhipy", "lkney", "lanky", "rhipy"}, drawn
    assert attr(page, "#keypoints-chart", "data-points") == "60"
    # And back to all of them.
    page.click("#frames-all")
    page.wait_for_selector(f'#angles-chart[data-points="{frames}"]', timeout=20_000)

    assert page.locator("#message").is_hidden()
    assert csp_violations(page, errors) == []
    assert errors == []
    assert off_origin(log, sandbox_gateway.url) == []


def test_a_session_turning_ready_updates_the_page_without_a_reload(
    sandbox_gateway: SandboxGateway, browser_page: tuple[Any, NetworkLog]
) -> None:
    page, log = browser_page
    control = sandbox_gateway.control
    session = seed_sessions("alice")[1]
    control.set_video(session.session_id, "processing")
    errors = open_page(page, f"{sandbox_gateway.url}/examples/session?id={global_id(session)}")
    page.wait_for_selector('#video-status[data-status="PROCESSING"]', timeout=20_000)
    page.wait_for_selector('#export[data-state="loaded"]', timeout=20_000)
    assert page.locator("#video-slot video").count() == 0
    page.evaluate("window.__samePage = true")

    control.set_video(session.session_id, "ready")
    page.wait_for_selector('#video-status[data-status="READY"]', timeout=30_000)
    video = page.locator("#video-slot video")
    assert video.count() == 1
    assert video.get_attribute("src") == (
        f"https://storage.sandbox.invalid/analyzed_videos/{session.session_id}/analyzed_video.mp4"
    )
    # The same document (no reload), its charts still there.
    assert page.evaluate("window.__samePage") is True
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert attr(page, "#angles-chart", "data-points") != "0"
    assert any(u.startswith("ws://127.0.0.1:") for u in log.websockets)
    # preload="none": the player fetched nothing from the video's host.
    assert off_origin(log, sandbox_gateway.url) == []
    assert csp_violations(page, errors) == []
    assert errors == []


@pytest.fixture(scope="module")
def limited_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxGateway]:
    """A gateway of its own (its circuit breakers and buckets are this test's): each key
    may spend 6 upstream calls, refilled at one call in 1,000 s."""
    limits = {"GATEWAY_RATE_LIMIT_CALLS_PER_SECOND": "0.001", "GATEWAY_RATE_LIMIT_BURST": "6"}
    logs = tmp_path_factory.mktemp("session-page-logs")
    with running_sandbox_gateway(logs, limits) as gateway:
        yield gateway


def test_each_error_is_a_sentence_on_the_page_not_a_blank_chart(
    limited_gateway: SandboxGateway, browser_page: tuple[Any, NetworkLog]
) -> None:
    page, log = browser_page
    base = f"{limited_gateway.url}/examples/session"
    alices, bobs = seed_sessions("alice"), seed_sessions("bob")

    errors: list[str] = []

    def shown(url: str | None, code: str) -> str:
        if url is not None:
            errors.extend(open_page(page, url))
        page.wait_for_selector(f'#message[data-code="{code}"]', timeout=30_000)
        assert page.locator("#summary").is_hidden()
        assert page.locator("#export").is_hidden()
        assert page.locator("canvas").count() == 0
        return page.inner_text("#message")

    text = shown(f"{base}?id={global_id(alices[0])}#key=not-a-key", "UNAUTHENTICATED")
    assert text == "This API key was not accepted. Check the key and load again."
    assert "not-a-key" not in text

    unknown = global_id_of("running", "0" * 32)
    text = shown(f"{base}?id={unknown}#key={BOB}", "NOT_FOUND")
    assert text == "There is no session with this id for this API key."

    # Bob's bucket: he reloads his own session until the gateway refuses him.
    errors.extend(open_page(page, f"{base}?id={global_id(bobs[0])}#key={BOB}"))
    for _ in range(8):
        page.wait_for_selector(
            'body[data-state="loaded"], body[data-state="error"]', timeout=30_000
        )
        if page.get_attribute("#message", "data-code") == "RATE_LIMITED":
            break
        page.evaluate("document.body.dataset.state = 'reloading'")
        page.click("#connect button[type=submit]")
    text = shown(None, "RATE_LIMITED")
    assert text.startswith("Too many requests for this API key: try again in "), text
    assert text.endswith(" s."), text

    # The upstream down (every call answered 503): Alice's bucket is still full.
    SandboxControl(limited_gateway.control.url).configure(fail_rate={"rate": 1.0, "status": 503})
    try:
        text = shown(f"{base}?id={global_id(alices[0])}#key={ALICE}", "UPSTREAM_UNAVAILABLE")
    finally:
        limited_gateway.control.configure(fail_rate=None)
    assert text.startswith("The analysis service is not answering right now."), text
    # The refusals' statuses are in the console; nothing else went wrong.
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    assert off_origin(log, limited_gateway.url) == []
    # The key came in the address's fragment, and left it once read.
    assert "key=" not in page.url
