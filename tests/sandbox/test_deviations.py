"""One contract loader and one deviation table, read by the drift check and the sandbox alike."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from gateway.upstream import contract as contract_module
from gateway.upstream.contract import DEVIATIONS, Deviation, contract, expected_schema
from gateway.upstream.extract_contract import SERVED_PATHS

ROOT = Path(__file__).resolve().parents[2]


def _at(schema: dict[str, Any], path: tuple[str, ...]) -> Any:
    node = schema
    for name in path[:-1]:
        node = node["properties"][name]
    return node["properties"][path[-1]]


def test_each_deviation_is_named_once_with_its_reason() -> None:
    keys = [(d.operation, d.path, d.status) for d in DEVIATIONS]
    assert len(keys) == len(set(keys))
    for deviation in DEVIATIONS:
        assert deviation.why.strip(), deviation
        # A deviation is either a property's schema or a status, never both or neither.
        assert bool(deviation.path) != (deviation.status is not None), deviation


def _body_deviations(*, sandbox_only: bool) -> list[Deviation]:
    return [d for d in DEVIATIONS if d.path and d.sandbox_only is sandbox_only]


def test_the_drift_check_relaxes_the_contracts_own_quirks() -> None:
    shared = _body_deviations(sandbox_only=False)
    assert shared
    for deviation in shared:
        for sandbox in (False, True):
            schema = expected_schema(deviation.operation, sandbox=sandbox)
            assert schema is not None
            assert _at(schema, deviation.path) == deviation.schema, deviation


def test_what_only_the_sandbox_does_is_still_drift_from_a_real_upstream() -> None:
    own = _body_deviations(sandbox_only=True)
    assert own
    for deviation in own:
        live = expected_schema(deviation.operation)
        sandboxed = expected_schema(deviation.operation, sandbox=True)
        assert live is not None and sandboxed is not None
        assert _at(live, deviation.path) != deviation.schema, deviation
        assert _at(sandboxed, deviation.path) == deviation.schema, deviation


def test_error_bodies_are_never_relaxed() -> None:
    op = "GET /session-management/sessions/{session_id}/analyzed-video/"
    # The 404 body's schema is the contract's own, deviations or not.
    assert expected_schema(op, 404, sandbox=True) == expected_schema(op, 404)
    assert expected_schema("GET /no/such/path/") is None


def test_the_contract_is_loaded_in_one_place() -> None:
    """No other module under gateway/ parses contract.yaml or keeps a deviation table."""
    assert contract() is contract()
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        if path == Path(contract_module.__file__):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                assert node.name != "Deviation", path
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                assert name not in ("DEVIATIONS", "CONTRACT_PATH") or path.name in (
                    "validation.py",
                ), (path, name)
            if isinstance(node, ast.Constant) and node.value == "contract.yaml":
                # The extractor writes the file; it never reads it.
                assert path.name == "extract_contract.py", path


def test_the_extractor_and_the_contract_list_the_same_paths() -> None:
    assert set(SERVED_PATHS) == set(contract()["paths"])


def test_documents_cited_in_the_code_exist() -> None:
    """A `.md` named in gateway/ or schema/ is in the repository (the upstream's
    own guides, quoted by the contract extractor, excepted)."""
    upstream_docs = {"retrieval-api-endpoints.md"}
    for folder in ("gateway", "schema"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for cited in re.findall(r"[\w./-]+\.md\b", path.read_text(encoding="utf-8")):
                if cited in upstream_docs:
                    continue
                assert (ROOT / cited).is_file(), (path, cited)
