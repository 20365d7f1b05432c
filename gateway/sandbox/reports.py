"""Bodies of the report endpoints: analyses, recommendations, summaries, comments.

These are small documents keyed by image or text name, each with an English and
a Russian variant, as the contract's examples show.
"""

# The Russian texts are meant to be Cyrillic: the homoglyph check does not apply.
# ruff: noqa: RUF001

from __future__ import annotations

import random
import string
from typing import Final

from gateway.sandbox import series
from gateway.sandbox.bodies import (
    Body,
    SessionView,
    created_at,
    image_url,
    jump_metrics,
    running_segments,
    running_totals,
    stats,
)
from gateway.sandbox.data import date_dmy, date_iso

LIFT_IMAGES: Final = (
    "hip_height",
    "bar_speed",
    "bar_height",
    "bar_path",
    "knee_angle",
    "positions",
)
FORM_IMAGES: Final = ("contact_angles", "push_angles", "knee_ankle")
REPORT_IMAGES: Final = (
    "hip_angle",
    "left_ankle_angle",
    "left_knee_angle",
    "right_ankle_angle",
    "right_knee_angle",
    "positions",
)
RUN_TEXTS: Final = {
    "text_summary": ("Your run was steady and efficient.", "Ваш бег был ровным и экономичным."),
    "text_contact_angle": (
        "Ensure the contact angle with the center of mass is adjusted.",
        "Убедитесь, что угол контакта с центром масс отрегулирован.",
    ),
    "text_push_angle": ("Push off a little more forward.", "Отталкивайтесь чуть больше вперёд."),
    "text_knee_ankle": (
        "Keep knee and ankle aligned.",
        "Держите колено и голеностоп на одной линии.",
    ),
    "text_hip_angle": (
        "Extend the hip fully at toe-off.",
        "Полностью разгибайте бедро при отталкивании.",
    ),
    "text_left_ankle_angle": ("Left ankle range is good.", "Амплитуда левого голеностопа в норме."),
    "text_left_knee_angle": (
        "Left knee flexion is adequate.",
        "Сгибание левого колена достаточное.",
    ),
    "text_right_ankle_angle": (
        "Right ankle range is good.",
        "Амплитуда правого голеностопа в норме.",
    ),
    "text_right_knee_angle": (
        "Right knee flexion is adequate.",
        "Сгибание правого колена достаточное.",
    ),
}
LIFT_TEXTS: Final = {
    "text_bar_speed": (
        "Maintain an upright torso during the squatting phases.",
        "Сохраняйте прямое положение туловища во время фаз приседания.",
    ),
    "text_hip_speed": (
        "Ensure the hips reach full extension during the pull.",
        "Убедитесь, что бёдра полностью выпрямляются во время тяги.",
    ),
    "text_bar_path": ("Keep the bar close to the body.", "Держите штангу ближе к телу."),
}
JUMP_THREADS: Final = (
    "hip_height",
    "hip_speed",
    "grf",
    "power",
    "kne_angle",
    "ank_angle",
    "hip_angle",
)
JUMP_SUMMARY_THREADS: Final = (
    "jump_flight",
    "jump_forces",
    "control_and_stability",
    "efficiency",
    "final_summary",
)
JUMP_PHASES: Final = (
    "start_of_preparation",
    "braking",
    "zero_velocity",
    "takeoff",
    "peak",
    "landing",
    "damping",
    "recuperation",
)


def _images(view: SessionView, names: tuple[str, ...]) -> Body:
    return {
        name: {lang: image_url(view.session_id, name, lang) for lang in ("en", "ru")}
        for name in names
    }


def _texts(texts: dict[str, tuple[str, str]]) -> Body:
    return {name: {"en": en, "ru": ru} for name, (en, ru) in texts.items()}


def _thread_id(rng: random.Random) -> str:
    return "thread_" + "".join(rng.choices(string.ascii_letters + string.digits, k=24))


def _user_info(view: SessionView) -> Body:
    user = view.user
    return {
        "name": user.user_name,
        "age": user.age,
        "weight": user.weight_kg,
        "height": user.height_cm,
        "gender": user.gender,
    }


# --- jumping -----------------------------------------------------------------


