"""Upstream JSON the gateway forwards without turning its numbers into floats.

An export holds tens of thousands of numbers that the gateway only passes on.
Parsing each into a float and printing it again was most of what a full export
cost (about 3 ms to parse and 2 ms to print at 1,000 frames). :func:`decode_lazy`
reads a body with msgspec, which checks the syntax of all of it and records
where each value starts and ends without building the numbers.

An export is an object of objects of series, so one pass splits the members
of the top-level object's objects (and the items of its arrays) into spans. A
flat array of plain numbers among those members stays as its bytes
(:class:`RawNumbers`), which the ``FloatSeries`` scalar writes out verbatim
through :class:`orjson.Fragment`. Everything else ends up parsed by orjson, or
is a plain value msgspec read just as orjson would, so the normalizers see the
same values and the same bodies are refused. The one visible difference: a
passed-on number keeps the upstream's spelling (``1.50`` stays ``1.50``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import orjson

__all__ = ["RawNumbers", "decode_lazy"]

# One pass over a body: its objects' members and its arrays' items as spans,
# its plain values read. (msgspec unions can't hold a bare span.)
_BODY = msgspec.json.Decoder(
    dict[str, dict[str, msgspec.Raw] | list[msgspec.Raw] | str | int | float | bool | None]
)
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
    body = body.strip(_JSON_SPACE)
    if body[:1] != b"{":
        return orjson.loads(body)
    try:
        return {name: _member(value) for name, value in _BODY.decode(body).items()}
    except (msgspec.DecodeError, RecursionError) as exc:  # msgspec's depth limit
        raise ValueError(str(exc)) from None


def _member(value: Any) -> Any:
    # Spans are valid JSON: msgspec checked them while decoding the body.
    if isinstance(value, dict):
        return {name: _series(bytes(raw)) for name, raw in value.items()}
    if isinstance(value, list):
        return orjson.loads(b"[" + b",".join(map(bytes, value)) + b"]")
    if type(value) is int and not -(2**63) <= value < 2**64:
        # msgspec keeps any integer exactly; orjson reads one past 64 bits as
        # a float, or refuses it when no float can hold it.
        return orjson.loads(str(value))
    return value


def _series(span: bytes) -> Any:
    if span[:1] == b"[" and span.count(b"[") == 1:
        shape = span.translate(_SHAPE)
        if b"x" not in shape and _TOO_LONG not in shape:
            return RawNumbers(span)
    return orjson.loads(span)
