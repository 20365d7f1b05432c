"""Shared fixtures: a sandbox upstream and a gateway, real servers on loopback or,
for a test marked ``inprocess``, apps in this process (tests/inprocess.py).

``sandbox``, ``gateway_http`` and ``gql`` are the same fixtures either way: a
test (or a module, with ``pytestmark``) marked ``inprocess`` gets one pair of
apps per module, the others the servers. ``make check`` runs the ``inprocess``
tests, and everything under tests/unit/ and tests/sandbox/ is one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.sandbox import DEMO_KEYS, seed_sessions
from gateway.sandbox.data import SessionRecord
from tests.ids import ACTIVITY_PARTS, global_id_of
from tests.inprocess import Apps, running_apps
from tests.servers import (
    HTTP,
    SSL_CONTEXT,
    STARTS,
    SandboxControl,
    ServerProcess,
    all_ready,
    free_port,
)

# Under CI a skip fails the run (tests/ci_skips.py).
pytest_plugins = ["tests.ci_skips"]

ALICE = f"API-KEY {DEMO_KEYS['alice']}"
BOB = f"API-KEY {DEMO_KEYS['bob']}"

TESTS = Path(__file__).parent
# Folders whose every test runs in this process: no server, no socket.
IN_PROCESS_FOLDERS = (TESTS / "unit", TESTS / "sandbox")
# What starts a server: an ``inprocess`` test asking for one is a mistake.
SERVER_FIXTURES = frozenset({"sandbox_server", "gateway_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in IN_PROCESS_FOLDERS):
            item.add_marker(pytest.mark.inprocess)
        if item.get_closest_marker("inprocess") is not None:
            servers = SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            if servers:
                raise pytest.UsageError(f"{item.nodeid} is inprocess but asks for {servers}")
    # Playwright's sync API keeps an event loop running in this thread while
    # its browser is open, which pytest-asyncio's tests can't share: the
    # browser tests go last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


TEST_CREDENTIAL_SECRET = "test-secret-" + "0123456789abcdef" * 3

# Readiness watchers poll fast in tests, so events arrive within a second.
FAST_POLLING = {
    "GATEWAY_WATCH_START": "0.2",
    "GATEWAY_WATCH_FACTOR": "1.5",
    "GATEWAY_WATCH_CAP": "0.5",
    "GATEWAY_WATCH_LEASE_TTL": "2.0",
}


def _upload_request(key: str, activity: str) -> tuple[str, dict[str, Any]]:
    form = {"session_name": "subscription test"}
    if activity == "weightlifting":
        form["exercise_name"] = "snatch"
    video = ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024, "video/mp4")
    request = {"headers": {"Authorization": key}, "data": form, "files": {"video": video}}
    return f"/{activity}/sessions/", request


def upload(sandbox_url: str, key: str = ALICE, activity: str = "jumping") -> str:
    """Upload a tiny video straight to the sandbox (as another client would); its id."""
    path, request = _upload_request(key, activity)
    response = HTTP.post(f"{sandbox_url}{path}", **request)
    response.raise_for_status()
    session_id: str = response.json()["session_id"]
    return session_id


async def upload_to(sandbox: SandboxControl, key: str = ALICE, activity: str = "jumping") -> str:
    """:func:`upload`, to a sandbox server or app."""
    path, request = _upload_request(key, activity)
    async with sandbox.client() as http:
        response = await http.post(path, **request)
    response.raise_for_status()
    session_id: str = response.json()["session_id"]
    return session_id


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


def start_sandbox(
    log_path: Path, *extra: str, validate: bool = True, wait: bool = True
) -> ServerProcess:
    """A sandbox server; one that doesn't ``validate`` its answers is for tests that
    measure the gateway under large bodies (checking one costs more than building it).
    Without ``wait``, launched only: see tests.servers.all_ready."""
    port = free_port()
    checks = ["--validate-contract"] if validate else []
    server = ServerProcess(
        ["sandbox", "--port", str(port), "--processing-delay", "1.0", *checks, *extra],
        port=port,
        log_path=log_path,
        ready_path="/__sandbox__/stats",
    ).launch()
    if validate:
        CONTRACT_CHECKED.append(server.url)
    return server.ready() if wait else server


# Every sandbox of the run checks its answers against the contract; after each
# test, what they found fails that test (gateway/sandbox/validation.py).
CONTRACT_CHECKED: list[str] = []
CONTRACT_TOTALS = {"checked": 0, "bodies": 0}


def contract_violations(url: str) -> list[dict[str, Any]]:
    report = HTTP.get(f"{url}/__sandbox__/contract").json()
    CONTRACT_TOTALS["checked"] += report["checked"] - CONTRACT_SEEN.get(url, {}).get("checked", 0)
    CONTRACT_TOTALS["bodies"] += report["bodies"] - CONTRACT_SEEN.get(url, {}).get("bodies", 0)
    CONTRACT_SEEN[url] = report
    violations: list[dict[str, Any]] = report["violations"]
    return violations


CONTRACT_SEEN: dict[str, dict[str, Any]] = {}


@pytest.fixture(autouse=True)
def _sandbox_answers_keep_the_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if _in_process(request):
        return  # it reached no server (its apps are checked by _apps_keep_the_contract)
    found = []
    for url in list(CONTRACT_CHECKED):
        try:
            found += contract_violations(url)
        except httpx.TransportError:
            CONTRACT_CHECKED.remove(url)  # stopped with its module
    assert not found, f"the sandbox broke the contract: {found}"


def pytest_sessionfinish() -> None:
    HTTP.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"sandbox answers checked against the contract: {CONTRACT_TOTALS['checked']} "
        f"({CONTRACT_TOTALS['bodies']} JSON bodies validated)"
    )
    if STARTS:
        terminalreporter.write_line(
            f"server processes started: {len(STARTS)}, {sum(STARTS):.0f} s until they were ready"
        )


@pytest.fixture(scope="session")
def session_servers(logs_dir: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """The shared sandbox and gateway, started together (``sandbox_server``, ``gateway_server``)."""
    sandbox = start_sandbox(logs_dir / "sandbox.log", wait=False)
    gateway = start_gateway(sandbox.url, logs_dir / "gateway.log", wait=False)
    all_ready(sandbox, gateway)
    yield sandbox, gateway
    gateway.stop()
    sandbox.stop()


@pytest.fixture(scope="session")
def sandbox_server(session_servers: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
    return session_servers[0]


def _in_process(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("inprocess") is not None


@pytest.fixture(scope="module")
async def in_process_apps() -> AsyncIterator[Apps]:
    """The module's pair of apps: what a module's tests write stays the module's."""
    async with running_apps(GATEWAY_ENV) as apps:
        yield apps


