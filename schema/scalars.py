"""Custom scalars and small shared inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NewType

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

from gateway.errors import BadRequest
from gateway.normalize import FrameRange
from gateway.upstream.rawjson import RawNumbers

__all__ = ["DATE", "DATETIME", "FLOAT_SERIES", "FloatSeries", "FrameRangeInput", "frame_range"]


def _parse_series(value: Any) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise ValueError("FloatSeries takes a list of numbers")
    return [float(v) for v in value]


# Series are hundreds to thousands of numbers. As a scalar they are serialized
# as one value: graphql-core's per-item list completion, which costs a
# function call per number, never runs over them. What it wraps is a
# `Numbers`: a list, or the upstream's own bytes for a whole series, which go
# into the response untouched (`gateway.normalize.Numbers`).
FloatSeries = NewType("FloatSeries", object)


def _serialize_series(value: Any) -> Any:
    return value.fragment() if isinstance(value, RawNumbers) else value


FLOAT_SERIES = strawberry.scalar(
    name="FloatSeries",
    description=(
        "A series of numbers, one per video frame (or one value for a single "
        "measurement), serialized as one JSON array. A missing value is `null`."
    ),
    serialize=_serialize_series,
    parse_value=_parse_series,
)


def _iso_parser(parse: Callable[[str], Any], expected: str) -> Callable[[object], Any]:
    """A parser whose errors say what is expected, never the parser's own message
    (Python's wording, which may change and names our internals)."""

    def inner(value: object) -> Any:
        if isinstance(value, str):
            try:
                return parse(value)
            except (ValueError, OverflowError):
                pass
        raise StrawberryInputCoercionError(f"Expected {expected}.")

    return inner


def _isoformat(value: Any) -> str:
    return str(value.isoformat())


# Strawberry's own Date and DateTime, with errors naming the format only.
DATE = strawberry.scalar(
    name="Date",
    description="Date (isoformat)",
    serialize=_isoformat,
    parse_value=_iso_parser(dt.date.fromisoformat, "a date as YYYY-MM-DD"),
)
DATETIME = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=_isoformat,
    parse_value=_iso_parser(
        dt.datetime.fromisoformat, "an ISO-8601 date and time, e.g. 2024-05-01T12:00:00Z"
    ),
)


@strawberry.input(
    description="A range of video frames: from `start` (inclusive) to `end` (exclusive)."
)
class FrameRangeInput:
    start: int | None = strawberry.field(default=None, description="First frame, from 0.")
    end: int | None = strawberry.field(default=None, description="Frame after the last one.")


def frame_range(frames: FrameRangeInput | None) -> FrameRange | None:
    if frames is None:
        return None
    for name in ("start", "end"):
        value = getattr(frames, name)
        if value is not None and value < 0:
            raise BadRequest(f"`frames.{name}` must be 0 or more.", field=f"frames.{name}")
    if frames.start is not None and frames.end is not None and frames.end < frames.start:
        raise BadRequest("`frames.end` must not come before `frames.start`.", field="frames.end")
    return FrameRange(frames.start, frames.end)
