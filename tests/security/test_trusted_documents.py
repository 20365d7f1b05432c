"""Trusted documents: apps name their operations by hash; in only-trusted mode
nothing else runs, on any transport, and nothing reaches the upstream.

Both manifest formats the tools write: graphql-codegen's client preset
(`persisted-documents.json`, {hash: document}) and Apollo's persisted query
manifest.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.config import Settings
from gateway.http.app import create_app
from schema.trusted import InvalidManifest, TrustedDocuments
from tests.asgi import ASGIWebSocket, CountingUpstream, running
from tests.conftest import global_id, seeded

ALICE = "API-KEY alice-demo-key"
SESSION = global_id(seeded("alice", "Vertical Jump")[0])
PAGE = "query Page { sessions(first: 2) { edges { node { title } } } }"
ONE = "query One($id: ID!) { session(id: $id) { title activity } }"
FREE = "{ sessions(first: 1) { totalCount } }"
JSON_ONLY = "application/json"
GRAPHQL_JSON = "application/graphql-response+json"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _codegen_manifest(path: Path) -> Path:
    path.write_text(json.dumps({_sha(PAGE): PAGE, _sha(ONE): ONE}))
    return path


def _apollo_manifest(path: Path) -> Path:
    operations = [
        {"id": _sha(text), "name": name, "type": "query", "body": text}
        for name, text in (("Page", PAGE), ("One", ONE))
    ]
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    return path


class _Gateway:
    def __init__(self, app: Any, client: httpx.AsyncClient, upstream: CountingUpstream) -> None:
        self.app, self.client, self.upstream = app, client, upstream

    async def post(self, body: dict[str, Any], accept: str = JSON_ONLY) -> httpx.Response:
        headers = {"Authorization": ALICE, "Accept": accept}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def get(self, params: dict[str, str], accept: str = JSON_ONLY) -> httpx.Response:
        headers = {"Authorization": ALICE, "Accept": accept}
        return await self.client.get("/graphql", params=params, headers=headers)


@pytest.fixture(params=["codegen", "apollo"])
def manifest(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    make = _codegen_manifest if request.param == "codegen" else _apollo_manifest
    return make(tmp_path / "manifest.json")


async def _gateway(manifest: Path, only: bool) -> AsyncIterator[_Gateway]:
    settings = Settings(
        upstream_url="http://sandbox",
        trusted_documents=str(manifest),
        trusted_documents_only=only,
    )
    upstream = CountingUpstream()
    async with running(create_app(settings, transport=upstream)) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield _Gateway(served, client, upstream)


@pytest.fixture
async def only_trusted(manifest: Path) -> AsyncIterator[_Gateway]:
    async for gateway in _gateway(manifest, only=True):
        yield gateway


@pytest.fixture
async def trusted_and_free(manifest: Path) -> AsyncIterator[_Gateway]:
    async for gateway in _gateway(manifest, only=False):
        yield gateway


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_documents_run_by_id_over_post_and_get(only_trusted: _Gateway) -> None:
    gw = only_trusted
    by_post = await gw.post({"documentId": f"sha256:{_sha(ONE)}", "variables": {"id": SESSION}})
    assert by_post.status_code == 200, by_post.text
    assert by_post.json()["data"]["session"]["activity"] == "JUMPING"
    bare = await gw.post({"documentId": _sha(PAGE)})
    assert len(bare.json()["data"]["sessions"]["edges"]) == 2
    by_get = await gw.get({"documentId": f"sha256:{_sha(PAGE)}"})
    assert by_get.status_code == 200 and by_get.json() == bare.json()
    # The persisted-query extension's hash names a trusted document too,
    # with nothing registered first.
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha(PAGE)}}
    by_hash = await gw.post({"extensions": apq})
    assert by_hash.json() == bare.json()


@pytest.mark.parametrize("accept", [JSON_ONLY, GRAPHQL_JSON])
async def test_free_text_and_unknown_ids_are_refused_before_any_upstream_call(
    only_trusted: _Gateway, accept: str
) -> None:
    gw = only_trusted
    free = await gw.post({"query": FREE}, accept)
    assert free.status_code == 403 and _code(free) == "PERSISTED_DOCUMENT_REQUIRED"
    assert "documentId" in free.json()["errors"][0]["message"]  # what GraphiQL shows
    assert "data" not in free.json()
    free_get = await gw.get({"query": FREE}, accept)
    assert free_get.status_code == 403 and _code(free_get) == "PERSISTED_DOCUMENT_REQUIRED"
    unknown = await gw.post({"documentId": "sha256:" + "0" * 64}, accept)
    assert unknown.status_code == 404 and _code(unknown) == "PERSISTED_DOCUMENT_NOT_FOUND"
    unknown_get = await gw.get({"documentId": "nope"}, accept)
    assert unknown_get.status_code == 404
    # Registering a free text as a persisted query is free text too.
    apq = {"persistedQuery": {"version": 1, "sha256Hash": _sha(FREE)}}
    registered = await gw.post({"query": FREE, "extensions": apq}, accept)
    assert _code(registered) == "PERSISTED_DOCUMENT_REQUIRED"
    assert gw.upstream.calls == 0


async def test_a_trusted_text_sent_in_full_runs(only_trusted: _Gateway) -> None:
    answer = await only_trusted.post({"query": PAGE})
    assert answer.status_code == 200 and answer.json()["data"]["sessions"]


async def test_free_text_over_a_websocket_is_refused_too(only_trusted: _Gateway) -> None:
    async with ASGIWebSocket(only_trusted.app, "/graphql", ["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": ALICE}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": FREE}})
        refused = await ws.receive_json()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
        await ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": PAGE}})
        assert (await ws.receive_json())["payload"]["data"]["sessions"]
    assert only_trusted.upstream.calls == 1  # the trusted one


async def test_without_only_free_text_runs_and_ids_save_bytes(trusted_and_free: _Gateway) -> None:
    gw = trusted_and_free
    free = await gw.post({"query": FREE})
    assert free.status_code == 200 and free.json()["data"]["sessions"]["totalCount"] > 0
    by_id = await gw.post({"documentId": _sha(PAGE)})
    assert by_id.json()["data"]["sessions"]["edges"]


def test_a_manifest_that_lies_or_does_not_parse_names_the_file_and_entry(
    tmp_path: Path,
) -> None:
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps({_sha(PAGE): PAGE, _sha(ONE): FREE}))
    with pytest.raises(InvalidManifest) as caught:
        TrustedDocuments.load(lying)
    assert str(lying) in str(caught.value) and _sha(ONE) in str(caught.value)
    apollo = _apollo_manifest(tmp_path / "apollo.json")
    broken = json.loads(apollo.read_text())
    broken["operations"][1]["body"] = FREE
    apollo.write_text(json.dumps(broken))
    with pytest.raises(InvalidManifest, match=r"operations\[1\] \(One\)"):
        TrustedDocuments.load(apollo)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{ not json")
    with pytest.raises(InvalidManifest, match=r"garbage\.json"):
        TrustedDocuments.load(garbage)


def test_start_up_stops_on_a_bad_manifest(tmp_path: Path) -> None:
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps({_sha(PAGE): FREE}))
    started = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", "0"],
        env={"GATEWAY_TRUSTED_DOCUMENTS": str(lying), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "GATEWAY_TRUSTED_DOCUMENTS" in started.stderr and str(lying) in started.stderr
    assert "Traceback" not in started.stderr
