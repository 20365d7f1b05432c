"""What the upstream contract says a response looks like, as JSON Schema.

The contract is the trimmed OpenAPI file the sandbox carries
(``gateway/sandbox/contract.yaml``). Its schemas are OpenAPI 3.0: JSON Schema
plus ``nullable``, minus ``type`` lists. Where the contract's own examples (and
the real upstream) disagree with its schemas, :data:`DEVIATIONS` names the
property and the schema it really has. This one table drives both the
sandbox's conformance tests and the gateway's live drift check
(:mod:`gateway.drift`), so neither can drift from the other.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CONTRACT_PATH",
    "DEVIATIONS",
    "NUMBER",
    "NUMBERS",
    "NUMBER_OR_NUMBERS",
    "STATS",
    "Deviation",
    "contract",
    "expected_schema",
    "operations",
    "relax",
    "response_schema",
    "to_json_schema",
]

CONTRACT_PATH = Path(__file__).with_name("sandbox") / "contract.yaml"

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
    """Every ``METHOD /template`` the contract documents."""
    return {
        f"{method.upper()} {path}"
        for path, item in contract()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def response_schema(key: str, status: int = 200) -> dict[str, Any]:
    """The contract's schema of ``key``'s (``METHOD /template``) answer, as JSON Schema."""
    method, path = key.split(" ", 1)
    responses = contract()["paths"][path][method.lower()]["responses"]
    schema: dict[str, Any] = to_json_schema(
        responses[str(status)]["content"]["application/json"]["schema"]
    )
    return schema


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4): ``nullable`` becomes a null branch."""
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
    """Replace the schema of the property at ``path`` (property names from the root)."""

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


# --- the quirks the contract's examples show but its schemas deny ------------

_RUNNING_METRICS = Deviation(
    ("metrics",),
    {"type": "object", "additionalProperties": NUMBER_OR_NUMBERS},
    "schema: numbers; the contract's running examples: per-segment arrays",
)
_RUNNING_ANGLES = Deviation(
    ("angles",),
    {"type": "object", "additionalProperties": NUMBER_OR_NUMBERS},
    "schema: numbers; the running details example: per-segment arrays",
)
_CALCULATED = Deviation(
    ("calculated_metrics",),
    {"type": "object", "additionalProperties": {"anyOf": [NUMBER, STATS]}},
    "schema: numbers; the running details example: {avg, min, max} objects",
)
_LIFT_METRICS = Deviation(
    ("metrics",),
    {
        "type": "object",
        "additionalProperties": NUMBER,
        "properties": {"max_power": {"type": "string", "pattern": r"^-?\d+\.\d+(E-?\d+)?$"}},
        "required": ["max_power"],
    },
    "schema: numbers; the weightlifting examples send max_power as a numeric string",
)


def _jump_keypoints() -> Deviation:
    schema = response_schema("GET /jumping/sessions/{session_id}/export/")
    keypoints = dict(schema["properties"]["keypoints"])
    keypoints["required"] = [k for k in keypoints["required"] if k != "etc"]
    keypoints["additionalProperties"] = NUMBERS
    return Deviation(
        ("keypoints",),
        keypoints,
        "the schema lists a key literally named 'etc' (meaning 'and the others') as required",
    )


_NULLABLE_STRING = {"type": ["string", "null"]}
_FILTER_CURSORS = (
    Deviation(("first_doc_id",), _NULLABLE_STRING, "the prose: 'string or null'"),
    Deviation(("last_doc_id",), _NULLABLE_STRING, "the prose: 'string or null'"),
)

DEVIATIONS: dict[str, tuple[Deviation, ...]] = {
    "GET /running/sessions/{session_id}/": (_RUNNING_METRICS, _RUNNING_ANGLES, _CALCULATED),
    "GET /running/sessions/{session_id}/export/": (_RUNNING_METRICS,),
    "GET /running/sessions/{session_id}/metrics/": (_RUNNING_METRICS,),
    "GET /weightlifting/sessions/{session_id}/": (_LIFT_METRICS,),
    "GET /weightlifting/sessions/{session_id}/export/": (_LIFT_METRICS,),
    "GET /jumping/sessions/{session_id}/export/": (_jump_keypoints(),),
    "GET /session-management/sessions/filter/": _FILTER_CURSORS,
}


@functools.cache
def expected_schema(key: str, status: int = 200) -> dict[str, Any] | None:
    """What a ``key`` answer with ``status`` really looks like: the contract's
    schema with its known deviations; ``None`` where the contract has none."""
    method, path = key.split(" ", 1)
    try:
        response = contract()["paths"][path][method.lower()]["responses"][str(status)]
        response["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None
    return relax(response_schema(key, status), DEVIATIONS.get(key, ()))
