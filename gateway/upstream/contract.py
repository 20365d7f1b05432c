"""The upstream contract as JSON Schema, with each known deviation from it named once.

The contract is the upstream's OpenAPI file, trimmed to what the gateway
calls (``contract.yaml`` next to this module, written by
:mod:`gateway.upstream.extract_contract` from the upstream's published
``openapi.yaml``). Its
schemas are OpenAPI 3.0: JSON Schema plus ``nullable``, minus ``type`` lists.

Where an answer may differ from the contract, :data:`DEVIATIONS` names the
operation, the property (or the status) and the reason, once. Two readers
share this table and this loader:

* the gateway's live drift check (:mod:`gateway.upstream.drift`), which samples a
  real upstream's 200 answers;
* the sandbox's contract validation (:mod:`gateway.sandbox.validation`),
  which checks every answer the sandbox sends in tests.

A deviation that the contract's own examples show (and so a real upstream
sends) relaxes both. One that only the sandbox makes, on purpose (a
processing state, a flavor: ``sandbox_only``), relaxes the sandbox's check
alone: from a real upstream it is still drift worth counting.

The table lives here, beside the contract, because it spells the contract's
route templates; besides the sandbox, only :mod:`gateway.upstream.endpoints`
does.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "CONTRACT_PATH",
    "DEVIATIONS",
    "Deviation",
    "contract",
    "expected_schema",
    "operations",
    "response_schema",
    "to_json_schema",
]

CONTRACT_PATH: Final = Path(__file__).with_name("contract.yaml")

_METHODS: Final = ("get", "post", "put", "delete", "patch")


@functools.cache
def contract() -> dict[str, Any]:
    """``contract.yaml``, parsed once per process (205 KB: libyaml's loader when
    PyYAML has it, several times faster than the pure-Python one)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(CONTRACT_PATH.read_text(encoding="utf-8"), Loader=loader)
    return loaded


def operations() -> set[str]:
    """Every ``METHOD /template`` the contract documents."""
    return {
        f"{method.upper()} {path}"
        for path, item in contract()["paths"].items()
        for method in item
        if method in _METHODS
    }


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


def response_schema(operation: str, status: int = 200) -> dict[str, Any] | None:
    """The contract's own schema of ``operation``'s JSON answer with ``status``,
    as JSON Schema; ``None`` where the contract gives none."""
    method, path = operation.split(" ", 1)
    try:
        response = contract()["paths"][path][method.lower()]["responses"][str(status)]
        raw = response["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None
    schema: dict[str, Any] = to_json_schema(raw)
    return schema


# --- the deviations ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deviation:
    """An answer may differ from the contract here, for the reason ``why``.

    With ``path``, the schema of a 2xx body's property at ``path`` (property
    names from the root) is replaced by ``schema``; with ``status``, that
    status is allowed although the operation does not document it.
    ``operation`` is ``METHOD /template``, or ``*`` for every operation.
    """

    operation: str
    why: str
    path: tuple[str, ...] = ()
    schema: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    # With ``path``: the property may also be absent.
    optional: bool = False
    # Only the sandbox's own answers may do this (see the module's docstring).
    sandbox_only: bool = False


NUMBER: Final[dict[str, Any]] = {"type": "number"}
NUMBERS: Final[dict[str, Any]] = {"type": "array", "items": NUMBER}
NUMBER_OR_NUMBERS: Final[dict[str, Any]] = {"anyOf": [NUMBER, NUMBERS]}
STATS: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["avg", "min", "max"],
    "properties": {"avg": NUMBER, "min": NUMBER, "max": NUMBER},
    "additionalProperties": False,
}
_DMY_DATE: Final[dict[str, Any]] = {
    "type": "string",
    "pattern": r"^(0[1-9]|[12]\d|3[01])/(0[1-9]|1[0-2])/\d{4}$",
}
_NULLABLE_STRING: Final[dict[str, Any]] = {"type": ["string", "null"]}
_URL_WHILE_PROCESSING: Final[dict[str, Any]] = {
    "anyOf": [{"type": "string", "format": "uri"}, {"enum": ["", None]}]
}
# The README's section "DESIGN: readiness, and the readings of the contract".
_READINGS: Final = "README, 'DESIGN: readiness, and the readings of the contract'"


def _jump_keypoints() -> dict[str, Any]:
    """The export's keypoints as the contract lists them, less the key named 'etc'."""
    schema = response_schema("GET /jumping/sessions/{session_id}/export/")
    assert schema is not None
    keypoints = dict(schema["properties"]["keypoints"])
    keypoints["required"] = [k for k in keypoints["required"] if k != "etc"]
    keypoints["additionalProperties"] = NUMBERS
    return keypoints


