"""Subscription events carry the session node, so normalized caches update themselves."""

from __future__ import annotations

from typing import Any

from tests.conftest import ALICE, global_id, seeded
from tests.servers import SandboxControl, ServerProcess
from tests.wsclient import collect, ws_client

BASELINE = "{ status }"
FROM_EVENT = "{ status session { __typename id analyzedVideo { status url } } }"
FETCHED = "{ status session { id title } }"


async def _calls_for(
    gateway: ServerProcess, sandbox: SandboxControl, selection: str, gid: str
) -> tuple[int, list[dict[str, Any]]]:
    sandbox.reset()
    query = f"subscription ($id: ID!) {{ analyzedVideo(id: $id) {selection} }}"
    async with ws_client(gateway.url, ALICE) as client:
        events = await collect(client.subscribe(query, {"id": gid}))
    return sandbox.calls(), events


async def test_event_session_costs_no_upstream_call(
    gateway_server: ServerProcess, sandbox: SandboxControl
) -> None:
    ready = [s for s in seeded("alice", "Weightlifting", video="ready")][:3]
    ids = [global_id(s) for s in ready]
    baseline, _ = await _calls_for(gateway_server, sandbox, BASELINE, ids[0])
    from_event, events = await _calls_for(gateway_server, sandbox, FROM_EVENT, ids[1])
    fetched, fetched_events = await _calls_for(gateway_server, sandbox, FETCHED, ids[2])

    print(
        f"upstream calls: {{ status }} {baseline}, + session {{ id analyzedVideo }} {from_event},"
        f" + session {{ id title }} {fetched}"
    )
    event = events[-1]["analyzedVideo"]
    assert event["session"]["__typename"] == "WeightliftingSession"
    assert event["session"]["id"] == ids[1]
    assert event["session"]["analyzedVideo"]["status"] == "READY"
    assert event["session"]["analyzedVideo"]["url"].startswith("https://")
    assert from_event == baseline, (baseline, from_event)
    # Other fields of the session are fetched: the count above can tell.
    assert fetched_events[-1]["analyzedVideo"]["session"]["title"] == ready[2].title
    assert fetched > baseline, (baseline, fetched)
