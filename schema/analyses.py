"""Analyses and reports of a session: jump and gait analyses, summaries, comments, images.

Each report is one upstream resource, fetched only when one of its fields is
selected and at most once per operation (however many fields, aliases or
languages ask for it): the resolvers here load the body through
:func:`schema.context.upstream_of`, and the types compute their fields from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.errors import NotFound
from gateway.ids import Activity as ActivityValue
from gateway.loaders import Resource
from gateway.localized import localized, to_int, translations
from gateway.normalize import (
    json_object,
    parse_created_at,
    parse_date,
    to_float,
    to_float_list,
    to_text,
)
from gateway.sessions import SessionRef
from gateway.upstream import endpoints
from gateway.upstream.endpoints import UpstreamEndpoint
from schema.context import Ctx, upstream_of
from schema.scalars import FloatSeries
from schema.series import FramesArg, Metric, NamesArg, metric_list

__all__ = [
    "SESSION_REPORTS",
    "AnalysisImage",
    "Athlete",
    "GaitAnalysis",
    "GaitAngle",
    "JumpAnalysis",
    "JumpCurve",
    "JumpGraph",
    "JumpSummary",
    "Language",
    "LanguageArg",
    "LocalizedText",
    "NamedText",
    "RecommendationThread",
    "ReportComment",
    "ReportPhase",
    "RunningTotals",
    "load_report",
    "running_totals",
]


@strawberry.enum(description="A language the upstream writes its reports in: English or Russian.")
class Language(Enum):
    EN = "en"
    RU = "ru"


LanguageArg = Annotated[
    Language,
    strawberry.argument(
        description="The language wanted; English (or any language there is) when missing."
    ),
]


def _mapping(body: Any, what: str) -> Mapping[str, Any]:
    return json_object(body, f"The {what} is not a JSON object.")


# --- shared shapes -------------------------------------------------------------


@strawberry.type(description="The athlete's profile as the report states it.")
class Athlete:
    name: str | None = strawberry.field(description="Full name.")
    age: int | None = strawberry.field(description="Age in years.")
    weight_kg: float | None = strawberry.field(description="Weight in kilograms.")
    height_cm: float | None = strawberry.field(description="Height in centimeters.")
    gender: str | None = strawberry.field(description="Gender, as the athlete gave it.")
    email: str | None = strawberry.field(description="E-mail address, when the report has it.")

    @classmethod
    def of(cls, raw: Any) -> Athlete | None:
        if not isinstance(raw, Mapping):
            return None
        return cls(
            name=to_text(raw.get("name")),
            # The gait report sends the age as a string.
            age=to_int(raw.get("age")),
            weight_kg=to_float(raw.get("weight")),
            height_cm=to_float(raw.get("height")),
            gender=to_text(raw.get("gender")),
            email=to_text(raw.get("email")),
        )


@strawberry.type(description="A short named text, e.g. a feedback comment on one metric.")
class NamedText:
    name: str = strawberry.field(description="What the text is about, e.g. `power`.")
    text: str = strawberry.field(description="The text.")

    @classmethod
    def all_of(cls, raw: Any) -> list[NamedText]:
        if not isinstance(raw, Mapping):
            return []
        return [cls(name=str(k), text=v) for k, v in raw.items() if to_text(v) is not None]


@strawberry.type(description="A named text in one language: the one asked for, or a fallback.")
class LocalizedText:
    name: str = strawberry.field(description="The text's upstream key, e.g. `text_bar_speed`.")
    text: str = strawberry.field(description="The text.")
    language: Language = strawberry.field(description="The language of `text`.")

    @classmethod
    def all_of(cls, raw: Any, language: Language) -> list[LocalizedText]:
        return [
            cls(name=e.name, text=e.value, language=Language(e.language))
            for e in localized(raw, language.value)
            if e.language in _KNOWN
        ]


@strawberry.type(description="An image of the report, in one language.")
class AnalysisImage:
    name: str = strawberry.field(description="What the image shows, e.g. `bar_path`.")
    url: str = strawberry.field(description="The image's public URL.")
    language: Language = strawberry.field(
        description="The language of the image's labels: the one asked for, or a fallback."
    )

    @classmethod
    def all_of(cls, raw: Any, language: Language) -> list[AnalysisImage]:
        return [
            cls(name=e.name, url=e.value, language=Language(e.language))
            for e in localized(raw, language.value)
            if e.language in _KNOWN
        ]


_KNOWN = frozenset(language.value for language in Language)


@strawberry.type(description="A moment of the movement, with where it is in the video.")
class ReportPhase:
    name: str = strawberry.field(description="The phase, e.g. `takeoff` or `landing`.")
    video_frame: int | None = strawberry.field(description="The video frame it happens at.")
    graph_phase: int | None = strawberry.field(
        description="Where the phase sits on the report's graphs (the upstream's graph units)."
    )
    video_phase: int | None = strawberry.field(
        description="Running only: the phase value as seen in the video."
    )
    image_url: str | None = strawberry.field(description="A still image of the phase.")

    @classmethod
    def all_of(cls, raw: Any) -> list[ReportPhase]:
        if not isinstance(raw, Mapping):
            return []
        return [
            cls(
                name=str(name),
                video_frame=to_int(value.get("video_frame")),
                graph_phase=to_int(value.get("graph_phase")),
                video_phase=to_int(value.get("video_phase")),
                image_url=to_text(value.get("image_url")),
            )
            for name, value in raw.items()
            if isinstance(value, Mapping)
        ]


@strawberry.type(description="A running report comment, in both languages.")
class ReportComment:
    name: str = strawberry.field(
        description="The comment's key, e.g. `text_summary` or `text_contact_angle`."
    )
    en: str | None = strawberry.field(description="The comment in English.")
    ru: str | None = strawberry.field(description="The comment in Russian.")

    @classmethod
    def all_of(cls, raw: Any) -> list[ReportComment]:
        if not isinstance(raw, Mapping):
            return []
        out = []
        for name, value in raw.items():
            texts = translations(value)
            if texts:
                out.append(cls(name=str(name), en=texts.get("en"), ru=texts.get("ru")))
        return out


# --- jumping -------------------------------------------------------------------


@strawberry.type(description="One jump's curve of a metric.")
class JumpCurve:
    jump: str = strawberry.field(description="Which jump, e.g. `jump_1`.")
    times: FloatSeries | None = strawberry.field(description="Seconds since the jump's start.")
    values: FloatSeries | None = strawberry.field(description="The metric at each time.")


@strawberry.type(description="A metric's curves over the jumps, for the report's graphs.")
class JumpGraph:
    metric: str = strawberry.field(description="The metric, e.g. `hipy` (hip height) or `grf`.")
    jumps: list[JumpCurve] = strawberry.field(description="One curve per jump.")


@strawberry.type(
    description=(
        "The vertical-jump analysis report: graph curves per jump, the phases of "
        "the movement with their frames and images, and feedback."
    )
)
class JumpAnalysis:
    body: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(
        description=(
            "Curves per metric and jump. These are sampled over each jump's time "
            "(see `times`), not per video frame, so they take no frame range."
        )
    )
    def graphs(self, names: NamesArg = None) -> list[JumpGraph]:
        raw = self.body.get("graph_data")
        if not isinstance(raw, Mapping):
            return []
        wanted = None if names is None else set(names)
        out = []
        for metric, jumps in raw.items():
            if (wanted is not None and metric not in wanted) or not isinstance(jumps, Mapping):
                continue
            curves = [
                JumpCurve(
                    jump=str(jump),
                    times=_series(curve.get("times")),
                    values=_series(curve.get("data")),
                )
                for jump, curve in jumps.items()
                if isinstance(curve, Mapping)
            ]
            out.append(JumpGraph(metric=str(metric), jumps=curves))
        return out

    @strawberry.field(description="The phases of the jump, from preparation to recuperation.")
    def phases(self) -> list[ReportPhase]:
        return ReportPhase.all_of(self.body.get("phase_data"))

    @strawberry.field(description="The first video frame the analysis covers.")
    def min_frame(self) -> int | None:
        return to_int(self.body.get("min_frame"))

    @strawberry.field(description="The last video frame the analysis covers.")
    def max_frame(self) -> int | None:
        return to_int(self.body.get("max_frame"))

    @strawberry.field(description="Feedback per topic, e.g. `power` and `grf`.")
    def comments(self) -> list[NamedText]:
        return NamedText.all_of(self.body.get("comments"))

    @strawberry.field(description="The day the session took place.")
    def session_date(self) -> date | None:
        return parse_date(self.body.get("session_date"))

    @strawberry.field(description="The athlete the report is about.")
    def athlete(self) -> Athlete | None:
        return Athlete.of(self.body.get("user_information"))


def _series(raw: Any) -> FloatSeries | None:
    values = to_float_list(raw)
    return None if values is None else FloatSeries(values)


@strawberry.type(description="A thread of the upstream's coaching assistant about one metric.")
class RecommendationThread:
    metric: str = strawberry.field(description="The metric it is about, e.g. `hip_height`.")
    thread_id: str = strawberry.field(description="The thread's upstream id.")

    @classmethod
    def all_of(cls, raw: Mapping[str, Any]) -> list[RecommendationThread]:
        return [
            cls(metric=str(name), thread_id=value)
            for name, value in raw.items()
            if to_text(value) is not None
        ]


@strawberry.type(description="The jump session's summary: metrics per jump and short ratings.")
class JumpSummary:
    body: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(description="Metrics, one value per jump (e.g. `jump_height`).")
    def metrics(self, names: NamesArg = None, frames: FramesArg = None) -> list[Metric]:
        return metric_list(self.body.get("metrics"), names, frames)

    @strawberry.field(description="Short ratings per aspect, e.g. `power`: `Average`.")
    def ratings(self) -> list[NamedText]:
        return NamedText.all_of(self.body.get("summary"))

    @strawberry.field(description="The athlete the summary is about.")
    def athlete(self) -> Athlete | None:
        return Athlete.of(self.body.get("user_info"))

    @strawberry.field(description="When the session was created (ISO-8601, UTC).")
    def created_at(self) -> datetime | None:
        return parse_created_at(self.body.get("created_at"))


# --- running -------------------------------------------------------------------


@strawberry.type(description="A joint angle over one stride, with the next stride and spread.")
class GaitAngle:
    name: str = strawberry.field(description="The angle, e.g. `lkne_angle` (left knee).")
    current: FloatSeries | None = strawberry.field(description="The measured stride, in degrees.")
    next: FloatSeries | None = strawberry.field(description="The following stride, in degrees.")
    std_dev: FloatSeries | None = strawberry.field(
        description="The standard deviation over strides, in degrees."
    )


@strawberry.type(description="The gait analysis report: phases, peak time and joint angles.")
class GaitAnalysis:
    body: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(description="The peak time the analysis found.")
    def peak_time(self) -> float | None:
        return to_float(self.body.get("peak_time"))

    @strawberry.field(description="The stride's phases (`takeoff`, `flight`) with their frames.")
    def phases(self) -> list[ReportPhase]:
        return ReportPhase.all_of(self.body.get("phases"))

    @strawberry.field(
        description=(
            "Angle curves per joint. They are sampled over one stride, not per "
            "video frame, so they take no frame range."
        )
    )
    def angles(self, names: NamesArg = None) -> list[GaitAngle]:
        raw = self.body.get("angles")
        if not isinstance(raw, Mapping):
            return []
        wanted = None if names is None else set(names)
        return [
            GaitAngle(
                name=str(name),
                current=_series(value.get("current")),
                next=_series(value.get("next")),
                std_dev=_series(value.get("std_dev")),
            )
            for name, value in raw.items()
            if isinstance(value, Mapping) and (wanted is None or name in wanted)
        ]

    @strawberry.field(description="The athlete the report is about.")
    def athlete(self) -> Athlete | None:
        return Athlete.of(self.body.get("user_info"))

    @strawberry.field(description="The report's date.")
    def date(self) -> date | None:
        return parse_date(self.body.get("date"))


@strawberry.type(description="Running totals over all the caller's running sessions.")
class RunningTotals:
    body: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(
        description="Averages over all running sessions: `avg_speed`, `avg_power`, ..."
    )
    def averages(self, names: NamesArg = None) -> list[Metric]:
        return metric_list(self.body.get("avg_metrics"), names, None)

    @strawberry.field(
        description=(
            "The newest running session's statistics: `{avg, min, max}` per metric, "
            "and single numbers such as `total_distance` and `total_time`."
        )
    )
    def last_session(self, names: NamesArg = None) -> list[Metric]:
        return metric_list(self.body.get("last_session_metrics"), names, None)

    @strawberry.field(description="The newest running session's foot strike, e.g. `midfoot`.")
    def last_session_footstrike(self) -> str | None:
        raw = self.body.get("last_session_metrics")
        return to_text(raw.get("footstrike")) if isinstance(raw, Mapping) else None

    @strawberry.field(description="When the newest running session was created (ISO-8601, UTC).")
    def last_session_created_at(self) -> datetime | None:
        return parse_created_at(self.body.get("last_session_created_at"))


# --- resolvers -------------------------------------------------------------------
#
# Called by the session types' fields; each loads one report through the
# operation's loader, so it is fetched once whatever selects it.


# The report each session field reads, by activity and field name, so that
# `session()` can start it beside the session's own call (schema/query.py).
SESSION_REPORTS: dict[tuple[ActivityValue, str], UpstreamEndpoint] = {
    (ActivityValue.JUMPING, "jumpAnalysis"): endpoints.JUMP_ANALYSIS,
    (ActivityValue.JUMPING, "summary"): endpoints.JUMP_SUMMARY,
    (ActivityValue.JUMPING, "recommendationThreads"): endpoints.JUMP_RECOMMENDATION,
    (ActivityValue.RUNNING, "gaitAnalysis"): endpoints.GAIT_ANALYSIS,
    (ActivityValue.RUNNING, "reportComments"): endpoints.REPORT_COMMENTS,
    (ActivityValue.WEIGHTLIFTING, "liftAnalysis"): endpoints.LIFT_ANALYSIS,
    (ActivityValue.WEIGHTLIFTING, "recommendations"): endpoints.LIFT_RECOMMENDATION,
}


async def load_report(ref: SessionRef, info: Ctx, report: UpstreamEndpoint) -> Any:
    """A report's body, once per operation (see :meth:`SessionRef.load_report`)."""
    return await ref.load_report(upstream_of(info), report)