DEVIATIONS: Final[tuple[Deviation, ...]] = (
    # --- statuses (the sandbox's answers; the drift check reads 200s only) -----
    Deviation(
        "GET /session-management/sessions/{session_id}/analyzed-video/",
        "a video whose processing failed: the contract has no way to say so, a real upstream"
        " answers 422 VIDEO_PROCESSING_FAILED (the gateway reads FAILED from it, and reads"
        " PROCESSING when an upstream never sends it: tests/e2e/test_contract_deviations.py)",
        status=422,
    ),
    Deviation(
        "POST /session-management/sessions/{session_id}/analyzed-video/",
        "as for GET: 422 VIDEO_PROCESSING_FAILED when processing failed",
        status=422,
    ),
    Deviation(
        "*",
        "a method the upstream does not serve on a path answers 405, which the gateway's"
        " lift-analysis fallback (GET, then POST) relies on",
        status=405,
    ),
    # --- the quirks the contract's examples show but its schemas deny ----------
    *(
        Deviation(
            op,
            "schema: numbers; the contract's running examples: per-segment arrays",
            path=("metrics",),
            schema={"type": "object", "additionalProperties": NUMBER_OR_NUMBERS},
        )
        for op in (
            "GET /running/sessions/{session_id}/",
            "GET /running/sessions/{session_id}/export/",
            "GET /running/sessions/{session_id}/metrics/",
        )
    ),
    Deviation(
        "GET /running/sessions/{session_id}/",
        "schema: numbers; the running details example: per-segment arrays",
        path=("angles",),
        schema={"type": "object", "additionalProperties": NUMBER_OR_NUMBERS},
    ),
    Deviation(
        "GET /running/sessions/{session_id}/",
        "schema: numbers; the running details example: {avg, min, max} objects",
        path=("calculated_metrics",),
        schema={"type": "object", "additionalProperties": {"anyOf": [NUMBER, STATS]}},
    ),
    *(
        Deviation(
            op,
            "schema: numbers; the weightlifting examples send max_power as a numeric string",
            path=("metrics",),
            schema={
                "type": "object",
                "additionalProperties": NUMBER,
                "properties": {
                    "max_power": {"type": "string", "pattern": r"^-?\d+\.\d+(E-?\d+)?$"}
                },
                "required": ["max_power"],
            },
        )
        for op in (
            "GET /weightlifting/sessions/{session_id}/",
            "GET /weightlifting/sessions/{session_id}/export/",
        )
    ),
    Deviation(
        "GET /jumping/sessions/{session_id}/export/",
        "the schema lists a key literally named 'etc' (meaning 'and the others') as required",
        path=("keypoints",),
        schema=_jump_keypoints(),
    ),
    *(
        Deviation(
            "GET /session-management/sessions/filter/",
            "the prose: 'string or null' (null on an empty page)",
            path=(name,),
            schema=_NULLABLE_STRING,
        )
        for name in ("first_doc_id", "last_doc_id")
    ),
    # --- the sandbox's processing states ---------------------------------------
    Deviation(
        "GET /session-management/sessions/{session_id}/analyzed-video/",
        f"while processing the URL is empty ({_READINGS}; null in flavor nulls);"
        " `format: uri` allows no empty string",
        path=("analyzed_video_url",),
        schema=_URL_WHILE_PROCESSING,
        sandbox_only=True,
    ),
    *(
        Deviation(
            op,
            f"while processing the details' URL is empty, null or absent ({_READINGS};"
            " flavors strict, nulls, accepted)",
            path=("analyzed_video_url",),
            schema=_URL_WHILE_PROCESSING,
            optional=True,
            sandbox_only=True,
        )
        for op in (
            "GET /jumping/sessions/{session_id}/",
            "GET /jumping/sessions/{session_id}/export/",
            "GET /running/sessions/{session_id}/",
            "GET /weightlifting/sessions/{session_id}/",
        )
    ),
    Deviation(
        "POST /session-management/sessions/{session_id}/analyzed-video/",
        "processing just started: the URL is empty, as for GET (null in flavor nulls)",
        path=("analyzed_video_url",),
        schema={"enum": ["", None]},
        sandbox_only=True,
    ),
    # --- flavors (gateway.sandbox.flavors): other readings of the contract ------
    Deviation(
        "*",
        "flavor strict (the default): a body without its media type is refused with 415, as"
        " Django REST Framework, which the API's trailing-slash style suggests, answers",
        status=415,
    ),
    *(
        Deviation(
            op,
            "flavor accepted: 202 while the video is processing (the contract's POST prose:"
            " generation 'started')",
            status=202,
        )
        for op in (
            "GET /session-management/sessions/{session_id}/analyzed-video/",
            "POST /session-management/sessions/{session_id}/analyzed-video/",
        )
    ),
    *(
        Deviation(
            op,
            "flavor dmy: DD/MM/YYYY everywhere, as the contract's other activities send it",
            path=("created_at", "date"),
            schema={"anyOf": [{"type": "string", "format": "date"}, _DMY_DATE]},
            sandbox_only=True,
        )
        for op in (
            "GET /jumping/sessions/{session_id}/",
            "GET /jumping/sessions/{session_id}/export/",
            "GET /jumping/sessions/{session_id}/summary/",
        )
    ),
)


def _relax(schema: dict[str, Any], operation: str, *, sandbox: bool) -> dict[str, Any]:
    relaxed = copy.deepcopy(schema)
    for deviation in DEVIATIONS:
        if deviation.operation != operation or not deviation.path:
            continue
        if deviation.sandbox_only and not sandbox:
            continue
        node = relaxed
        for name in deviation.path[:-1]:
            node = node["properties"][name]
        # A deviation names a property the contract has: a typo would relax nothing.
        assert deviation.path[-1] in node["properties"], (operation, deviation.path)
        node["properties"][deviation.path[-1]] = deviation.schema
        if deviation.optional and deviation.path[-1] in node.get("required", ()):
            node["required"] = [n for n in node["required"] if n != deviation.path[-1]]
    return relaxed


@functools.cache
def expected_schema(
    operation: str, status: int = 200, *, sandbox: bool = False
) -> dict[str, Any] | None:
    """What ``operation``'s (``METHOD /template``) answer with ``status`` really
    looks like: the contract's schema with its known deviations (for a 2xx; with
    ``sandbox``, the sandbox's own as well); ``None`` where the contract has none.
    """
    schema = response_schema(operation, status)
    if schema is None or not 200 <= status < 300:
        return schema
    return _relax(schema, operation, sandbox=sandbox)
