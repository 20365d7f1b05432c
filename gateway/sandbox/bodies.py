"""Response bodies of the data endpoints: details, export, listing entries.

Bodies follow the contract's schemas, including the quirks a real upstream
shows (the README's "DESIGN: readiness, and the readings of the contract";
each named in `gateway/upstream/contract.py`, `DEVIATIONS`): two date formats,
metrics as numbers or arrays or `{avg, min, max}` objects, `max_power` as a
numeric string, and `analyzed_video_url` empty or absent while the video is
processing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

import orjson

from gateway.sandbox import series
from gateway.sandbox.data import (
    Activity,
    DemoUser,
    SessionRecord,
    date_dmy,
    date_iso,
    time_12h,
)

Body = dict[str, Any]

STORAGE_URL: Final = "https://storage.sandbox.invalid"

JUMP_ANGLES: Final = (
    "hip_intersection_angle",
    "ank_angle",
    "rkne_angle",
    "lkne_angle",
    "kne_angle",
    "rank_angle",
    "lank_angle",
)
JUMP_REPORT: Final = ("hipy", "grf", "vhipy", "toey", "ahipy", "vtoey")
JUMP_METRICS: Final = {
    "jump_height": (0.25, 0.55),
    "flight_time": (0.45, 0.67),
    "contact_time": (0.18, 0.32),
    "peak_power": (2800.0, 4600.0),
    "rsi": (1.2, 2.6),
    "takeoff_velocity": (2.2, 3.3),
}
RUN_ANGLES: Final = (
    "lelb_angle",
    "relb_angle",
    "lhip_angle",
    "rhip_angle",
    "lkne_angle",
    "rkne_angle",
    "lank_angle",
    "rank_angle",
)
RUN_METRICS: Final = {
    "speed": (2.6, 3.4),
    "cadence": (162.0, 182.0),
    "power": (200.0, 260.0),
    "normalized_power": (2.8, 3.4),
    "contact_time": (0.22, 0.26),
    "flight_time": (0.09, 0.13),
    "stride_length": (0.62, 0.78),
    "stride_time": (0.33, 0.37),
    "contact_angle": (82.0, 87.0),
    "push_angle": (70.0, 74.0),
    "pace": (5.2, 6.4),
    "rbalance": (44.0, 52.0),
    "contact_stability": (0.5, 0.8),
    "incline": (0.0, 0.0),
}
LIFT_ANGLES: Final = (
    "lank_angle",
    "lkne_angle",
    "rank_angle",
    "hip_intersection_angle",
    "rkne_angle",
)
LIFT_REPORT: Final = ("bar", "vbar", "hipy", "vhipy")


@dataclass(frozen=True, slots=True)
class SessionView:
    """What a body depends on: the record, its owner and the live video state."""

    record: SessionRecord
    user: DemoUser
    seed: str
    frames: int
    analyzed_video_url: str  # "" until the analyzed video is ready
    # The flavor's date format: "contract" (per endpoint), "iso" or "dmy".
    dates: str = "contract"

    @property
    def session_id(self) -> str:
        return self.record.session_id

    @property
    def video_url(self) -> str:
        return f"{STORAGE_URL}/videos/{self.session_id}/original_video.mov"

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.session_id}:{purpose}")


@dataclass(frozen=True, slots=True)
class FrameData:
    """The per-frame series of one session, already serialized.

    They are the bulk of every body and never change, so they are cached as
    JSON fragments: a third of the memory of Python floats, and nothing to
    re-serialize on the next request.
    """

    timestamps: orjson.Fragment
    keypoints: orjson.Fragment
    angles: orjson.Fragment
    report: orjson.Fragment
    contact: orjson.Fragment


def analyzed_url_for(session_id: str) -> str:
    return f"{STORAGE_URL}/analyzed_videos/{session_id}/analyzed_video.mp4"


def image_url(session_id: str, name: str, language: str) -> str:
    return f"{STORAGE_URL}/reports/{session_id}/{name}_{language}.png"


def frame_data(view: SessionView) -> FrameData:
    rng = view.rng(f"frames:{view.frames}")
    frames = view.frames
    activity = view.record.activity
    report: dict[str, list[float]] = {}
    contact: list[bool] = []
    if activity is Activity.JUMPING:
        angle_names: tuple[str, ...] = JUMP_ANGLES
        report = {
            name: series.wave(rng, frames, base=rng.uniform(0.5, 2.0), amplitude=0.4, noise=0.01)
            for name in JUMP_REPORT
        }
    elif activity is Activity.RUNNING:
        angle_names = RUN_ANGLES
        contact = series.contact(rng, frames)
    else:
        angle_names = LIFT_ANGLES
        report = {
            name: series.wave(rng, frames, base=rng.uniform(0.3, 1.5), amplitude=0.5, noise=0.01)
            for name in LIFT_REPORT
        }
    return FrameData(
        timestamps=orjson.Fragment(orjson.dumps(series.timestamps(frames))),
        keypoints=orjson.Fragment(orjson.dumps(series.keypoints(rng, frames))),
        angles=orjson.Fragment(orjson.dumps(series.angles(rng, angle_names, frames))),
        report=orjson.Fragment(orjson.dumps(report)),
        contact=orjson.Fragment(orjson.dumps(contact)),
    )


def created_at(view: SessionView, *, iso_date: bool) -> Body:
    moment = view.record.created_at
    iso = iso_date if view.dates == "contract" else view.dates == "iso"
    return {"date": date_iso(moment) if iso else date_dmy(moment), "time": time_12h(moment)}


# --- jumping -----------------------------------------------------------------


def jump_metrics(view: SessionView) -> dict[str, list[float]]:
    rng = view.rng("jump-metrics")
    return {
        name: series.short_series(rng, view.record.segments, low, high)
        for name, (low, high) in JUMP_METRICS.items()
    }


def end_frames(view: SessionView) -> list[int]:
    jumps = view.record.segments
    span = max(1, view.frames // jumps)
    return [min(view.frames - 1, span * (i + 1) - 1) for i in range(jumps)]


def _jumping_common(view: SessionView, frames: FrameData) -> Body:
    return {
        "angles": frames.angles,
        "all_timestamps": frames.timestamps,
        "analyzed_video_url": view.analyzed_video_url,
        "video_url": view.video_url,
        # Jumping is the one activity whose dates are ISO (`YYYY-MM-DD`).
        "created_at": created_at(view, iso_date=True),
        "user_name": view.user.user_name,
        "activity": view.record.activity.value,
        "title": view.record.title,
        "end_frames": end_frames(view),
        "metrics": jump_metrics(view),
    }


# --- running -----------------------------------------------------------------


def running_segments(view: SessionView) -> dict[str, list[float]]:
    """Per-segment values of every running metric: the source of all its shapes."""
    rng = view.rng("run-metrics")
    out = {
        name: series.short_series(rng, view.record.segments, low, high)
        for name, (low, high) in RUN_METRICS.items()
    }
    out["incline"] = [view.record.incline_degree or 0.0] * view.record.segments
    return out


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4)


def running_metrics(view: SessionView) -> dict[str, Any]:
    segments = running_segments(view)
    if view.record.metrics_as_arrays:
        return dict(segments)
    return {name: _mean(values) for name, values in segments.items()}


def running_angle_values(view: SessionView) -> dict[str, Any]:
    rng = view.rng("run-angles")
    per_segment = {
        name: series.short_series(rng, view.record.segments, 25.0, 160.0, 2) for name in RUN_ANGLES
    }
    if view.record.metrics_as_arrays:
        return dict(per_segment)
    return {name: _mean(values) for name, values in per_segment.items()}


def stats(values: list[float]) -> Body:
    return {"avg": _mean(values), "min": min(values), "max": max(values)}


def running_totals(view: SessionView) -> tuple[float, float]:
    segments = running_segments(view)
    distance = round(sum(segments["speed"]) * 3.0, 3)
    return distance, round(view.record.segments * 2.995, 3)


def calculated_metrics(view: SessionView) -> Body:
    segments = running_segments(view)
    out: Body = {}
    for name in ("speed", "cadence", "power", "contact_time", "flight_time", "stride_length"):
        values = segments[name]
        out[name] = stats(values) if view.record.calculated_as_objects else _mean(values)
    out["total_distance"], out["total_time"] = running_totals(view)
    return out


# --- weightlifting -----------------------------------------------------------


def java_double(value: float) -> str:
    """Format like Java's Double.toString for large values ("1.0633983025107784E7")."""
    exponent = len(str(int(abs(value)))) - 1
    return f"{value / 10**exponent!r}E{exponent}"


