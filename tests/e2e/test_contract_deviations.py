"""The gateway with and without what the sandbox sends beyond the contract
(gateway/sandbox/validation.py, DEVIATIONS): it reads a deviation where one
comes, and works when the upstream never sends it."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient, global_id, seeded, upload
from tests.ids import global_id_of
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import ws_client

VIDEO = "query ($id: ID!) { session(id: $id) { analyzedVideo { status url } } }"
SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"


@pytest.mark.inprocess
async def test_a_failed_video_is_failed_where_the_upstream_says_422(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    failed = seeded("alice", video="failed")[0]
    body = await gql.execute(VIDEO, {"id": global_id(failed)})
    assert body == {"data": {"session": {"analyzedVideo": {"status": "FAILED", "url": None}}}}


async def test_without_the_422_a_failed_video_reads_as_processing(
    gql: GraphQLClient, sandbox: SandboxControl, gateway_server: ServerProcess
) -> None:
    """An upstream that keeps to the contract has no way to say "failed": the
    gateway then reports what it can know (no URL yet), with no error, and
    still delivers READY if the video is ever processed."""
    sandbox.configure(deviations=False)
    failed = upload(sandbox.url)  # not a seeded one: this test changes its state
    sandbox.set_video(failed, "failed")
    body = await gql.execute(VIDEO, {"id": global_id_of("jumping", failed)})
    assert body == {"data": {"session": {"analyzedVideo": {"status": "PROCESSING", "url": None}}}}
    async with ws_client(gateway_server.url, "API-KEY alice-demo-key") as client:
        events = client.subscribe(SUBSCRIPTION, {"id": global_id_of("jumping", failed)})
        first = await anext(events)
        assert first["analyzedVideo"] == {"status": "PROCESSING", "url": None}
        sandbox.set_video(failed, "ready")
        rest = [event async for event in events]
    # Never FAILED on the way (a 422 would have ended the stream there).
    assert [e["analyzedVideo"]["status"] for e in rest] == ["READY"]
