"""Subscriptions carried on by their selection's group (schema.fanout), in process.

Over graphql-transport-ws a subscription of one session is its own operation
until its first event is out; then its group serves it. These tests watch
that from the client's side (each subscriber gets each change once, then its
``complete``; a ``complete`` from the client frees the id; the key's bound
still counts it) and from the process's (members, groups, watches and the
gauges are all gone when the subscribers are).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

import gateway.http.view
import schema
from gateway.errors import NotFound
from gateway.http.wscarry import CarriedOperation
from gateway.sandbox import SandboxConfig
from schema.execution import GatewayExecutionContext
from tests.asgi import ASGIWebSocket
from tests.conftest import ALICE, GATEWAY_ENV, upload_to
from tests.e2e.test_http_edges import parse_metrics, value
from tests.ids import global_id_of
from tests.inprocess import Apps, running_apps

ANALYZED_VIDEO = "GET /session-management/sessions/{session_id}/analyzed-video/"
STATUS = "subscription ($id: ID!) { analyzedVideo(id: $id) { status } }"
WITH_URL = "subscription ($id: ID!) { analyzedVideo(id: $id) { sessionId status url } }"


@pytest.fixture
async def built(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Apps, list[Any]]]:
    """A pair of apps (bound: 6 subscriptions per key), and the gateway's schema."""
    schemas: list[Any] = []

    def build(*args: Any, **kwargs: Any) -> Any:
        schemas.append(schema.build_schema(*args, **kwargs))
        return schemas[-1]

    monkeypatch.setattr(gateway.http.view, "build_schema", build)
    env = {**GATEWAY_ENV, "GATEWAY_WATCH_MAX_SUBSCRIPTIONS_PER_CREDENTIAL": "6"}
    config = SandboxConfig(processing_delay_s=3600.0, validate_contract=True)
    async with running_apps(env, config) as apps:
        yield apps, schemas


