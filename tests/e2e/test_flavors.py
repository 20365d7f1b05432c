"""The flavor matrix: readiness, subscriptions and mutations against every reading
of the contract (see gateway/sandbox/flavors.py), each on its own sandbox and
gateway: subscriptions on servers, started the way a user starts them
(``sandbox --flavor NAME``), queries and mutations on apps in this process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.ids import Activity, encode_global_id
from gateway.sandbox import SandboxConfig
from gateway.sandbox.flavors import FLAVORS
from tests.conftest import (
    ALICE,
    GATEWAY_ENV,
    GraphQLClient,
    global_id,
    seeded,
    start_gateway,
    start_sandbox,
    upload_to,
)
from tests.inprocess import Apps, running_apps
from tests.servers import SSL_CONTEXT, SandboxControl, ServerProcess, all_ready
from tests.wsclient import TRANSPORT_WS, SubscriptionError, collect, ws_client

VIDEO_STATUS = """
query ($id: ID!) { session(id: $id) { sessionId analyzedVideo { status url } } }
"""
SUBSCRIPTION = """
subscription ($id: ID!) { analyzedVideo(id: $id) { sessionId status url } }
"""
REQUEST = "mutation ($id: ID!) { requestAnalyzedVideo(id: $id) { status url } }"
UPDATE = """
mutation ($id: ID!, $title: String) { updateSession(id: $id, title: $title) { title createdAt } }
"""
CREATE = """
mutation ($video: Upload, $input: CreateSessionInput!) {
  createSession(video: $video, input: $input) { sessionId title analyzedVideo { status } }
}"""
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


@pytest.fixture(scope="module", params=list(FLAVORS))
def flavor(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def flavor_servers(flavor: str, logs_dir: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # A flavor's readings deviate from the contract on purpose: not validated.
    sandbox = start_sandbox(
        logs_dir / f"sandbox-flavor-{flavor}.log", "--flavor", flavor, validate=False, wait=False
    )
    gateway = start_gateway(sandbox.url, logs_dir / f"gateway-flavor-{flavor}.log", wait=False)
    all_ready(sandbox, gateway)
    yield sandbox, gateway
    gateway.stop()
    sandbox.stop()


@pytest.fixture
def server_control(flavor_servers: tuple[ServerProcess, ServerProcess]) -> SandboxControl:
    return SandboxControl(flavor_servers[0].url)


@pytest.fixture(scope="module")
async def flavor_apps(flavor: str) -> AsyncIterator[Apps]:
    # As the servers: the flavor, a processing delay of 1 s, nothing validated.
    config = SandboxConfig(flavor=flavor, processing_delay_s=1.0)
    async with running_apps(GATEWAY_ENV, config) as apps:
        yield apps


@pytest.fixture
def control(flavor_apps: Apps) -> SandboxControl:
    return flavor_apps.sandbox


@pytest.fixture
async def client(flavor_apps: Apps) -> AsyncIterator[GraphQLClient]:
    async with flavor_apps.gateway_client(timeout=30) as http:
        yield GraphQLClient(http)


def jumping(session_id: str) -> str:
    return encode_global_id(Activity.JUMPING, session_id)


@pytest.mark.inprocess
async def test_readiness_query(client: GraphQLClient, control: SandboxControl) -> None:
    session_id = await upload_to(control)
    body = await client.execute(VIDEO_STATUS, {"id": jumping(session_id)})
    assert "errors" not in body, body
    assert body["data"]["session"]["analyzedVideo"] == {"status": "PROCESSING", "url": None}

    control.set_video(session_id, "ready")
    body = await client.execute(VIDEO_STATUS, {"id": jumping(session_id)})
    ready = body["data"]["session"]["analyzedVideo"]
    assert ready["status"] == "READY" and ready["url"].startswith("https://")

    failed = seeded("alice", video="failed")[0]
    body = await client.execute(VIDEO_STATUS, {"id": global_id(failed)})
    assert body["data"]["session"]["analyzedVideo"] == {"status": "FAILED", "url": None}


@pytest.mark.inprocess
async def test_a_session_that_does_not_exist_stays_not_found(client: GraphQLClient) -> None:
    body = await client.execute(VIDEO_STATUS, {"id": jumping("0" * 32)})
    assert body["data"]["session"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


async def test_the_sandbox_serves_the_flavor(
    flavor_servers: tuple[ServerProcess, ServerProcess], flavor: str
) -> None:
    async with httpx.AsyncClient(verify=SSL_CONTEXT) as http:
        config = (await http.get(f"{flavor_servers[0].url}/__sandbox__/config")).json()
    assert config["flavor"] == flavor


async def test_subscription_to_ready(
    flavor_servers: tuple[ServerProcess, ServerProcess], server_control: SandboxControl
) -> None:
    session_id = await upload_to(server_control)
    async with ws_client(flavor_servers[1].url, ALICE, TRANSPORT_WS) as ws:
        events = await collect(ws.subscribe(SUBSCRIPTION, {"id": jumping(session_id)}))
    statuses = [e["analyzedVideo"]["status"] for e in events]
    assert statuses[0] == "PROCESSING"
    assert statuses[-1] == "READY" and statuses.count("READY") == 1
    assert events[-1]["analyzedVideo"]["url"].startswith("https://")


async def test_a_session_deleted_while_watched_ends_the_subscription(
    flavor_servers: tuple[ServerProcess, ServerProcess], server_control: SandboxControl
) -> None:
    """404 while processing can't tell "not ready" from "deleted": the details do."""
    session_id = await upload_to(server_control)
    async with ws_client(flavor_servers[1].url, ALICE, TRANSPORT_WS) as ws:
        events = ws.subscribe(SUBSCRIPTION, {"id": jumping(session_id)})
        first = await anext(events)
        assert first["analyzedVideo"]["status"] == "PROCESSING"
        async with server_control.client() as http:
            deleted = await http.delete(
                f"/session-management/sessions/{session_id}", headers={"Authorization": ALICE}
            )
        assert deleted.status_code == 200
        with pytest.raises(SubscriptionError) as ended:
            await collect(events)
    assert ended.value.codes == ["NOT_FOUND"]


