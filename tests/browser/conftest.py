"""Fixtures for the headless-Chromium tests (marker ``browser``).

Chromium is Debian's (``/usr/bin/chromium``, installed by ``mk/chromium.mk``);
Playwright's own browser download is not used. Pages get no route out: any
request that does not go to loopback is recorded, aborted and reported in the
terminal summary, and the tests assert there were none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.http.graphiql import STATIC_DIR, assets_built
from gateway.sandbox import DEMO_KEYS
from tests.conftest import CONTRACT_CHECKED
from tests.docs_images import DOCS, regenerating
from tests.servers import HTTP, SandboxControl, ServerProcess, free_port

from .servers import is_loopback_url

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALICE = DEMO_KEYS["alice"]
REPO = Path(__file__).resolve().parents[2]


@dataclass
class NetworkLog:
    """Every request (and WebSocket) a page made, split by where it went."""

    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    @property
    def off_loopback(self) -> list[str]:
        return [u for u in [*self.requests, *self.websockets] if not is_loopback_url(u)]


_LOGS: dict[str, NetworkLog] = {}


def _missing(reason: str) -> None:
    # In CI the make targets install Chromium and build the assets first, so a
    # missing piece there is a failure, not a reason to skip quietly.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A fresh headless Chromium (new empty profile) for one test.

    Function-scoped on purpose: between its sync calls Playwright's sync API
    marks its own event loop as the thread's running loop, so a browser kept
    for the whole session would break every asyncio test that runs after it.
    """
    if not Path(CHROMIUM).is_file():
        _missing(f"{CHROMIUM} not found: run `make chromium` (apt-get install chromium)")
    if not assets_built():
        _missing(f"GraphiQL assets missing in {STATIC_DIR}: run `make graphiql-assets`")
    from playwright.sync_api import sync_playwright

    user_data = tempfile.mkdtemp(prefix="sg-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            service_workers="block",
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(user_data, ignore_errors=True)


@pytest.fixture
def browser_page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, NetworkLog]]:
    """A fresh tab whose every request is logged; non-loopback ones are aborted."""
    log = NetworkLog()
    _LOGS[request.node.nodeid] = log
    page = chromium.new_page()
    page.on("request", lambda req: log.requests.append(req.url))
    page.on("websocket", lambda ws: log.websockets.append(ws.url))

    def guard(route: Any) -> None:
        if is_loopback_url(route.request.url):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route("**/*", guard)
    try:
        yield page, log
    finally:
        page.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/ under ``make docs-images`` (SCREENSHOTS=1), else a throwaway folder."""
    if regenerating():
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path


class SandboxGateway:
    """The real gateway in sandbox mode (``serve --sandbox``) on loopback ports."""

    def __init__(self, gateway: ServerProcess, sandbox_url: str) -> None:
        self.url = gateway.url
        self.process = gateway
        self.control = SandboxControl(sandbox_url)

    def subscription_fields(self) -> set[str]:
        body = HTTP.post(
            f"{self.url}/graphql",
            json={"query": "{ __schema { subscriptionType { fields { name } } } }"},
            headers={"Authorization": f"API-KEY {ALICE}"},
        ).json()
        # An introspection error is a broken gateway: fail, never read it as "no fields".
        assert "errors" not in body, body
        kind = body["data"]["__schema"]["subscriptionType"]
        assert kind is not None, "the schema has no Subscription type"
        return {f["name"] for f in kind["fields"]}


@contextlib.contextmanager
def running_sandbox_gateway(
    logs: Path, env: dict[str, str] | None = None
) -> Iterator[SandboxGateway]:
    """``serve --sandbox`` on free loopback ports; its videos flip only when a test
    says so (SandboxControl.set_video); ``env`` adds settings."""
    port, sandbox_port = free_port(), free_port()
    server = ServerProcess(
        ["serve", "--sandbox", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        port=port,
        log_path=logs / "gateway.log",
        ready_path="/healthz",
        env={
            "GATEWAY_SANDBOX_PROCESSING_DELAY": "3600",
            "GATEWAY_SANDBOX_VALIDATE_CONTRACT": "1",
            **(env or {}),
        },
    ).start()
    # Its answers are checked against the contract after each test, like every sandbox's.
    CONTRACT_CHECKED.append(f"http://127.0.0.1:{sandbox_port}")
    try:
        yield SandboxGateway(server, f"http://127.0.0.1:{sandbox_port}")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sandbox_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxGateway]:
    with running_sandbox_gateway(tmp_path_factory.mktemp("browser-logs")) as gateway:
        yield gateway


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _LOGS:
        return
    terminalreporter.section("browser network")
    total = 0
    for nodeid, log in _LOGS.items():
        off = log.off_loopback
        total += len(off)
        terminalreporter.write_line(
            f"{nodeid}: {len(log.requests)} requests, {len(log.websockets)} websockets, "
            f"{len(off)} left loopback"
        )
        for url in off:
            terminalreporter.write_line(f"    off loopback: {url}")
    terminalreporter.write_line(f"requests that left loopback: {total}")