def jump_analysis(view: SessionView) -> Body:
    rng = view.rng("jump-analysis")
    jumps = min(view.record.segments, 3)
    graph_data: Body = {}
    for metric in ("hipy", "vhipy", "grf", "power"):
        graph_data[metric] = {
            f"jump_{j + 1}": {
                "times": [round(i / series.FPS, 4) for i in range(60)],
                "data": series.wave(rng, 60, base=rng.uniform(0.5, 2.0), amplitude=0.5),
            }
            for j in range(jumps)
        }
    step = max(1, view.frames // (len(JUMP_PHASES) + 1))
    phase_data = {
        phase: {
            "video_frame": step * (i + 1),
            "graph_phase": i * 8,
            "image_url": image_url(view.session_id, phase, "en"),
        }
        for i, phase in enumerate(JUMP_PHASES)
    }
    return {
        "graph_data": graph_data,
        "min_frame": 0,
        "max_frame": view.frames - 1,
        "phase_data": phase_data,
        "user_information": _user_info(view),
        "session_date": date_iso(view.record.created_at),
        "comments": {
            "power": "Peak power is above your average.",
            "grf": "Landing forces are well absorbed.",
        },
    }


def jump_recommendation(view: SessionView) -> Body:
    rng = view.rng("jump-recommendation")
    return {name: _thread_id(rng) for name in JUMP_THREADS}


def jump_summary(view: SessionView) -> Body:
    return {
        "metrics": jump_metrics(view),
        "summary": {"jump_height": "High", "power": "Average", "balance": "Good"},
        "user_info": _user_info(view),
        "created_at": created_at(view, iso_date=True),
    }


def jump_summary_threads(view: SessionView) -> Body:
    rng = view.rng("jump-summary-threads")
    return {name: _thread_id(rng) for name in JUMP_SUMMARY_THREADS}


# --- running -----------------------------------------------------------------


def gait_analysis(view: SessionView) -> Body:
    rng = view.rng("gait-analysis")
    takeoff = rng.randint(20, max(21, view.frames - 40))
    angles = {
        name: {
            "current": series.short_series(rng, 50, 10.0, 120.0, 2),
            "next": series.short_series(rng, 50, 10.0, 120.0, 2),
            "std_dev": series.short_series(rng, 50, 0.1, 4.0, 2),
        }
        for name in ("lank_angle", "lkne_angle", "rank_angle", "rkne_angle")
    }
    return {
        "peak_time": rng.randint(30, 60),
        "phases": {
            "flight": {
                "video_frame": takeoff + 2,
                "graph_phase": 270,
                "video_phase": 323,
                "image_url": image_url(view.session_id, "flight", "en"),
            },
            "takeoff": {
                "video_frame": takeoff,
                "graph_phase": 255,
                "video_phase": 308,
                "image_url": image_url(view.session_id, "takeoff", "en"),
            },
        },
        "angles": angles,
        "user_info": {
            # A string here, unlike everywhere else: the contract says so.
            "age": str(view.user.age),
            "height": view.user.height_cm,
            "weight": view.user.weight_kg,
            "email": view.user.email,
        },
        "date": date_dmy(view.record.created_at),
    }


def form_analysis(view: SessionView) -> Body:
    return _images(view, FORM_IMAGES)


def report_images(view: SessionView) -> Body:
    return _images(view, REPORT_IMAGES)


def running_recommendation(view: SessionView) -> Body:
    return _texts(RUN_TEXTS)


def default_report_comments() -> Body:
    return _texts(RUN_TEXTS)


def running_summary(view: SessionView) -> Body:
    en = f"Greetings! Across {view.record.segments} segments your cadence stayed consistent."
    ru = f"Приветствую! На {view.record.segments} отрезках ваш каденс оставался стабильным."
    return {
        "summary": {
            "full_original": f"ENGLISH: {en}\n\nRUSSIAN: {ru}",
            "en": en,
            "ru": ru,
            "token_used": 400 + 37 * view.record.segments,
        }
    }


def running_metrics_total(views: list[SessionView]) -> Body:
    """Averages over all running sessions, plus the newest one's statistics.

    `views` must be non-empty and newest first.
    """
    per_session = [running_segments(view) for view in views]

    def average(name: str) -> float:
        return sum(sum(s[name]) / len(s[name]) for s in per_session) / len(per_session)

    last, latest = per_session[0], views[0]
    distance, duration = running_totals(latest)
    last_metrics: Body = {
        name: stats(last[name])
        for name in (
            "speed",
            "normalized_power",
            "cadence",
            "power",
            "stride_time",
            "contact_time",
            "contact_angle",
            "incline",
            "pace",
            "stride_length",
            "rbalance",
            "flight_time",
        )
    }
    last_metrics.update(total_distance=distance, total_time=duration, footstrike="midfoot")
    return {
        "avg_metrics": {
            "avg_speed": average("speed"),
            "avg_power": average("power"),
            "avg_cadence": average("cadence"),
            "avg_flight_time": average("flight_time"),
        },
        "last_session_metrics": last_metrics,
        "last_session_created_at": created_at(latest, iso_date=False),
    }


# --- weightlifting -----------------------------------------------------------


def lift_analysis(view: SessionView) -> Body:
    return _images(view, LIFT_IMAGES)


def lift_recommendation(view: SessionView) -> Body:
    return _texts(LIFT_TEXTS)
