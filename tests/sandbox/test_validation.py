"""gateway/sandbox/validation.py catches what breaks the contract, and only that."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.sandbox import validation
from gateway.sandbox.validation import (
    INJECTED_HEADER,
    ContractValidation,
    body_violations,
    json_body_violations,
)

SUMMARY = "/jumping/sessions/{session_id}/summary/"
VIDEO = "GET /session-management/sessions/{session_id}/analyzed-video/"
DETAILS = "GET /jumping/sessions/{session_id}/"


def answering(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A client of a fake upstream that answers `status`/`body` on the contract's paths."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(body, status_code=status, headers=headers)

    app = Starlette(
        routes=[
            Route(SUMMARY.replace("{session_id}", "{sid}"), endpoint, methods=["GET", "PATCH"]),
            Route("/elsewhere", endpoint),
        ]
    )
    transport = httpx.ASGITransport(app=ContractValidation(app))
    return httpx.AsyncClient(transport=transport, base_url="http://upstream")


async def report(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/__sandbox__/contract")).json()
    return body


async def test_a_body_missing_required_fields_is_a_violation() -> None:
    async with answering(200, {"unexpected": True}) as client:
        await client.get("/jumping/sessions/abc/summary/")
        found = await report(client)
        assert found["checked"] == 1 and found["bodies"] == 1
        [violation] = found["violations"]
        assert violation["operation"] == f"GET {SUMMARY}"
        # read once: the next test starts clean
        assert (await report(client))["violations"] == []


async def test_an_undocumented_status_is_a_violation() -> None:
    async with answering(418, {"error": "teapot"}) as client:
        await client.get("/jumping/sessions/abc/summary/")
        [violation] = (await report(client))["violations"]
        assert violation["problems"] == ["status 418 is not documented for this operation"]


async def test_injected_failures_and_other_paths_are_not_checked() -> None:
    async with answering(418, {"x": 1}, {INJECTED_HEADER: "fail_next"}) as client:
        await client.get("/jumping/sessions/abc/summary/")
        assert (await report(client)) == {"checked": 0, "bodies": 0, "violations": []}
    async with answering(418, {"x": 1}) as client:
        await client.get("/elsewhere")
        assert (await report(client))["checked"] == 0


async def test_an_undocumented_method_may_only_answer_405() -> None:
    async with answering(405, {"error": "Method not allowed"}) as client:
        await client.patch("/jumping/sessions/abc/summary/")
        assert (await report(client))["violations"] == []
    async with answering(200, {"error": "no"}) as client:
        await client.patch("/jumping/sessions/abc/summary/")
        assert len((await report(client))["violations"]) == 1


def test_formats_are_checked() -> None:
    # format: uri, with the processing deviation allowing only the empty string
    assert body_violations(VIDEO, 200, {"analyzed_video_url": "https://x.invalid/v.mp4"}) == []
    assert body_violations(VIDEO, 200, {"analyzed_video_url": ""}) == []
    assert body_violations(VIDEO, 200, {"analyzed_video_url": "not a uri"})
    assert body_violations(VIDEO, 200, {"analyzed_video_url": "https://"})
    # format: date is YYYY-MM-DD and format: time is the contract's HH:MM AM/PM
    details = {
        "session_id": "s",
        "title": "t",
        "created_at": {"date": "2025-02-26", "time": "06:24 PM"},
    }
    base = body_violations(DETAILS, 200, details)
    # (DD/MM/YYYY is one of the flavors' readings, named in DEVIATIONS.)
    wrong_date = {**details, "created_at": {"date": "2025-02-30", "time": "06:24 PM"}}
    wrong_time = {**details, "created_at": {"date": "2025-02-26", "time": "18:24"}}
    assert len(body_violations(DETAILS, 200, wrong_date)) == len(base) + 1
    assert len(body_violations(DETAILS, 200, wrong_time)) == len(base) + 1


def test_the_same_bytes_are_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[Any] = []

    def counting(operation: str, status: int, body: Any) -> list[str]:
        judged.append(body)
        return body_violations(operation, status, body)

    monkeypatch.setattr(validation, "body_violations", counting)
    bad = f'{{"unexpected": "{uuid.uuid4()}"}}'.encode()
    first = json_body_violations(f"GET {SUMMARY}", 200, bad)
    assert first and json_body_violations(f"GET {SUMMARY}", 200, bad) == first
    assert len(judged) == 1
    # Other bytes, or the same as another operation's answer, are judged anew.
    assert json_body_violations(f"GET {SUMMARY}", 200, bad + b" ") == first
    assert json_body_violations(DETAILS, 200, bad)
    assert len(judged) == 3
    assert json_body_violations(DETAILS, 200, b"{not json") == ["the body is not JSON"]