@pytest.fixture
async def _apps_keep_the_contract(in_process_apps: Apps) -> AsyncIterator[Apps]:
    """``in_process_apps``; after the test, what its sandbox answered is checked."""
    yield in_process_apps
    report = await in_process_apps.sandbox.contract_report()
    CONTRACT_TOTALS["checked"] += report["checked"]
    CONTRACT_TOTALS["bodies"] += report["bodies"]
    assert not report["violations"], f"the sandbox broke the contract: {report['violations']}"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxControl]:
    if _in_process(request):
        apps: Apps = request.getfixturevalue("_apps_keep_the_contract")
        control = apps.sandbox
    else:
        control = SandboxControl(request.getfixturevalue("sandbox_server").url)
    # fail_next too: a test that failed before using its injected failures
    # must not leak them into the next one.
    clean = {
        "latency_ms": 0,
        "route_latency_ms": None,
        "processing_delay_s": 1.0,
        "export_frames": None,
        "fail_next": None,
        "gate": None,
        "deviations": True,
        "session_cookies": False,
    }
    control.configure(**clean)
    # Every test starts from the seeded sessions, whatever the one before did.
    control.reset_sessions()
    control.reset()
    yield control
    control.configure(**clean)


# The gateway's environment in tests, a server's or an in-process app's.
GATEWAY_ENV = {
    "GATEWAY_LOG_LEVEL": "debug",
    # Required with Redis; the same for every replica a test starts.
    "GATEWAY_CREDENTIAL_SECRET": TEST_CREDENTIAL_SECRET,
    **FAST_POLLING,
}


