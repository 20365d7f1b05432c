"""Regenerate ``contract.yaml`` from the upstream's full ``openapi.yaml``.

Usage: ``python -m gateway.upstream.extract_contract <openapi.yaml> [<out.yaml>]``

The full contract is ~10k lines, mostly prose; the sandbox and its tests need only
the paths it serves, with their parameters, bodies, schemas and examples. The
result is committed so that a fresh clone stands alone.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

SERVED_PATHS: tuple[str, ...] = (
    "/jumping/sessions/",
    "/jumping/sessions/{session_id}/",
    "/jumping/sessions/{session_id}/export/",
    "/jumping/sessions/{session_id}/jump-analysis/",
    "/jumping/sessions/{session_id}/recommendation/",
    "/jumping/sessions/{session_id}/summary/",
    "/running/sessions/",
    "/running/sessions/metrics/total/",
    "/running/sessions/{session_id}/",
    "/running/sessions/{session_id}/export/",
    "/running/sessions/{session_id}/form-analysis/",
    "/running/sessions/{session_id}/gait-analysis/",
    "/running/sessions/{session_id}/metrics/",
    "/running/sessions/{session_id}/recommendation/",
    "/running/sessions/{session_id}/report-comments/",
    "/running/sessions/{session_id}/report/",
    "/running/sessions/{session_id}/summary/",
    "/session-management/sessions/",
    "/session-management/sessions/filter/",
    "/session-management/sessions/{session_id}",
    "/session-management/sessions/{session_id}/analyzed-video/",
    "/weightlifting/sessions/",
    "/weightlifting/sessions/{session_id}/",
    "/weightlifting/sessions/{session_id}/export/",
    "/weightlifting/sessions/{session_id}/lift-analysis/",
    "/weightlifting/sessions/{session_id}/recommendation/",
)

# Descriptions longer than this, or spanning lines, are prose for humans.
_MAX_DESCRIPTION = 120

HEADER = """\
# Extracted from the upstream's openapi.yaml (OpenAPI 3.0.1, "AIKYNETIX WEB API" v1)
# by gateway/upstream/extract_contract.py: only the paths the sandbox serves, with
# their parameters, request bodies, response schemas and examples. Long prose
# descriptions were dropped; short one-line ones were kept. One addition: GET on
# .../lift-analysis/, which the upstream's retrieval guide documents (the OpenAPI
# file has only POST). Do not edit by hand.
"""


def _trim(node: Any, *, in_properties: bool = False) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            # Under `properties` the keys are field names, not schema keywords,
            # so a field literally called "description" must survive.
            if not in_properties and key == "tags":
                continue
            if not in_properties and key == "description" and not _is_short(value):
                continue
            if not in_properties and key in ("example", "examples"):
                out[key] = value
                continue
            out[key] = _trim(value, in_properties=(key == "properties" and not in_properties))
        return out
    if isinstance(node, list):
        return [_trim(item) for item in node]
    return node


def _is_short(value: Any) -> bool:
    return isinstance(value, str) and "\n" not in value and len(value) <= _MAX_DESCRIPTION


LIFT_ANALYSIS = "/weightlifting/sessions/{session_id}/lift-analysis/"


def extract(full: dict[str, Any]) -> dict[str, Any]:
    paths = full["paths"]
    missing = [p for p in SERVED_PATHS if p not in paths]
    if missing:
        raise SystemExit(f"paths missing from the input: {missing}")
    trimmed = {p: _trim(paths[p]) for p in SERVED_PATHS}
    # The retrieval guide documents this path as GET, the OpenAPI file as POST;
    # the upstream serves both, so the GET gets the POST's description.
    lift = trimmed[LIFT_ANALYSIS]
    if "get" not in lift:
        get = copy.deepcopy(lift["post"])
        get["operationId"] = get.get("operationId", "lift-analysis") + "_get"
        get["x-documented-by"] = "retrieval-api-endpoints.md (GET); openapi.yaml has POST only"
        trimmed[LIFT_ANALYSIS] = {"get": get, **lift}
    return {
        "openapi": full["openapi"],
        "info": {"title": full["info"]["title"], "version": full["info"]["version"]},
        "security": full.get("security", []),
        "paths": trimmed,
        "components": full.get("components", {}),
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    full = yaml.safe_load(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).with_name("contract.yaml")
    body = yaml.safe_dump(extract(full), sort_keys=False, allow_unicode=True, width=100)
    out.write_text(HEADER + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
