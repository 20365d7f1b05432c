"""Deterministic seed data: the demo users and their sessions.

Everything here is a pure function of a seed string, so two sandboxes started
with the same seed serve byte-identical data, and tests can ask for the same
records the app serves without reaching into its state.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

DEFAULT_SEED: Final = "session-gateway-sandbox"
SESSIONS_PER_USER: Final = 36


class Activity(StrEnum):
    # The values are the upstream's own strings, spelled exactly as it sends them.
    JUMPING = "Vertical Jump"
    RUNNING = "Running"
    WEIGHTLIFTING = "Weightlifting"

    @property
    def path(self) -> str:
        return _ACTIVITY_PATHS[self]


_ACTIVITY_PATHS: Final = {
    Activity.JUMPING: "jumping",
    Activity.RUNNING: "running",
    Activity.WEIGHTLIFTING: "weightlifting",
}


class VideoState(StrEnum):
    READY = "ready"
    PROCESSING = "processing"
    NOT_REQUESTED = "not_requested"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    api_key: str
    user_name: str
    user_id: str
    email: str
    age: int
    height_cm: float
    weight_kg: float
    gender: str


DEMO_USERS: Final[tuple[DemoUser, ...]] = (
    DemoUser(
        name="alice",
        api_key="alice-demo-key",
        user_name="Alice Runner",
        user_id="aL1ceRunn3rDem0Uid01",
        email="alice@example.com",
        age=29,
        height_cm=168.0,
        weight_kg=58.5,
        gender="female",
    ),
    DemoUser(
        name="bob",
        api_key="bob-demo-key",
        user_name="Bob Lifter",
        user_id="b0bLifterDem0Uid0002",
        email="bob@example.com",
        age=34,
        height_cm=181.0,
        weight_kg=88.2,
        gender="male",
    ),
)

DEMO_KEYS: Final[dict[str, str]] = {user.name: user.api_key for user in DEMO_USERS}

EXERCISES: Final = ("snatch", "clean", "clean_and_jerk")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session's identity and the knobs its generated data depends on.

    `metrics_as_arrays` and `calculated_as_objects` pick which of the contract's
    shapes a running session uses, so both forms are always present in the seed.
    """

    session_id: str
    owner: str
    activity: Activity
    title: str
    created_at: datetime
    frames: int
    segments: int
    video_state: VideoState
    exercise: str | None = None
    barbell_mass: float | None = None
    incline_degree: float | None = None
    metrics_as_arrays: bool = False
    calculated_as_objects: bool = False
    video_size: int | None = None


_TITLES: Final = {
    Activity.JUMPING: (
        "CMJ test",
        "Box jump warm-up",
        "Drop jump",
        "Vertical jump max",
        "Squat jump",
    ),
    Activity.RUNNING: (
        "Morning run",
        "Treadmill intervals",
        "Tempo RUN",
        "Easy jog",
        "Hill repeats",
    ),
    Activity.WEIGHTLIFTING: ("Snatch technique", "Clean pulls", "Heavy C&J", "Snatch singles"),
}

# Reference instant for the seed: fixed so that dates never depend on when the
# sandbox starts, and the filter endpoint's date ranges are testable.
_SEED_EPOCH: Final = datetime(2025, 3, 1, 18, 0)

# Positions (in creation order, newest first) whose analyzed video is not ready.
_NOT_REQUESTED_AT: Final = (4, 19)
_FAILED_AT: Final = 10


def user_by_name(name: str) -> DemoUser:
    for user in DEMO_USERS:
        if user.name == name:
            return user
    raise KeyError(name)


def user_by_key(api_key: str) -> DemoUser | None:
    for user in DEMO_USERS:
        if user.api_key == api_key:
            return user
    return None


def session_id_for(seed: str, *parts: object) -> str:
    """A 32-hex-char id, the upstream's format, derived from the seed."""
    material = ":".join([seed, *(str(p) for p in parts)]).encode()
    return hashlib.sha256(material).hexdigest()[:32]


def seed_sessions(user: str, seed: str = DEFAULT_SEED) -> list[SessionRecord]:
    """The seeded sessions of the named demo user, newest first."""
    user_by_name(user)
    rng = random.Random(f"{seed}:{user}:sessions")
    activities = [a for a in Activity for _ in range(SESSIONS_PER_USER // len(Activity))]
    rng.shuffle(activities)
    running_seen = 0
    created = _SEED_EPOCH
    records: list[SessionRecord] = []
    for index, activity in enumerate(activities):
        created -= timedelta(hours=rng.randint(6, 60), minutes=rng.randint(0, 59))
        title = f"{rng.choice(_TITLES[activity])} #{index + 1}"
        state = VideoState.READY
        if index in _NOT_REQUESTED_AT:
            state = VideoState.NOT_REQUESTED
        elif index == _FAILED_AT:
            state = VideoState.FAILED
        exercise: str | None = None
        barbell_mass: float | None = None
        incline: float | None = None
        as_arrays = as_objects = False
        if activity is Activity.RUNNING:
            # Alternate the two shape knobs independently so all four
            # combinations appear for every user.
            as_arrays = running_seen % 2 == 1
            as_objects = (running_seen // 2) % 2 == 1
            incline = float(rng.choice((0, 0, 1, 2, 5)))
            running_seen += 1
        elif activity is Activity.WEIGHTLIFTING:
            exercise = rng.choice(EXERCISES)
            barbell_mass = float(rng.randrange(40, 140, 5))
        records.append(
            SessionRecord(
                session_id=session_id_for(seed, user, index),
                owner=user,
                activity=activity,
                title=title,
                created_at=created,
                frames=rng.randint(200, 400),
                segments=rng.randint(3, 6),
                video_state=state,
                exercise=exercise,
                barbell_mass=barbell_mass,
                incline_degree=incline,
                metrics_as_arrays=as_arrays,
                calculated_as_objects=as_objects,
            )
        )
    return records


def date_dmy(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y")


def date_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def time_12h(moment: datetime) -> str:
    return moment.strftime("%I:%M %p")
