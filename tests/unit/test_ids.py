"""Global ids: opaque, round-trip, and refuse anything else as BAD_REQUEST."""

from __future__ import annotations

import pytest

from gateway.errors import BadRequest
from gateway.model import Activity, decode_global_id, encode_global_id
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