class Connection:
    """One graphql-transport-ws connection: subscribe, and read each id's frames."""

    def __init__(self, ws: ASGIWebSocket) -> None:
        self.ws = ws
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            frame = await self.ws.receive_json()
            if frame["type"] == "ping":
                await self.ws.send_json({"type": "pong"})
                continue
            self.frames.setdefault(frame.get("id", ""), []).append(frame)

    async def subscribe(self, id: str, query: str, session_id: str) -> None:
        variables = {"id": global_id_of("jumping", session_id)}
        payload = {"query": query, "variables": variables}
        await self.ws.send_json({"id": id, "type": "subscribe", "payload": payload})

    async def stop(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


async def connect(apps: Apps, stack: Any) -> Connection:
    ws = await stack.enter_async_context(
        ASGIWebSocket(apps._gateway, "/graphql", ["graphql-transport-ws"])
    )
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
    assert (await ws.receive_json())["type"] == "connection_ack"
    connection = Connection(ws)
    stack.push_async_callback(connection.stop)
    return connection


async def until(check: Any, what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def metrics(apps: Apps) -> dict[str, Any]:
    async with apps.gateway_client() as http:
        _, samples = parse_metrics((await http.get("/metrics")).text)
    return samples


async def gauge_reaches(apps: Apps, expected: float, name: str, **labels: str) -> None:
    for _ in range(500):
        if value(await metrics(apps), name, **labels) == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name} never reached {expected}")


def carried_objects() -> int:
    gc.collect()
    return sum(isinstance(o, CarriedOperation) for o in gc.get_objects())


def kinds(frames: list[dict[str, Any]]) -> list[str]:
    return [
        f["payload"]["data"]["analyzedVideo"]["status"] if f["type"] == "next" else f["type"]
        for f in frames
    ]


async def test_carried_subscribers_each_get_the_change_once_then_everything_is_released(
    built: tuple[Apps, list[Any]],
) -> None:
    apps, schemas = built
    (gateway_schema,) = schemas
    session_id = await upload_to(apps.sandbox)
    async with AsyncExitStack() as stack:
        a, b = await connect(apps, stack), await connect(apps, stack)
        for i in range(3):
            await a.subscribe(f"s{i}", STATUS, session_id)
        await b.subscribe("s0", STATUS, session_id)
        await b.subscribe("u0", WITH_URL, session_id)
        await b.subscribe("u1", WITH_URL, session_id)
        everyone = [(a, f"s{i}") for i in range(3)] + [(b, "s0"), (b, "u0"), (b, "u1")]
        await until(lambda: all(c.frames.get(i) for c, i in everyone), "every first event")
        await gauge_reaches(apps, 6, "gateway_subscriptions_carried")
        samples = await metrics(apps)
        # Two selections of one session: two groups, following one watch.
        assert len(gateway_schema.fanout) == 2
        assert value(samples, "gateway_readiness_watchers") == 1
        assert carried_objects() == 6

        apps.sandbox.set_video(session_id, "ready")
        await until(
            lambda: all(c.frames[i][-1]["type"] == "complete" for c, i in everyone), "completes"
        )
        for connection, id in everyone:
            assert kinds(connection.frames[id]) == ["PROCESSING", "READY", "complete"]
        ready = b.frames["u0"][1]["payload"]["data"]["analyzedVideo"]
        assert ready["sessionId"] == session_id and ready["url"].startswith("https://")
        assert b.frames["u1"][1] == {**b.frames["u0"][1], "id": "u1"}

        samples = await metrics(apps)
        assert value(samples, "gateway_subscriptions_carried") == 0
        assert value(samples, "gateway_subscriptions_active", operation="analyzedVideo") == 0
        ended = value(
            samples, "gateway_subscriptions_total", operation="analyzedVideo", outcome="ok"
        )
        assert ended == 6
        await until(lambda: len(gateway_schema.fanout) == 0, "no group left")
        await until(lambda: carried_objects() == 0, "the members released")
    await gauge_reaches(apps, 0, "gateway_readiness_watchers")


async def test_a_client_completing_a_carried_subscription_frees_its_id_and_its_place(
    built: tuple[Apps, list[Any]],
) -> None:
    apps, schemas = built
    (gateway_schema,) = schemas
    session_id = await upload_to(apps.sandbox)
    async with AsyncExitStack() as stack:
        a = await connect(apps, stack)
        for i in range(6):
            await a.subscribe(f"s{i}", STATUS, session_id)
        await until(lambda: all(a.frames.get(f"s{i}") for i in range(6)), "first events")
        await until(lambda: len(gateway_schema.fanout) == 1, "one group")
        # The key's bound (6) counts carried subscriptions.
        await a.subscribe("over", STATUS, session_id)
        await until(lambda: a.frames.get("over", [{}])[-1].get("type") == "complete", "refused")
        refusal, _complete = a.frames["over"]
        assert refusal["payload"]["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

        await gauge_reaches(apps, 6, "gateway_subscriptions_carried")
        await a.ws.send_json({"id": "s0", "type": "complete"})
        await gauge_reaches(apps, 5, "gateway_subscriptions_carried")
        # Its id and its place are free again: the same id subscribes anew.
        await a.subscribe("s0", STATUS, session_id)
        await until(lambda: len(a.frames["s0"]) == 2, "the new first event")
        assert kinds(a.frames["s0"]) == ["PROCESSING", "PROCESSING"]

        apps.sandbox.set_video(session_id, "ready")
        await until(
            lambda: all(a.frames[f"s{i}"][-1]["type"] == "complete" for i in range(6)), "ends"
        )
        for i in range(1, 6):
            assert kinds(a.frames[f"s{i}"]) == ["PROCESSING", "READY", "complete"]
        assert kinds(a.frames["s0"]) == ["PROCESSING", "PROCESSING", "READY", "complete"]


async def test_leaving_releases_the_group_the_watch_and_the_keys_places(
    built: tuple[Apps, list[Any]],
) -> None:
    apps, schemas = built
    (gateway_schema,) = schemas
    session_id = await upload_to(apps.sandbox)
    for _ in range(2):  # the second round finds the key's six places free again
        async with AsyncExitStack() as stack:
            a = await connect(apps, stack)
            for i in range(6):
                await a.subscribe(f"s{i}", STATUS, session_id)
            await until(lambda c=a: all(c.frames.get(f"s{i}") for i in range(6)), "first events")
            await until(lambda: len(gateway_schema.fanout) == 1, "one group")
            assert {kinds(a.frames[f"s{i}"])[0] for i in range(6)} == {"PROCESSING"}
        # The connection is gone.
        await until(lambda: len(gateway_schema.fanout) == 0, "no group")
        samples = await metrics(apps)
        assert value(samples, "gateway_subscriptions_carried") == 0
        assert value(samples, "gateway_subscriptions_active", operation="analyzedVideo") == 0
        await gauge_reaches(apps, 0, "gateway_readiness_watchers")


async def test_resubscribing_as_the_last_member_leaves_joins_a_live_group(
    built: tuple[Apps, list[Any]],
) -> None:
    """An unmount and remount (React's StrictMode): the last member completes
    and the same selection subscribes again at once. The group that is ending
    takes no one: the newcomer's group is a live one, and READY reaches it."""
    apps, schemas = built
    (gateway_schema,) = schemas
    session_id = await upload_to(apps.sandbox)
    async with AsyncExitStack() as stack:
        a = await connect(apps, stack)
        await a.subscribe("s0", STATUS, session_id)
        await gauge_reaches(apps, 1, "gateway_subscriptions_carried")
        await a.ws.send_json({"id": "s0", "type": "complete"})
        await a.subscribe("s1", STATUS, session_id)
        await until(lambda: a.frames.get("s1"), "the new first event")
        await gauge_reaches(apps, 1, "gateway_subscriptions_carried")
        apps.sandbox.set_video(session_id, "ready")
        await until(lambda: a.frames["s1"][-1]["type"] == "complete", "READY for the newcomer")
        assert kinds(a.frames["s1"]) == ["PROCESSING", "READY", "complete"]
        assert kinds(a.frames["s0"]) == ["PROCESSING"]
        await until(lambda: len(gateway_schema.fanout) == 0, "no group left")


async def test_a_change_too_large_for_the_bound_is_refused_as_any_answer_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first event fits the bound, READY (with its URL) doesn't: the member
    gets the refusal an operation of its own would, not the oversized answer."""
    env = {**GATEWAY_ENV, "GATEWAY_MAX_RESPONSE_BYTES": "170"}
    config = SandboxConfig(processing_delay_s=3600.0, validate_contract=True)
    async with running_apps(env, config) as apps, AsyncExitStack() as stack:
        session_id = await upload_to(apps.sandbox)
        a = await connect(apps, stack)
        await a.subscribe("s0", WITH_URL, session_id)
        await a.subscribe("s1", WITH_URL, session_id)
        await gauge_reaches(apps, 2, "gateway_subscriptions_carried")
        apps.sandbox.set_video(session_id, "ready")
        await until(lambda: a.frames["s1"][-1]["type"] == "complete", "the end")
        for id in ("s0", "s1"):
            first, refused, complete = a.frames[id]
            assert first["payload"]["data"]["analyzedVideo"]["status"] == "PROCESSING"
            assert refused["payload"]["data"] is None
            assert refused["payload"]["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
            assert complete["type"] == "complete"


async def test_an_operation_carried_on_leaves_nothing_for_the_cycle_collector(
    built: tuple[Apps, list[Any]],
) -> None:
    """Each subscription's operation ends when it is carried on. Its executor and
    the exception that closed its extensions are freed by reference counting,
    not left in cycles: at 50,000 subscribers the collector's full passes took
    most of a second each, while pushes waited."""
    apps, _ = built
    session_id = await upload_to(apps.sandbox)
    async with AsyncExitStack() as stack:
        a = await connect(apps, stack)
        await a.subscribe("warm", STATUS, session_id)  # the group's own executor
        await gauge_reaches(apps, 1, "gateway_subscriptions_carried")
        gc.collect()
        gc.disable()
        try:
            for i in range(5):
                await a.subscribe(f"s{i}", STATUS, session_id)
            await gauge_reaches(apps, 6, "gateway_subscriptions_carried")
            left = [
                type(o).__name__
                for o in gc.get_objects()
                if isinstance(o, GatewayExecutionContext | GeneratorExit)
            ]
        finally:
            gc.enable()
    # The group's template, and the per-event copy its shared result holds.
    assert left.count("GeneratorExit") == 0, left
    assert left.count("GatewayExecutionContext") <= 2, left


async def test_a_poll_answered_404_leaves_nothing_for_the_cycle_collector(
    built: tuple[Apps, list[Any]],
) -> None:
    """The sandbox answers 404 while a video is processing, as some upstreams
    do: each poll's NotFound is freed with its call, not left in a cycle (its
    traceback held the frames that held it)."""
    apps, _ = built
    session_id = await upload_to(apps.sandbox)
    async with AsyncExitStack() as stack:
        a = await connect(apps, stack)
        await a.subscribe("s0", STATUS, session_id)
        await gauge_reaches(apps, 1, "gateway_subscriptions_carried")
        polls = apps.sandbox.calls(ANALYZED_VIDEO)
        gc.collect()
        gc.disable()
        try:
            await until(lambda: apps.sandbox.calls(ANALYZED_VIDEO) >= polls + 4, "four polls")
            left = [o for o in gc.get_objects() if isinstance(o, NotFound)]
        finally:
            gc.enable()
    assert len(left) <= 1, left  # the poll under way, if any


async def test_operations_closed_early_by_their_transport_are_still_counted(
    built: tuple[Apps, list[Any]],
) -> None:
    """A request error over graphql-transport-ws is answered and its operation
    closed: it is counted, as over HTTP; a carried subscription is counted once,
    when it ends."""
    apps, _ = built
    session_id = await upload_to(apps.sandbox)

    async def counted(**labels: str) -> float:
        return value(await metrics(apps), "gateway_operations_total", **labels)

    invalid = await counted(type="invalid", operation="invalid", outcome="error")
    async with AsyncExitStack() as stack:
        a = await connect(apps, stack)
        await a.ws.send_json({"id": "bad", "type": "subscribe", "payload": {"query": "{ nope }"}})
        await until(lambda: a.frames.get("bad"), "the request error")
        assert a.frames["bad"][0]["type"] == "error"
        await a.subscribe("s0", STATUS, session_id)
        await gauge_reaches(apps, 1, "gateway_subscriptions_carried")
        labels = {"type": "subscription", "operation": "analyzedVideo", "outcome": "ok"}
        before = await counted(**labels)
        apps.sandbox.set_video(session_id, "ready")
        await until(lambda: a.frames["s0"][-1]["type"] == "complete", "the end")
        await gauge_reaches(apps, before + 1, "gateway_operations_total", **labels)
    assert await counted(type="invalid", operation="invalid", outcome="error") == invalid + 1
    assert await counted(**labels) == before + 1