@pytest.mark.inprocess
async def test_request_analyzed_video(client: GraphQLClient, control: SandboxControl) -> None:
    # Each flavor has its own sandbox, so alice's not-requested sessions are fresh.
    record = seeded("alice", video="not_requested")[0]
    body = await client.execute(REQUEST, {"id": global_id(record)})
    assert "errors" not in body, body
    assert body["data"]["requestAnalyzedVideo"] == {"status": "PROCESSING", "url": None}
    assert control.calls("POST /session-management/sessions/{session_id}/analyzed-video/") >= 1

    ready = seeded("alice", video="ready")[0]
    body = await client.execute(REQUEST, {"id": global_id(ready)})
    assert "errors" not in body, body
    assert body["data"]["requestAnalyzedVideo"]["status"] == "READY"


@pytest.mark.inprocess
async def test_update_session(client: GraphQLClient) -> None:
    record = seeded("alice", "Running")[2]
    body = await client.execute(UPDATE, {"id": global_id(record), "title": "Flavored run"})
    assert "errors" not in body, body
    assert body["data"]["updateSession"]["title"] == "Flavored run"
    assert body["data"]["updateSession"]["createdAt"] is not None


@pytest.mark.inprocess
async def test_upload(client: GraphQLClient) -> None:
    operations = {
        "query": CREATE,
        "variables": {"video": None, "input": {"jumping": {"title": "Flavored jump"}}},
    }
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.video"]})},
        files={"0": ("clip.mp4", VIDEO, "video/mp4")},
        headers={"Authorization": ALICE},
    )
    body = response.json()
    assert "errors" not in body, body
    created = body["data"]["createSession"]
    assert created["title"] == "Flavored jump"
    assert created["analyzedVideo"] == {"status": "PROCESSING"}
