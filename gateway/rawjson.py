"""Upstream JSON the gateway forwards without turning its numbers into floats.

An export holds tens of thousands of numbers that the gateway only passes on.
Parsing each into a float and printing it again was most of what a full export
cost (about 3 ms to parse and 2 ms to print at 1,000 frames). :func:`decode_lazy`
reads a body with msgspec, which checks the syntax of all of it and records
where each value starts and ends without building the numbers. Objects become
dicts; a flat array of plain numbers stays as its bytes (:class:`RawNumbers`),
which the ``FloatSeries`` scalar writes out verbatim through
:class:`orjson.Fragment`; anything else is parsed with orjson as usual, so the
normalizers see the same values as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import orjson

__all__ = ["RawNumbers", "decode_lazy"]

# One pass over a body: the members of its objects are kept as spans, its
# arrays and plain values are parsed. An export is an object of objects of
# series, so this one pass finds every series.
_BODY = msgspec.json.Decoder(
    dict[str, dict[str, msgspec.Raw] | list[Any] | str | int | float | bool | None]
)
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
# What a flat array of JSON numbers may hold besides its brackets. Exponents
# are left out on purpose: "1e999" is valid JSON but no finite float, so such
# arrays take the parsing path, which refuses it.
_NUMBER_BYTES = b"0123456789.-, \t\r\n"


class RawNumbers:
    """A JSON array of finite numbers, kept as the upstream's bytes.

    Only :func:`decode_lazy` makes one, from a span msgspec has already found
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


def decode_lazy(body: bytes) -> Any:
    """A JSON document as plain values, with its numeric arrays left as bytes.

    Raises ``ValueError`` when ``body`` is not JSON, as ``orjson.loads`` does.
    """
    body = body.strip()
    if body[:1] != b"{":
        return orjson.loads(body)
    try:
        top = _BODY.decode(body)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
    return {
        name: _spans(value) if isinstance(value, dict) else value for name, value in top.items()
    }


def _spans(members: dict[str, msgspec.Raw]) -> dict[str, Any]:
    return {name: _member(bytes(raw)) for name, raw in members.items()}


def _member(span: bytes) -> Any:
    # ``span`` is valid JSON: msgspec checked it while decoding its object.
    first = span[:1]
    if first == b"{":
        return _spans(_MEMBERS.decode(span))
    if first == b"[" and span.count(b"[") == 1 and not span[1:-1].translate(None, _NUMBER_BYTES):
        return RawNumbers(span)
    return orjson.loads(span)
