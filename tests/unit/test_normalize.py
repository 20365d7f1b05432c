"""The upstream's shapes, normalized: total functions that skip what they can't read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gateway.localized import localized, to_int, translations
from gateway.normalize import (
    FrameRange,
    normalize_metrics,
    normalize_series,
    parse_created_at,
    parse_date,
    slice_frames,
    to_float,
    to_float_list,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1.0),
        (2.5, 2.5),
        ("1.0633983025107784E7", 10633983.025107784),
        (" 3 ", 3.0),
        (True, None),
        ("abc", None),
        (float("nan"), None),
        (float("inf"), None),
        (None, None),
        ([1], None),
    ],
)
def test_to_float(raw: object, expected: float | None) -> None:
    assert to_float(raw) == expected


def test_to_float_list_keeps_plain_numbers_as_they_are() -> None:
    values = [1.0, 2, 3.5]
    assert to_float_list(values) is values  # no copy on the large, common path
    assert to_float_list([1, "2", None, True]) == [1.0, 2.0, None, None]
    assert to_float_list({"a": 1}) is None


def test_slice_frames() -> None:
    values = list(range(10))
    assert slice_frames(values, None) is values
    assert slice_frames(values, FrameRange(2, 5)) == [2, 3, 4]
    assert slice_frames(values, FrameRange(None, 3)) == [0, 1, 2]
    assert slice_frames(values, FrameRange(8, None)) == [8, 9]
    assert slice_frames(values, FrameRange(20, 30)) == []


def test_series_by_name_and_frames_and_single_numbers() -> None:
    raw = {"a": [1.0, 2.0, 3.0], "b": 4, "c": "bad", "d": [5, 6, 7]}
    got = normalize_series(raw, ["a", "b", "c"], FrameRange(1, 3))
    assert [(s.name, s.values) for s in got] == [("a", [2.0, 3.0]), ("b", [])]
    assert [(s.name, s.values) for s in normalize_series(raw)] == [
        ("a", [1.0, 2.0, 3.0]),
        ("b", [4.0]),
        ("d", [5, 6, 7]),
    ]
    assert normalize_series(None) == []
    assert normalize_series([1, 2]) == []


def test_metrics_in_every_form() -> None:
    raw = {
        "number": 3,
        "string": "1.5E2",
        "array": [1.0, 3.0, None],
        "object": {"avg": 2, "min": "1", "max": 3},
        "empty_object": {"other": 1},
        "text": "midfoot",
        "empty_array": [],
    }
    got = {m.name: m for m in normalize_metrics(raw)}
    assert got["number"].value == 3.0
    assert got["string"].value == 150.0
    assert (got["array"].values, got["array"].avg, got["array"].min, got["array"].max) == (
        [1.0, 3.0, None],
        2.0,
        1.0,
        3.0,
    )
    assert (got["object"].avg, got["object"].min, got["object"].max) == (2.0, 1.0, 3.0)
    assert "empty_object" not in got and "text" not in got
    assert got["empty_array"].values == [] and got["empty_array"].avg is None
    sliced = normalize_metrics({"a": [1, 2, 3, 4]}, ["a"], FrameRange(2, None))
    assert (sliced[0].values, sliced[0].avg) == ([3, 4], 3.5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"date": "28/02/2025", "time": "09:16 PM"}, datetime(2025, 2, 28, 21, 16, tzinfo=UTC)),
        ({"date": "2025-02-28", "time": "12:05 AM"}, datetime(2025, 2, 28, 0, 5, tzinfo=UTC)),
        ({"date": "2025-02-28"}, datetime(2025, 2, 28, tzinfo=UTC)),
        ({"date": "2025-02-28", "time": "whenever"}, datetime(2025, 2, 28, tzinfo=UTC)),
        ("2025-02-28T10:00:00Z", datetime(2025, 2, 28, 10, tzinfo=UTC)),
        ("28/02/2025", datetime(2025, 2, 28, tzinfo=UTC)),
        ({"date": "31/02/2025", "time": "10:00 AM"}, None),
        ({"time": "10:00 AM"}, None),
        (None, None),
        (12, None),
    ],
)
def test_parse_created_at(raw: object, expected: datetime | None) -> None:
    assert parse_created_at(raw) == expected


def test_parse_date() -> None:
    assert parse_date("01/03/2025") == date(2025, 3, 1)
    assert parse_date("2025-03-01") == date(2025, 3, 1)
    assert parse_date("March 1st") is None
    assert parse_date(None) is None


def test_localized_falls_back_to_english_then_any_language() -> None:
    raw = {
        "both": {"en": "E", "ru": "R"},
        "english_only": {"en": "E2"},
        "russian_only": {"ru": "R3"},
        "blank_ru": {"en": "E4", "ru": "  "},
        "plain": "just text",
        "nothing": {"en": ""},
        "junk": 12,
    }
    got = {e.name: (e.value, e.language) for e in localized(raw, "ru")}
    assert got == {
        "both": ("R", "ru"),
        "english_only": ("E2", "en"),
        "russian_only": ("R3", "ru"),
        "blank_ru": ("E4", "en"),
        "plain": ("just text", "en"),
    }
    english = {e.name: e.language for e in localized(raw, "en")}
    assert english["russian_only"] == "ru"
    assert localized(None, "en") == []


def test_translations_and_to_int() -> None:
    assert translations({"en": "a", "ru": "", "de": 3}) == {"en": "a"}
    assert translations("text") == {}
    assert [to_int(v) for v in ("25", 25.0, 25.5, "x", None, True)] == [
        25,
        25,
        None,
        None,
        None,
        None,
    ]
