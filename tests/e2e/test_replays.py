"""No stale replays: a new watch after a final state asks the upstream first."""

from __future__ import annotations

from gateway.ids import Activity, encode_global_id
from tests.conftest import ALICE, upload
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import collect, ws_client

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"
VIDEO = "GET /session-management/sessions/{session_id}/analyzed-video/"


async def test_a_video_processed_again_is_not_replayed_as_ready(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    session_id = upload(sandbox.url)
    variables = {"id": encode_global_id(Activity.JUMPING, session_id)}
    sandbox.set_video(session_id, "ready")
    async with ws_client(gateway_server.url, ALICE) as client:
        first = await collect(client.subscribe(SUBSCRIPTION, variables))
    assert [e["analyzedVideo"]["status"] for e in first] == ["READY"]

    # The upstream starts over at once, while the READY the first watch stored
    # is likely still in the broker (GATEWAY_WATCH_STATE_TTL, 1 s): a final
    # state is never where a new watch starts from. The video is READY again
    # before the poller's fourth 404 (0.2, 0.5, 0.95, 1.45 s after the first
    # look) would read the details once more to tell "processing" from "deleted".
    sandbox.configure(processing_delay_s=0.6)
    sandbox.set_video(session_id, "processing")
    details = "GET /jumping/sessions/{session_id}/"
    before = sandbox.stats()["by_session"].get(session_id, {}).get(details, 0)
    async with ws_client(gateway_server.url, ALICE) as client:
        events = client.subscribe(SUBSCRIPTION, variables)
        again = await anext(events)
        assert again["analyzedVideo"] == {"status": "PROCESSING", "url": None}
        # It asked the upstream (details first: it also proves access) before answering.
        assert sandbox.stats()["by_session"][session_id][details] == before + 1
        rest = await collect(events)
    assert rest[-1]["analyzedVideo"]["status"] == "READY"
