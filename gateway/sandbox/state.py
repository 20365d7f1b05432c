"""Everything mutable about one sandbox app: sessions, video jobs, knobs, counters.

One `SandboxState` per app (created by `create_sandbox_app`), so tests that
build several apps never see each other's uploads, deletions or counters.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from gateway.sandbox.bodies import FrameData, SessionView, analyzed_url_for, frame_data
from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.data import (
    DEMO_USERS,
    Activity,
    DemoUser,
    SessionRecord,
    VideoState,
    seed_sessions,
    session_id_for,
    user_by_name,
)
from gateway.sandbox.flavors import Flavor, flavor_named
from gateway.sandbox.reports import default_report_comments

# Enough for every seeded session at one frame count, plus a benchmark's sizes.
_FRAME_CACHE_SIZE = 128


@dataclass(slots=True)
class Knobs:
    latency_ms: float
    processing_delay_s: float
    export_frames: int | None
    # Hold contract requests until this many are in flight at once, then let
    # them all go (once): concurrency proven by a count, on any machine.
    gate: int | None = None
    # Send what validation.DEVIATIONS names (422 for a failed video); off, the
    # sandbox answers only what the contract documents.
    deviations: bool = True
    # Contract drift on demand: every value of this property, in every 200
    # body, is sent with the wrong JSON type (see control.with_wrong_type).
    wrong_type: str | None = None
    # Answer as a Django upstream with session authentication ahead of the
    # key (Django REST Framework's default order): every authenticated answer
    # sets a `sessionid` cookie, and a request that carries one is that
    # session's user, whatever key it sends.
    session_cookies: bool = False
    # Further latency of the routes whose path contains a key, in ms (the
    # first key that matches): e.g. {"/export/": 1500}, a slow export.
    route_latency_ms: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class FailureRule:
    """Answer the next `remaining` matching contract requests with a canned failure."""

    remaining: int
    status: int = 503
    path_contains: str = ""
    method: str | None = None
    garbage: bool = False
    # Seconds for a Retry-After header (a 429's or a 503's), if any.
    retry_after: int | None = None
    # The error body's text and code, instead of the status's usual ones
    # (e.g. an upstream that echoes what it was sent).
    message: str | None = None
    error_code: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.path_contains in path and (self.method is None or self.method == method)

    def describe(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": self.remaining,
            "path_contains": self.path_contains,
            "method": self.method,
            "garbage": self.garbage,
            "retry_after": self.retry_after,
            "message": self.message,
            "error_code": self.error_code,
        }


@dataclass(slots=True)
class RandomFailure:
    """Answer each matching contract request with `status` at probability `rate`,
    drawn from a seeded generator so that a run can be repeated."""

    rate: float
    status: int = 503
    path_contains: str = ""
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self, path: str) -> FailureRule | None:
        if self.path_contains not in path or self.rng.random() >= self.rate:
            return None
        return FailureRule(remaining=1, status=self.status, path_contains=self.path_contains)

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "status": self.status,
            "path_contains": self.path_contains,
            "seed": self.seed,
        }


@dataclass(slots=True)
class RequestStats:
    total: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    by_session: dict[str, Counter[str]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    # Contract requests that carried a Cookie header.
    with_cookies: int = 0

    def started(self, route_key: str, session_id: str | None) -> None:
        self.total += 1
        self.routes[route_key] += 1
        if session_id is not None:
            self.by_session.setdefault(session_id, Counter())[route_key] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def finished(self) -> None:
        self.in_flight -= 1

    def reset(self) -> None:
        # In-flight requests are still running: keep counting them.
        self.total = 0
        self.with_cookies = 0
        self.routes.clear()
        self.by_session.clear()
        self.max_in_flight = self.in_flight

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "routes": dict(self.routes),
            "by_session": {sid: dict(counts) for sid, counts in self.by_session.items()},
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "with_cookies": self.with_cookies,
        }


@dataclass(slots=True)
class VideoJob:
    state: VideoState
    ready_at: float = 0.0
    # What processing ends in: a corrupt (empty) upload fails, like upstream's 422.
    outcome: VideoState = VideoState.READY


class SandboxState:
    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.flavor: Flavor = flavor_named(config.flavor)
        self.clock = clock
        self.knobs = Knobs(config.latency_ms, config.processing_delay_s, config.export_frames)
        self.crowd = asyncio.Condition()
        self.stats = RequestStats()
        self.failures: list[FailureRule] = []
        self.random_failure: RandomFailure | None = None
        self.sessions: dict[str, SessionRecord] = {}
        self.jobs: dict[str, VideoJob] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self._uploads = 0
        self._frame_cache: OrderedDict[tuple[str, int], FrameData] = OrderedDict()
        self.reset_sessions()

    def reset_sessions(self) -> None:
        """Back to the seeded sessions: uploads gone, edits, deletions and video
        states undone. Upload ids keep counting, so no id is ever handed out twice."""
        self.sessions.clear()
        self.jobs.clear()
        self.comments.clear()
        for user in DEMO_USERS:
            for record in seed_sessions(user.name, self.config.seed):
                self._add(record)

    def _add(self, record: SessionRecord) -> None:
        self.sessions[record.session_id] = record
        self.jobs[record.session_id] = VideoJob(record.video_state)
        if record.activity is Activity.RUNNING:
            self.comments[record.session_id] = default_report_comments()

    # --- lookup --------------------------------------------------------------

    def find(
        self, user: DemoUser, session_id: str, activity: Activity | None = None
    ) -> SessionRecord | None:
        """The user's session, or None: another user's session is as absent as an unknown one."""
        record = self.sessions.get(session_id)
        if record is None or record.owner != user.name:
            return None
        if activity is not None and record.activity is not activity:
            return None
        return record

    def sessions_of(self, user: DemoUser) -> list[SessionRecord]:
        """Newest first; ties broken by id so pagination is stable."""
        mine = [r for r in self.sessions.values() if r.owner == user.name]
        mine.sort(key=lambda r: r.session_id)
        mine.sort(key=lambda r: r.created_at, reverse=True)
        return mine

    def view(self, record: SessionRecord) -> SessionView:
        ready = self.video_state(record.session_id) is VideoState.READY
        if self.flavor.metrics != "mixed" and record.activity is Activity.RUNNING:
            arrays = self.flavor.metrics == "arrays"
            record = replace(record, metrics_as_arrays=arrays, calculated_as_objects=arrays)
        return SessionView(
            record=record,
            user=user_by_name(record.owner),
            seed=self.config.seed,
            frames=self.knobs.export_frames or record.frames,
            analyzed_video_url=analyzed_url_for(record.session_id) if ready else "",
            dates=self.flavor.dates,
        )

    def frames(self, view: SessionView) -> FrameData:
        key = (view.session_id, view.frames)
        cached = self._frame_cache.get(key)
        if cached is None:
            cached = frame_data(view)
            self._frame_cache[key] = cached
            if len(self._frame_cache) > _FRAME_CACHE_SIZE:
                self._frame_cache.popitem(last=False)
        else:
            self._frame_cache.move_to_end(key)
        return cached

    # --- analyzed video ------------------------------------------------------

    def video_state(self, session_id: str) -> VideoState:
        job = self.jobs[session_id]
        if job.state is VideoState.PROCESSING and self.clock() >= job.ready_at:
            job.state = job.outcome
        return job.state

    def start_processing(self, session_id: str) -> None:
        """Start generating the analyzed video if nobody asked for it yet."""
        if self.video_state(session_id) is VideoState.NOT_REQUESTED:
            self.force(session_id, VideoState.PROCESSING)

    def force(self, session_id: str, state: VideoState) -> None:
        self.jobs[session_id] = VideoJob(state, self.clock() + self.knobs.processing_delay_s)

    # --- writes --------------------------------------------------------------

    def upload(
        self,
        user: DemoUser,
        activity: Activity,
        title: str,
        *,
        video_size: int,
        now: datetime,
        exercise: str | None = None,
        barbell_mass: float | None = None,
        incline_degree: float | None = None,
    ) -> SessionRecord:
        self._uploads += 1
        session_id = session_id_for(self.config.seed, "upload", user.name, self._uploads)
        record = SessionRecord(
            session_id=session_id,
            owner=user.name,
            activity=activity,
            title=title,
            created_at=now,
            frames=200 + (self._uploads * 37) % 200,
            segments=3,
            video_state=VideoState.PROCESSING,
            exercise=exercise,
            barbell_mass=barbell_mass,
            incline_degree=incline_degree,
            video_size=video_size,
        )
        self._add(record)
        self.force(session_id, VideoState.PROCESSING)
        if video_size == 0:
            self.jobs[session_id].outcome = VideoState.FAILED
        return record

    def update(
        self, session_id: str, *, title: str | None, created_at: datetime | None
    ) -> SessionRecord:
        record = self.sessions[session_id]
        if title is not None:
            record = replace(record, title=title)
        if created_at is not None:
            record = replace(record, created_at=created_at)
        self.sessions[session_id] = record
        return record

    def delete(self, session_id: str) -> None:
        del self.sessions[session_id]
        del self.jobs[session_id]
        self.comments.pop(session_id, None)
        for key in [k for k in self._frame_cache if k[0] == session_id]:
            del self._frame_cache[key]

    # --- failure injection ---------------------------------------------------

    async def wait_at_gate(self, guard: float = 10.0) -> None:
        """Wait until `knobs.gate` requests are in flight (this one counted), or `guard`
        seconds: a gateway that calls one at a time then shows as max_in_flight 1."""
        async with self.crowd:
            size = self.knobs.gate
            if size is None:
                return
            if self.stats.in_flight >= size:
                self.knobs.gate = None  # open, once
                self.crowd.notify_all()
                return
            try:
                await asyncio.wait_for(self.crowd.wait_for(lambda: self.knobs.gate is None), guard)
            except TimeoutError:
                self.knobs.gate = None

    def take_failure(self, method: str, path: str) -> FailureRule | None:
        for rule in self.failures:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.failures.remove(rule)
                return rule
        if self.random_failure is not None:
            return self.random_failure.draw(path)
        return None
