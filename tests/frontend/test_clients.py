"""The npm clients frontend teams use, with their default settings, against the real gateway.

Each example in ``examples/clients/`` runs as written (the README's recipes),
on its own sandbox and gateway. Videos don't finish by themselves here: when
a script says it waits, the test makes them ready through the sandbox.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.sandbox import seed_sessions
from tests.conftest import global_id, isolated_servers, start_gateway
from tests.servers import SandboxControl, ServerProcess

from .conftest import CLIENTS, run_client

isolated_pair, sandbox_server, gateway_server = isolated_servers("clients")


@pytest.fixture
def control(sandbox_server: ServerProcess) -> SandboxControl:
    control = SandboxControl(sandbox_server.url)
    control.configure(processing_delay_s=3600)
    return control


def env(gateway: ServerProcess) -> dict[str, str]:
    return {
        "GATEWAY_URL": f"{gateway.url}/graphql",
        "GATEWAY_AUTHORIZATION": "API-KEY alice-demo-key",
    }


def make_ready_when_waiting(control: SandboxControl) -> object:
    def on_line(line: str) -> None:
        if line.startswith("waiting for"):
            for session in seed_sessions("alice"):
                control.set_video(session.session_id, "ready")

    return on_line


def with_one_processing(control: SandboxControl) -> None:
    # Sessions listed first by the filter endpoint: newest first.
    newest = max(seed_sessions("alice"), key=lambda s: s.created_at)
    control.set_video(newest.session_id, "processing")


def test_codegen_types_every_scalar_and_compiles_strict() -> None:
    run_client("graphql-codegen", "--config", "codegen.ts")
    generated = (CLIENTS / "src" / "generated" / "graphql.ts").read_text()
    scalars = generated[generated.index("export type Scalars") :].split("};", 1)[0]
    for scalar, ts_type in [
        ("FloatSeries", "(number | null)[]"),
        ("DateTime", "string"),
        ("Date", "string"),
        ("Upload", "Blob"),
    ]:
        assert re.search(rf"{scalar}: {{ input: {re.escape(ts_type)};", scalars), scalar
    assert "unknown" not in scalars and "any" not in scalars
    possible = (CLIENTS / "src" / "generated" / "possible-types.ts").read_text()
    assert re.search(r'"Session": \[\s*"JumpingSession",\s*"RunningSession",', possible)
    run_client("tsc", "-p", "tsconfig.json", "--strict")


def test_apollo_client(gateway_server: ServerProcess, control: SandboxControl) -> None:
    with_one_processing(control)
    out = run_client(
        "apollo-client.ts", env=env(gateway_server), on_line=make_ready_when_waiting(control)
    )
    assert re.search(r"query: \d+ sessions; a lift's exercise: \w+", out), out
    assert re.search(r'mutation: the watched query shows "Renamed by Apollo \d+"', out), out
    assert "subscription (graphql-ws): the watched query turned READY with no updateQuery" in out
    assert re.search(r"subscription \(multipart HTTP\): https://\S+\.mp4", out), out
    assert (
        "persisted queries: GET hash -> PERSISTED_QUERY_NOT_FOUND, "
        "POST query+hash -> data, GET hash -> data"
    ) in out


def test_urql_with_graphcache(gateway_server: ServerProcess, control: SandboxControl) -> None:
    with_one_processing(control)
    out = run_client("urql.ts", env=env(gateway_server), on_line=make_ready_when_waiting(control))
    assert re.search(r"query: \d+ sessions", out), out
    assert re.search(r'mutation: the cached session reads "Renamed by urql \d+"', out), out
    assert "subscription (SSE): the cached session turned READY by itself" in out
    # No dev-mode warnings from graphcache (it reads the schema from codegen).
    assert "Invalid" not in out, out


def test_graphql_sse(gateway_server: ServerProcess) -> None:
    out = run_client("sse.ts", env=env(gateway_server))
    assert re.search(r"subscription \(graphql-sse\): READY https://\S+\.mp4", out), out


def test_apollo_upload_client(gateway_server: ServerProcess) -> None:
    out = run_client("upload.ts", env=env(gateway_server))
    assert re.search(r"upload: Uploaded by apollo-upload-client \S+ PROCESSING", out), out


def test_defer_sends_the_first_part_before_a_slow_export(
    gateway_server: ServerProcess, control: SandboxControl
) -> None:
    """@defer from Apollo Client 4 (its Defer20220824Handler) and urql (as it
    comes): the session page's title and metrics at once, the export, 1.5 s
    upstream, in a later part; one export call per client."""
    session = next(s for s in seed_sessions("alice") if s.activity == "Running")
    control.configure(route_latency_ms={"/export/": 1500})
    control.reset()
    try:
        out = run_client("defer.ts", env={**env(gateway_server), "SESSION_ID": global_id(session)})
    finally:
        control.configure(route_latency_ms=None)
    for client in ("Apollo Client", "urql"):
        found = re.search(rf"@defer \({client}\): first part (\d+) ms .* export part (\d+) ms", out)
        assert found, out
        first, whole = int(found[1]), int(found[2])
        assert first < 1500 <= whole, out
    calls = control.stats()["by_session"][session.session_id]
    assert [n for route, n in calls.items() if route.endswith("/export/")] == [2], calls


def test_codegen_writes_the_manifest_and_a_client_sends_document_ids(
    sandbox_server: ServerProcess, logs_dir: Path
) -> None:
    run_client("graphql-codegen", "--config", "codegen.ts")
    manifest = CLIENTS / "src" / "generated" / "gql" / "persisted-documents.json"
    gateway = start_gateway(
        sandbox_server.url,
        logs_dir / "gateway-trusted.log",
        env={"GATEWAY_TRUSTED_DOCUMENTS": str(manifest), "GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true"},
    )
    try:
        out = run_client("trusted.ts", env=env(gateway))
    finally:
        gateway.stop()
    assert "documentId: 200, 2 sessions" in out, out
    assert "documentId by GET: 200, 1 session" in out, out
    assert "free text: 403 PERSISTED_DOCUMENT_REQUIRED" in out, out
