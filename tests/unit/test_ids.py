"""Global ids: opaque, round-trip, and refuse anything else as BAD_REQUEST."""

from __future__ import annotations

import base64

import pytest

from gateway import listing
from gateway.errors import BadRequest
from gateway.ids import Activity, b64_decode, b64_encode, decode_global_id, encode_global_id
from tests.ids import global_id_of


@pytest.mark.parametrize("activity", list(Activity))
def test_global_ids_round_trip(activity: Activity) -> None:
    gid = encode_global_id(activity, "abc_DEF-123")
    assert decode_global_id(gid) == (activity, "abc_DEF-123")
    assert "=" not in gid


@pytest.mark.parametrize("activity", list(Activity))
def test_global_ids_have_the_documented_format(activity: Activity) -> None:
    """Tests build ids with tests/ids.py: the gateway must agree with the README."""
    assert encode_global_id(activity, "abc_DEF-123") == global_id_of(activity.value, "abc_DEF-123")
    assert decode_global_id(global_id_of(activity.value, "s1")) == (activity, "s1")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "!!!",
        "U2Vzc2lvbg",
        encode_global_id(Activity.RUNNING, "x").upper(),
        "\udcff",
        # Spellings base64 would forgive: only the canonical one names a session.
        encode_global_id(Activity.RUNNING, "abc") + "=",
        " " + encode_global_id(Activity.RUNNING, "abc"),
        encode_global_id(Activity.RUNNING, "abc")[:5]
        + "!!"
        + encode_global_id(Activity.RUNNING, "abc")[5:],
    ],
)
def test_bad_global_ids_are_bad_requests(bad: str) -> None:
    with pytest.raises(BadRequest) as info:
        decode_global_id(bad)
    assert info.value.field == "id"


def test_ids_and_cursors_share_one_base64_spelling() -> None:
    """gateway/listing.py's cursors use the same helpers as global ids."""
    for text in ("Session:running:abc", "id:x", "at:0", "ünï"):
        token = b64_encode(text)
        assert "=" not in token
        assert token == base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        assert b64_decode(token) == text
    assert listing._encode("id", "abc") == b64_encode("id:abc")
    assert listing._decode(b64_encode("id:abc"), "id", "after") == "abc"
    # Bad padding, not ASCII, not UTF-8.
    for bad in ("a", "é", "__8"):
        with pytest.raises(ValueError):
            b64_decode(bad)
