"""Named numeric series and metrics: the heavy part of every payload.

Each series is one :data:`~schema.scalars.FloatSeries` value, so graphql-core
never completes its numbers one by one. Every field that returns series takes
the same two arguments: ``names`` (a subset by name) and ``frames`` (a range of
video frames), applied before anything is serialized.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.budget import numbers_bytes
from gateway.normalize import (
    MetricValue,
    NamedSeries,
    normalize_metrics,
    normalize_series,
    to_numbers,
)
from schema.context import charge_output
from schema.scalars import FloatSeries, FrameRangeInput, frame_range

__all__ = [
    "FramesArg",
    "Metric",
    "NamesArg",
    "Series",
    "metric_list",
    "series_list",
    "timestamps",
]

NamesArg = Annotated[
    list[str] | None,
    strawberry.argument(description="Only these names; all when omitted."),
]
FramesArg = Annotated[
    FrameRangeInput | None,
    strawberry.argument(description="Only these frames; all when omitted."),
]


@strawberry.type(description="A named series of numbers, one per video frame.")
class Series:
    name: str = strawberry.field(description="The series' upstream name, e.g. `lkne_angle`.")
    values: FloatSeries = strawberry.field(description="The values, one per frame.")

    @classmethod
    def of(cls, series: NamedSeries) -> Series:
        return cls(name=series.name, values=FloatSeries(series.values))


@strawberry.type(
    description=(
        "A measurement. The upstream sends a single number, a per-frame array or "
        "`{avg, min, max}`; whichever it sent is here, and arrays also get their "
        "average, minimum and maximum."
    )
)
class Metric:
    name: str = strawberry.field(description="The metric's upstream name, e.g. `max_bar_speed`.")
    value: float | None = strawberry.field(description="The value, when it is a single number.")
    values: FloatSeries | None = strawberry.field(description="The per-frame values, if any.")
    avg: float | None = strawberry.field(description="Average.")
    min: float | None = strawberry.field(description="Minimum.")
    max: float | None = strawberry.field(description="Maximum.")

    @classmethod
    def of(cls, m: MetricValue) -> Metric:
        values = None if m.values is None else FloatSeries(m.values)
        return cls(name=m.name, value=m.value, values=values, avg=m.avg, min=m.min, max=m.max)


# A series' or metric's name, keys and punctuation in the answer.
_ENTRY_BYTES = 48


def series_list(raw: Any, names: list[str] | None, frames: FrameRangeInput | None) -> list[Series]:
    series = normalize_series(raw, names, frame_range(frames))
    # Charged before anything of the answer is built from them.
    charge_output(sum(_ENTRY_BYTES + len(s.name) + numbers_bytes(s.values) for s in series))
    return [Series.of(s) for s in series]


def metric_list(raw: Any, names: list[str] | None, frames: FrameRangeInput | None) -> list[Metric]:
    metrics = normalize_metrics(raw, names, frame_range(frames))
    charge_output(sum(_ENTRY_BYTES * 2 + len(m.name) + numbers_bytes(m.values) for m in metrics))
    return [Metric.of(m) for m in metrics]


def timestamps(raw: Any, frames: FrameRangeInput | None) -> FloatSeries | None:
    values = to_numbers(raw, frame_range(frames))
    charge_output(numbers_bytes(values))
    return None if values is None else FloatSeries(values)
