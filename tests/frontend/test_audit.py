"""graphql-http's conformance audit (``auditServer``) against the real gateway: every item ok."""

from __future__ import annotations

from tests.servers import ServerProcess

from .conftest import run_client


def test_graphql_http_audit_all_ok(gateway_server: ServerProcess) -> None:
    out = run_client("audit.mjs", f"{gateway_server.url}/graphql")
    summary = out.strip().splitlines()[-1]
    assert summary == (
        "SUMMARY graphql-http audit: 61 of 61 ok, 0 warnings, 0 errors, 0 notices"
    ), out