def start_gateway(
    sandbox_url: str,
    log_path: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    wait: bool = True,
) -> ServerProcess:
    """A gateway server on ``sandbox_url`` (which needn't answer yet); without
    ``wait``, launched only: see tests.servers.all_ready."""
    port = free_port()
    server = ServerProcess(
        ["serve", "--upstream-url", sandbox_url, "--port", str(port), *extra],
        port=port,
        log_path=log_path,
        ready_path="/healthz",
        env={**GATEWAY_ENV, **(env or {})},
    ).launch()
    return server.ready() if wait else server


@pytest.fixture(scope="session")
def gateway_server(session_servers: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
    return session_servers[1]


def start_pair(
    logs_dir: Path, name: str, *, validate: bool = True, env: dict[str, str] | None = None
) -> tuple[ServerProcess, ServerProcess]:
    """A sandbox and a gateway on it, started side by side (``start_sandbox``'s
    ``validate``, ``start_gateway``'s ``env``)."""
    sandbox = start_sandbox(logs_dir / f"sandbox-{name}.log", validate=validate, wait=False)
    gateway = start_gateway(sandbox.url, logs_dir / f"gateway-{name}.log", env=env, wait=False)
    all_ready(sandbox, gateway)
    return sandbox, gateway


def isolated_servers(
    name: str, *, validate: bool = True, env: dict[str, str] | None = None
) -> tuple[Any, Any, Any]:
    """A module's own ``sandbox_server`` and ``gateway_server`` fixtures (and the
    pair's), for tests whose writes (uploads, deletes) would disturb the shared
    sandbox, or whose gateway needs settings of its own (``start_pair``'s
    ``validate`` and ``env``)."""

    @pytest.fixture(scope="module", name="isolated_pair")
    def pair(logs_dir: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
        sandbox, gateway = start_pair(logs_dir, name, validate=validate, env=env)
        yield sandbox, gateway
        gateway.stop()
        sandbox.stop()

    @pytest.fixture(scope="module", name="sandbox_server")
    def sandbox_server(isolated_pair: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
        return isolated_pair[0]

    @pytest.fixture(scope="module", name="gateway_server")
    def gateway_server(isolated_pair: tuple[ServerProcess, ServerProcess]) -> ServerProcess:
        return isolated_pair[1]

    return pair, sandbox_server, gateway_server


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        key: str | None = ALICE,
    ) -> dict[str, Any]:
        headers = {"Authorization": key} if key is not None else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def gateway_clients(request: pytest.FixtureRequest) -> Callable[..., httpx.AsyncClient]:
    """Makes httpx clients on the gateway: the module's app, or the gateway server."""
    if _in_process(request):
        apps: Apps = request.getfixturevalue("_apps_keep_the_contract")
        return apps.gateway_client
    url = request.getfixturevalue("gateway_server").url
    return partial(httpx.AsyncClient, base_url=url, verify=SSL_CONTEXT)


@pytest.fixture
async def gateway_http(
    gateway_clients: Callable[..., httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_clients(timeout=30) as http:
        yield http


@pytest.fixture
def gql(gateway_http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(gateway_http)


def seeded(user: str, activity: str | None = None, video: str | None = None) -> list[SessionRecord]:
    """The seeded sessions of a demo user, optionally of one activity label / video state."""
    return [
        s
        for s in seed_sessions(user)
        if (activity is None or s.activity == activity)
        and (video is None or s.video_state == video)
    ]


def global_id(record: SessionRecord) -> str:
    """The record's Relay id, from the documented format (tests/ids.py)."""
    return global_id_of(ACTIVITY_PARTS[str(record.activity)], record.session_id)
