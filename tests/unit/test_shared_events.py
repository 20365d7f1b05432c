"""One execution per event and selection: the executor's side (schema.execution)
and the results' store (schema.shared_events)."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from graphql import ExecutionResult, GraphQLError, parse
from graphql.execution import Executor

from gateway.config import Settings
from gateway.ids import Activity, encode_global_id
from gateway.metrics import Metrics
from gateway.sessions import SessionRef, VideoState, VideoStatus
from schema import build_schema
from schema.context import GatewayContext
from schema.execution import GatewayExecutionContext
from schema.shared_events import SharedData, SharedEvents, shared_payload
from schema.subscription import AnalyzedVideoEvent

pytestmark = pytest.mark.inprocess

SETTINGS = Settings()
SCHEMA = build_schema(SETTINGS)
STATUS = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"
ALIASED = "subscription ($id: ID!) { analyzedVideo(id: $id) { s: status } }"
REF = SessionRef(Activity.JUMPING, "a" * 32)
GLOBAL_ID = encode_global_id(REF.activity, REF.session_id)


class _Request:
    def __init__(self, key: str) -> None:
        self.headers = {"authorization": key}


class Subscriber:
    """What graphql-core builds for one subscriber: an executor over its own context."""

    def __init__(self, document: Any, key: str = "API-KEY alice", session_id: str = GLOBAL_ID):
        self.metrics = Metrics()
        context = GatewayContext(
            request=_Request(key),  # type: ignore[arg-type]
            services=SimpleNamespace(metrics=self.metrics, settings=SETTINGS),  # type: ignore[arg-type]
        )
        executor = GatewayExecutionContext.build(
            SCHEMA._schema,
            document,
            raw_variable_values={"id": session_id},
            context_value=context,
        )
        assert isinstance(executor, GatewayExecutionContext), executor
        self.executor = executor

    def on(self, event: AnalyzedVideoEvent) -> Any:
        return self.executor.build_per_event_executor(event).execute_operation(False)


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every execution graphql-core really runs (its own execute_operation)."""
    runs: list[object] = []
    original = Executor.execute_operation

    def counted(self: Executor, serially: bool | None = None) -> Any:
        runs.append(type(self.root_value))  # not the event: it would keep its state
        return original(self, serially)

    monkeypatch.setattr(Executor, "execute_operation", counted)
    SCHEMA.shared_events = SharedEvents()
    return runs


def test_one_execution_per_state_and_selection(executions: list[object]) -> None:
    document = parse(STATUS)
    subscribers = [Subscriber(document) for _ in range(20)]
    ready = AnalyzedVideoEvent.of(
        REF, VideoState(VideoStatus.READY, "https://v/1.mp4"), shared=True
    )
    results = [s.on(ready) for s in subscribers]
    assert len(executions) == 1
    assert all(r is results[0] for r in results)  # the very same result, and its bytes
    assert results[0].data == {"analyzedVideo": {"status": "READY", "url": "https://v/1.mp4"}}
    assert shared_payload(results[0], 10_000) == orjson.dumps({"data": results[0].data})

    # A new state (even an equal one: another poll) is executed anew.
    again = AnalyzedVideoEvent.of(
        REF, VideoState(VideoStatus.READY, "https://v/1.mp4"), shared=True
    )
    for subscriber in subscribers:
        subscriber.on(again)
    assert len(executions) == 2

    def made(how: str) -> float:
        return sum(s.metrics.subscription_events.labels(how)._value.get() for s in subscribers)

    assert (made("executed"), made("shared")) == (2, 38)


def test_what_differs_is_executed_apart(executions: list[object]) -> None:
    state = VideoState(VideoStatus.PROCESSING)
    event = AnalyzedVideoEvent.of(REF, state, shared=True)
    document = parse(STATUS)
    other_ref = SessionRef(Activity.JUMPING, "b" * 32)
    other_id = encode_global_id(other_ref.activity, other_ref.session_id)
    cases = [
        Subscriber(document),
        Subscriber(document, key="API-KEY bob"),  # another key: never another's answer
        Subscriber(parse(STATUS)),  # the same text parsed apart: another operation
        Subscriber(parse(ALIASED)),  # another selection
        Subscriber(document, session_id=other_id),  # other variables
    ]
    results = [case.on(event) for case in cases]
    assert len(executions) == len(cases)
    assert results[3].data == {"analyzedVideo": {"s": "PROCESSING"}}
    # The same state about another session (one object for two watches) is apart too.
    Subscriber(document).on(AnalyzedVideoEvent.of(other_ref, state, shared=True))
    assert len(executions) == len(cases) + 1


def test_a_first_event_is_each_subscribers_own(executions: list[object]) -> None:
    """The state a subscriber joined at: executed for it, never handed from those before."""
    document = parse(STATUS)
    state = VideoState(VideoStatus.PROCESSING)
    for _ in range(3):
        Subscriber(document).on(AnalyzedVideoEvent.of(REF, state))  # first events
    assert len(executions) == 3
    assert len(SCHEMA.shared_events._results) == 0


async def test_an_answer_with_errors_is_not_kept(executions: list[object]) -> None:
    """Its traceback would keep the event, and so the state, alive; and a later
    subscriber deserves another try."""
    failing = parse("subscription ($id: ID!) { analyzedVideo(id: $id) { session { title } } }")
    state = VideoState(VideoStatus.PROCESSING)
    event = AnalyzedVideoEvent.of(REF, state, shared=True)
    first = Subscriber(failing).on(event)  # no upstream in this test: the field fails
    result = first if isinstance(first, ExecutionResult) else await first
    assert result.errors
    await asyncio.sleep(0)  # the task's done-callbacks
    del event, first, result
    gc.collect()
    assert SCHEMA.shared_events._results.get(id(state), {}) == {}


def test_results_go_with_their_state(executions: list[object]) -> None:
    events = SCHEMA.shared_events
    document = parse(STATUS)
    state = VideoState(VideoStatus.PROCESSING)
    Subscriber(document).on(AnalyzedVideoEvent.of(REF, state, shared=True))
    assert len(events._results) == 1
    del state
    gc.collect()
    assert len(events._results) == 0


async def test_a_subscriber_leaving_does_not_cancel_the_others_answer() -> None:
    events = SharedEvents()
    state = VideoState(VideoStatus.READY, "https://v")
    release = asyncio.Event()
    runs = 0

    async def execute() -> ExecutionResult:
        nonlocal runs
        runs += 1
        await release.wait()
        return ExecutionResult({"x": 1}, None)

    first, executed = events.result(state, "k", SCHEMA, execute)
    assert executed
    second, executed = events.result(state, "k", SCHEMA, execute)
    assert not executed
    leaving = asyncio.ensure_future(first)  # type: ignore[arg-type]
    staying = asyncio.ensure_future(second)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    result = await staying
    assert result.data == {"x": 1} and isinstance(result.data, SharedData)
    assert runs == 1
    assert leaving.cancelled()


def test_only_a_result_alike_for_all_is_sent_as_shared_bytes() -> None:
    data = SharedData({"a": 1})
    assert shared_payload(ExecutionResult(data, None), 100) == b'{"data":{"a":1}}'
    assert shared_payload(ExecutionResult(data, [GraphQLError("x")]), 100) is None
    assert shared_payload(ExecutionResult(data, None, {"cost": 1}), 100) is None
    assert shared_payload(ExecutionResult({"a": 1}, None), 100) is None  # not shared
    assert shared_payload(ExecutionResult(data, None), 5) is None  # past the bound
    assert data.payload() is data.payload()  # encoded once
