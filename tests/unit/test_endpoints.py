"""The endpoint table against the contract, and as the one place routes are written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gateway.ids import Activity
from gateway.upstream import endpoints
from gateway.upstream.endpoints import ALL, ENDPOINTS, UpstreamEndpoint, endpoint
from tests.sandbox.contract import contract, operations

ROOT = Path(__file__).resolve().parents[2]
# An upstream path template: every route the contract has holds a `/sessions` segment.
ROUTE_LITERAL = re.compile(r"/sessions[/\"'`]")
# Outside the table, only the sandbox (the upstream itself, and the contract
# with its deviation table, gateway/upstream/contract.py) writes routes.
# The table, and the contract beside it: its deviations name the routes they
# relax, and its extractor the paths it keeps from the OpenAPI file.
ALLOWED = {
    "gateway/upstream/endpoints.py",
    "gateway/upstream/contract.py",
    "gateway/upstream/extract_contract.py",
}


def _operation(key: str) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    operation: dict[str, Any] = contract()["paths"][path][method.lower()]
    return operation


def _undocumented(entry: UpstreamEndpoint) -> list[str]:
    documented = operations()
    return [key for key in entry.operations() if key not in documented]


def test_the_endpoint_table_covers_every_route_the_gateway_calls() -> None:
    """No module outside the sandbox writes an upstream route: the grep, as a test."""
    found = []
    for folder in ("gateway", "schema"):
        for source in sorted((ROOT / folder).rglob("*.py")):
            name = source.relative_to(ROOT).as_posix()
            if name.startswith("gateway/sandbox/") or name in ALLOWED:
                continue
            for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
                if ROUTE_LITERAL.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == []
    # The table itself does hold them.
    assert any(ROUTE_LITERAL.search(e.route + "'") for e in ALL)
    # An endpoint the table lacks is treated cautiously, in a family of its own.
    unknown = endpoint("POST", "/unknown/")
    assert (unknown.family, unknown.idempotent) == ("other /unknown/", False)
    assert endpoint("GET", "/unknown/").family == "other /unknown/"


def test_every_entry_is_an_operation_of_the_contract() -> None:
    for entry in ALL:
        assert _undocumented(entry) == [], entry
    # The check can fail: a route the contract lacks, or a method it doesn't document.
    made_up = UpstreamEndpoint("GET", "/jumping/sessions/{session_id}/nothing/", "none", True, "x")
    assert _undocumented(made_up) == ["GET /jumping/sessions/{session_id}/nothing/"]
    wrong_method = UpstreamEndpoint("PUT", endpoints.EXPORT.route, "json", False, "x")
    assert _undocumented(wrong_method) == [
        f"PUT /{a.path}/sessions/{{session_id}}/export/" for a in Activity
    ]
    assert endpoints.LIFT_ANALYSIS.operations() == (
        "GET /weightlifting/sessions/{session_id}/lift-analysis/",
        "POST /weightlifting/sessions/{session_id}/lift-analysis/",
    )


def test_the_endpoint_table_declares_the_contracts_media_types() -> None:
    media = {"application/json": "json", "multipart/form-data": "multipart"}
    for entry in ALL:
        for key in entry.operations():
            declared = list(_operation(key).get("requestBody", {}).get("content", {}))
            assert entry.media == (media[declared[0]] if declared else "none"), key


def test_only_calls_without_a_body_to_write_are_retried() -> None:
    for (method, route), entry in ENDPOINTS.items():
        if method == "GET":
            assert entry.idempotent, route
        if method in ("PUT", "DELETE") or entry.media != "none":
            # A body is something to write: sent once, whatever the status.
            assert not entry.idempotent, (method, route)


def test_each_entry_names_the_answer_the_contract_documents() -> None:
    for entry in ALL:
        for key in entry.operations():
            answer = _operation(key)["responses"][str(entry.status)]
            assert "schema" in answer["content"]["application/json"], key


def test_every_entry_has_a_name_and_one_line() -> None:
    named = {
        id(value)
        for key, value in vars(endpoints).items()
        if key.isupper() and isinstance(value, UpstreamEndpoint)
    }
    assert all(id(entry) in named for entry in ALL)
    keys = [(method, entry.route) for entry in ALL for method in entry.methods]
    assert len(keys) == len(set(keys)) == len(ENDPOINTS)
    for entry in ALL:
        # Only GET bodies are kept as bytes (the cache and singleflight are for GETs).
        assert not entry.lazy or entry.method == "GET", entry
        assert entry.fallback_method != entry.method, entry
