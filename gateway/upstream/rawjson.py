"""Upstream JSON the gateway forwards without turning its numbers into floats.

A session's details and export are mostly per-frame series, tens of thousands
of numbers that the gateway only passes on, or doesn't need at all (a list
page asking for angle names). Parsing each into a float and printing it again
was most of what such a body cost. :class:`LazyBody` reads a body with
msgspec, which checks the syntax of all of it and records where each member's
value starts and ends without building anything; a member is decoded when a
field first reads it.

A member that is an object holding arrays (angles, keypoints, per-frame
metrics) is split into its series' spans. A flat array of plain numbers stays
as its bytes (:class:`RawNumbers`), which the ``FloatSeries`` scalar writes
out verbatim through :class:`orjson.Fragment`. Everything else is parsed by
orjson, so the normalizers see the same values and the same values are
refused. Two visible differences: a passed-on number keeps the upstream's
spelling (``1.50`` stays ``1.50``), and a value orjson refuses (a number no
float can hold) fails only the fields that read it, not the whole body.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec
import orjson

from gateway.errors import UpstreamBadResponse

__all__ = ["InvalidMember", "LazyBody", "RawNumbers"]

# A flat array of plain numbers, seen through one translation: digits become
# "0", what may sit between them (sign, point, comma, space, brackets) ",",
# anything else "x". Exponents are left out on purpose ("1e999" is valid JSON
# but no finite float), and so are 309 digits in a row (no finite float has
# that many before its point): such arrays take orjson's path, which refuses
# what is too large, as it always did.
_SHAPE = bytes(
    ord("0") if byte in b"0123456789" else ord(",") if byte in b"-., \t\r\n[]" else ord("x")
    for byte in range(256)
)
_TOO_LONG = b"0" * 309
_JSON_SPACE = b" \t\r\n"


class InvalidMember(UpstreamBadResponse, ValueError):
    """A member of a lazily read body that orjson refuses, found when a field reads it."""


class RawNumbers:
    """A JSON array of finite numbers, kept as the upstream's bytes.

    Only :class:`LazyBody` makes one, from a span msgspec has already found
    to be valid JSON; with nothing but digits, signs, points, commas and
    whitespace between one pair of brackets, every item is a plain number.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def values(self) -> list[float | None]:
        """The numbers, parsed (for a frame range, or statistics)."""
        values: list[float | None] = orjson.loads(self.raw)
        return values

    def fragment(self) -> orjson.Fragment:
        """The array as orjson writes it into a response: byte for byte."""
        return orjson.Fragment(self.raw)

    def __iter__(self) -> Iterator[float | None]:
        return iter(self.values())

    def __repr__(self) -> str:
        return f"RawNumbers({self.raw[:40]!r}{'...' if len(self.raw) > 40 else ''})"


def _series(span: bytes) -> Any:
    if span[:1] == b"[" and span.count(b"[") == 1:
        shape = span.translate(_SHAPE)
        if b"x" not in shape and _TOO_LONG not in shape:
            return RawNumbers(span)
    return orjson.loads(span)


# One pass over a body (or one of its objects): its members as spans, each
# value's syntax checked, nothing built.
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])


class LazyBody(Mapping[str, Any]):
    """A JSON object whose members are decoded when first read, each once.

    One msgspec pass checks the whole body's syntax and finds where each
    member's value starts and ends; nothing is built until a field asks for
    it. A query for a session's title and angle names never parses a single
    number: the angles object is split into series spans (``RawNumbers``
    where they are plain numbers) and only their names are read. A member is
    decoded once, when first read (objects of series split, everything else by
    orjson), so the normalizers see the same values as from a full parse.
    """

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: dict[str, msgspec.Raw]) -> None:
        self._raw = raw
        self._decoded: dict[str, Any] = {}

    @classmethod
    def parse(cls, body: bytes) -> Any:
        """A :class:`LazyBody` for an object, the plain value for anything else.

        Raises ``ValueError`` when ``body`` is not JSON.
        """
        body = body.strip(_JSON_SPACE)
        if body[:1] != b"{":
            return orjson.loads(body)
        try:
            return cls(_MEMBERS.decode(body))
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ValueError(str(exc)) from None

    def __getitem__(self, key: str) -> Any:
        try:
            return self._decoded[key]
        except KeyError:
            pass
        span = bytes(self._raw[key])
        # msgspec checked the syntax; orjson may still refuse a value (a
        # number no float holds), which is the upstream breaking the contract.
        try:
            value = _member(span)
        except ValueError:
            raise InvalidMember(
                "The session service sent a value that is not valid JSON."
            ) from None
        self._decoded[key] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw


def _member(span: bytes) -> Any:
    # An object holding arrays is where series live (angles, keypoints,
    # per-frame metrics): split it, so each series can stay bytes. Anything
    # else is parsed whole by orjson, which refuses what it always refused.
    if span[:1] == b"{" and b"[" in span:
        return {name: _series(bytes(raw)) for name, raw in _MEMBERS.decode(span).items()}
    return orjson.loads(span)