def lift_metrics(view: SessionView) -> Body:
    rng = view.rng("lift-metrics")
    start = rng.randint(20, 60)
    first_pull = start + rng.randint(20, 40)
    transition = first_pull + rng.randint(5, 15)
    second_pull = transition + rng.randint(10, 25)
    catch = second_pull + rng.randint(10, 25)
    recovery = catch + rng.randint(20, 40)
    return {
        "bar_past_the_knee_speed": rng.uniform(0.8, 1.6),
        "bar_past_the_knee_acceleration": rng.uniform(-1.5, 0.5),
        "max_GRF": rng.uniform(8e5, 1.4e6),
        "first_pull_end": first_pull,
        "second_pull_end": second_pull,
        "scale": round(rng.uniform(1.5, 2.5), 5),
        "total_time": view.frames * 33,
        "transition": transition,
        "barbell_weight": view.record.barbell_mass or 100.0,
        "start_of_lifting": start,
        "catch_end": catch,
        # The upstream sends this one as a numeric string in Java notation.
        "max_power": java_double(rng.uniform(6e6, 1.4e7)),
        "clean_time": rng.randint(2000, 3000),
        "recovery_end": recovery,
        "mean_markers_validity": round(rng.uniform(0.55, 0.98), 3),
        "max_bar_speed": rng.uniform(1.5, 2.6),
    }


