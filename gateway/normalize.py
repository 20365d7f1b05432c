"""Turn the upstream's inconsistent shapes into one.

The contract sends dates as ``DD/MM/YYYY`` or ``YYYY-MM-DD`` with times as
``HH:MM AM/PM``; metrics as numbers, numeric strings, per-frame arrays or
``{avg, min, max}`` objects. Everything here is total: odd input becomes
``None`` or is skipped, never an exception, so one bad value can't fail a page.
The one exception is :func:`json_object`, for a whole answer that must be an
object before anything can be read from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from gateway.errors import UpstreamBadResponse
from gateway.upstream.rawjson import RawNumbers

__all__ = [
    "FrameRange",
    "MetricValue",
    "NamedSeries",
    "Numbers",
    "json_object",
    "normalize_metrics",
    "normalize_series",
    "parse_created_at",
    "parse_date",
    "slice_frames",
    "to_bool",
    "to_float",
    "to_float_list",
    "to_numbers",
    "to_text",
]

# A per-frame series: parsed, or the upstream's bytes when it is passed on whole.
Numbers = list[float | None] | RawNumbers


@dataclass(frozen=True, slots=True)
class FrameRange:
    """Frames ``start`` (inclusive) to ``end`` (exclusive); ``None`` means open."""

    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class NamedSeries:
    name: str
    values: Numbers


@dataclass(frozen=True, slots=True)
class MetricValue:
    name: str
    value: float | None = None
    values: list[float | None] | None = None
    avg: float | None = None
    min: float | None = None
    max: float | None = None


def json_object(body: Any, message: str) -> Mapping[str, Any]:
    """``body``, when it is a JSON object; else ``UpstreamBadResponse(message)``."""
    if not isinstance(body, Mapping):
        raise UpstreamBadResponse(message)
    return body


def to_text(value: Any) -> str | None:
    """A string with more than whitespace in it, as sent; else ``None``."""
    return value if isinstance(value, str) and value.strip() else None


def to_float(value: Any) -> float | None:
    """A finite float from a number or a numeric string (``"1.06E7"``), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def to_float_list(value: Any) -> list[float | None] | None:
    """A list of numbers, kept as-is when it already is one (the common, large case)."""
    if isinstance(value, RawNumbers):
        return value.values()
    if not isinstance(value, list):
        return None
    # Fast path: the upstream's per-frame arrays are plain numbers, and copying
    # or even inspecting tens of thousands of them per request in Python would
    # dominate the gateway's cost. `sum` walks the list in C and fails on the
    # first item that isn't a number (a null, a string): five times faster
    # than `set(map(type, ...))`, fifty times faster than a generator.
    try:
        sum(value)
    except TypeError:
        return [to_float(v) for v in value]
    return value


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_bool(value: Any) -> bool:
    """A flag as the upstream may send it: a boolean, 0/1, or "true"/"false"."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if isinstance(value, bool | int | float) else False


def slice_frames(values: list[Any], frames: FrameRange | None) -> list[Any]:
    if frames is None or (frames.start is None and frames.end is None):
        return values
    return values[frames.start : frames.end]


def to_numbers(value: Any, frames: FrameRange | None = None) -> Numbers | None:
    """Like :func:`to_float_list` and :func:`slice_frames`, but a whole series the
    upstream sent as plain numbers stays unparsed, to be passed on as it came."""
    if isinstance(value, RawNumbers) and (frames is None or frames == FrameRange()):
        return value
    values = to_float_list(value)
    return None if values is None else slice_frames(values, frames)


def _wanted(names: Sequence[str] | None) -> set[str] | None:
    return None if names is None else set(names)


def normalize_series(
    raw: Any, names: Sequence[str] | None = None, frames: FrameRange | None = None
) -> list[NamedSeries]:
    """Named series from ``{name: [numbers]}``; a single number is a one-value series."""
    if not isinstance(raw, Mapping):
        return []
    wanted = _wanted(names)
    out: list[NamedSeries] = []
    for name, value in raw.items():
        if wanted is not None and name not in wanted:
            continue
        series = to_numbers(value, frames)
        if series is None:
            single = to_float(value)
            if single is None:
                continue
            series = slice_frames([single], frames)
        out.append(NamedSeries(str(name), series))
    return out


def normalize_metrics(
    raw: Any, names: Sequence[str] | None = None, frames: FrameRange | None = None
) -> list[MetricValue]:
    """Metrics in every form the upstream sends; arrays also get their avg/min/max."""
    if not isinstance(raw, Mapping):
        return []
    wanted = _wanted(names)
    out: list[MetricValue] = []
    for name, value in raw.items():
        if wanted is not None and name not in wanted:
            continue
        metric = _metric(str(name), value, frames)
        if metric is not None:
            out.append(metric)
    return out


def _metric(name: str, value: Any, frames: FrameRange | None) -> MetricValue | None:
    if isinstance(value, Mapping):
        avg, lo, hi = (to_float(value.get(k)) for k in ("avg", "min", "max"))
        if avg is None and lo is None and hi is None:
            return None
        return MetricValue(name, avg=avg, min=lo, max=hi)
    series = to_float_list(value)
    if series is not None:
        series = slice_frames(series, frames)
        numbers = [v for v in series if v is not None]
        if not numbers:
            return MetricValue(name, values=series)
        return MetricValue(
            name,
            values=series,
            avg=_finite(sum(numbers) / len(numbers)),
            min=min(numbers),
            max=max(numbers),
        )
    single = to_float(value)
    if single is None:
        return None
    return MetricValue(name, value=single)


# strptime costs tens of microseconds a try, and a page of sessions parses
# dozens of dates: plain regular expressions do the same in a fraction.
_YMD = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?", re.IGNORECASE)


def parse_date(text: Any) -> date | None:
    """``DD/MM/YYYY`` or ``YYYY-MM-DD`` (the contract uses both), else ``None``."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        if match := _YMD.fullmatch(text):
            year, month, day = map(int, match.groups())
        elif match := _DMY.fullmatch(text):
            day, month, year = map(int, match.groups())
        else:
            return None
        return date(year, month, day)
    except ValueError:  # 31/02/2025 and the like
        return None


def _parse_time(text: Any) -> time | None:
    """``HH:MM AM/PM`` (the contract's form), or 24-hour ``HH:MM[:SS]``."""
    if not isinstance(text, str):
        return None
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3] or 0)
    meridiem = (match[4] or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def parse_created_at(raw: Any) -> datetime | None:
    """One UTC datetime from ``{date, time}`` (or an ISO string some endpoints send).

    The upstream states no time zone; its times are taken as UTC.
    """
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            day = parse_date(raw)
            return datetime.combine(day, time(), UTC) if day else None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not isinstance(raw, Mapping):
        return None
    day = parse_date(raw.get("date"))
    if day is None:
        return None
    return datetime.combine(day, _parse_time(raw.get("time")) or time(), UTC)
