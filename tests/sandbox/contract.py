"""Validate sandbox bodies against the response schemas of `gateway/sandbox/contract.yaml`.

The contract's schemas are OpenAPI 3.0: JSON Schema plus `nullable`, minus
`type` lists. Where the contract's own examples (and a real upstream) disagree
with its schemas, a test names the property and its replacement schema as a
`Deviation`; validation then checks both that the body conforms to the relaxed
schema and that the strict schema fails nowhere else, so the sandbox cannot
drift from the contract anywhere that was not deliberately allowed.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

import gateway.sandbox

CONTRACT_PATH = Path(gateway.sandbox.__file__).with_name("contract.yaml")

NUMBER: dict[str, Any] = {"type": "number"}
NUMBERS: dict[str, Any] = {"type": "array", "items": NUMBER}
NUMBER_OR_NUMBERS: dict[str, Any] = {"anyOf": [NUMBER, NUMBERS]}
STATS: dict[str, Any] = {
    "type": "object",
    "required": ["avg", "min", "max"],
    "properties": {"avg": NUMBER, "min": NUMBER, "max": NUMBER},
    "additionalProperties": False,
}


@functools.cache
def contract() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    return loaded


def operations() -> set[str]:
    """Every `METHOD /template` the contract documents."""
    return {
        f"{method.upper()} {path}"
        for path, item in contract()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def response_schema(key: str, status: int = 200) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    responses = contract()["paths"][path][method.lower()]["responses"]
    schema: dict[str, Any] = to_json_schema(
        responses[str(status)]["content"]["application/json"]["schema"]
    )
    return schema


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4): `nullable` becomes a null branch."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("example", "nullable")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Deviation:
    """Replace the schema of the property at `path` (property names from the root)."""

    path: tuple[str, ...]
    schema: dict[str, Any]
    why: str


def relax(schema: dict[str, Any], deviations: tuple[Deviation, ...]) -> dict[str, Any]:
    relaxed = copy.deepcopy(schema)
    for deviation in deviations:
        node = relaxed
        for name in deviation.path[:-1]:
            node = node["properties"][name]
        assert deviation.path[-1] in node["properties"], deviation.path
        node["properties"][deviation.path[-1]] = deviation.schema
    return relaxed


def assert_conforms(
    body: Any, key: str, status: int = 200, deviations: tuple[Deviation, ...] = ()
) -> None:
    strict = response_schema(key, status)
    validator = jsonschema.Draft4Validator(relax(strict, deviations))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)]
    assert not errors, f"{key} body does not match the contract:\n" + "\n".join(errors[:10])
    allowed = [d.path for d in deviations]
    for error in jsonschema.Draft4Validator(strict).iter_errors(body):
        where = tuple(str(p) for p in error.absolute_path)
        assert any(where[: len(p)] == p for p in allowed), (
            f"{key}: strict schema fails outside the allowed deviations at {where}: "
            f"{error.message[:200]}"
        )