# --- the endpoints -----------------------------------------------------------


def details(view: SessionView, frames: FrameData) -> Body:
    record = view.record
    if record.activity is Activity.JUMPING:
        return {**_jumping_common(view, frames), "whole_report_metrics": frames.report}
    if record.activity is Activity.RUNNING:
        body: Body = {
            "metrics": running_metrics(view),
            "angles": running_angle_values(view),
            "all_timestamps": frames.timestamps,
            "video_url": view.video_url,
            "segments": record.segments,
            "created_at": created_at(view, iso_date=False),
            "user_name": view.user.user_name,
            "activity": record.activity.value,
            "title": record.title,
            "calculated_metrics": calculated_metrics(view),
            "summary": f"{record.segments} segments analysed; cadence and contact time are stable.",
        }
        # Optional in the running schema, and absent while processing.
        if view.analyzed_video_url:
            body["analyzed_video_url"] = view.analyzed_video_url
        return body
    return {
        "analyzed_video_url": view.analyzed_video_url,
        "video_url": view.video_url,
        "created_at": created_at(view, iso_date=False),
        "exercise": record.exercise,
        "user_name": view.user.user_name,
        "activity": record.activity.value,
        "title": record.title,
        "metrics": lift_metrics(view),
        "angles": frames.angles,
        "report_metrics": frames.report,
        "all_timestamps": frames.timestamps,
    }


def export(view: SessionView, frames: FrameData) -> Body:
    record = view.record
    if record.activity is Activity.JUMPING:
        return {**_jumping_common(view, frames), "keypoints": frames.keypoints}
    if record.activity is Activity.RUNNING:
        return {
            "metrics": running_metrics(view),
            "keypoints": frames.keypoints,
            "angles": frames.angles,
            "all_timestamps": frames.timestamps,
            "contact": frames.contact,
            "activity": record.activity.value,
        }
    return {
        "keypoints": frames.keypoints,
        "angles": frames.angles,
        "all_timestamps": frames.timestamps,
        "metrics": lift_metrics(view),
        "activity": record.activity.value,
    }


def listing_entry(view: SessionView) -> Body:
    record = view.record
    entry: Body = {
        "video_url": view.video_url,
        "analyzed_video_url": view.analyzed_video_url,
        "segments": record.segments,
        "created_at": created_at(view, iso_date=False),
        "user_name": view.user.user_name,
        "report_comments": {},
        "activity": record.activity.value,
        "user_id": view.user.user_id,
        "user_status": "user",
        "title": record.title,
        "metrics": {},
    }
    if record.exercise is not None:
        entry["exercise"] = record.exercise
    return entry
