"""The session types: one ``Session`` interface over the three activity APIs.

Types here do no I/O of their own: every resolver reaches the upstream
through :func:`schema.context.upstream_of`, which deduplicates per operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from gateway.ids import Activity as ActivityValue
from gateway.ids import encode_global_id
from gateway.normalize import parse_created_at, slice_frames, to_bool, to_text
from gateway.sessions import SessionRef, VideoState
from gateway.sessions import VideoStatus as VideoStatusValue
from gateway.upstream import endpoints
from schema import analyses
from schema.analyses import (
    AnalysisImage,
    GaitAnalysis,
    JumpAnalysis,
    JumpSummary,
    Language,
    LanguageArg,
    LocalizedText,
    RecommendationThread,
    ReportComment,
)
from schema.context import Ctx, charge_output, upstream_of
from schema.scalars import FloatSeries, frame_range
from schema.series import FramesArg, Metric, NamesArg, Series
from schema.series import metric_list as _metrics
from schema.series import series_list as _series
from schema.series import timestamps as _timestamps

__all__ = [
    "Activity",
    "AnalyzedVideo",
    "JumpingSession",
    "Metric",
    "Node",
    "RunningSession",
    "Series",
    "Session",
    "SessionExport",
    "VideoStatus",
    "WeightliftingSession",
    "session_type",
]


Activity = strawberry.enum(
    ActivityValue,
    name="Activity",
    description="The sport a session analyses.",
)
VideoStatus = strawberry.enum(
    VideoStatusValue,
    name="VideoStatus",
    description="Where the analyzed (annotated) video of a session stands.",
)


@strawberry.type(description="The analyzed video: the original with the analysis drawn over it.")
class AnalyzedVideo:
    status: VideoStatus = strawberry.field(description="PROCESSING until the video is ready.")  # type: ignore[valid-type]
    url: str | None = strawberry.field(description="The video's public URL, once READY.")

    @classmethod
    def of(cls, state: VideoState) -> AnalyzedVideo:
        return cls(status=state.status, url=state.url)


@strawberry.interface(description="An object with a globally unique id (Relay).")
class Node:
    @strawberry.field(description="An opaque id, unique across all types.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


@strawberry.type(
    description=(
        "Everything the session's export holds: keypoints per landmark and axis, "
        "angles, timestamps and metrics. Costs one more upstream call, made only "
        "when a field of it is selected."
    )
)
class SessionExport:
    ref: strawberry.Private[SessionRef]

    async def _body(self, info: Ctx) -> Mapping[str, Any]:
        return await self.ref.export(upstream_of(info))

    @strawberry.field(
        description=(
            "Keypoint series, one per landmark and axis: e.g. `lknev` is the left "
            "knee's visibility, `rshox` the right shoulder's x. All the upstream "
            "sends, which is more than its documentation lists."
        )
    )
    async def keypoints(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Series]:
        return _series((await self._body(info)).get("keypoints"), names, frames)

    @strawberry.field(description="Joint angles in degrees, one series per angle.")
    async def angles(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Series]:
        return _series((await self._body(info)).get("angles"), names, frames)

    @strawberry.field(description="The time of each frame, in the upstream's unit (seconds).")
    async def timestamps(self, info: Ctx, frames: FramesArg = None) -> FloatSeries | None:
        return _timestamps((await self._body(info)).get("all_timestamps"), frames)

    @strawberry.field(description="The export's metrics.")
    async def metrics(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Metric]:
        return _metrics((await self._body(info)).get("metrics"), names, frames)

    @strawberry.field(description="Running only: whether a foot touches the ground, per frame.")
    async def contact(self, info: Ctx, frames: FramesArg = None) -> list[bool] | None:
        raw = (await self._body(info)).get("contact")
        if not isinstance(raw, list):
            return None
        charge_output(6 * len(raw))  # "false,"
        return slice_frames([to_bool(v) for v in raw], frame_range(frames))


@strawberry.interface(
    description=(
        "A recorded and analysed video session of one athlete. Fields that the "
        "session listing already carries (title, user, dates, video URLs) cost no "
        "further upstream call."
    )
)
class Session(Node):
    ref: strawberry.Private[SessionRef]
    # The video's state when the caller already knows it (a subscription's
    # event): analyzedVideo then costs no upstream call.
    known_video: strawberry.Private[VideoState | None] = None

    @strawberry.field(description="Opaque global id: encodes the activity and the upstream id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_global_id(self.ref.activity, self.ref.session_id))

    @strawberry.field(description="The upstream's own session id.")
    def session_id(self) -> str:
        return self.ref.session_id

    @strawberry.field(description="The sport this session analyses.")
    def activity(self) -> Activity:  # type: ignore[valid-type]
        return self.ref.activity

    @strawberry.field(description="The session's title.")
    async def title(self, info: Ctx) -> str | None:
        return to_text(await self.ref.field(upstream_of(info), "title"))

    @strawberry.field(description="The name of the athlete the session belongs to.")
    async def user_name(self, info: Ctx) -> str | None:
        return to_text(await self.ref.field(upstream_of(info), "user_name"))

    @strawberry.field(
        description="When the session was created (ISO-8601; the upstream's time is taken as UTC)."
    )
    async def created_at(self, info: Ctx) -> datetime | None:
        return parse_created_at(await self.ref.field(upstream_of(info), "created_at"))

    @strawberry.field(description="The URL of the original uploaded video.")
    async def video_url(self, info: Ctx) -> str | None:
        return to_text(await self.ref.field(upstream_of(info), "video_url"))

    @strawberry.field(
        description=(
            "The analyzed video and its status. Free when the session's payload "
            "holds the URL; otherwise one call to the analyzed-video endpoint, "
            "which alone can tell PROCESSING from FAILED."
        )
    )
    async def analyzed_video(self, info: Ctx) -> AnalyzedVideo:
        if self.known_video is not None:
            return AnalyzedVideo.of(self.known_video)
        return AnalyzedVideo.of(await self.ref.video_state(upstream_of(info)))

    @strawberry.field(description="The time of each analysed frame, in seconds.")
    async def timestamps(self, info: Ctx, frames: FramesArg = None) -> FloatSeries | None:
        return _timestamps(await self.ref.field(upstream_of(info), "all_timestamps"), frames)

    @strawberry.field(description="Joint angles in degrees; a single number is a one-value series.")
    async def angles(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Series]:
        return _series(await self.ref.field(upstream_of(info), "angles"), names, frames)

    @strawberry.field(description="The session's performance metrics, in whatever form sent.")
    async def metrics(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Metric]:
        return _metrics(await self.ref.field(upstream_of(info), "metrics"), names, frames)

    @strawberry.field(
        description=(
            "The session's full export (keypoints and more): one more upstream "
            "call, made only when one of its fields is selected."
        )
    )
    def export(self) -> SessionExport:
        return SessionExport(ref=self.ref)


@strawberry.type(description="A vertical-jump session.")
class JumpingSession(Session):
    @strawberry.field(description="The frame at which each jump segment ends.")
    async def end_frames(self, info: Ctx) -> list[int] | None:
        raw = await self.ref.field(upstream_of(info), "end_frames")
        if not isinstance(raw, list):
            return None
        return [int(v) for v in raw if isinstance(v, int | float) and not isinstance(v, bool)]

    @strawberry.field(
        description=(
            "The report's per-frame curves: hip height (`hipy`), ground reaction "
            "force (`grf`), hip speed (`vhipy`), toe height (`toey`) and more."
        )
    )
    async def whole_report_metrics(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Series]:
        raw = await self.ref.field(upstream_of(info), "whole_report_metrics")
        return _series(raw, names, frames)

    @strawberry.field(
        description=(
            "The jump analysis report: graph curves per jump, the phases with their "
            "frames and images, the analysed frame range, and feedback. One upstream "
            "call, made only when selected."
        )
    )
    async def jump_analysis(self, info: Ctx) -> JumpAnalysis | None:
        return await analyses.jump_analysis(self.ref, info)

    @strawberry.field(
        description=(
            "The session's summary: metrics per jump and short ratings. One upstream "
            "call, made only when selected."
        )
    )
    async def summary(self, info: Ctx) -> JumpSummary | None:
        return await analyses.jump_summary(self.ref, info)

    @strawberry.field(
        description=(
            "The upstream coaching assistant's threads, one per metric (`hip_height`, "
            "`power`, ...); asking creates them upstream when there are none. One "
            "upstream call, made only when selected."
        )
    )
    async def recommendation_threads(self, info: Ctx) -> list[RecommendationThread] | None:
        return await analyses.jump_recommendation_threads(self.ref, info)


@strawberry.type(description="A running session.")
class RunningSession(Session):
    @strawberry.field(description="How many segments (strides) were analysed.")
    async def segments(self, info: Ctx) -> int | None:
        raw = await self.ref.field(upstream_of(info), "segments")
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else None

    @strawberry.field(
        description=(
            "Statistics computed over the run (speed, cadence, total distance and "
            "time): a number or `{avg, min, max}` per metric."
        )
    )
    async def calculated_metrics(self, info: Ctx, names: NamesArg = None) -> list[Metric]:
        raw = await self.ref.field(upstream_of(info), "calculated_metrics")
        return _metrics(raw, names, None)

    @strawberry.field(description="The session's written summary, when there is one.")
    async def summary(self, info: Ctx) -> str | None:
        return to_text(await self.ref.field(upstream_of(info), "summary"))

    @strawberry.field(
        description=(
            "The gait analysis report: stride phases with their frames and images, "
            "peak time and joint angles over a stride. One upstream call, made only "
            "when selected."
        )
    )
    async def gait_analysis(self, info: Ctx) -> GaitAnalysis | None:
        return await analyses.gait_analysis(self.ref, info)

    @strawberry.field(
        description=(
            "The report's comments (summary, contact angle, push angle, ...) in "
            "English and Russian; null when the session has none. Change them with "
            "`updateReportComments` and `deleteReportComments`."
        )
    )
    async def report_comments(self, info: Ctx) -> list[ReportComment] | None:
        return await analyses.report_comments(self.ref, info)

    @strawberry.field(
        description="A generated written summary of the run, in the language asked for.",
        deprecation_reason=(
            "The upstream deprecated its summary endpoint. Use `summary`, or the "
            "`text_summary` entry of `reportComments`."
        ),
    )
    async def summary_report(
        self, info: Ctx, language: LanguageArg = Language.EN
    ) -> LocalizedText | None:
        return await analyses.running_summary(self.ref, info, language)

    @strawberry.field(
        description="Form analysis images: contact angles, push angles, knee-ankle alignment.",
        deprecation_reason=(
            "The upstream deprecated its form-analysis endpoint, and offers no newer "
            "one for these images; they may go away with it."
        ),
    )
    async def form_analysis_images(
        self, info: Ctx, language: LanguageArg = Language.EN
    ) -> list[AnalysisImage] | None:
        return await analyses.images(self.ref, info, endpoints.FORM_ANALYSIS, language)

    @strawberry.field(
        description="Report images: hip, knee and ankle angles, and positions.",
        deprecation_reason=(
            "The upstream deprecated its report-images endpoint, and offers no newer "
            "one for these images; they may go away with it."
        ),
    )
    async def report_images(
        self, info: Ctx, language: LanguageArg = Language.EN
    ) -> list[AnalysisImage] | None:
        return await analyses.images(self.ref, info, endpoints.REPORT_IMAGES, language)


@strawberry.type(description="A weightlifting session.")
class WeightliftingSession(Session):
    @strawberry.field(description="The lift: `snatch`, `clean` or `clean_and_jerk`.")
    async def exercise(self, info: Ctx) -> str | None:
        return to_text(await self.ref.field(upstream_of(info), "exercise"))

    @strawberry.field(
        description="The report's per-frame curves, e.g. bar height (`bar`) and hip speed."
    )
    async def report_metrics(
        self, info: Ctx, names: NamesArg = None, frames: FramesArg = None
    ) -> list[Series]:
        raw = await self.ref.field(upstream_of(info), "report_metrics")
        return _series(raw, names, frames)

    @strawberry.field(
        description=(
            "The lift analysis: one image per measurement (hip height, bar speed, "
            "bar path, ...), in the language asked for. One upstream call, made only "
            "when selected, whichever languages are asked for."
        )
    )
    async def lift_analysis(
        self, info: Ctx, language: LanguageArg = Language.EN
    ) -> list[AnalysisImage] | None:
        return await analyses.images(self.ref, info, endpoints.LIFT_ANALYSIS, language)

    @strawberry.field(
        description=(
            "Coaching recommendations per metric (`text_bar_speed`, ...), in the "
            "language asked for. One upstream call, made only when selected."
        )
    )
    async def recommendations(
        self, info: Ctx, language: LanguageArg = Language.EN
    ) -> list[LocalizedText] | None:
        return await analyses.lift_recommendations(self.ref, info, language)


_TYPES: dict[ActivityValue, type[Session]] = {
    ActivityValue.JUMPING: JumpingSession,
    ActivityValue.RUNNING: RunningSession,
    ActivityValue.WEIGHTLIFTING: WeightliftingSession,
}


def session_type(ref: SessionRef, known_video: VideoState | None = None) -> Session:
    return _TYPES[ref.activity](ref=ref, known_video=known_video)