async def jump_analysis(ref: SessionRef, info: Ctx) -> JumpAnalysis:
    body = await load_report(ref, info, endpoints.JUMP_ANALYSIS)
    return JumpAnalysis(body=_mapping(body, "jump analysis"))


async def jump_summary(ref: SessionRef, info: Ctx) -> JumpSummary:
    body = await load_report(ref, info, endpoints.JUMP_SUMMARY)
    return JumpSummary(body=_mapping(body, "jump summary"))


async def jump_recommendation_threads(ref: SessionRef, info: Ctx) -> list[RecommendationThread]:
    body = await load_report(ref, info, endpoints.JUMP_RECOMMENDATION)
    return RecommendationThread.all_of(_mapping(body, "recommendation threads"))


async def gait_analysis(ref: SessionRef, info: Ctx) -> GaitAnalysis:
    body = await load_report(ref, info, endpoints.GAIT_ANALYSIS)
    return GaitAnalysis(body=_mapping(body, "gait analysis"))


async def report_comments(ref: SessionRef, info: Ctx) -> list[ReportComment] | None:
    try:
        body = await load_report(ref, info, endpoints.REPORT_COMMENTS)
    except NotFound:
        # "Comments not found": the session has none (yet, or any more).
        return None
    return ReportComment.all_of(_mapping(body, "report comments"))


async def running_summary(ref: SessionRef, info: Ctx, language: Language) -> LocalizedText | None:
    body = _mapping(await load_report(ref, info, endpoints.RUNNING_SUMMARY), "summary")
    texts = LocalizedText.all_of({"summary": body.get("summary")}, language)
    return texts[0] if texts else None


async def images(
    ref: SessionRef, info: Ctx, report: UpstreamEndpoint, language: Language
) -> list[AnalysisImage]:
    body = await load_report(ref, info, report)
    return AnalysisImage.all_of(_mapping(body, "image list"), language)


async def lift_recommendations(
    ref: SessionRef, info: Ctx, language: Language
) -> list[LocalizedText]:
    body = await load_report(ref, info, endpoints.LIFT_RECOMMENDATION)
    return LocalizedText.all_of(_mapping(body, "recommendations"), language)


async def running_totals(info: Ctx) -> RunningTotals | None:
    """The root ``runningTotals`` field: null when the caller has no running session."""
    try:
        body = await upstream_of(info).load(Resource.at(endpoints.RUNNING_TOTALS))
    except NotFound:
        return None
    return RunningTotals(body=_mapping(body, "running totals"))
