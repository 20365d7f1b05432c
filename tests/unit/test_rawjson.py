"""Lazily decoded upstream bodies: the same values as a full parse, numbers left as bytes."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from gateway.upstream.rawjson import InvalidMember, LazyBody, RawNumbers
from tests.ids import global_id_of
from tests.lazy import decode_lazy
from tests.unit.conftest import gateway_client, run

ODD_EXPORT = b"""{
  "keypoints": {
    "plain": [0.5, -1, 2.25, 0],
    "spaced": [ 1 ,
      2 ],
    "empty": [],
    "with_null": [1.5, null, 3],
    "as_strings": ["1.5", "x", 2],
    "exponent": [1e-5, 2E3],
    "nested": [[1, 2], [3]],
    "single": 7,
    "object": {"avg": 1}
  },
  "angles": {"knee": [10, 20, 30]},
  "all_timestamps": [0, 0.04, 0.08, 0.12],
  "metrics": {"speed": 1.5, "curve": [1, 2, 3], "range": {"avg": 2, "min": 1, "max": 3}},
  "activity": "Weightlifting"
}"""


def _materialized(value: Any) -> Any:
    if isinstance(value, RawNumbers):
        return value.values()
    if isinstance(value, dict):
        return {k: _materialized(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "body",
    [
        ODD_EXPORT,
        b'{"a": {"b": {"c": [1, 2], "d": {"e": [3]}}}, "f": [[1]], "g": null}',
        b'  {"unicode": {"\\u00e9": [1]}, "k": true}  ',
        # Big integers: orjson's floats, wherever they sit.
        b'{"t": [18446744073709551616, -9223372036854775809], "k": {"a": [18446744073709551616]}}',
        b'{"n": 18446744073709551616, "m": -9223372036854775809, "f": 1.5e300, "z": -0.0}',
        b'{"k": {"long": [0.' + b"1" * 400 + b'], "x": {"deep": {"er": [1]}}}}',
        b"[1, 2, 3]",
        b'"text"',
        b"12",
    ],
)
def test_same_values_as_a_full_parse(body: bytes) -> None:
    assert _materialized(decode_lazy(body)) == orjson.loads(body)


def test_only_flat_arrays_of_plain_numbers_stay_raw() -> None:
    keypoints = decode_lazy(ODD_EXPORT)["keypoints"]
    raw = {name for name, value in keypoints.items() if isinstance(value, RawNumbers)}
    assert raw == {"plain", "spaced", "empty"}
    assert keypoints["plain"].raw == b"[0.5, -1, 2.25, 0]"
    # Written into a response byte for byte, and still valid JSON there.
    out = orjson.dumps({"v": keypoints["spaced"].fragment()})
    assert out == b'{"v":[ 1 ,\n      2 ]}' and orjson.loads(out) == {"v": [1, 2]}


@pytest.mark.parametrize(
    "body",
    [
        b'{"k": {"a": [1, 2,]}}',  # a syntax error inside a span is still one
        b'{"k": {"a": [1, -]}}',
        b'{"k": {"a": [01]}}',
        b'{"k": {"a": [1e999]}}',  # no finite float
        b'{"k": [1e999]}',
        b'{"k": ' + b"9" * 400 + b"}",
        b'{"k": {"a": [1, ' + b"9" * 309 + b"]}}",  # no finite float has 309 digits
        b'{"k": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",  # deeper than anyone nests
        b'\x0b{"k": 1}',  # not JSON whitespace
        b'{"k": {"a": [1]}',
        b"",
        b"not json",
    ],
)
def test_what_is_not_json_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode_lazy(body)


async def test_an_export_with_odd_series_through_the_gateway() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/weightlifting/sessions/s1/export/"
        return httpx.Response(200, content=ODD_EXPORT)

    query = """query ($id: ID!, $f: FrameRangeInput) { session(id: $id) { export {
      keypoints { name values }
      cut: keypoints(names: ["plain", "with_null"], frames: $f) { name values }
      angles { name values }
      timestamps
      cutTimes: timestamps(frames: $f)
      metrics { name value values avg min max }
    } } }"""
    gid = global_id_of("weightlifting", "s1")
    async with gateway_client(transport=httpx.MockTransport(upstream)) as client:
        body = await run(client, query, id=gid, f={"start": 1, "end": 3})
    assert "errors" not in body, body
    export = body["data"]["session"]["export"]
    assert {s["name"]: s["values"] for s in export["keypoints"]} == {
        "plain": [0.5, -1, 2.25, 0],
        "spaced": [1, 2],
        "empty": [],
        "with_null": [1.5, None, 3],
        "as_strings": [1.5, None, 2],
        "exponent": [1e-5, 2e3],
        "nested": [None, None],
        "single": [7],
    }
    assert export["cut"] == [
        {"name": "plain", "values": [-1, 2.25]},
        {"name": "with_null", "values": [None, 3]},
    ]
    assert export["angles"] == [{"name": "knee", "values": [10, 20, 30]}]
    assert export["timestamps"] == [0, 0.04, 0.08, 0.12]
    assert export["cutTimes"] == [0.04, 0.08]
    metrics = {m.pop("name"): m for m in export["metrics"]}
    assert metrics["curve"] == {"value": None, "values": [1, 2, 3], "avg": 2, "min": 1, "max": 3}
    assert metrics["range"] == {"value": None, "values": None, "avg": 2, "min": 1, "max": 3}
    assert metrics["speed"]["value"] == 1.5


def test_members_are_decoded_only_when_read() -> None:
    # The angles hold a number no float can hold: orjson refuses it, but only
    # a field that reads the angles finds out.
    body = LazyBody.parse(b'{"title": "Snatch", "angles": {"knee": [1e999]}, "n": 2}')
    assert isinstance(body, LazyBody)
    assert body["title"] == "Snatch" and body.get("n") == 2 and len(body) == 3
    assert "angles" in body and list(body) == ["title", "angles", "n"]
    with pytest.raises(InvalidMember) as info:
        body["angles"]
    assert info.value.code == "UPSTREAM_BAD_RESPONSE"
    # A bad body is still refused whole, before any field reads it.
    with pytest.raises(ValueError):
        LazyBody.parse(b'{"title": "x", "angles": {"knee": [1,, 2]}}')


async def test_details_with_a_bad_member_fail_only_the_fields_that_read_it() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/jumping/sessions/s1/"
        return httpx.Response(
            200,
            content=b'{"title": "Jump", "angles": {"knee": [10, 20]}, "metrics": {"h": 1e999}}',
        )

    query = """query ($id: ID!) {
      a: session(id: $id) { title angles { name values } }
      b: session(id: $id) { metrics { name } }
    }"""
    gid = global_id_of("jumping", "s1")
    async with gateway_client(transport=httpx.MockTransport(upstream)) as client:
        body = await run(client, query, id=gid)
    assert body["data"]["a"] == {"title": "Jump", "angles": [{"name": "knee", "values": [10, 20]}]}
    assert body["data"]["b"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UPSTREAM_BAD_RESPONSE"]
    assert body["errors"][0]["path"] == ["b", "metrics"]
