"""Each flavor serves its own reading of the contract, and only that."""

from __future__ import annotations

import httpx
import pytest

from gateway.sandbox import seed_sessions
from gateway.sandbox.data import Activity, VideoState
from gateway.sandbox.flavors import FLAVORS, flavor_named
from tests.sandbox.conftest import ALICE

RECORDS = seed_sessions("alice")
JUMP = next(r for r in RECORDS if r.activity is Activity.JUMPING)
RUN = next(r for r in RECORDS if r.activity is Activity.RUNNING)
LIFT = next(r for r in RECORDS if r.activity is Activity.WEIGHTLIFTING)
SESSION = f"/session-management/sessions/{RUN.session_id}"


def test_unknown_flavor_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown sandbox flavor 'loose'"):
        flavor_named("loose")


@pytest.mark.parametrize("flavor", ["strict", "nulls", "accepted"])
async def test_strict_media_refuses_an_undeclared_json_body(
    client: httpx.AsyncClient, flavor: str
) -> None:
    undeclared = await client.put(SESSION, headers=ALICE, content=b'{"title": "x"}')
    assert undeclared.status_code == 415
    assert "error" in undeclared.json()
    text = await client.put(
        SESSION, headers={**ALICE, "Content-Type": "text/plain"}, content=b'{"title": "x"}'
    )
    assert text.status_code == 415
    declared = await client.put(SESSION, headers=ALICE, json={"title": "x"})
    assert declared.status_code == 200
    # A POST without a body (a report) needs no media type.
    report = await client.post(f"/running/sessions/{RUN.session_id}/gait-analysis/", headers=ALICE)
    assert report.status_code == 200


@pytest.mark.parametrize("flavor", ["strict"])
async def test_strict_media_refuses_an_upload_that_is_not_a_form(
    client: httpx.AsyncClient, flavor: str
) -> None:
    response = await client.post(
        "/jumping/sessions/",
        headers={**ALICE, "Content-Type": "application/octet-stream"},
        content=b"\x00" * 64,
    )
    assert response.status_code == 415


@pytest.mark.parametrize("flavor", ["lenient"])
async def test_lenient_accepts_any_body(client: httpx.AsyncClient, flavor: str) -> None:
    response = await client.put(SESSION, headers=ALICE, content=b'{"title": "x"}')
    assert response.status_code == 200


@pytest.mark.parametrize("flavor", list(FLAVORS))
async def test_not_ready_url_in_details_and_listing(client: httpx.AsyncClient, flavor: str) -> None:
    await client.post(f"/__sandbox__/sessions/{JUMP.session_id}/processing")
    details = (await client.get(f"/jumping/sessions/{JUMP.session_id}/", headers=ALICE)).json()
    listing = (await client.get("/session-management/sessions/", headers=ALICE)).json()
    entry = listing["sessions"][JUMP.session_id]
    expected = {"empty": "", "null": None}.get(FLAVORS[flavor].url_field, "absent")
    for body in (details, entry):
        assert body.get("analyzed_video_url", "absent") == expected


@pytest.mark.parametrize("flavor", list(FLAVORS))
async def test_dates_per_flavor(client: httpx.AsyncClient, flavor: str) -> None:
    jump = (await client.get(f"/jumping/sessions/{JUMP.session_id}/", headers=ALICE)).json()
    lift = (await client.get(f"/weightlifting/sessions/{LIFT.session_id}/", headers=ALICE)).json()
    iso = {"jump": "-" in jump["created_at"]["date"], "lift": "-" in lift["created_at"]["date"]}
    dates = FLAVORS[flavor].dates
    if dates == "contract":
        assert iso == {"jump": True, "lift": False}
    else:
        assert iso == {"jump": dates == "iso", "lift": dates == "iso"}


@pytest.mark.parametrize("flavor", ["nulls", "accepted"])
async def test_metrics_shape_per_flavor(client: httpx.AsyncClient, flavor: str) -> None:
    runs = [r for r in RECORDS if r.activity is Activity.RUNNING]
    arrays = FLAVORS[flavor].metrics == "arrays"
    for record in runs:
        body = (await client.get(f"/running/sessions/{record.session_id}/", headers=ALICE)).json()
        assert all(isinstance(v, list) == arrays for v in body["metrics"].values())
        speed = body["calculated_metrics"]["speed"]
        assert isinstance(speed, dict) == arrays


async def test_ready_video_looks_the_same_in_every_flavor() -> None:
    from gateway.sandbox import SandboxConfig, create_sandbox_app

    ready = next(r for r in RECORDS if r.video_state is VideoState.READY)
    urls = set()
    for name in FLAVORS:
        app = create_sandbox_app(SandboxConfig(flavor=name))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox"
        ) as client:
            path = f"/session-management/sessions/{ready.session_id}/analyzed-video/"
            response = await client.get(path, headers=ALICE)
            assert response.status_code == 200
            urls.add(response.json()["analyzed_video_url"])
    assert len(urls) == 1


async def test_random_failure_rate_is_seeded(client: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        config = {"fail_rate": {"rate": 0.3, "seed": 7, "path_contains": "/filter/"}}
        assert (await client.post("/__sandbox__/config", json=config)).status_code == 200
        return [
            (await client.get("/session-management/sessions/filter/", headers=ALICE)).status_code
            for _ in range(200)
        ]

    first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 503}
    assert 40 <= first.count(503) <= 80  # 30% of 200, give or take
    # Other paths are untouched, and null turns it off.
    assert (await client.get("/session-management/sessions/", headers=ALICE)).status_code == 200
    await client.post("/__sandbox__/config", json={"fail_rate": None})
    assert (await client.get("/__sandbox__/config")).json()["fail_rate"] is None
