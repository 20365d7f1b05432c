"""The registry of error codes: complete, and what decides a code reads it."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import GraphQLError, build_schema, parse, validate
from graphql.error import GraphQLSyntaxError
from starlette.requests import Request

import gateway
from gateway.broker import MemoryBroker
from gateway.broker.signed import SignedBroker
from gateway.config import Settings, WatchPolicy
from gateway.credentials import Credential
from gateway.errors import (
    CODES,
    UPSTREAM_STATUSES,
    BadRequest,
    ErrorCode,
    GatewayError,
    InWatch,
    LimitExceeded,
    NotFound,
    OperationInvalid,
    OperationParseFailed,
    PersistedQueryNotFound,
    UpstreamBadResponse,
    code_of_graphql_error,
    error_code,
    upstream_error,
)
from gateway.ids import Activity
from gateway.sessions import VideoState, VideoStatus
from gateway.upstream.client import UpstreamClient
from gateway.watchers import ReadinessWatchers, events, poller
from gateway.watchers.events import WatchKey
from schema.extensions import code_for_input

ENTRIES = sorted(CODES.values(), key=lambda e: e.code)
SECRET = b"s" * 32


def _every_gateway_error() -> set[type[GatewayError]]:
    # Import every module of the gateway, so every subclass is defined.
    for module in pkgutil.walk_packages(gateway.__path__, "gateway."):
        if module.name.endswith("__main__"):  # runs the CLI
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra (tracing exporters) not installed
            continue
    found: set[type[GatewayError]] = set()
    todo = [GatewayError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
def test_every_code_has_a_class_a_message_a_status_and_a_watch_outcome(entry: ErrorCode) -> None:
    assert issubclass(entry.error, GatewayError)
    assert CODES[entry.error.code] is entry
    assert entry.message and entry.message == entry.message.strip()
    assert 400 <= entry.http_status < 600
    assert isinstance(entry.in_watch, InWatch)
    # Raised without a message, the error says the code's fixed one.
    assert entry.error().message == entry.message
    assert entry.error().extensions["code"] == entry.code


def test_every_error_class_of_the_gateway_has_a_registered_code() -> None:
    unregistered = {cls.__name__ for cls in _every_gateway_error() if cls.code not in CODES}
    assert not unregistered


def test_every_code_written_as_a_literal_is_registered() -> None:
    # A code spelled out in a module (an extensions dict, a class attribute)
    # must be one the registry knows; the sandbox is the upstream, not us.
    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"""(?:["']code["']\s*:|\bcode\s*=)\s*["']([A-Z][A-Z_]+)["']""")
    found: dict[str, str] = {}
    for path in [*(root / "gateway").rglob("*.py"), *(root / "schema").rglob("*.py")]:
        if "sandbox" in path.parts:
            continue
        for code in literal.findall(path.read_text()):
            found[code] = path.name
    assert found  # the pattern still finds the classes' own codes
    assert {code: name for code, name in found.items() if code not in CODES} == {}


def test_what_ends_a_watch_and_what_a_poll_retries() -> None:
    ends = {e.code for e in ENTRIES if e.ends_watch}
    retries = {e.code for e in ENTRIES if e.in_watch is InWatch.RETRIES}
    assert ends == {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"}
    assert retries == {"UPSTREAM_UNAVAILABLE", "UPSTREAM_BAD_RESPONSE"}


def test_an_unknown_code_is_internal() -> None:
    assert error_code("NO_SUCH_CODE").code == "INTERNAL"
    assert error_code("NO_SUCH_CODE").http_status == 500


def test_every_upstream_status_maps_to_a_registered_code() -> None:
    for status in (*UPSTREAM_STATUSES, 418, 429, 500, 502, 503, 599):
        error = upstream_error(status)
        assert error.code in CODES
        assert error.upstream_status == status


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
async def test_every_code_round_trips_between_replicas(entry: ErrorCode) -> None:
    # Two replicas sign with the same secret and share one broker (Redis in
    # production): what A publishes, B decodes to the same code and class.
    shared = MemoryBroker()
    replica_a, replica_b = SignedBroker(shared, SECRET), SignedBroker(shared, SECRET)
    sent = entry.error(f"{entry.code} as the poller saw it.")
    async with replica_b.subscribe("gateway:video:x") as subscription:
        await replica_a.publish("gateway:video:x", events.encode(sent))
        received = await anext(aiter(subscription))
    decoded = events.decode(received)
    assert type(decoded) is entry.error
    assert isinstance(decoded, GatewayError)
    assert decoded.code == entry.code
    assert decoded.message == sent.message


def test_an_error_without_a_message_decodes_with_the_fixed_one() -> None:
    decoded = events.decode(orjson.dumps({"kind": "error", "code": "NOT_FOUND"}))
    assert isinstance(decoded, NotFound)
    assert decoded.message == CODES["NOT_FOUND"].message


def test_a_code_of_another_version_decodes_as_a_bad_response() -> None:
    raw = orjson.dumps({"kind": "error", "code": "NEWER_CODE", "message": "Gone."})
    decoded = events.decode(raw)
    assert type(decoded) is UpstreamBadResponse
    assert decoded.message == "Gone."


def test_events_round_trip_and_malformed_bytes_are_refused() -> None:
    state = VideoState(VideoStatus.READY, "https://videos.example/1.mp4")
    assert events.decode(events.encode(state)) == state
    assert events.decode_state(events.encode(state)) == state
    assert events.decode(events.encode(events.WAKE)) is events.WAKE
    assert events.decode(orjson.dumps({"kind": "newer"})) is None
    for raw in (b"not json", b"[1]", orjson.dumps({"kind": "state", "status": "LOST"})):
        with pytest.raises(events.MalformedEvent):
            events.decode(raw)


async def _poll_once_raising(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> tuple[bool | BaseException, list[bytes]]:
    """One poll whose upstream read raises ``error``: its result, and what it published."""
    broker = MemoryBroker()
    key = WatchKey("shared", Activity.JUMPING, "1")

    async def read(*args: Any) -> VideoState:
        raise error

    # The read itself (with its 404 confirmation) is tested elsewhere.
    monkeypatch.setattr(poller.Poller, "_read", read)
    failures: list[GatewayError] = []
    polls: list[None] = []
    client = UpstreamClient("http://upstream.invalid")
    watch_poller = poller.Poller(
        client,
        broker,
        WatchPolicy(),
        key,
        Credential("API-KEY k"),
        replica_id="a",
        starts=asyncio.Semaphore(1),
        known=lambda: None,
        polled=lambda: polls.append(None),
        failed=failures.append,
    )
    published: list[bytes] = []
    async with broker.subscribe(key.channel) as subscription:
        try:
            outcome: bool | BaseException = await watch_poller._poll_once()
        except Exception as exc:
            outcome = exc
        await asyncio.sleep(0)
        queue: Any = subscription
        while not queue.queue.empty():
            published.append(queue.queue.get_nowait())
    await client.aclose()
    assert polls == [None]
    assert not failures
    return outcome, published


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
async def test_a_poll_does_what_the_registry_says(
    monkeypatch: pytest.MonkeyPatch, entry: ErrorCode
) -> None:
    error = entry.error("From the upstream.")
    outcome, published = await _poll_once_raising(monkeypatch, error)
    if entry.in_watch is InWatch.ENDS:
        assert outcome is True
        decoded = [events.decode(raw) for raw in published]
        assert [(type(d), getattr(d, "message", None)) for d in decoded] == [
            (entry.error, "From the upstream.")
        ]
    elif entry.in_watch is InWatch.RETRIES:
        assert outcome is False
        assert published == []
    else:
        assert outcome is error
        assert published == []


async def test_a_poll_that_times_out_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome, published = await _poll_once_raising(monkeypatch, TimeoutError())
    assert outcome is False
    assert published == []


async def test_a_subscriber_on_another_replica_gets_the_error_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    processing = VideoState(VideoStatus.PROCESSING)

    async def still_processing(*args: Any) -> VideoState:
        return processing

    monkeypatch.setattr(poller, "check_video_state", still_processing)
    monkeypatch.setattr(poller, "read_video_state", still_processing)
    shared = MemoryBroker()
    client = UpstreamClient("http://upstream.invalid")
    replica_b = ReadinessWatchers(
        client, SignedBroker(shared, SECRET), WatchPolicy(), secret=SECRET, replica_id="b"
    )
    credential = Credential("API-KEY k")
    async with replica_b.watch(credential, Activity.JUMPING, "1") as states:
        assert await anext(states) == processing
        # Replica A's poller saw the session deleted.
        key = WatchKey(credential.shared_id(SECRET), Activity.JUMPING, "1")
        await SignedBroker(shared, SECRET).publish(key.channel, events.encode(NotFound()))
        with pytest.raises(NotFound) as info:
            await anext(states)
        assert info.value.message == CODES["NOT_FOUND"].message
    await replica_b.aclose()
    await client.aclose()


def _validation_errors(text: str) -> list[GraphQLError]:
    return list(validate(build_schema("type Query { a: Int }"), parse(text)))


def test_graphql_errors_are_coded_by_what_they_are() -> None:
    with pytest.raises(GraphQLSyntaxError) as too_long:
        parse("{ a a a a a }", max_tokens=3)
    assert code_of_graphql_error(too_long.value) == LimitExceeded.code
    with pytest.raises(GraphQLSyntaxError) as syntax:
        parse("{ a ")
    assert code_of_graphql_error(syntax.value) == OperationParseFailed.code
    wrapped = GraphQLError("wrapped", original_error=syntax.value)
    assert code_of_graphql_error(wrapped) == OperationParseFailed.code
    (invalid,) = _validation_errors("{ b }")
    assert code_for_input(invalid) == OperationInvalid.code
    # The text alone decides nothing: a validation error that reads like the
    # token bound is still a validation error.
    lookalike = GraphQLError("Document contains more than 3 tokens.")
    assert code_of_graphql_error(lookalike) == OperationInvalid.code
    coded = GraphQLError("over a bound", extensions={"code": LimitExceeded.code})
    assert code_for_input(coded) == LimitExceeded.code


def _request(accept: str) -> Request:
    headers = [(b"accept", accept.encode())]
    return Request({"type": "http", "method": "POST", "headers": headers, "query_string": b""})


@pytest.mark.parametrize(
    ("error", "accept", "status"),
    [
        (BadRequest("No."), "application/json", 400),
        (PersistedQueryNotFound(), "application/graphql-response+json", 400),
        # Apollo's link reads the legacy JSON answer: a request error, 200.
        (PersistedQueryNotFound(), "application/json", 200),
        (NotFound(), "application/graphql-response+json", 404),
    ],
)
def test_http_level_errors_take_their_status_from_the_registry(
    error: GatewayError, accept: str, status: int
) -> None:
    from gateway.http.cors import OriginPolicy
    from gateway.http.view import GatewayGraphQL
    from gateway.http.wsguard import WebSocketLimits

    settings = Settings()
    view = GatewayGraphQL(
        settings,
        OriginPolicy.of(settings.cors_origins, sandbox=False),
        WebSocketLimits(max_per_address=1, max_per_key=1, init_timeout=1, max_pending_bytes=1),
    )
    response = view.error_response(_request(accept), error)
    assert response.status_code == status
    body = orjson.loads(bytes(response.body))
    assert body["errors"][0]["extensions"]["code"] == error.code
    assert body["errors"][0]["message"] == error.message
