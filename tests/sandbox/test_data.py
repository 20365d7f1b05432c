"""Seed data: deterministic, upstream-shaped ids, and every quirk actually present."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx

from gateway.sandbox import SandboxConfig, create_sandbox_app, seed_sessions
from gateway.sandbox.data import Activity
from gateway.sandbox.series import AXES, LANDMARKS
from tests.sandbox.conftest import ALICE, BOB

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
DMY = re.compile(r"^\d\d/\d\d/\d{4}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\d$")
TIME = re.compile(r"^(0[1-9]|1[0-2]):[0-5]\d (AM|PM)$")


def test_seed_is_deterministic_and_seed_dependent() -> None:
    assert seed_sessions("alice") == seed_sessions("alice")
    assert seed_sessions("alice", "other")[0].session_id != seed_sessions("alice")[0].session_id


def test_ids_and_spread() -> None:
    ids: set[str] = set()
    for user in ("alice", "bob"):
        records = seed_sessions(user)
        assert len(records) == 36
        assert Counter(r.activity for r in records) == {a: 12 for a in Activity}
        assert all(HEX_ID.match(r.session_id) for r in records)
        assert all(200 <= r.frames <= 400 for r in records)
        ids |= {r.session_id for r in records}
    assert len(ids) == 72


def test_running_shape_knobs_cover_every_combination() -> None:
    for user in ("alice", "bob"):
        combos = {
            (r.metrics_as_arrays, r.calculated_as_objects)
            for r in seed_sessions(user)
            if r.activity is Activity.RUNNING
        }
        assert combos == {(False, False), (True, False), (False, True), (True, True)}


async def _get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] = ALICE
) -> dict[str, Any]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_quirks_are_served(small_client: httpx.AsyncClient) -> None:
    metric_forms: set[type] = set()
    calculated_forms: set[type] = set()
    for record in seed_sessions("alice"):
        base = f"/{record.activity.path}/sessions/{record.session_id}/"
        details = await _get(small_client, base)
        export = await _get(small_client, base + "export/")
        date = details["created_at"]["date"]
        assert TIME.match(details["created_at"]["time"])
        assert details["activity"] == export["activity"] == record.activity.value
        if record.activity is Activity.JUMPING:
            assert ISO.match(date) and ISO.match(export["created_at"]["date"])
            assert all(isinstance(v, list) for v in details["metrics"].values())
            assert all(isinstance(f, int) for f in details["end_frames"])
        else:
            assert DMY.match(date)
        if record.activity is Activity.RUNNING:
            metric_forms |= {type(v) for v in details["metrics"].values()}
            metric_forms |= {type(v) for v in details["angles"].values()}
            calculated_forms |= {
                type(v) for k, v in details["calculated_metrics"].items() if k != "total_time"
            }
            assert len(export["contact"]) == 8
            assert all(isinstance(c, bool) for c in export["contact"])
        if record.activity is Activity.WEIGHTLIFTING:
            max_power = details["metrics"]["max_power"]
            assert isinstance(max_power, str) and re.match(r"^\d\.\d+E\d+$", max_power)
            assert float(max_power) > 1e6
        assert sorted(export["keypoints"]) == sorted(f"{m}{a}" for m in LANDMARKS for a in AXES)
        assert len(export["all_timestamps"]) == 8
    assert metric_forms == {float, list}
    assert calculated_forms == {float, dict}


async def test_series_look_like_pose_output() -> None:
    app = create_sandbox_app(SandboxConfig(validate_contract=True))
    record = seed_sessions("bob")[0]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        path = f"/{record.activity.path}/sessions/{record.session_id}/export/"
        export = await _get(client, path, BOB)
        again = await _get(client, path, BOB)
    assert export == again
    keypoints = export["keypoints"]
    assert len(keypoints) == 51
    assert {len(v) for v in keypoints.values()} == {record.frames}
    assert all(0.0 <= v <= 1.0 for v in keypoints["lknev"])
    assert all(0.0 <= x <= 1.0 for x in keypoints["lknex"])
    decimals = {len(repr(x).split(".")[1]) for x in keypoints["rshox"] if "." in repr(x)}
    assert max(decimals) <= 4
    stamps = export["all_timestamps"]
    assert stamps[:3] == [0.0, 0.0333, 0.0667]
